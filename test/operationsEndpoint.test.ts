/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The operations endpoint of `mgmt node` on a live network: four `mgmt node` processes (rules
 * twins) agree on CBs and put them in force; Org1's node serves /metrics (the CB height once a CB
 * is sealed), /healthz (200) and /version on 127.0.0.1:21390 and writes JSON logs; then its peer
 * goes away (the network is killed) and /healthz answers 503 naming the peer.
 *
 * Port grid: base 21350 (see test/support/network.ts); operations port 21390.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sealGenesis } from '../orchestrator/src/consortium';
import { FabricMgmtLedger, genesisInput, membersFromConnection, voteSignerFromKey } from '../orchestrator/src/managementNode';
import { readSchemaFile } from '../orchestrator/src/twins';
import { closeSessions, openSessions } from './support/mgmt';
import type { MemberSession } from './support/mgmt';
import { REPO_ROOT, startNetwork } from './support/network';
import { getLocal } from './support/http';
import type { Answer } from './support/http';
import type { TestNetwork } from './support/network';

const BASE_PORT = 21350;
const OPERATIONS_PORT = 21390;
const MGMT_CLI = path.join(REPO_ROOT, 'orchestrator', 'dist', 'cli', 'index.js');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let net: TestNetwork;
let sessions: MemberSession[] = [];
let dir: string;
const nodes = new Map<string, { child: ChildProcess; output: () => string }>();

const operations = (route: string): Promise<Answer> => getLocal(OPERATIONS_PORT, route);

/** Polls `route` until `done` holds for an answer; fails with the last answer and Org1's output. */
async function until(route: string, done: (a: Answer) => boolean, timeoutMs: number, what: string): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer | string = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const answer = await operations(route);
      last = answer;
      if (done(answer)) return answer;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(500);
  }
  throw new Error(`${what} not seen within ${timeoutMs} ms; last ${route}: ${typeof last === 'string' ? last : `${last.status} ${last.body.slice(0, 2000)}`}\nOrg1's node:\n${nodes.get('Org1MSP')?.output().slice(-4000) ?? ''}`);
}

function startNode(mspId: string, extra: string[]): void {
  const args = [MGMT_CLI, '--connection', net.connectionFile, '--member', mspId, 'node', '--twin', 'rules', '--state-dir', path.join(dir, mspId), '--tally-stagger', '200', ...extra];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  nodes.set(mspId, { child, output: () => output });
}

/** SIGTERM (a clean stop), SIGKILL if it has not exited after `graceMs`. */
async function stopNode(mspId: string, graceMs = 15_000): Promise<number | null> {
  const node = nodes.get(mspId);
  nodes.delete(mspId);
  if (node === undefined) return null;
  const { child } = node;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

const metricValue = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mgmt-operations-e2e-'));
  net = await startNetwork({ basePort: BASE_PORT });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), net.connection.channels.management, 'mgmt');
  await net.deploy(path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode'), net.connection.channels.primary, 'assets');
  sessions = await openSessions(net.connection);
  const input = genesisInput(membersFromConnection(net.connection), {
    cbiSeconds: 2,
    cycleTimeoutSeconds: 3,
    clockToleranceSeconds: 30,
    configSchema: readSchemaFile(),
    config: { batchTimeoutMs: 100, maxMessageCount: 10 },
  });
  const genesis = await sealGenesis(
    sessions.map((s) => ({ mspId: s.member.mspId, ledger: new FabricMgmtLedger({ network: s.gateway.getNetwork('mgmt') }), signVote: voteSignerFromKey(s.privateKeyPem) })),
    input,
  );
  expect(genesis.block.height).toBe(0);
  closeSessions(sessions);
  sessions = [];
  startNode('Org1MSP', ['--operations-listen', `127.0.0.1:${OPERATIONS_PORT}`, '--operations-apply-grace', '90', '--log-format', 'json', '--log-file', path.join(dir, 'org1.jsonl')]);
  for (const m of ['Org2MSP', 'Org3MSP', 'Org4MSP']) startNode(m, []);
}, 180_000);

afterAll(async () => {
  await Promise.all([...nodes.keys()].map((m) => stopNode(m, 5000)));
  closeSessions(sessions);
  await net?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('mgmt node --operations-listen', () => {
  it('serves the CB height once a CB is sealed, 200 on /healthz and the version', async () => {
    const metrics = await until('/metrics', (a) => (metricValue(a.body, 'mgmt_cb_height{member="Org1MSP"}') ?? -1) >= 1, 120_000, 'CB height >= 1');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^# TYPE mgmt_agreement_delay_seconds histogram$/m);
    expect(metrics.body).toMatch(/^process_resident_memory_bytes\{member="Org1MSP"\} \d+/m);

    const health = await until('/healthz', (a) => a.status === 200, 90_000, '/healthz 200');
    expect(JSON.parse(health.body)).toMatchObject({ status: 'OK' });

    // The primary side: a CB after genesis in force on primary, counted by outcome.
    const applied = await until('/metrics', (a) => (metricValue(a.body, 'mgmt_cb_in_force_height{member="Org1MSP"}') ?? -1) >= 1, 120_000, 'a CB >= 1 in force');
    const outcomes = ['applied', 'in-force', 'superseded'].map((o) => metricValue(applied.body, `mgmt_applies_total{outcome="${o}",member="Org1MSP"}`) ?? 0);
    expect(outcomes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    expect(metricValue(applied.body, 'mgmt_observer_verified_height{member="Org1MSP"}')).toBeGreaterThanOrEqual(1);
    expect((await operations('/healthz')).status).toBe(200);

    const version = await operations('/version');
    expect(version.status).toBe(200);
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'orchestrator', 'package.json'), 'utf8')) as { version: string };
    expect(JSON.parse(version.body)).toMatchObject({ Version: pkg.version, Node: process.version });

    // The JSON log: the node's events and the primary side's lines, each with its component.
    const log = path.join(dir, 'org1.jsonl');
    expect(existsSync(log)).toBe(true);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; component: string; member: string; event?: string; msg: string });
    expect(lines.some((l) => l.component === 'node' && l.event === 'committed' && l.member === 'Org1MSP')).toBe(true);
    // The primary side's progress at info (json logs default to info): the CB put in force.
    const primaryLines = lines.filter((l) => l.component === 'primary' && l.level === 'info').map((l) => l.msg);
    expect(primaryLines.some((m) => /configuration \d+ in force/.test(m))).toBe(true);
    expect(lines.every((l) => l.level !== 'debug')).toBe(true);
  }, 240_000);

  it('answers 503 naming the peer once the peer is gone', async () => {
    await net.crash();
    const health = await until('/healthz', (a) => a.status === 503 && a.body.includes('"component":"peer"'), 60_000, '/healthz 503 naming the peer');
    const body = JSON.parse(health.body) as { status: string; failed_checks: { component: string; reason: string }[] };
    expect(body.status).toBe('Service Unavailable');
    const peer = body.failed_checks.find((c) => c.component === 'peer');
    expect(peer?.reason).toMatch(/^peer 127\.0\.0\.1:\d+ unreachable within 2000 ms/);
    // The endpoint itself keeps serving while the node retries its peer.
    expect((await operations('/metrics')).status).toBe(200);
    const code = await stopNode('Org1MSP');
    expect(code).toBe(0);
  }, 120_000);
});
