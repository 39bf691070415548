/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Member kits on native Fabric (network/native/network.sh create / kit / up): the consortium's
 * founding step makes the crypto material and genesis blocks, each organisation gets a kit with its
 * own keys and only the others' public material, and runs its nodes alone on a loopback address of
 * its own (Org1 127.0.0.2, ... Org4 127.0.0.5), as on machines of their own: its orderer and peer
 * joined from the genesis blocks, its own chaincode server, its own approval of the management
 * chaincode, its connection file written by `mgmt connect --member`, its own `mgmt node`.
 * Then the drills of the per-member issue: one member killed (its nodes and its `mgmt node`) while
 * the others go on sealing CBs, then restarted and caught up; `/healthz` 503 while a member's peer
 * is stopped, 200 once it is back; `/metrics` scraped.
 *
 * Needs Fabric v3 binaries (FABRIC_BIN); skipped with a message without them. Run by hand:
 *   FABRIC_BIN=/path/to/fabric/bin npx jest test/memberKits.test.ts --runInBand --selectProjects e2e
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getLocal } from './support/http';
import { NATIVE_SCRIPT, REPO_ROOT } from '../network/backends/src';

const FABRIC_BIN = process.env.FABRIC_BIN;
const withFabric = FABRIC_BIN ? describe : describe.skip;
if (!FABRIC_BIN) {
  console.warn('memberKits: FABRIC_BIN is not set, so the native member-kit drill is skipped (set FABRIC_BIN=/path/to/fabric/bin to run it)');
}

const BASE_PORT = 22650;
const ORGS = [1, 2, 3, 4] as const;
const MGMT_CLI = path.join(REPO_ROOT, 'orchestrator', 'dist', 'cli', 'index.js');
/** Each member node's operations endpoint (above the native grid's 100 ports). */
const opsPort = (n: number): number => BASE_PORT + 100 + n;
const msp = (n: number): string => `Org${n}MSP`;

let root: string;
const kit = (n: number): string => path.join(root, `kit-org${n}`);
const nodes = new Map<number, ChildProcess>();
const outputs = new Map<number, string>();

interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

function run(command: string, args: readonly string[], timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FABRIC_BIN } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

async function native(...args: string[]): Promise<Run> {
  const result = await run('bash', [NATIVE_SCRIPT, ...args]);
  if (result.code !== 0) throw new Error(`network.sh ${args.join(' ')} failed (exit ${String(result.code)}):\n${result.err.slice(-4000)}`);
  return result;
}

const mgmt = (n: number, ...args: string[]): Promise<Run> =>
  run(process.execPath, [MGMT_CLI, '--connection', path.join(kit(n), 'connection.json'), '--member', msp(n), ...args]);

