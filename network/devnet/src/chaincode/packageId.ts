/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Package ids (ccids), `label:sha256hex` as in Fabric. `deploy` packages no file (packages installed
 * through _lifecycle are hashed as Fabric does, in ../lifecycle/chaincodePackage.ts), so the
 * hash covers what the package would hold. A deployed chaincode's hash is over what Fabric's Node
 * platform would package (core/chaincode/platforms/node and util.WriteFolderToTarPackage: every
 * file under the folder, skipping directories named node_modules and .git at any depth, file modes
 * and times normalised), hashed in a deterministic order: any change to any packaged file, main or
 * not, gives a new id. A launch given no package id falls back to {@link ccaasPackageId}.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Directory names Fabric's Node packaging leaves out (node_modules by the platform, .git always). */
const EXCLUDED_DIRECTORIES: readonly string[] = ['node_modules', '.git'];

/** One packaged file: its path relative to the folder ('/' separated) and its absolute path. */
export interface PackagedFile {
  relativePath: string;
  absolutePath: string;
}

/**
 * The files a package of `folder` would hold, in the order filepath.Walk visits them (names
 * sorted bytewise within each directory). Symbolic links to files count as their target's
 * content; symbolic links to directories are not followed (Fabric's packaging cannot package them).
 */
export function packagedFiles(folder: string): PackagedFile[] {
  const out: PackagedFile[] = [];
  const walk = (dir: string, prefix: string): void => {
    const names = fs.readdirSync(dir).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    for (const name of names) {
      const absolutePath = path.join(dir, name);
      const relativePath = prefix === '' ? name : `${prefix}/${name}`;
      const lstat = fs.lstatSync(absolutePath);
      if (lstat.isDirectory()) {
        if (!EXCLUDED_DIRECTORIES.includes(name)) walk(absolutePath, relativePath);
        continue;
      }
      if (lstat.isSymbolicLink()) {
        if (EXCLUDED_DIRECTORIES.includes(name)) continue;
        let target: fs.Stats;
        try {
          target = fs.statSync(absolutePath);
        } catch {
          continue; // a dangling link packages nothing
        }
        if (!target.isFile()) continue;
      } else if (!lstat.isFile()) {
        continue; // sockets, fifos, devices
      }
      out.push({ relativePath, absolutePath });
    }
  };
  walk(path.resolve(folder), '');
  return out;
}

/**
 * SHA-256 (hex) over every packaged file in {@link packagedFiles} order: for each, its relative
 * path, a NUL, its length as 8 bytes big-endian, then its bytes, so that no two different
 * folders share a byte stream.
 */
export function hashChaincodeFolder(folder: string): string {
  const hash = createHash('sha256');
  for (const file of packagedFiles(folder)) {
    const content = fs.readFileSync(file.absolutePath);
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(content.length));
    hash.update(Buffer.from(file.relativePath, 'utf8')).update(Buffer.from([0])).update(length).update(content);
  }
  return hash.digest('hex');
}

/**
 * The ccid of a ccaas package, whose hash covers what such a package would hold (its type, label
 * and connection): the ccid stays the same across restarts at one address and changes when the
 * package would.
 */
export function ccaasPackageId(label: string, address: string, tlsRequired = false): string {
  const description = JSON.stringify({
    connection: { address, dial_timeout: '10s', tls_required: tlsRequired },
    metadata: { label, type: 'ccaas' },
  });
  return `${label}:${createHash('sha256').update(description).digest('hex')}`;
}
