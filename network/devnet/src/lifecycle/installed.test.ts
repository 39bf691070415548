/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Packages installed per organisation's peer, kept on disk across instances (restarts).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildChaincodePackage } from './chaincodePackage';
import { InstalledPackages } from './installed';

let root: string;
beforeEach(() => { root = mkdtempSync(path.join(tmpdir(), 'devnet-installed-')); });
afterEach(() => { rmSync(root, { recursive: true, force: true }); });

const nodePackage = (label: string, body = 'module.exports = {};'): Promise<Buffer> =>
  buildChaincodePackage('node', label, new Map([['src/index.js', Buffer.from(body)], ['src/package.json', Buffer.from('{"main":"index.js"}')]]));

describe('installed chaincode packages', () => {
  it("keeps one organisation's installs apart from another's, and across instances", async () => {
    const bytes = await nodePackage('cc_1');
    const pkg = await new InstalledPackages(root).install('Org1MSP', bytes);
    const reopened = new InstalledPackages(root);
    expect(reopened.list('Org1MSP')).toEqual([{ packageId: pkg.packageId, label: 'cc_1', kind: 'package' }]);
    expect(reopened.list('Org2MSP')).toEqual([]);
    expect(reopened.packageBytes('Org1MSP', pkg.packageId)?.equals(bytes)).toBe(true);
    expect(reopened.packageBytes('Org2MSP', pkg.packageId)).toBeUndefined();
  });

  it('refuses a second install of the same package on the same peer', async () => {
    const installed = new InstalledPackages(root);
    const bytes = await nodePackage('cc_1');
    const { packageId } = await installed.install('Org1MSP', bytes);
    await expect(installed.install('Org1MSP', bytes)).rejects.toThrow(`chaincode already successfully installed (package ID '${packageId}')`);
    await expect(installed.install('Org2MSP', bytes)).resolves.toMatchObject({ packageId });
  });

  it("records a deployed folder, and unpacks a node package to run with the devnet's modules", async () => {
    const installed = new InstalledPackages(root);
    installed.recordFolder('Org1MSP', `dep_1:${'a'.repeat(64)}`, '/some/folder');
    expect(installed.find('Org1MSP', `dep_1:${'a'.repeat(64)}`)?.kind).toBe('folder');
    expect(installed.folderOf('Org1MSP', `dep_1:${'a'.repeat(64)}`)).toBe('/some/folder');

    const modules = path.join(root, 'modules');
    mkdirSync(modules);
    const { packageId } = await installed.install('Org1MSP', await nodePackage('cc_2', 'exports.x = 1;'));
    const folder = await installed.unpackNode('Org1MSP', packageId, modules);
    expect(readFileSync(path.join(folder, 'index.js'), 'utf8')).toBe('exports.x = 1;');
    expect(realpathSync(path.join(folder, 'node_modules'))).toBe(realpathSync(modules));
    expect(await installed.unpackNode('Org1MSP', packageId, modules)).toBe(folder);
    await expect(installed.unpackNode('Org2MSP', packageId, modules)).rejects.toThrow("is not installed on Org2MSP's peer");
    expect(existsSync(path.join(root, 'code'))).toBe(true);
  });
});
