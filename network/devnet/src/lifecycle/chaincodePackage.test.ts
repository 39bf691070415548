/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Install packages as `peer lifecycle chaincode package` lays them out, and their package ids.
 */
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildChaincodePackage, ccaasConnectionOf, packageIdOf, parseChaincodePackage, writeTarGz } from './chaincodePackage';

const files = (entries: Record<string, string>): Map<string, Uint8Array> => new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));

describe('chaincode install packages', () => {
  it('reads type, label and code back, under the id <label>:<sha256 of the package bytes>', async () => {
    const bytes = await buildChaincodePackage('node', 'basic_1.0', files({ 'src/index.js': 'x', 'src/package.json': '{}' }));
    const pkg = await parseChaincodePackage(bytes);
    expect(pkg.type).toBe('node');
    expect(pkg.label).toBe('basic_1.0');
    expect(pkg.packageId).toBe(`basic_1.0:${createHash('sha256').update(bytes).digest('hex')}`);
    expect(pkg.code.get('src/index.js')?.toString()).toBe('x');
    expect(packageIdOf('basic_1.0', bytes)).toBe(pkg.packageId);
  });

  it('gives different bytes a different id under the same label', async () => {
    const a = await buildChaincodePackage('node', 'l', files({ 'src/index.js': 'a' }));
    const b = await buildChaincodePackage('node', 'l', files({ 'src/index.js': 'b' }));
    expect((await parseChaincodePackage(a)).packageId).not.toBe((await parseChaincodePackage(b)).packageId);
  });

  it('reads the address of a ccaas package', async () => {
    const pkg = await parseChaincodePackage(await buildChaincodePackage('ccaas', 'ext', files({ 'connection.json': '{"address":"127.0.0.1:9999","dial_timeout":"10s","tls_required":false}' })));
    expect(ccaasConnectionOf(pkg)).toEqual({ address: '127.0.0.1:9999', dialTimeout: '10s', tlsRequired: false });
    const noAddress = await parseChaincodePackage(await buildChaincodePackage('ccaas', 'ext', files({ 'connection.json': '{}' })));
    expect(() => ccaasConnectionOf(noAddress)).toThrow('needs "address": "host:port"');
  });

  it('refuses a package without metadata.json, with a bad label, or that is not a tar.gz', async () => {
    await expect(parseChaincodePackage(await writeTarGz(files({ 'code.tar.gz': '' })))).rejects.toThrow('did not find any package metadata (missing metadata.json)');
    await expect(parseChaincodePackage(await buildChaincodePackage('node', '-bad', new Map()))).rejects.toThrow("invalid label '-bad'");
    await expect(parseChaincodePackage(Buffer.from('not gzip'))).rejects.toThrow('is not a gzip file');
    await expect(parseChaincodePackage(gzipSync(Buffer.from('not a tar archive at all, just text')))).rejects.toThrow();
    await expect(parseChaincodePackage(new Uint8Array())).rejects.toThrow('empty chaincode install package');
  });
});
