/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt consortium` stopped and started again on a chain that already has many CBs, with CBs
 * coming every couple of seconds: sealed CBs must keep going into force on `primary` in the second
 * run (they once stayed out of force for over a minute while fresh observers replayed the chain
 * and every newer CB abandoned the signatures gathered for the one before).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, startNetwork } from './support/network';
import type { TestNetwork } from './support/network';

const BASE_PORT = 20650;
const MGMT_CLI = path.join(REPO_ROOT, 'orchestrator', 'dist', 'cli', 'index.js');

let net: TestNetwork;

beforeAll(async () => {
  net = await startNetwork({ basePort: BASE_PORT });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), net.connection.channels.management, 'mgmt');
  await net.deploy(path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode'), net.connection.channels.primary, 'assets');
}, 120_000);

afterAll(async () => {
  await net.stop();
});

/** Runs `mgmt consortium` to its end; the child is killed if the test gives up on it. */
function consortium(args: string[], deadlineMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MGMT_CLI, 'consortium', '--connection', net.connectionFile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mgmt consortium did not finish within ${deadlineMs} ms:\n${output}`));
    }, deadlineMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const heights = (output: string, pattern: RegExp): number[] => [...output.matchAll(pattern)].map((m) => Number(m[1]));

describe('mgmt consortium restarted on an existing chain', () => {
  it('keeps each member’s observer state and keeps putting CBs in force, CBs every ~2 s', async () => {
    const timing = ['--cbi', '1', '--cycle-timeout', '3', '--workload-tps', '5'];
    const first = await consortium(['--rounds', '12', ...timing], 150_000);
    expect(first.code).toBe(0);
    const firstSealed = heights(first.output, /✔ CB #(\d+) sealed/g);
    expect(firstSealed.length).toBeGreaterThanOrEqual(12);
    // Observer state beside the connection file, one folder per member, kept after the run.
    const stateRoot = path.join(path.dirname(net.connectionFile), 'observers');
    expect(readdirSync(stateRoot).sort()).toEqual(net.connection.members.map((m) => m.mspId).sort());
    expect(existsSync(path.join(stateRoot, 'Org1MSP', 'chain.jsonl'))).toBe(true);

    const second = await consortium(['--rounds', '8', ...timing], 150_000);
    expect(second.code).toBe(0);
    expect(second.output).toMatch(/the chain already has genesis/);
    const sealed = heights(second.output, /✔ CB #(\d+) sealed/g).filter((h) => h > Math.max(...firstSealed));
    const inForce = heights(second.output, /⇢ CB (\d+) in force/g);
    expect(sealed.length).toBeGreaterThanOrEqual(8);
    // The configuration in force kept up: every CB of the second run but the last two (which may
    // still be in flight at shutdown) is in force or was passed by a newer one in force.
    const expected = [...sealed].sort((a, b) => a - b).slice(0, -2);
    expect(Math.max(-1, ...inForce)).toBeGreaterThanOrEqual(Math.max(...expected));
    expect(inForce.filter((h) => sealed.includes(h)).length).toBeGreaterThanOrEqual(3);
  }, 320_000);
});
