/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GenesisParams } from 'mgmt-chaincode/dist/protocol';
import { validateParams } from 'mgmt-chaincode/dist/protocol';
import type { OrgCrypto } from 'fabric-config/msp';
import { generateTestOrgs } from 'fabric-config/testing';
import { changesParams, newParams } from './membership';

let dir: string;
let root: string;
let orgs: OrgCrypto[];
let inForce: GenesisParams;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'propose-membership-'));
  // Org1..Org4 are the members; Org5's CA admits Org5, Org6's CA stands for Org2's new one.
  ({ root, orgs } = await generateTestOrgs('propose-membership', 6));
  writeFileSync(path.join(dir, 'org5-ca.pem'), orgs[4].caCertPem);
  writeFileSync(path.join(dir, 'org2-new-ca.pem'), orgs[5].caCertPem);
  inForce = validateParams({
    members: orgs.slice(0, 4).map((o) => ({ mspId: o.mspId, caCertificate: o.caCertPem })),
    cbiSeconds: 30,
    cycleTimeoutSeconds: 10,
    clockToleranceSeconds: 5,
    configSchema: { type: 'object' },
  });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

describe('mgmt propose: the params a membership change asks for', () => {
  it('admits a member from its CA certificate file', () => {
    const { params, change } = newParams({ addMember: `Org5MSP=${path.join(dir, 'org5-ca.pem')}` }, inForce);
    expect(params.members.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP', 'Org5MSP']);
    expect(change).toEqual({ added: ['Org5MSP'], removed: [], rotated: [] });
    expect(params.cbiSeconds).toBe(inForce.cbiSeconds);
  });

  it('removes one member and rotates another\'s CA', () => {
    const { change } = newParams({ removeMember: ['Org4MSP'], rotateCa: [`Org2MSP=${path.join(dir, 'org2-new-ca.pem')}`] }, inForce);
    expect(change).toEqual({ added: [], removed: ['Org4MSP'], rotated: ['Org2MSP'] });
  });

  it.each([
    [{ removeMember: ['Org3MSP', 'Org4MSP'] }, /removes 2 of 4 members/],
    [{ removeMember: ['Org9MSP'] }, /--remove-member Org9MSP: not a member/],
    [{ addMember: 'Org1MSP=/nonexistent.pem' }, /cannot read the CA certificate/],
    [{ addMember: 'Org5MSP' }, /takes <mspId>=<caCertFile>/],
  ])('refuses %j', (options, message) => {
    expect(() => newParams(options, inForce)).toThrow(message);
  });

  it('refuses a member that is already one, and a CA file that is not a CA', () => {
    expect(() => newParams({ addMember: `Org1MSP=${path.join(dir, 'org5-ca.pem')}` }, inForce)).toThrow(/already a member/);
    const notCa = path.join(dir, 'client.pem');
    writeFileSync(notCa, orgs[4].user.certPem);
    expect(() => newParams({ addMember: `Org5MSP=${notCa}` }, inForce)).toThrow(/params\.members\[4\]\.caCertificate/);
  });

  it('knows when a params change is asked for', () => {
    expect(changesParams({})).toBe(false);
    expect(changesParams({ removeMember: [] })).toBe(false);
    expect(changesParams({ removeMember: ['Org4MSP'] })).toBe(true);
  });
});
