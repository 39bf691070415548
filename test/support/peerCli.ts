/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Fabric's own `peer` CLI (from FABRIC_BIN) run as a member's admin, for the tests that check the
 * devnet against Fabric's tools.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { MemberConnection } from '../../orchestrator/src/gateway';

const run = promisify(execFile);

/** The environment of `peer` acting as `m`'s admin against `address` (default: `m`'s own peer). */
export function peerAdminEnv(fabricBin: string, m: MemberConnection, address = m.peer.endpoint): NodeJS.ProcessEnv {
  return {
    ...process.env,
    FABRIC_CFG_PATH: path.join(fabricBin, '..', 'config'),
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_LOCALMSPID: m.mspId,
    CORE_PEER_MSPCONFIGPATH: m.adminMspDir,
    CORE_PEER_TLS_ROOTCERT_FILE: m.peer.tlsCaCertPath,
    CORE_PEER_ADDRESS: address,
  };
}

/** Runs `peer <args>` as `m`'s admin against its peer; resolves with stdout, rejects with stderr. */
export async function peerAsAdmin(fabricBin: string, m: MemberConnection, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(path.join(fabricBin, 'peer'), args, { env: peerAdminEnv(fabricBin, m), timeout: 60_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`peer ${args.join(' ')}: ${e.stderr ?? e.message}`);
  }
}
