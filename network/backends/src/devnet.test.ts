/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runningDevnetPid } from './devnet';
import { startNetwork } from './index';
import { NetworkBackendError } from './types';

const dir = mkdtempSync(path.join(os.tmpdir(), 'backends-test-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A zombie: `sh` forks a short sleep, then becomes a long sleep that never reaps it. */
async function zombie(): Promise<{ pid: number; state: string | undefined; end: () => void }> {
  const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => { resolve(Number(d.toString().trim())); }));
  let state: string | undefined;
  for (let i = 0; i < 100 && state !== 'Z'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
  }
  return { pid, state, end: () => parent.kill('SIGKILL') };
}

describe('runningDevnetPid', () => {
  it('is the pid in devnet.pid while that process runs', () => {
    writeFileSync(path.join(dir, 'devnet.pid'), `${process.pid}\n`);
    expect(runningDevnetPid(dir)).toBe(process.pid);
  });

  it('counts a zombie as not running', async () => {
    const z = await zombie();
    try {
      expect(z.state).toBe('Z');
      writeFileSync(path.join(dir, 'devnet.pid'), `${z.pid}\n`);
      expect(runningDevnetPid(dir)).toBeUndefined();
    } finally {
      z.end();
    }
  });

  it('is undefined without a pid file', () => {
    expect(runningDevnetPid(path.join(dir, 'none'))).toBeUndefined();
  });
});

describe('startNetwork', () => {
  it('refuses a data folder another devnet runs on, and says how to stop or use it', async () => {
    writeFileSync(path.join(dir, 'devnet.pid'), `${process.pid}\n`);
    const started = startNetwork({ backend: 'devnet', dataDir: dir, fresh: true });
    await expect(started).rejects.toBeInstanceOf(NetworkBackendError);
    await expect(started).rejects.toMatchObject({ code: 'DEVNET_RUNNING', message: expect.stringMatching(/already running .*down.*--connection/) });
  });

  it('refuses a backend it does not know', async () => {
    await expect(startNetwork({ backend: 'docker' as 'devnet' })).rejects.toThrow(/devnet or native/);
  });
});
