/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The chaincode packages installed on each peer, kept per organisation under
 * `<data>/lifecycle/installed/<mspId>/` (Fabric keeps them in the peer's file system too), so an
 * install survives a restart and one organisation's installs are not another's. A package the
 * admin `deploy` defines from a folder is recorded as a reference to the folder (`.folder`), not
 * as a tar.gz: the devnet runs that folder as it is.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseChaincodePackage, PackageError } from './chaincodePackage';
import type { ChaincodePackage } from './chaincodePackage';

export interface InstalledPackage {
  packageId: string;
  label: string;
  /** A package file installed through _lifecycle, or a folder recorded by `deploy`. */
  kind: 'package' | 'folder';
}

const MSP_ID = /^[A-Za-z0-9._-]+$/;

export class InstalledPackages {
  constructor(private readonly root: string) {}

  /**
   * Installs a package for an organisation's peer.
   * @throws PackageError for a malformed package, or one already installed (Fabric's words).
   */
  async install(mspId: string, bytes: Uint8Array): Promise<ChaincodePackage> {
    const pkg = await parseChaincodePackage(bytes);
    if (this.find(mspId, pkg.packageId)) throw new PackageError(`chaincode already successfully installed (package ID '${pkg.packageId}')`);
    const file = this.fileOf(mspId, pkg.packageId, 'tar.gz');
    writeAtomically(file, bytes);
    return pkg;
  }

  /** Records a folder `deploy` runs as installed for an organisation (idempotent). */
  recordFolder(mspId: string, packageId: string, folder: string): void {
    const file = this.fileOf(mspId, packageId, 'folder');
    if (!existsSync(file)) writeAtomically(file, Buffer.from(folder, 'utf8'));
  }

  list(mspId: string): InstalledPackage[] {
    const dir = this.dirOf(mspId);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((name) => parseFileName(name))
      .filter((p): p is InstalledPackage => p !== undefined)
      .sort((a, b) => a.packageId.localeCompare(b.packageId));
  }

  find(mspId: string, packageId: string): InstalledPackage | undefined {
    return this.list(mspId).find((p) => p.packageId === packageId);
  }

  /** The package file's bytes (undefined for an unknown id or a deployed folder). */
  packageBytes(mspId: string, packageId: string): Buffer | undefined {
    const file = this.fileOf(mspId, packageId, 'tar.gz');
    return existsSync(file) ? readFileSync(file) : undefined;
  }

  /** The folder `deploy` recorded for a package id, if it was one. */
  folderOf(mspId: string, packageId: string): string | undefined {
    const file = this.fileOf(mspId, packageId, 'folder');
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  /**
   * The folder a `node` package's code runs from, unpacked once under `<root>/code/`. Packages
   * leave node_modules out and the devnet runs no `npm install`: the code resolves its modules
   * (fabric-shim, fabric-contract-api) from `modulesDir`, the devnet's own.
   */
  async unpackNode(mspId: string, packageId: string, modulesDir: string): Promise<string> {
    const bytes = this.packageBytes(mspId, packageId);
    if (!bytes) throw new PackageError(`package ${packageId} is not installed on ${mspId}'s peer`);
    const target = path.join(this.root, 'code', safeName(packageId));
    const src = path.join(target, 'src');
    if (existsSync(path.join(target, '.complete'))) return src;
    const pkg = await parseChaincodePackage(bytes);
    for (const [name, content] of pkg.code) {
      const file = path.resolve(target, name);
      if (!file.startsWith(target + path.sep)) throw new PackageError(`package ${packageId} holds a path outside its folder: ${name}`);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    if (!existsSync(path.join(src, 'package.json'))) throw new PackageError(`package ${packageId} is of type node but has no src/package.json: package the chaincode folder with --lang node`);
    if (!existsSync(path.join(src, 'node_modules'))) symlinkSync(modulesDir, path.join(src, 'node_modules'), 'dir');
    writeFileSync(path.join(target, '.complete'), '');
    return src;
  }

  private dirOf(mspId: string): string {
    if (!MSP_ID.test(mspId)) throw new PackageError(`invalid MSP ID '${mspId}'`);
    return path.join(this.root, mspId);
  }

  private fileOf(mspId: string, packageId: string, ext: 'tar.gz' | 'folder'): string {
    return path.join(this.dirOf(mspId), `${safeName(packageId)}.${ext}`);
  }
}

/** `label:hash` as a file name (`label.hash`, as Fabric names installed packages). */
function safeName(packageId: string): string {
  const i = packageId.lastIndexOf(':');
  return `${packageId.slice(0, i)}.${packageId.slice(i + 1)}`;
}

function parseFileName(name: string): InstalledPackage | undefined {
  const match = /^(.+)\.([0-9a-f]{64})\.(tar\.gz|folder)$/.exec(name);
  if (!match) return undefined;
  return { packageId: `${match[1]}:${match[2]}`, label: match[1], kind: match[3] === 'folder' ? 'folder' : 'package' };
}

function writeAtomically(file: string, bytes: Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}
