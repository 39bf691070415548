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
import type { TwinState } from './twin';

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
