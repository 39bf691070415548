/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { BASE_SCENARIO, SCENARIO_DIR, SCENARIO_SCHEMA, ScenarioError, loadScenario, loadSweep, resolveScenario, setNoticeSink, sweepPoint, withOverrides } from './scenario';

function errorsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as ScenarioError).errors;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario files', () => {
  it("base.json is the paper's base case, and the default", () => {
    expect({ ...loadScenario(join(SCENARIO_DIR, 'base.json')), description: '' }).toEqual({ ...BASE_SCENARIO, description: '' });
    expect(resolveScenario({})).toEqual(BASE_SCENARIO);
  });

  it('scenario.schema.json is the schema the loader uses', () => {
    expect(JSON.parse(readFileSync(join(SCENARIO_DIR, 'scenario.schema.json'), 'utf8'))).toEqual(SCENARIO_SCHEMA);
  });

  it('every sweep file loads and names its paper figures', () => {
    const files = readdirSync(join(SCENARIO_DIR, 'sweeps'));
    expect(files.sort()).toEqual(['bandwidth-mean.json', 'bandwidth-spread-high.json', 'bandwidth-spread-low.json', 'cb-size.json', 'management-nodes.json']);
    for (const f of files) {
      const spec = loadSweep(join(SCENARIO_DIR, 'sweeps', f));
      expect(spec.paperFigures).not.toBe('');
      expect(spec.values.length).toBeGreaterThanOrEqual(4);
    }
  });

  it('applies sweep overrides to every point', () => {
    const spec = loadSweep(join(SCENARIO_DIR, 'sweeps', 'bandwidth-spread-low.json'));
    const point = sweepPoint(spec, 2, 5);
    expect(point.network.bandwidthMBps).toEqual({ mean: 2.5, sd: 2, min: 0.1 });
    expect(point.seed).toBe(5);
    expect(point.name).toBe('bandwidth-spread-low-2');
  });
});

describe('validation errors name the field', () => {
  it.each([
    ['a wrong type', { network: { nodes: 'many' } }, 'network.nodes: must be integer'],
    ['an unknown field', { network: { bandwith: 3 } }, 'network.bandwith: unknown field'],
    ['a negative size', { management: { cbSizeMB: -1 } }, 'management.cbSizeMB: must be > 0'],
    ['a bad enum', { network: { locations: 'moon' } }, 'network.locations: must be equal to one of the allowed values'],
    ['a probability above 1', { management: { rejectProbability: 2 } }, 'management.rejectProbability: must be <= 1'],
    ['a non-boolean doubleViewTimeout', { primary: { doubleViewTimeout: 'yes' } }, 'primary.doubleViewTimeout: must be boolean'],
    ['a negative validationSec', { primary: { validationSec: -1 } }, 'primary.validationSec: must be >= 0'],
    ['more management than primary nodes', { management: { nodes: 40 } }, 'management.nodes: must be <= network.nodes (32), got 40'],
    ['all management nodes crashed', { management: { crashed: 16 } }, 'management.crashed: must be < management.nodes (16), got 16'],
    ['too few nodes for PBFT', { network: { nodes: 3, peers: 2 }, management: { nodes: 3 } }, 'network.nodes: PBFT needs at least 4 nodes, got 3'],
  ])('%s', (_name, input, message) => {
    expect(errorsOf(() => resolveScenario(input, 'test.json'))).toContain(message);
  });

  it('reports every error at once, with the file name', () => {
    try {
      resolveScenario({ seed: -1, durationSec: 0 }, 'bad.json');
    } catch (err) {
      expect((err as Error).message).toMatch(/^bad\.json: /);
      expect((err as ScenarioError).errors).toEqual(['seed: must be >= 0', 'durationSec: must be > 0']);
    }
    expect.assertions(2);
  });

  it('names unreadable and non-JSON files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "seed": ');
    expect(errorsOf(() => loadScenario(file))[0]).toMatch(/^not JSON: /);
    expect(errorsOf(() => loadScenario(join(dir, 'missing.json')))[0]).toMatch(/^cannot read: /);
  });

  it('caps gossip peers at nodes - 1, with one notice', () => {
    const notices: string[] = [];
    const previous = setNoticeSink((line) => notices.push(line));
    try {
      const s = withOverrides(BASE_SCENARIO, { 'network.nodes': 16 }, 'command line');
      expect(s.network.peers).toBe(15);
      expect(resolveScenario({ network: { peers: 32 } }, 'test.json').network.peers).toBe(31);
      expect(resolveScenario({ network: { peers: 32 } }, 'test.json').network.peers).toBe(31);
      expect(resolveScenario({}).network.peers).toBe(16);
      expect(notices).toEqual([
        'notice: command line: network.peers 16 >= network.nodes 16; gossiping to 15 peers (every other node)',
        'notice: test.json: network.peers 32 >= network.nodes 32; gossiping to 31 peers (every other node)',
      ]);
    } finally {
      setNoticeSink(previous);
    }
  });

  it('has the former fixed values as defaults of the primary view timeout doubling and validation time', () => {
    expect(BASE_SCENARIO.primary.doubleViewTimeout).toBe(true);
    expect(BASE_SCENARIO.primary.validationSec).toBe(0);
    expect(resolveScenario({ primary: { doubleViewTimeout: false, validationSec: 0.05 } }).primary).toMatchObject({ doubleViewTimeout: false, validationSec: 0.05 });
  });

  it('refuses an override of an unknown path', () => {
    expect(errorsOf(() => withOverrides(BASE_SCENARIO, { 'network.bandwidthMBps.avg': 3 }))).toEqual(['network.bandwidthMBps.avg: unknown field']);
  });

  it('checks every sweep point before running any', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-'));
    const file = join(dir, 'bad-sweep.json');
    writeFileSync(file, JSON.stringify({ name: 'x', parameter: 'management.nodes', values: [8, 64] }));
    expect(() => loadSweep(file)).toThrow(/management\.nodes = 64.*management\.nodes: must be <= network\.nodes/s);
    writeFileSync(file, JSON.stringify({ name: 'x', parameter: 'network.peers', values: [] }));
    expect(errorsOf(() => loadSweep(file))).toEqual(['values: must NOT have fewer than 1 items']);
  });
});
