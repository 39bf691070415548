/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { assertStateFolderFree, storedGenesisHash } from '../observer';
import { ObserverError } from '../observer/errors';
import { endingOf, EXIT, unavailableHint } from './errors';
import { ConnectionSetupError, newGrpcConnection } from '../gateway/connect';

describe('connection problems', () => {
  it('a missing TLS CA file is one line naming the file and the fix, not a stack trace', async () => {
    const missing = newGrpcConnection({ endpoint: '127.0.0.1:7051', hostAlias: 'peer0.org1.example.com', tlsCaCertPath: '/nonexistent/tls/ca.crt' });
    await expect(missing).rejects.toBeInstanceOf(ConnectionSetupError);
    const ending = endingOf(await missing.catch((err: unknown) => err));
    expect(ending.code).toBe(EXIT.failed);
    expect(ending.text).toMatch(/^✖ cannot read the TLS CA certificate \/nonexistent\/tls\/ca.crt for 127.0.0.1:7051 \(peer0.org1.example.com\): no such file; fix its tlsCaCertPath/);
    expect(ending.text).not.toMatch(/\n\s+at /);
  });

  it('a TLS host name mismatch points at hostAlias, not at the devnet', () => {
    expect(unavailableHint('14 UNAVAILABLE: Hostname/IP does not match certificate\'s altnames: Host: peer0.x. is not in the cert\'s altnames')).toMatch(/hostAlias/);
    expect(unavailableHint('14 UNAVAILABLE: No connection established')).toMatch(/is the network up\?/);
  });
});

describe('endingOf for observer failures', () => {
  it.each([
    ['OBSERVER_STATE', /another mgmt node .* its own --state-dir/],
    ['OBSERVER_STORE_CORRUPT', /move it aside \(\/x\/chain.jsonl\) and start again/],
    ['OBSERVER_STORE_IO', /writable/],
    ['OBSERVER_FETCH_FAILED', /GetBlocks/],
  ] as const)('%s ends as one ✖ line and a hint, exit 1, no stack', (code, hint) => {
    const ending = endingOf(new ObserverError('something happened', { code, details: '/x/chain.jsonl' }));
    expect(ending.code).toBe(EXIT.failed);
    expect(ending.text).toMatch(new RegExp(`^✖ ${code}: something happened\\n`));
    expect(ending.text).toMatch(hint);
    expect(ending.text).not.toMatch(/\n\s+at /);
  });
});

describe('assertStateFolderFree', () => {
  it('refuses a folder held by another live process and accepts a stale or absent lock', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'state-lock-'));
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 30000)'], { stdio: 'ignore' });
    try {
      await expect(assertStateFolderFree(dir)).resolves.toBeUndefined();
      writeFileSync(path.join(dir, 'LOCK'), String(holder.pid));
      await expect(assertStateFolderFree(dir)).rejects.toThrow(`in use by process ${String(holder.pid)}`);
      // Our own pid is not "another" process.
      writeFileSync(path.join(dir, 'LOCK'), String(process.pid));
      await expect(assertStateFolderFree(dir)).resolves.toBeUndefined();
    } finally {
      holder.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('storedGenesisHash', () => {
  it('reads the genesis hash from the first line only, however long, and nothing from an absent or torn file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'state-genesis-'));
    try {
      await expect(storedGenesisHash(dir)).resolves.toBeUndefined();
      // A first line longer than one read, as a genesis with a large schema makes.
      const genesis = JSON.stringify({ block: { height: 0, hash: 'a'.repeat(64), params: { pad: 'x'.repeat(200 * 1024) } }, receipt: {} });
      writeFileSync(path.join(dir, 'chain.jsonl'), `${genesis}\n{"block":{"height":1,"hash":"b"}}\n`);
      await expect(storedGenesisHash(dir)).resolves.toBe('a'.repeat(64));
      writeFileSync(path.join(dir, 'chain.jsonl'), genesis.slice(0, 1000));
      await expect(storedGenesisHash(dir)).resolves.toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