function startNode(n: number): void {
  const node = spawn(
    process.execPath,
    [MGMT_CLI, '--connection', path.join(kit(n), 'connection.json'), '--member', msp(n), 'node', '--no-metrics', '--state-dir', path.join(kit(n), 'mgmt-state'),
      '--operations-listen', `127.0.0.1:${opsPort(n)}`, '--operations-apply-grace', '120'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  outputs.set(n, '');
  const append = (d: Buffer): void => { outputs.set(n, (outputs.get(n) ?? '') + d.toString()); };
  node.stdout?.on('data', append);
  node.stderr?.on('data', append);
  nodes.set(n, node);
}

async function stopNode(n: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const node = nodes.get(n);
  nodes.delete(n);
  if (node === undefined || node.exitCode !== null || node.signalCode !== null) return;
  const exited = new Promise((r) => node.once('exit', r));
  node.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
  clearTimeout(timer);
  if (node.exitCode === null && node.signalCode === null) node.kill('SIGKILL');
}

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${[...outputs].map(([n, o]) => `--- ${msp(n)}\n${o.slice(-2500)}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The highest CB the member's node reported in force on primary, -1 if none. */
function inForce(n: number): number {
  const heights = [...(outputs.get(n) ?? '').matchAll(/CB (\d+) in force on the primary channel/g)].map((m) => Number(m[1]));
  return heights.length === 0 ? -1 : Math.max(...heights);
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const health = async (n: number): Promise<number> => (await getLocal(opsPort(n), '/healthz').catch(() => ({ status: 0, body: '' }))).status;

withFabric('member kits on native Fabric, each org on its own loopback address', () => {
  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'member-kits-'));
    const consortium = path.join(root, 'consortium');
    await native('create', '--data', consortium, '--base-port', String(BASE_PORT), '--org-hosts', 'own');
    for (const n of ORGS) await native('kit', String(n), '--data', consortium, '--out', kit(n));
    for (const n of ORGS) await native('up', '--data', kit(n), '--watch-pid', String(process.pid));
    // Each member deploys on its own: the third approval completes the majority and commits.
    const deploys: string[] = [];
    for (const n of ORGS) deploys.push((await native('deploy', path.join(REPO_ROOT, 'chaincode'), 'mgmt', 'mgmt', '--data', kit(n))).err);
    expect(deploys[0]).toMatch(/Not committed yet/);
    expect(deploys[2]).toMatch(/committed on mgmt/);
    expect(deploys[3]).toMatch(/already committed on mgmt; Org4MSP approved it/);
    for (const n of ORGS) {
      const peers = ORGS.flatMap((o) => ['--peer', `${msp(o)}=127.0.0.${o + 1}:${BASE_PORT + (o - 1) * 10 + 1}`]);
      const written = await run(process.execPath, [MGMT_CLI, '--member', msp(n), 'connect', '--crypto', path.join(kit(n), 'organizations'), ...peers, '--out', path.join(kit(n), 'connection.json')]);
      if (written.code !== 0) throw new Error(`mgmt connect for ${msp(n)} failed:\n${written.err}`);
    }
  }, 900_000);

  afterAll(async () => {
    await Promise.all([...nodes.keys()].map((n) => stopNode(n)));
    if (root === undefined) return;
    for (const n of ORGS) if (existsSync(kit(n))) await run('bash', [NATIVE_SCRIPT, 'down', '--data', kit(n)]);
    await run('bash', [NATIVE_SCRIPT, 'down', '--data', path.join(root, 'consortium')]);
    rmSync(root, { recursive: true, force: true });
  }, 180_000);

  it("gives each kit its own keys and no other member's", () => {
    for (const n of ORGS) {
      const privateFiles = files(path.join(kit(n), 'organizations')).filter((f) => f.split(path.sep).includes('keystore') || f.endsWith('.key') || f.endsWith('_sk'));
      expect(privateFiles.length).toBeGreaterThan(0);
      expect(privateFiles.filter((f) => !f.includes(`${path.sep}org${n}.example.com${path.sep}`))).toEqual([]);
    }
  });

  it('seals CBs by four separate nodes, survives a member killed and restarted, and reports health', async () => {
    const init = await mgmt(1, 'init', '--cbi', '3', '--cycle-timeout', '8', '--json');
    expect(init.err).not.toMatch(/✖/);
    const proposed = JSON.parse(init.out) as { id?: string; proposalId?: string };
    const proposalId = proposed.id ?? proposed.proposalId;
    expect(proposalId).toMatch(/^[0-9a-f]{64}$/);
    for (const n of [1, 2, 3]) expect(await mgmt(n, 'vote', proposalId as string, '--approve')).toMatchObject({ code: 0 });
    expect(await mgmt(4, 'tally', proposalId as string)).toMatchObject({ code: 0 });
    for (const n of ORGS) startNode(n);
    await until('CB 2 in force at every member', () => ORGS.every((n) => inForce(n) >= 2), 240_000);

    // Org2 is killed: its orderer, peer, chaincode server and node. Three members still seal.
    await native('kill', '--data', kit(2));
    await stopNode(2, 'SIGKILL');
    const before = Math.max(...[1, 3, 4].map(inForce));
    await until('a CB sealed and in force without Org2', () => [1, 3, 4].every((n) => inForce(n) > before), 240_000);

    // Org2 comes back on its own data and catches up.
    await native('up', '--data', kit(2), '--watch-pid', String(process.pid));
    startNode(2);
    const target = Math.max(...[1, 3, 4].map(inForce));
    await until(`Org2 back, with CB ${target} in force`, () => inForce(2) >= target, 240_000);

    // Org1's peer stopped: its node's /healthz answers 503 naming the peer; 200 once it is back.
    await until('Org1 healthy', async () => (await health(1)) === 200, 120_000);
    await native('stop', 'peer0.org1.example.com', '--data', kit(1));
    // The event stream notices first; the peer check names the peer at its next probe.
    let unhealthy = { status: 0, body: '' };
    await until('Org1 /healthz 503 naming the peer', async () => {
      unhealthy = await getLocal(opsPort(1), '/healthz').catch(() => ({ status: 0, body: '' }));
      return unhealthy.status === 503 && unhealthy.body.includes('"component":"peer"');
    }, 120_000);
    expect(unhealthy.body).toMatch(/127\.0\.0\.2:22651/);
    await native('start', 'peer0.org1.example.com', '--data', kit(1));
    await until('Org1 /healthz 200 again', async () => (await health(1)) === 200, 180_000);

    const metrics = await getLocal(opsPort(3), '/metrics');
    expect(metrics.status).toBe(200);
    const height = /^mgmt_cb_height\{member="Org3MSP"\} (\d+)/m.exec(metrics.body);
    expect(Number(height?.[1])).toBeGreaterThanOrEqual(target);
    for (const n of ORGS) expect(outputs.get(n)).not.toMatch(/keystore|ENOENT/);
  }, 1_200_000);
});
