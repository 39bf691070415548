/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TwinError } from './errors';
import { NO_METRICS } from './metrics';
import { firstDifference, mergeModel, OperatorTwin } from './operatorTwin';
import type { GenesisParams, Member } from 'mgmt-chaincode/dist/protocol';
import type { ParamsChange, TwinState } from './twin';

const dir = mkdtempSync(path.join(os.tmpdir(), 'operator-twin-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
const state: TwinState = { metrics: NO_METRICS, current: { batchTimeoutMs: 100, maxMessageCount: 10 }, height: 3 };

describe('OperatorTwin', () => {
  it('proposes the configuration in its file, re-read on every decision', async () => {
    const file = path.join(dir, 'desired.json');
    writeFileSync(file, '{"batchTimeoutMs": 200, "maxMessageCount": 20}');
    const twin = new OperatorTwin({ configFile: file });
    expect(await twin.decide(state)).toEqual({ batchTimeoutMs: 200, maxMessageCount: 20 });
    writeFileSync(file, '{"batchTimeoutMs": 300, "maxMessageCount": 20}');
    expect(await twin.decide(state)).toEqual({ batchTimeoutMs: 300, maxMessageCount: 20 });
    expect(await twin.validate({ batchTimeoutMs: 300, maxMessageCount: 20 }, state)).toEqual({ approve: true, reason: 'matches the operator configuration' });
  });

  it.each([
    ['equal: approve', { batchTimeoutMs: 200, maxMessageCount: 20 }, true, /matches/],
    ['within the allowance of 50: approve', { batchTimeoutMs: 250, maxMessageCount: 20 }, true, /matches/],
    ['beyond the allowance: reject', { batchTimeoutMs: 251, maxMessageCount: 20 }, false, /batchTimeoutMs 251 is more than 50 from the operator's 200/],
    ['no allowance means exact: reject', { batchTimeoutMs: 200, maxMessageCount: 21 }, false, /maxMessageCount 21 differs from the operator's 20/],
    ['a missing key: reject', { batchTimeoutMs: 200 }, false, /maxMessageCount is missing/],
    ['an extra key: reject', { batchTimeoutMs: 200, maxMessageCount: 20, x: 1 }, false, /x is not part of/],
  ])('%s', async (_name, config, approve, reason) => {
    const twin = new OperatorTwin({ config: { batchTimeoutMs: 200, maxMessageCount: 20 }, allowance: { batchTimeoutMs: 50 } });
    const verdict = await twin.validate(config, state);
    expect(verdict.approve).toBe(approve);
    expect(verdict.reason).toMatch(reason);
  });

  it('fails clearly (TwinError, not a verdict) when the file is missing or not an object', async () => {
    const missing = new OperatorTwin({ configFile: path.join(dir, 'nope.json') });
    await expect(missing.decide(state)).rejects.toMatchObject({ name: 'TwinError', code: 'TWIN_CONFIG_UNREADABLE' });
    const arrayFile = path.join(dir, 'array.json');
    writeFileSync(arrayFile, '[1]');
    await expect(new OperatorTwin({ configFile: arrayFile }).validate({}, state)).rejects.toThrow(/must hold a JSON object/);
  });

  it('needs exactly one source and non-negative allowances', () => {
    expect(() => new OperatorTwin({})).toThrow(TwinError);
    expect(() => new OperatorTwin({ config: {}, configFile: 'x' })).toThrow(/exactly one/);
    expect(() => new OperatorTwin({ config: {}, allowance: { a: -1 } })).toThrow(/non-negative/);
  });
});

describe('OperatorTwin on channel models', () => {
  const current = {
    version: 2,
    orderer: { batchTimeoutMs: 100, capabilities: ['V2_0'] },
    application: { policies: { Admins: { type: 'ImplicitMeta', rule: 'MAJORITY Admins' } }, capabilities: ['V2_5'] },
  };
  const onModel: TwinState = { metrics: NO_METRICS, current, height: 5 };
  const wanted = { version: 2, application: { acls: { 'peer/Propose': '/Channel/Application/Admins' }, capabilities: ['V2_0', 'V2_5'] } };
  const twin = new OperatorTwin({ config: wanted });

  it('proposes the configuration in force with only the wanted values changed', async () => {
    expect(await twin.decide(onModel)).toEqual({
      version: 2,
      orderer: { batchTimeoutMs: 100, capabilities: ['V2_0'] },
      application: { policies: { Admins: { type: 'ImplicitMeta', rule: 'MAJORITY Admins' } }, capabilities: ['V2_0', 'V2_5'], acls: { 'peer/Propose': '/Channel/Application/Admins' } },
    });
  });

  it('approves exactly that, and names the first path of anything else', async () => {
    const proposal = await twin.decide(onModel);
    expect(await twin.validate(proposal, onModel)).toMatchObject({ approve: true });
    const other = { ...proposal, orderer: { batchTimeoutMs: 200, capabilities: ['V2_0'] } };
    expect(await twin.validate(other, onModel)).toEqual({ approve: false, reason: "orderer.batchTimeoutMs differs from the operator's configuration" });
    expect(await twin.validate(current, onModel)).toMatchObject({ approve: false, reason: expect.stringMatching(/^application\.acls/) as unknown as string });
  });

  it('merges objects by key and replaces lists whole', () => {
    expect(mergeModel({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
    expect(firstDifference({ a: { b: 1 } }, { a: { b: 1 } }, '')).toBeUndefined();
    expect(firstDifference({ a: { b: [1] } }, { a: { b: [1, 2] } }, '')).toBe('a.b');
  });
});

describe('OperatorTwin with a members file', () => {
  /** PEM-looking text: the twin compares CAs as text, it does not parse them. */
  const ca = (mspId: string): string => `-----BEGIN CERTIFICATE-----\nMIIB${mspId}Q2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n`;
  const member = (mspId: string): Member => ({ mspId, caCertificate: ca(mspId) });
  const inForce: GenesisParams = {
    members: ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'].map(member),
    cbiSeconds: 5,
    cycleTimeoutSeconds: 10,
    clockToleranceSeconds: 5,
    configSchema: { type: 'object' },
  };
  const withOrg5: GenesisParams = { ...inForce, members: [...inForce.members, member('Org5MSP')] };
  const change = (params: GenesisParams, summary = 'a summary'): ParamsChange => ({ params, inForce, summary });
  let files = 0;
  /** A members file holding `content` (a string as it is, anything else as JSON). */
  const membersFile = (content: unknown): string => {
    const file = path.join(dir, `members-${++files}.json`);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  const twinWith = (content: unknown): OperatorTwin => new OperatorTwin({ config: {}, membersFile: membersFile(content) });

  it('proposes the params in force with one member added, sorted by MSP ID whatever the file order', async () => {
    const twin = twinWith({ members: [member('Org5MSP'), member('Org3MSP'), member('Org1MSP'), member('Org4MSP'), member('Org2MSP')] });
    expect(await twin.decideParams(inForce)).toEqual(withOrg5);
  });

  it('re-reads the file at every decision', async () => {
    const file = membersFile({ members: inForce.members });
    const twin = new OperatorTwin({ config: {}, membersFile: file });
    expect(await twin.decideParams(inForce)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ members: withOrg5.members }));
    expect(await twin.decideParams(inForce)).toEqual(withOrg5);
  });

  it('proposes nothing for the member set in force, in another order or with CRLF line ends in a CA', async () => {
    expect(await twinWith({ members: [...inForce.members].reverse() }).decideParams(inForce)).toBeUndefined();
    const crlf = inForce.members.map((m) => (m.mspId === 'Org2MSP' ? { ...m, caCertificate: m.caCertificate.replace(/\n/g, '\r\n') } : m));
    expect(crlf[1].caCertificate).toContain('\r\n');
    const twin = twinWith({ members: crlf });
    expect(await twin.decideParams(inForce)).toBeUndefined();
    // Nor does such a CA turn an admission into a rotation: the text in force is kept.
    expect(await twinWith({ members: [...crlf, member('Org5MSP')] }).decideParams(inForce)).toEqual(withOrg5);
  });

  it('proposes a CA that differs by more than its line ends (a rotation)', async () => {
    const rotated = inForce.members.map((m) => (m.mspId === 'Org3MSP' ? { ...m, caCertificate: ca('Org3MSPv2') } : m));
    expect(await twinWith({ members: rotated }).decideParams(inForce)).toEqual({ ...inForce, members: rotated });
  });

  it('approves exactly the member set of the file, and nothing else', async () => {
    const twin = twinWith({ members: [member('Org5MSP'), ...inForce.members] });
    expect(await twin.validateParams(change(withOrg5, 'admits Org5MSP'))).toEqual({ approve: true, reason: 'the member set the operator wants (admits Org5MSP)' });
    const removal = { ...inForce, members: inForce.members.slice(0, 3) };
    expect(await twin.validateParams(change(removal, 'removes Org4MSP'))).toEqual({
      approve: false,
      reason: 'it changes the params (removes Org4MSP), which is not the member set the operator wants',
    });
    const otherCa = { ...inForce, members: [...inForce.members, { mspId: 'Org5MSP', caCertificate: ca('Org5MSPother') }] };
    expect(await twin.validateParams(change(otherCa))).toMatchObject({ approve: false });
    expect(await twin.validateParams(change({ ...withOrg5, cbiSeconds: 6 }, 'admits Org5MSP, cbiSeconds 5 -> 6'))).toMatchObject({ approve: false, reason: expect.stringContaining('cbiSeconds 5 -> 6') as unknown as string });
    expect(await twin.validateParams(change({ ...withOrg5, configSchema: { type: 'object', required: ['x'] } }))).toMatchObject({ approve: false });
  });

  it('approves the member set in force restated (a file with CRLF line ends included), and rejects a change of anything else then', async () => {
    const crlf = inForce.members.map((m) => ({ ...m, caCertificate: m.caCertificate.replace(/\n/g, '\r\n') }));
    const twin = twinWith({ members: crlf });
    expect(await twin.validateParams(change({ ...inForce }))).toMatchObject({ approve: true });
    expect(await twin.validateParams(change({ ...inForce, cbiSeconds: 1 }))).toMatchObject({ approve: false });
  });

  it.each([
    ['not JSON', '{"members": [', /cannot read .*members-\d+\.json: /],
    ['a missing file', undefined, /cannot read .*no-such-members\.json: ENOENT/],
    ['a list, not an object', [member('Org1MSP')], /members-\d+\.json must hold \{"members": \[\{"mspId": "Org1MSP", "caCertificate"/],
    ['no members', {}, /members-\d+\.json must hold \{"members"/],
    ['an empty member list', { members: [] }, /members-\d+\.json must hold \{"members"/],
    ['a member without caCertificate', { members: [{ mspId: 'Org1MSP' }] }, /members-\d+\.json must hold \{"members"/],
    ['a member with an empty MSP ID', { members: [{ mspId: '', caCertificate: ca('Org1MSP') }] }, /members-\d+\.json must hold \{"members"/],
    ['a CA that is not PEM', { members: [{ mspId: 'Org1MSP', caCertificate: 'MIIB...' }] }, /members-\d+\.json must hold \{"members"/],
  ])('refuses %s in the members file (TWIN_CONFIG_UNREADABLE naming the file), deciding and judging', async (_name, content, message) => {
    const file = content === undefined ? path.join(dir, 'no-such-members.json') : membersFile(content);
    const twin = new OperatorTwin({ config: {}, membersFile: file });
    const expected = { name: 'TwinError', code: 'TWIN_CONFIG_UNREADABLE', message: expect.stringMatching(message) as unknown as string };
    await expect(twin.decideParams(inForce)).rejects.toMatchObject(expected);
    await expect(twin.validateParams(change(withOrg5))).rejects.toMatchObject(expected);
    await expect(twin.decideParams(inForce)).rejects.toThrow(file);
  });

  it('without a members file proposes no params change and rejects every one', async () => {
    const twin = new OperatorTwin({ config: {} });
    expect(await twin.decideParams(inForce)).toBeUndefined();
    expect(await twin.validateParams(change(withOrg5, 'admits Org5MSP'))).toEqual({ approve: false, reason: 'it changes the params (admits Org5MSP); the operator gave no members file' });
    expect(await twin.validateParams(change({ ...inForce }, 'restates the params in force'))).toMatchObject({ approve: false });
  });
});
