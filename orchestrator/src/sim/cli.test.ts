/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';

import { main } from './cli';

let out: string;
let err: string;

beforeEach(() => {
  out = '';
  err = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
});

const cli = (...args: string[]): Promise<number> => main(['node', 'mgmt-sim', ...args]);

describe('mgmt-sim', () => {
  it('exits 2 on an unknown option, printing the usage', async () => {
    expect(await cli('--bogus')).toBe(2);
    expect(err).toContain("unknown option '--bogus'");
  });

  it('exits 2 with one line naming the field of an invalid scenario', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cli-')), 'bad.json');
    writeFileSync(file, JSON.stringify({ network: { bandwidthMBps: { min: 20 } } }));
    expect(await cli('run', '--scenario', file)).toBe(2);
    expect(err).toBe(`✖ ${file}: network.bandwidthMBps.min: must be <= mean (10), got 20\n`);
    expect(await cli('run', '--set', 'management.nodes=0', '--quiet')).toBe(2);
    expect(err).toContain('management.nodes: must be >= 1');
    expect(await cli('run', '--seed', 'x')).toBe(2);
  });

  it('prints the same JSON for the same seed, and progress only on stderr', async () => {
    expect(await cli('run', '--duration', '120', '--seed', '3', '--json')).toBe(0);
    const first = out;
    expect(err).toContain('sim: done in');
    const parsed = JSON.parse(first) as { stats: { cbsAgreed: number }; scenario: { seed: number } };
    expect(parsed.scenario.seed).toBe(3);
    expect(parsed.stats.cbsAgreed).toBeGreaterThan(0);
    out = '';
    expect(await cli('run', '--duration', '120', '--seed', '3', '--json', '--quiet')).toBe(0);
    expect(out).toBe(first);
  }, 60_000);

  it('writes byte-identical files for the same seed', async () => {
    const a = mkdtempSync(join(tmpdir(), 'cli-a-'));
    const b = mkdtempSync(join(tmpdir(), 'cli-b-'));
    expect(await cli('run', '--duration', '120', '--out', a, '--quiet')).toBe(0);
    expect(await cli('run', '--duration', '120', '--out', b, '--quiet')).toBe(0);
    for (const f of ['samples.csv', 'summary.csv', 'result.json']) {
      expect(readFileSync(join(b, f))).toEqual(readFileSync(join(a, f)));
    }
    expect(out).toContain('agreement');
  }, 60_000);

  it('runs a sweep, then rebuilds the report with live numbers beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-sweep-'));
    const sweepFile = join(dir, 'cb.json');
    writeFileSync(sweepFile, JSON.stringify({ name: 'cb-size', title: 'CB size', paperFigures: '4b', parameter: 'management.cbSizeMB', values: [0.25, 1], seeds: [1] }));
    const simDir = join(dir, 'sim');
    expect(await cli('sweep', sweepFile, '--duration', '120', '--seeds', '1', '--no-figures', '--out', simDir, '--quiet')).toBe(0);
    expect(out).toMatch(/^F1 not evaluated/m);
    expect(out).toMatch(/^F3 /m);
    const live = join(dir, 'live.csv');
    writeFileSync(live, 'source,experiment,x,seed,metric,value\ndevnet,base,base,0,agreement,2.5\ndevnet,base,base,0,update,1.25\n');
    const reportDir = join(dir, 'report');
    expect(await cli('report', '--samples', join(simDir, 'samples.csv'), '--samples', live, '--sweeps', join(simDir, 'sweeps.json'), '--out', reportDir, '--no-figures', '--quiet')).toBe(0);
    const md = readFileSync(join(reportDir, 'report.md'), 'utf8');
    expect(md).toContain('devnet: n');
    expect(md).toContain('2500 ms');
    // The committed summary stands in for the raw samples.
    const fromSummary = join(dir, 'from-summary');
    expect(await cli('report', '--summary', join(simDir, 'summary.csv'), '--samples', live, '--sweeps', join(simDir, 'sweeps.json'), '--out', fromSummary, '--no-figures', '--quiet')).toBe(0);
    expect(readFileSync(join(fromSummary, 'report.md'), 'utf8')).toBe(md);
    expect(await cli('report', '--sweeps', join(simDir, 'sweeps.json'), '--quiet')).toBe(2);
  }, 120_000);

  it('runs 16 nodes with the default 16 gossip peers: capped at 15, one notice line on stderr', async () => {
    expect(await cli('run', '--set', 'network.nodes=16', '--duration', '5', '--json', '--quiet')).toBe(0);
    expect(err).toBe('notice: command line: network.peers 16 >= network.nodes 16; gossiping to 15 peers (every other node)\n');
    const parsed = JSON.parse(out) as { scenario: { network: { peers: number } }; stats: { primaryFailedRounds: number; primaryViewChangeMessages: number } };
    expect(parsed.scenario.network.peers).toBe(15);
    expect(parsed.stats.primaryFailedRounds).toBe(0);
    expect(parsed.stats.primaryViewChangeMessages).toBe(0);
  });

  it('checks every bench size before running any, exiting 2 with one line', async () => {
    expect(await cli('bench', '--nodes', '32,0')).toBe(2);
    expect(err).toBe('✖ bench --nodes 0 --duration 3600: network.nodes: must be >= 1\n');
    err = '';
    expect(await cli('bench', '--nodes', '32', '--duration', '-5')).toBe(2);
    expect(err).toBe('✖ bench --nodes 32 --duration -5: durationSec: must be > 0\n');
    err = '';
    expect(await cli('bench', '--nodes', 'many')).toBe(2);
    expect(err).toBe('✖ --nodes must be a number, got "many"\n');
    expect(out).toBe('');
  });

  it('exits 2 with one line, no stack, for missing or malformed report inputs and unwritable output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-bad-'));
    const sweeps = join(dir, 'sweeps.json');
    writeFileSync(sweeps, '{}');
    expect(await cli('report', '--sweeps', sweeps, '--samples', join(dir, 'missing.csv'), '--quiet')).toBe(2);
    expect(err).toMatch(/^✖ --samples: ENOENT: no such file or directory, open '.*missing\.csv'\n$/);
    err = '';
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'not,a,header\n');
    expect(await cli('report', '--sweeps', sweeps, '--samples', csv, '--quiet')).toBe(2);
    expect(err).toBe(`✖ --samples: ${csv}: the first line must be "source,experiment,x,seed,metric,value"\n`);
    err = '';
    writeFileSync(csv, 'source,experiment,x,seed,metric,value\n');
    expect(await cli('report', '--sweeps', sweeps, '--samples', csv, '--quiet')).toBe(2);
    expect(err).toBe(`✖ --sweeps ${sweeps}: not a sweeps.json that mgmt-sim sweep wrote (needs "context" and a "sweeps" array)\n`);
    err = '';
    expect(await cli('run', '--duration', '1', '--quiet', '--out', csv)).toBe(2);
    expect(err).toMatch(/^✖ EEXIST: .*bad\.csv'\n$/);
  });

  it('exits 2 naming network.peers when no connected gossip overlay exists', async () => {
    expect(await cli('run', '--set', 'network.peers=1', '--set', 'network.nodes=40', '--duration', '1', '--quiet')).toBe(2);
    expect(err).toBe('✖ scenario: network.peers: no connected overlay of 40 nodes with 1 peers each in 1000 draws; raise network.peers\n');
  });

  it('gives the same results with --per-message-votes, only more events', async () => {
    expect(await cli('run', '--duration', '60', '--json', '--quiet')).toBe(0);
    const tallied = JSON.parse(out) as { stats: { events: number } };
    out = '';
    expect(await cli('run', '--duration', '60', '--json', '--quiet', '--per-message-votes')).toBe(0);
    const plain = JSON.parse(out) as { stats: { events: number } };
    expect(plain.stats.events).toBeGreaterThan(3 * tallied.stats.events);
    expect({ ...tallied, stats: { ...tallied.stats, events: 0 } }).toEqual({ ...plain, stats: { ...plain.stats, events: 0 } });
  }, 60_000);

  it('exits 0 on --help', async () => {
    expect(await cli('--help')).toBe(0);
    expect(out).toContain('Usage: mgmt-sim');
  });
});
