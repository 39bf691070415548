/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import { common, orderer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { computeMetrics, PrimaryMetricsCollector, summariseBlock } from './metrics';
import type { BlockSample } from './metrics';

function envelope(type: number, timestampMs: number, data?: Uint8Array): Uint8Array {
  const ch = new common.ChannelHeader();
  ch.setType(type);
  ch.setChannelId('primary');
  const ts = new Timestamp();
  ts.setSeconds(Math.floor(timestampMs / 1000));
  ts.setNanos((timestampMs % 1000) * 1e6);
  ch.setTimestamp(ts);
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  if (data !== undefined) payload.setData(data);
  const env = new common.Envelope();
  env.setPayload(payload.serializeBinary());
  return env.serializeBinary();
}

function block(number: number, txTimes: number[], invalid: number[] = []): common.Block {
  const b = new common.Block();
  const h = new common.BlockHeader();
  h.setNumber(number);
  b.setHeader(h);
  const d = new common.BlockData();
  d.setDataList(txTimes.map((t) => envelope(common.HeaderType.ENDORSER_TRANSACTION, t)));
  b.setData(d);
  const m = new common.BlockMetadata();
  const filter = Uint8Array.from(txTimes.map((_t, i) => (invalid.includes(i) ? 11 : 0)));
  m.setMetadataList([new Uint8Array(), new Uint8Array(), filter, new Uint8Array(), new Uint8Array()]);
  b.setMetadata(m);
  return b;
}

function configBlock(number: number, maxMessageCount: number): common.Block {
  const batch = new orderer.BatchSize();
  batch.setMaxMessageCount(maxMessageCount);
  const value = new common.ConfigValue();
  value.setValue(batch.serializeBinary());
  const ordererGroup = new common.ConfigGroup();
  ordererGroup.getValuesMap().set('BatchSize', value);
  const channel = new common.ConfigGroup();
  channel.getGroupsMap().set('Orderer', ordererGroup);
  const config = new common.Config();
  config.setChannelGroup(channel);
  const env = new common.ConfigEnvelope();
  env.setConfig(config);
  const b = new common.Block();
  const h = new common.BlockHeader();
  h.setNumber(number);
  b.setHeader(h);
  const d = new common.BlockData();
  d.setDataList([envelope(common.HeaderType.CONFIG, 0, env.serializeBinary())]);
  b.setData(d);
  return b;
}

describe('primary-channel metrics', () => {
  it('reads transactions, validity and timestamps from a block, and MaxMessageCount from a config block', () => {
    expect(summariseBlock(block(7, [1000, 1200, 1300], [1]))).toEqual({ number: 7n, isConfig: false, maxMessageCount: undefined, txCount: 3, validTxCount: 2, txTimestampsMs: [1000, 1200, 1300] });
    expect(summariseBlock(configBlock(3, 42))).toMatchObject({ isConfig: true, maxMessageCount: 42, txCount: 0 });
  });

  it('computes rate, fill, latency and interval over the window', () => {
    const s = (seenAtMs: number, txCount: number, txTimestampsMs: number[]): BlockSample => ({ number: 0n, seenAtMs, txCount, validTxCount: txCount, txTimestampsMs, maxMessageCount: 10 });
    const samples = [s(1000, 10, [900]), s(2000, 5, [1900, 1800]), s(3000, 5, [2900])];
    const m = computeMetrics(samples, 3000, 10_000, 0);
    expect(m.txRate).toBeCloseTo((20 * 1000) / 3000);
    expect(m.blockFill).toBeCloseTo((1 + 0.5 + 0.5) / 3);
    expect(m.commitLatencyMs).toBeCloseTo((100 + 100 + 200 + 100) / 4);
    expect(m.blockIntervalMs).toBe(1000);
    // Only the last 1.5 s: the two later blocks.
    expect(computeMetrics(samples, 3000, 1500, 0)).toMatchObject({ blockFill: 0.5, blockIntervalMs: 1000 });
    expect(computeMetrics([], 3000, 1500, 0)).toEqual({ txRate: 0, blockFill: 0, commitLatencyMs: 0, blockIntervalMs: 0 });
  });

  it('measures fill against the MaxMessageCount of the latest config block it saw', () => {
    let now = 10_000;
    const collector = new PrimaryMetricsCollector({ network: { getBlockEvents: () => Promise.reject(new Error('unused')) }, maxMessageCount: 10, now: () => now });
    collector.start();
    void collector.stop();
    collector.observeBlock(configBlock(1, 4), now);
    expect(collector.currentMaxMessageCount()).toBe(4);
    collector.observeBlock(block(2, [now - 100, now - 50]), now);
    now += 500;
    collector.observeBlock(block(3, [now - 300, now - 200, now - 100, now - 50]), now);
    expect(collector.snapshot()).toMatchObject({ blockFill: (0.5 + 1) / 2, blockIntervalMs: 500 });
    // Blocks from before the collector started are history, not load.
    collector.observeBlock(block(4, [1000]), now);
    expect(collector.snapshot().blockFill).toBe(0.75);
  });
});
