/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The connection file of DESIGN.md section 3, written by both backends (devnet and native) and
 * read by the orchestrator, the tests and users' own clients: where each member's peer and
 * orderer listen, which TLS CA to trust, and where its admin's and user's MSP folders are.
 */
import { readFileSync } from 'node:fs';

export const CONNECTION_FILE_VERSION = 1;

export interface EndpointInfo {
  /** host:port to dial. */
  endpoint: string;
  /** TLS server name to expect (grpc.ssl_target_name_override), the node's host name. */
  hostAlias: string;
  /** Absolute path of the PEM TLS CA certificate that issued the node's server certificate. */
  tlsCaCertPath: string;
}

export interface MemberConnection {
  mspId: string;
  domain: string;
  peer: EndpointInfo;
  orderer: EndpointInfo;
  /** Absolute path of the org's CA certificate (its MSP root). */
  caCertPath: string;
  /** MSP folders (keystore/, signcerts/) of the org's admin and of a client user. */
  adminMspDir: string;
  userMspDir: string;
}

export interface ConnectionFile {
  version: number;
  backend: 'devnet' | 'native' | string;
  channels: { management: string; primary: string };
  members: MemberConnection[];
  /** The devnet's admin API (deploy/status), absent for native Fabric. */
  adminUrl?: string;
}

/**
 * Reads and checks a connection file.
 * @throws Error naming the file and the field that is missing or malformed.
 */
export function readConnectionFile(path: string): ConnectionFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read connection file ${path}: ${(err as Error).message}`);
  }
  const bad = (field: string): Error => new Error(`connection file ${path}: ${field} is missing or malformed`);
  const o = parsed as Partial<ConnectionFile>;
  if (typeof o !== 'object' || o === null) throw bad('the top-level object');
  if (o.version !== CONNECTION_FILE_VERSION) throw bad(`version (expected ${CONNECTION_FILE_VERSION})`);
  if (typeof o.channels?.management !== 'string' || typeof o.channels.primary !== 'string') throw bad('channels');
  if (!Array.isArray(o.members) || o.members.length === 0) throw bad('members');
  o.members.forEach((m, i) => {
    for (const field of ['mspId', 'domain', 'caCertPath', 'adminMspDir', 'userMspDir'] as const) {
      if (typeof m[field] !== 'string') throw bad(`members[${i}].${field}`);
    }
    for (const node of ['peer', 'orderer'] as const) {
      const e = m[node];
      if (typeof e?.endpoint !== 'string' || typeof e.hostAlias !== 'string' || typeof e.tlsCaCertPath !== 'string') {
        throw bad(`members[${i}].${node}`);
      }
    }
  });
  return o as ConnectionFile;
}
