/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `<data>/peers.json`: the peers added through `POST /peers`, started again when the devnet
 * restarts on the same data folder. Written whole and atomically (a temporary file renamed), so
 * a crash leaves the old list or the new one, never half of one.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseAddPeerRequest, PeerRequestError } from './request';
import type { AddPeerRequest } from './request';

export const PEERS_FILE = 'peers.json';
const FORMAT = 'devnet-peers-v1';

interface PeersFile {
  format: typeof FORMAT;
  peers: AddPeerRequest[];
}

export function peersFilePath(dataDir: string): string {
  return path.join(dataDir, PEERS_FILE);
}

/**
 * The peers recorded in a data folder, in the order they were added; none without the file.
 * @throws PeerRequestError when the file is not one this module wrote (saying how to recover).
 */
export function readAddedPeers(dataDir: string): AddPeerRequest[] {
  const file = peersFilePath(dataDir);
  if (!existsSync(file)) return [];
  const broken = (why: string): PeerRequestError =>
    new PeerRequestError(`${file} is malformed (${why}): fix it, or remove it to start without the added peers (add them again with \`devnet add-peer\`)`);
  let parsed: Partial<PeersFile>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<PeersFile>;
  } catch (err) {
    throw broken(err instanceof Error ? err.message : String(err));
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.format !== FORMAT || !Array.isArray(parsed.peers)) throw broken(`not a ${FORMAT} file`);
  return parsed.peers.map((entry, i) => {
    try {
      return parseAddPeerRequest(entry);
    } catch (err) {
      throw broken(`entry ${i}: ${(err as Error).message}`);
    }
  });
}

export function writeAddedPeers(dataDir: string, peers: readonly AddPeerRequest[]): void {
  const file = peersFilePath(dataDir);
  const content: PeersFile = { format: FORMAT, peers: peers.map((p) => ({ folder: p.folder, mspId: p.mspId, domain: p.domain, port: p.port })) };
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(content, null, 2) + '\n');
  renameSync(tmp, file);
}
