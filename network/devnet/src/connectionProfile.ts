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

/** The devnet CLI's own read of the file it wrote (full validation lives in the orchestrator). */
export function readAdminUrl(path: string): string | undefined {
  return (JSON.parse(readFileSync(path, 'utf8')) as Partial<ConnectionFile>).adminUrl;
}
