/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The package hash covers the whole chaincode folder as Fabric's Node platform packages it.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hashChaincodeFolder, packagedFiles } from './packageId';

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'package-id-'));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A chaincode folder with the given files (relative path → content), created in the given order. */
function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

const BASE = { 'package.json': '{"main":"index.js"}', 'index.js': 'require("./lib/a")', 'lib/a.js': 'module.exports = 1' };

describe('hashChaincodeFolder', () => {
  test('is a SHA-256 hex digest, the same for the same content wherever the folder is', () => {
    const a = hashChaincodeFolder(folder('a', BASE));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(hashChaincodeFolder(folder('b', BASE))).toBe(a);
  });

  test('does not depend on the order files were written in', () => {
    const reversed = Object.fromEntries(Object.entries(BASE).reverse());
    expect(hashChaincodeFolder(folder('reversed', reversed))).toBe(hashChaincodeFolder(folder('a', BASE)));
  });

  test('changes when a file other than package.json and main changes', () => {
    const a = hashChaincodeFolder(folder('a', BASE));
    expect(hashChaincodeFolder(folder('b', { ...BASE, 'lib/a.js': 'module.exports = 2' }))).not.toBe(a);
    expect(hashChaincodeFolder(folder('c', { ...BASE, 'README.md': 'notes' }))).not.toBe(a);
    expect(hashChaincodeFolder(folder('d', { ...BASE, 'META-INF/statedb/couchdb/indexes/i.json': '{}' }))).not.toBe(a);
  });

  test('changes when a file is renamed or content moves between files', () => {
    const a = hashChaincodeFolder(folder('a', { ...BASE, 'x.txt': 'ab', 'y.txt': '' }));
    expect(hashChaincodeFolder(folder('b', { ...BASE, 'x.txt': 'a', 'y.txt': 'b' }))).not.toBe(a);
    expect(hashChaincodeFolder(folder('c', { ...BASE, 'z.txt': 'ab', 'y.txt': '' }))).not.toBe(a);
  });

  test('leaves out node_modules and .git at any depth, as Fabric packaging does', () => {
    const a = hashChaincodeFolder(folder('a', BASE));
    const b = folder('b', {
      ...BASE,
      'node_modules/dep/index.js': 'x',
      '.git/HEAD': 'ref: refs/heads/main',
      'lib/node_modules/other/index.js': 'y',
      'lib/.git/config': 'z',
    });
    expect(hashChaincodeFolder(b)).toBe(a);
    // A node_modules link (a workspace install) is left out as well.
    const c = folder('c', BASE);
    fs.symlinkSync(path.join(b, 'node_modules'), path.join(c, 'node_modules'), 'dir');
    expect(hashChaincodeFolder(c)).toBe(a);
  });

  test('lists files in filepath.Walk order with / separators, a linked file by its content', () => {
    const dir = folder('a', { ...BASE, 'B.js': '', 'lib/z/deep.js': '', 'lib-x.js': '' });
    fs.symlinkSync(path.join(dir, 'lib', 'a.js'), path.join(dir, 'linked.js'));
    expect(packagedFiles(dir).map((f) => f.relativePath)).toEqual(['B.js', 'index.js', 'lib/a.js', 'lib/z/deep.js', 'lib-x.js', 'linked.js', 'package.json']);
    const copy = folder('b', { ...BASE, 'B.js': '', 'lib/z/deep.js': '', 'lib-x.js': '', 'linked.js': 'module.exports = 1' });
    expect(hashChaincodeFolder(dir)).toBe(hashChaincodeFolder(copy));
  });
});
