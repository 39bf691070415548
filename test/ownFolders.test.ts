/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each member on its own: every member's `mgmt` runs from a folder of its own that holds its own
 * keys and only the public material of the others (their private keys are deleted from its copy),
 * as on separate machines. Genesis is proposed, voted and tallied by the members one by one from
 * their own folders, then four `mgmt node` processes, one per folder, seal CBs and put them in
 * force on `primary`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConnectionFile } from '../orchestrator/src/gateway';
import { REPO_ROOT, startNetwork } from './support/network';
import type { TestNetwork } from './support/network';

const BASE_PORT = 22050;
const MGMT_CLI = path.join(REPO_ROOT, 'orchestrator', 'dist', 'cli', 'index.js');

let net: TestNetwork;
let root: string;
/** Each member's own connection file. */
const own = new Map<string, string>();
const nodes: ChildProcess[] = [];
const outputs = new Map<string, string>();

function mgmt(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MGMT_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => { resolve({ code, out, err }); });
  });
}

/** Every file under `dir`. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const isPrivate = (file: string): boolean => file.split(path.sep).includes('keystore') || file.endsWith('.key');

beforeAll(async () => {
  net = await startNetwork({ basePort: BASE_PORT });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), net.connection.channels.management, 'mgmt');
  root = mkdtempSync(path.join(os.tmpdir(), 'own-folders-'));
  for (const member of net.connection.members) {
    const folder = path.join(root, member.mspId);
    cpSync(path.join(net.dataDir, 'organizations'), path.join(folder, 'organizations'), { recursive: true });
    // Another member's private keys are not on this member's machine.
    for (const other of net.connection.members.filter((m) => m.mspId !== member.mspId)) {
      for (const file of files(path.join(folder, 'organizations', 'peerOrganizations', other.domain))) if (isPrivate(file)) rmSync(file);
    }
    const connection = JSON.parse(JSON.stringify(net.connection).split(net.dataDir).join(folder)) as ConnectionFile;
    const file = path.join(folder, 'connection.json');
    writeFileSync(file, JSON.stringify(connection, null, 2));
    own.set(member.mspId, file);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(
    nodes.map(async (node) => {
      if (node.exitCode !== null) return;
      const exited = new Promise((r) => node.once('exit', r));
      node.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
      clearTimeout(timer);
      if (node.exitCode === null) node.kill('SIGKILL');
    }),
  );
  await net?.stop();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

async function until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${[...outputs].map(([m, o]) => `--- ${m}\n${o.slice(-3000)}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('each member from its own folder, without the others\' private keys', () => {
  it('holds no private key of another member in any member\'s folder', () => {
    for (const member of net.connection.members) {
      const folder = path.dirname(own.get(member.mspId) as string);
      const foreign = files(path.join(folder, 'organizations')).filter((f) => isPrivate(f) && !f.includes(`${path.sep}${member.domain}${path.sep}`));
      expect(foreign).toEqual([]);
    }
  });

  it('seals genesis by each member\'s own vote, then four separate nodes seal CBs and put them in force', async () => {
    const members = net.connection.members.map((m) => m.mspId);
    const init = await mgmt('--connection', own.get('Org1MSP') as string, '--member', 'Org1MSP', 'init', '--cbi', '2', '--cycle-timeout', '6', '--json');
    expect(init.err).not.toMatch(/✖/);
    const proposalId = (JSON.parse(init.out) as { id?: string; proposalId?: string }).id ?? (JSON.parse(init.out) as { proposalId?: string }).proposalId;
    expect(proposalId).toMatch(/^[0-9a-f]{64}$/);
    for (const mspId of members.slice(0, 3)) {
      const vote = await mgmt('--connection', own.get(mspId) as string, '--member', mspId, 'vote', proposalId as string, '--approve');
      expect({ mspId, code: vote.code, err: vote.err }).toMatchObject({ code: 0 });
    }
    // A member cannot act as another with its own folder: that member's key is not there.
    const impostor = await mgmt('--connection', own.get('Org2MSP') as string, '--member', 'Org3MSP', 'vote', proposalId as string, '--approve');
    expect(impostor.code).not.toBe(0);
    expect(impostor.err).toMatch(/keystore/);
    const tally = await mgmt('--connection', own.get('Org4MSP') as string, '--member', 'Org4MSP', 'tally', proposalId as string);
    expect(tally.code).toBe(0);

    for (const mspId of members) {
      const folder = path.dirname(own.get(mspId) as string);
      const node = spawn(process.execPath, [MGMT_CLI, '--connection', own.get(mspId) as string, '--member', mspId, 'node', '--no-metrics', '--state-dir', path.join(folder, 'state')], { stdio: ['ignore', 'pipe', 'pipe'] });
      outputs.set(mspId, '');
      const append = (d: Buffer): void => { outputs.set(mspId, (outputs.get(mspId) ?? '') + d.toString()); };
      node.stdout?.on('data', append);
      node.stderr?.on('data', append);
      nodes.push(node);
    }
    // Every node sees CB 2 sealed and in force on primary, put there by updates the members signed from their own folders.
    await until('CB 2 in force at every member', () => members.every((m) => /CB [2-9]\d* in force on the primary channel/.test(outputs.get(m) ?? '')), 90_000);
    for (const m of members) expect(outputs.get(m)).not.toMatch(/keystore|ENOENT/);
  }, 180_000);
});
