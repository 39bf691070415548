/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Chaincode servers never outlive the devnet: the parent watch ends a child whose parent died,
 * and a start ends only recorded processes that still are that chaincode server.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChaincodePidFiles, endLeftoverChaincodes, isChaincodeServerCommand, isProcessAlive, readCmdline } from './leftovers';
import { PARENT_WATCH_MARKER, parentWatchNodeArgs } from './parentWatch';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leftovers-'));
const started: ChildProcess[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A stand-in chaincode server: runs until killed, with the argv the runtime gives the real one. */
function fakeServer(ccid: string, address: string, stdin: 'pipe' | 'ignore' = 'pipe'): ChildProcess {
  const script = path.join(dir, 'server.js');
  fs.writeFileSync(script, 'setInterval(() => undefined, 1000);\n');
  const child = spawn(process.execPath, [...parentWatchNodeArgs(), script, 'server', '--chaincode-address', address, '--chaincode-id', ccid], {
    stdio: [stdin, 'ignore', 'ignore'],
  });
  started.push(child);
  return child;
}

async function waitUntil(condition: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

describe('parent watch', () => {
  test('a server ends when its stdin pipe closes (its parent is gone)', async () => {
    const child = fakeServer('cc_1:abc', '127.0.0.1:1');
    await sleep(500);
    expect(child.exitCode).toBeNull();
    const exited = once(child, 'exit');
    child.stdin?.end();
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });

  test('a server whose parent is killed with SIGKILL ends too', async () => {
    // A middle process spawns the server with the watch, prints its pid, and is then killed.
    const middle = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const c = spawn(process.execPath, ${JSON.stringify([...parentWatchNodeArgs(), '-e', 'setInterval(() => undefined, 1000)'])}, { stdio: ['pipe', 'ignore', 'ignore'] });
         process.stdout.write(String(c.pid) + '\\n');
         setInterval(() => undefined, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    started.push(middle);
    const [line] = (await once(middle.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    const grandchild = Number(line.toString().trim());
    expect(isProcessAlive(grandchild)).toBe(true);
    middle.kill('SIGKILL');
    expect(await waitUntil(() => !isProcessAlive(grandchild))).toBe(true);
  });

  test('the watch shows in the command line', () => {
    expect(parentWatchNodeArgs().join(' ')).toContain(PARENT_WATCH_MARKER);
  });
});

describe('isChaincodeServerCommand', () => {
  const record = { ccid: 'assets_1.0:abcd', address: '127.0.0.1:4000' };
  const argv = ['node', ...parentWatchNodeArgs(), '/x/fabric-shim/cli.js', 'server', '--chaincode-address', record.address, '--chaincode-id', record.ccid];

  test('matches the runtime\'s own command line', () => {
    expect(isChaincodeServerCommand(argv, record)).toBe(true);
  });

  test.each([
    ['another ccid', { ...record, ccid: 'assets_1.0:ffff' }, argv],
    ['another address', { ...record, address: '127.0.0.1:4001' }, argv],
    ['a server without the parent watch', record, argv.filter((a) => !a.includes(PARENT_WATCH_MARKER) && a !== '--import')],
    ['an unrelated process', record, ['bash', '-c', `echo server --chaincode-id ${record.ccid}`]],
    ['not the server command', record, argv.map((a) => (a === 'server' ? 'start' : a))],
  ])('does not match %s', (_what, rec, args) => {
    expect(isChaincodeServerCommand(args, rec)).toBe(false);
  });
});

describe('endLeftoverChaincodes', () => {
  test('ends a recorded server that is still alive, leaves an unrelated process that reused a pid, forgets every record', async () => {
    const records = new ChaincodePidFiles(path.join(dir, 'pids'));
    const leftover = fakeServer('left_1.0:aa', '127.0.0.1:4100', 'ignore');
    const unrelated = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'ignore' });
    started.push(unrelated);
    await waitUntil(() => (readCmdline(leftover.pid as number) ?? []).includes('server'));
    records.write({ name: 'left', pid: leftover.pid as number, ccid: 'left_1.0:aa', address: '127.0.0.1:4100' });
    records.write({ name: 'reused', pid: unrelated.pid as number, ccid: 'reused_1.0:bb', address: '127.0.0.1:4200' });
    records.write({ name: 'gone', pid: 2 ** 22 + 1, ccid: 'gone_1.0:cc', address: '127.0.0.1:4300' });
    const lines: string[] = [];
    const ended = await endLeftoverChaincodes(records, (l) => lines.push(l), 2000);
    expect(ended.map((r) => r.name)).toEqual(['left']);
    expect(isProcessAlive(leftover.pid as number)).toBe(false);
    expect(isProcessAlive(unrelated.pid as number)).toBe(true);
    expect(lines.join('\n')).toContain(`pid ${String(leftover.pid)}`);
    expect(records.list()).toEqual([]);
  });

  test('isProcessAlive is false for no process and for a zombie', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(2 ** 22 + 1)).toBe(false);
    expect(isProcessAlive(0)).toBe(false);
    // A zombie: `sleep 0` exits, and its parent (the shell, now exec'ed into `sleep 5`) never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    started.push(parent);
    const [line] = (await once(parent.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    const zombie = Number(line.toString().trim());
    expect(await waitUntil(() => fs.readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z '))).toBe(true);
    expect(() => { process.kill(zombie, 0); }).not.toThrow();
    expect(isProcessAlive(zombie)).toBe(false);
  });
});
