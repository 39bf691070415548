/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseTrace } from './read';
import { traceClock, TraceWriter } from './writer';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mgmt-trace-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('TraceWriter', () => {
  it('writes one valid JSON line per step, with the member, the step and its fields', async () => {
    const file = path.join(dir, 'a.jsonl');
    let now = 1_700_000_000_000.25;
    const writer = await TraceWriter.open(file, { clock: () => (now += 1) });
    const org1 = writer.tracerFor('Org1MSP');
    org1('getRound', { height: 4, cycle: 0, detail: 'cycle' });
    writer.tracerFor('Org2MSP')('voteSent', { height: 4, cycle: 0, proposalId: 'ab', detail: 'approve' });
    org1('committed', { height: 4, at: 1_700_000_000_000, detail: undefined });
    expect(writer.lines).toBe(3);
    await writer.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(lines.slice(0, 3).map((l) => JSON.parse(l) as unknown)).toEqual([
      { t: 1_700_000_000_001.25, member: 'Org1MSP', step: 'getRound', height: 4, cycle: 0, detail: 'cycle' },
      { t: 1_700_000_000_002.25, member: 'Org2MSP', step: 'voteSent', height: 4, cycle: 0, proposalId: 'ab', detail: 'approve' },
      { t: 1_700_000_000_003.25, member: 'Org1MSP', step: 'committed', height: 4, at: 1_700_000_000_000 },
    ]);
    expect(parseTrace(readFileSync(file, 'utf8')).unreadable).toBe(0);
  });

  it('is closed by close(): everything buffered is on disk, later steps are dropped, a second close is a no-op', async () => {
    const file = path.join(dir, 'b.jsonl');
    const writer = await TraceWriter.open(file);
    const tracer = writer.tracerFor('Org1MSP');
    for (let i = 0; i < 5000; i++) tracer('eventReceived', { height: i, detail: 'x'.repeat(100) });
    await writer.close();
    tracer('stopped', {});
    await writer.close();
    const read = parseTrace(readFileSync(file, 'utf8'));
    expect(read.lines).toHaveLength(5000);
    expect(read.unreadable).toBe(0);
    expect(read.lines.some((l) => l.step === 'stopped')).toBe(false);
    expect(writer.lines).toBe(5000);
  });

  it('appends to an existing trace, so that runs read as one', async () => {
    const file = path.join(dir, 'c.jsonl');
    for (const member of ['Org1MSP', 'Org2MSP']) {
      const writer = await TraceWriter.open(file);
      writer.record(member, 'started', {});
      await writer.close();
    }
    expect(parseTrace(readFileSync(file, 'utf8')).lines.map((l) => l.member)).toEqual(['Org1MSP', 'Org2MSP']);
  });

  it('refuses a file it cannot open, naming it', async () => {
    const file = path.join(dir, 'missing', 'd.jsonl');
    await expect(TraceWriter.open(file)).rejects.toThrow(`cannot write the trace file ${file}`);
  });

  it('keeps microseconds of the clock, no more', async () => {
    const file = path.join(dir, 'e.jsonl');
    const writer = await TraceWriter.open(file, { clock: () => 1000.1234567 });
    writer.record('Org1MSP', 'started', {});
    await writer.close();
    expect(readFileSync(file, 'utf8')).toBe('{"t":1000.123,"member":"Org1MSP","step":"started"}\n');
  });

  it('stamps epoch milliseconds with a fraction, close to the wall clock', () => {
    const t = traceClock();
    expect(Math.abs(t - Date.now())).toBeLessThan(1000);
  });
});
