/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reading the connection file of DESIGN.md section 3 (its format is defined beside its writer in
 * fabric-devnet's connectionProfile.ts): every field is checked, so that a hand-written file for an
 * existing Fabric network fails with the field to fix rather than deep inside a gRPC call.
 */
import { readFileSync } from 'node:fs';

import { CONNECTION_FILE_VERSION } from 'fabric-devnet/dist/connectionProfile';
import type { ConnectionFile } from 'fabric-devnet/dist/connectionProfile';

// The format is defined once, beside its writer; both backends write it.
export { CONNECTION_FILE_VERSION };
export type { ConnectionFile, EndpointInfo, MemberConnection } from 'fabric-devnet/dist/connectionProfile';

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
