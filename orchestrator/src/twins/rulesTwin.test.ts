/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import { boundsFromSchema, CHANNEL_MODEL_SCHEMA_FILE, readSchemaFile } from './primaryConfig';
import { RulesTwin } from './rulesTwin';
import type { PrimaryMetrics, TwinState } from './twin';

const bounds = boundsFromSchema(readSchemaFile());
const twin = new RulesTwin({ bounds });
const current = { batchTimeoutMs: 400, maxMessageCount: 10 };
const at = (m: Partial<PrimaryMetrics>, c: Record<string, unknown> = current): TwinState => ({
  metrics: { txRate: 20, blockFill: 0.5, commitLatencyMs: 500, blockIntervalMs: 400, ...m },
  current: c,
  height: 4,
});

describe('RulesTwin', () => {
  it('reads its bounds from the shipped schema', () => {
    expect(bounds).toEqual({ batchTimeoutMs: { min: 50, max: 10000 }, maxMessageCount: { min: 1, max: 1000 } });
  });

  it.each([
    ['full blocks raise maxMessageCount', { blockFill: 0.9 }, { batchTimeoutMs: 400, maxMessageCount: 15 }],
    ['sparse blocks that commit slowly lower batchTimeoutMs', { blockFill: 0.1, commitLatencyMs: 1500 }, { batchTimeoutMs: 267, maxMessageCount: 10 }],
    ['sparse blocks that commit fast raise batchTimeoutMs', { blockFill: 0.1, commitLatencyMs: 120 }, { batchTimeoutMs: 600, maxMessageCount: 10 }],
    ['half-full blocks hold', { blockFill: 0.5 }, current],
    ['no load is no evidence: hold', { txRate: 0, blockFill: 0.95 }, current],
  ])('%s', async (_name, metrics, expected) => {
    expect(await twin.decide(at(metrics))).toEqual(expected);
  });

  it('stays within the bounds', async () => {
    expect(await twin.decide(at({ blockFill: 1 }, { batchTimeoutMs: 400, maxMessageCount: 900 }))).toEqual({ batchTimeoutMs: 400, maxMessageCount: 1000 });
    expect(await twin.decide(at({ blockFill: 0, commitLatencyMs: 5000 }, { batchTimeoutMs: 60, maxMessageCount: 10 }))).toEqual({ batchTimeoutMs: 50, maxMessageCount: 10 });
  });

  it.each([
    ['no change: approve', { blockFill: 0.5 }, current, true, /no change/],
    ['an increase its own rules agree with: approve', { blockFill: 0.9 }, { batchTimeoutMs: 400, maxMessageCount: 15 }, true, /maxMessageCount 10->15: full blocks/],
    ['an increase just under its threshold, within the slack: approve', { blockFill: 0.75 }, { batchTimeoutMs: 400, maxMessageCount: 15 }, true, /full blocks/],
    ['an increase its rules do not support: reject', { blockFill: 0.5 }, { batchTimeoutMs: 400, maxMessageCount: 15 }, false, /goes up, my rules say hold/],
    ['the opposite direction: reject', { blockFill: 0.1, commitLatencyMs: 1500 }, { batchTimeoutMs: 800, maxMessageCount: 10 }, false, /batchTimeoutMs 400->800 goes up, my rules say down/],
    ['too large a step: reject', { blockFill: 0.9 }, { batchTimeoutMs: 400, maxMessageCount: 50 }, false, /step larger than x2/],
    ['outside the bounds: reject', { blockFill: 0.9 }, { batchTimeoutMs: 400, maxMessageCount: 5000 }, false, /maxMessageCount 5000 is not an integer within 1..1000/],
    ['not an integer: reject', {}, { batchTimeoutMs: 400.5, maxMessageCount: 10 }, false, /batchTimeoutMs 400.5/],
    ['an unknown key: reject', {}, { ...current, extra: 1 }, false, /unknown keys extra/],
  ])('validate: %s', async (_name, metrics, config, approve, reason) => {
    const verdict = await twin.validate(config, at(metrics));
    expect(verdict.approve).toBe(approve);
    expect(verdict.reason).toMatch(reason);
  });

  it('approves what another rules twin decided on nearly the same observations', async () => {
    const proposer = await twin.decide(at({ blockFill: 0.82 }));
    expect(await twin.validate(proposer, at({ blockFill: 0.77 }))).toMatchObject({ approve: true });
  });

  it('refuses inconsistent thresholds', () => {
    expect(() => new RulesTwin({ bounds, lowFill: 0.9, highFill: 0.5 })).toThrow(/TWIN_BAD_INPUT.*lowFill < highFill/);
    expect(() => new RulesTwin({ bounds, growth: 3, maxStepFactor: 2 })).toThrow(/maxStepFactor/);
  });
});

describe('RulesTwin on a channel model', () => {
  const modelBounds = boundsFromSchema(readSchemaFile(CHANNEL_MODEL_SCHEMA_FILE));
  const rules = new RulesTwin({ bounds: modelBounds });
  const model = {
    version: 2,
    orderer: { batchTimeoutMs: 400, batchSize: { maxMessageCount: 10, absoluteMaxBytes: 1048576 } },
    application: { policies: { Endorsement: { type: 'ImplicitMeta', rule: 'MAJORITY Endorsement' } } },
  };

  it('reads its bounds from the channel model schema', () => {
    expect(modelBounds).toEqual({ batchTimeoutMs: { min: 50, max: 10000 }, maxMessageCount: { min: 1, max: 1000 } });
  });

  it('tunes only the batch values and keeps everything else the model governs', async () => {
    expect(await rules.decide(at({ blockFill: 0.9 }, model))).toEqual({ ...model, orderer: { ...model.orderer, batchSize: { maxMessageCount: 15, absoluteMaxBytes: 1048576 } } });
  });

  it('tunes SmartBFT\'s block interval where the model names it', async () => {
    const bft = { version: 2, orderer: { batchSize: { maxMessageCount: 10 }, smartbft: { requestBatchMaxIntervalMs: 400 } } };
    expect(await rules.decide(at({ blockFill: 0.1, commitLatencyMs: 120 }, bft))).toEqual({ version: 2, orderer: { batchSize: { maxMessageCount: 10 }, smartbft: { requestBatchMaxIntervalMs: 600 } } });
  });

  it('approves a batch step its rules agree with, and leaves a policy change to an operator', async () => {
    const tuned = await rules.decide(at({ blockFill: 0.9 }, model));
    expect(await rules.validate(tuned, at({ blockFill: 0.9 }, model))).toMatchObject({ approve: true });
    const policy = { ...model, application: { policies: { Endorsement: { type: 'Signature', rule: "OR('Org1MSP.peer')" } } } };
    expect(await rules.validate(policy, at({ blockFill: 0.5 }, model))).toMatchObject({ approve: false, reason: expect.stringMatching(/changes more than the batch values/) as unknown as string });
  });
});
