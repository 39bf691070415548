/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { readFileSync } from 'node:fs';
import { CONNECTION_FILE_VERSION } from 'fabric-devnet';
import type { ConnectionFile } from 'fabric-devnet';
import { NetworkBackendError } from './types';

/**
 * The connection file the network just wrote, parsed. A light check only: the file comes from
 * the backend itself (the orchestrator's readConnectionFile validates any file against its schema).
 */
export function readConnection(file: string): ConnectionFile {
  let parsed: Partial<ConnectionFile>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ConnectionFile>;
  } catch (err) {
    throw new NetworkBackendError('CONNECTION_FILE', `cannot read the connection file ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (parsed.version !== CONNECTION_FILE_VERSION || !Array.isArray(parsed.members) || parsed.channels === undefined) {
    throw new NetworkBackendError('CONNECTION_FILE', `${file} is not a connection file of version ${CONNECTION_FILE_VERSION}`);
  }
  return parsed as ConnectionFile;
}
