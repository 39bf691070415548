/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateParams } from 'mgmt-chaincode/dist/protocol';
import { runCli } from '../program';
import { newParams, readOrgFile } from '../propose/membership';
import { orgFileProblems } from './orgFile';

const dir = mkdtempSync(path.join(os.tmpdir(), 'org-new-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('mgmt org new', () => {
  it('writes the organisation in cryptogen layout and the file --add-org takes', async () => {
    const result = await run(['org', 'new', 'Org5MSP', '--domain', 'org5.example.com', '--out', dir, '--anchor-peer', 'peer0.org5.example.com:7051']);
    expect(result.code).toBe(0);
    const file = path.join(dir, 'Org5MSP.json');
    expect(result.out).toContain(file);
    expect(existsSync(path.join(dir, 'organizations', 'peerOrganizations', 'org5.example.com', 'users', 'Admin@org5.example.com', 'msp', 'signcerts'))).toBe(true);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    expect(orgFileProblems(parsed)).toEqual([]);
    const org = readOrgFile(file);
    expect(org.organization).toMatchObject({ mspId: 'Org5MSP', groups: ['application'], anchorPeers: [{ host: 'peer0.org5.example.com', port: 7051 }] });

    // The params that admit it: the member set in force plus Org5, with its CA.
    const { caCertificate } = org.member;
    const inForce = validateParams({ members: [{ mspId: 'Org9MSP', caCertificate }], cbiSeconds: 5, cycleTimeoutSeconds: 5, clockToleranceSeconds: 5, configSchema: { type: 'object' } });
    // The same CA for two members is refused by the params rules, which shows the file's CA is the one carried.
    expect(() => newParams({ addOrg: file }, inForce)).toThrow(/same CA as/);
  });

  it('refuses to overwrite an organisation and names what is wrong with a file', async () => {
    const again = await run(['org', 'new', 'Org5MSP', '--domain', 'org5.example.com', '--out', dir]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/exists already/);
    const bad = path.join(dir, 'bad.json');
    const good = JSON.parse(readFileSync(path.join(dir, 'Org5MSP.json'), 'utf8')) as { member: { mspId: string } };
    writeFileSync(bad, JSON.stringify({ ...good, format: 'x', member: { ...good.member, mspId: 'Org6MSP' } }));
    expect(() => readOrgFile(bad)).toThrow(/format must be "mgmt-org-v1".*organization\.mspId differs from member\.mspId/);
    expect((await run(['org', 'new', 'Org6MSP', '--domain', 'org6.example.com', '--out', dir, '--anchor-peer', 'nope'])).code).toBe(2);
  });
});
