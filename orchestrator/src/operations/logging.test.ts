/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Logging specs (Fabric's FABRIC_LOGGING_SPEC shape) and the sinks: per-component levels, text
 * lines as they are, JSON lines with level, time and component, to a writer or a file.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogSink } from './logging';
import { levelFor, LogSpecError, parseLogSpec } from './logSpec';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mgmt-logs-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('parseLogSpec', () => {
  it('reads a default level and component levels, Fabric-style', () => {
    const spec = parseLogSpec('warning:primary,metrics=debug:node=INFO');
    expect(spec.defaultLevel).toBe('warn');
    expect(levelFor(spec, 'primary')).toBe('debug');
    expect(levelFor(spec, 'metrics')).toBe('debug');
    expect(levelFor(spec, 'node')).toBe('info');
    expect(levelFor(spec, 'operations')).toBe('warn');
    expect(spec.text).toBe('warn:primary=debug:metrics=debug:node=info');
  });

  it('covers dotted children by their nearest named parent', () => {
    const spec = parseLogSpec('error:primary=info:primary.observer=debug');
    expect(levelFor(spec, 'primary.observer.store')).toBe('debug');
    expect(levelFor(spec, 'primary.runtime')).toBe('info');
    expect(levelFor(spec, 'primaryx')).toBe('error');
  });

  it('keeps the fallback when the spec names only components', () => {
    expect(parseLogSpec('primary=debug', 'warn').defaultLevel).toBe('warn');
    expect(parseLogSpec('', 'debug').text).toBe('debug');
  });

  it.each([
    ['verbose', /'verbose' in 'verbose' is not a level/],
    ['info:primary=loud', /'loud' in 'primary=loud' is not a level/],
    ['info:Pri mary=debug', /'pri mary' in 'Pri mary=debug' is not a component name/],
    ['info:=debug', /'' in '=debug' is not a component name/],
  ])('refuses %j, naming the bad term', (text, message) => {
    expect(() => parseLogSpec(text)).toThrow(LogSpecError);
    expect(() => parseLogSpec(text)).toThrow(message);
  });
});

describe('createLogSink', () => {
  it('text: writes the message alone, at the component levels of the spec', () => {
    let out = '';
    const sink = createLogSink({ format: 'text', spec: parseLogSpec('warn:primary=info'), write: (t) => (out += t) });
    sink.component('primary').info('not submitting the update for block 4 yet');
    sink.component('primary').debug('hidden');
    sink.component('node').info('hidden too');
    sink.component('node').warn('a warning');
    expect(out).toBe('not submitting the update for block 4 yet\na warning\n');
  });

  it('json: one object per line with level, ISO time, component, base fields and message', () => {
    const lines: string[] = [];
    const sink = createLogSink({ format: 'json', spec: parseLogSpec('info:node=debug'), write: (t) => lines.push(t), base: { member: 'Org1MSP' } });
    sink.component('node').debug('looking', { height: 3 });
    sink.component('primary').debug('hidden');
    sink.component('primary').error('apply failed');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.endsWith('\n')).toBe(true);
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ level: 'debug', component: 'node', member: 'Org1MSP', height: 3, msg: 'looking' });
    expect(Number.isNaN(Date.parse(String(first?.time)))).toBe(false);
    expect(second).toMatchObject({ level: 'error', component: 'primary', msg: 'apply failed' });
    expect(sink.component('primary').isEnabled('info')).toBe(true);
    expect(sink.component('primary').isEnabled('debug')).toBe(false);
  });

  it('json: appends to a file (creating its folder) and nothing to the writer', async () => {
    const file = path.join(dir, 'logs', 'node.jsonl');
    let out = '';
    const sink = createLogSink({ format: 'json', spec: parseLogSpec('info'), write: (t) => (out += t), file });
    sink.component('operations').info('listening');
    await sink.close();
    await sink.close();
    const again = createLogSink({ format: 'json', spec: parseLogSpec('info'), write: (t) => (out += t), file });
    again.component('operations').warn('again');
    await again.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(['listening', 'again']);
    expect(out).toBe('');
  });
});
