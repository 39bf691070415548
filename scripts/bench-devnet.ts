#!/usr/bin/env node
/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Figures for the README: a benchmark of the devnet through the real fabric-gateway client, not a
 * timed test. It starts a devnet of its own on a fresh temporary data folder and a private port
 * grid, and always brings it down again (also on failure and on Ctrl-C).
 *
 *   1. `devnet up` and `devnet deploy` of the assets chaincode on `primary`, wall clock each;
 *   2. submit-to-commit latency: sequential submitTransaction('Put') from one client;
 *   3. throughput: concurrent clients (separate gRPC connections, spread over the 4 orgs), each
 *      submitting back-to-back with submitAsync + getStatus, MAJORITY endorsement (the devnet's
 *      /Channel/Application/Endorsement); every transaction must commit VALID;
 *   4. memory: RSS of the devnet process and its chaincode children, idle and peak under load.
 *
 * Port grid with the default --base-port 21125 (all 127.0.0.1, below the ephemeral port range):
 *   orderers 21125 22125 23125 24125, peers 21126 23126 25126 27126, admin API 21134.
 *
 * Example:
 *   npm run bench:devnet -- --json
 *
 * Exit codes: 0 every transaction committed VALID, 1 a transaction or a phase failed, 2 bad usage,
 * 130/143 interrupted.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as grpc from '@grpc/grpc-js';
import { Contract, Gateway, StatusCode } from '@hyperledger/fabric-gateway';
import { Command } from 'commander';
import { closeOnSignals, parsePort, positiveInt, progress, round, sleep, summarize } from './benchSupport';
import type { Summary } from './benchSupport';
import { DEFAULT_BATCH_TIMEOUT, DEFAULT_MAX_MESSAGE_COUNT } from 'fabric-devnet';
import { connectGateway, MemberConnection, newGrpcConnection, readConnectionFile } from 'mgmt-orchestrator';

const DEVNET_DIR = path.dirname(require.resolve('fabric-devnet/package.json'));
const REPO_ROOT = path.resolve(DEVNET_DIR, '..', '..');
const DEVNET_CLI = path.join(DEVNET_DIR, 'dist', 'cli.js');
const DEFAULT_CHAINCODE = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');
const CHANNEL = 'primary';
const CHAINCODE_NAME = 'assets';
/** `devnet up` gives up after 60 s; the pid file follows the connection file by a moment. */
const PID_FILE_DEADLINE_MS = 10_000;
const CONNECT_DEADLINE_MS = 10_000;
const IDLE_SAMPLES = 5;

interface Options {
  basePort: number;
  batchTimeout?: string;
  latencyTx: number;
  clients: number;
  loadTx: number;
  warmup: number;
  sampleMs: number;
  chaincode: string;
  keepData?: boolean;
  json?: boolean;
}

interface Failure {
  phase: 'latency' | 'throughput' | 'warm-up';
  client?: number;
  index: number;
  transactionId?: string;
  /** A TxValidationCode name for a transaction that committed invalid, else the error's name. */
  code: string;
  message: string;
}

interface MemorySample {
  atMs: number;
  devnetKb: number;
  chaincodeKb: number;
  totalKb: number;
  processes: number;
}

interface Results {
  config: {
    basePort: number;
    batchTimeout: string;
    maxMessageCount: number;
    endorsement: string;
    chaincode: string;
    cpus: number;
    node: string;
  };
  up: { wallMs: number; devnetReportedS?: number; pid: number };
  deploy: { wallMs: number; ccid?: string };
  latency: Summary & { firstTxMs?: number; failed: number };
  throughput: Summary & {
    clients: number;
    submitted: number;
    valid: number;
    failed: number;
    wallMs: number;
    txPerSecond: number;
    endorseSubmitP50: number;
    blocks: number;
  };
  memory: {
    idleBeforeLoad: MemorySample;
    peakUnderLoad: MemorySample;
    idleAfterLoad: MemorySample;
    samplesUnderLoad: number;
  };
  failures: Failure[];
  logProblems: string[];
}

class BenchError extends Error {
  override name = 'BenchError';
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const statusName = (code: number): string =>
  Object.entries(StatusCode).find(([, v]) => v === code)?.[0] ?? `code ${code}`;

/** One line for a fabric-gateway error, with the peers' details (EndorseError, SubmitError, ...). */
function describeError(err: unknown): { code: string; message: string; transactionId?: string } {
  if (!(err instanceof Error)) return { code: 'Error', message: String(err) };
  const e = err as Error & { details?: { mspId?: string; address?: string; message?: string }[]; transactionId?: string; code?: unknown };
  const details = (e.details ?? []).map((d) => `${d.mspId ?? d.address ?? '?'}: ${d.message ?? ''}`).join('; ');
  return {
    code: e.name,
    message: details ? `${e.message} [${details}]` : e.message,
    transactionId: e.transactionId,
  };
}

// ---------------------------------------------------------------------------------------------
// The devnet CLI

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/**
 * Runs the devnet CLI to completion. `detached` puts it in its own process group, so that a
 * Ctrl-C in the terminal does not cut `up` short while the devnet it started is still coming up.
 */
function runCli(args: readonly string[], detached = false): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [DEVNET_CLI, ...args], { detached, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ code, stdout, stderr, wallMs: performance.now() - started });
    });
  });
}

function cliFailure(what: string, r: CliResult): BenchError {
  return new BenchError(`${what} failed (exit ${String(r.code)}):\n${(r.stderr + r.stdout).trim()}`);
}

/** The last line of a `--json` CLI answer. */
function parseJsonLine(stdout: string): Record<string, unknown> | undefined {
  const line = stdout.trim().split('\n').pop();
  if (!line) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function readPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'devnet.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitForPid(dataDir: string): Promise<number> {
  const deadline = Date.now() + PID_FILE_DEADLINE_MS;
  for (;;) {
    const pid = readPid(dataDir);
    if (pid) return pid;
    if (Date.now() > deadline) throw new BenchError(`${path.join(dataDir, 'devnet.pid')} did not appear within ${PID_FILE_DEADLINE_MS / 1000} s of 'up'`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Memory: the devnet's process tree from /proc (Linux)

function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // exited between listing and reading
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/)) {
        if (c) out.push(Number(c));
      }
    } catch {
      // the thread ended
    }
  }
  return out;
}

function sampleMemory(devnetPid: number, t0: number): MemorySample {
  const devnetKb = rssKb(devnetPid);
  if (devnetKb === 0) throw new BenchError(`cannot read /proc/${devnetPid}/status: is the devnet (pid ${devnetPid}) still running?`);
  let chaincodeKb = 0;
  let processes = 1;
  const queue = childrenOf(devnetPid);
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    chaincodeKb += rssKb(pid);
    processes += 1;
    queue.push(...childrenOf(pid));
  }
  return { atMs: Math.round(performance.now() - t0), devnetKb, chaincodeKb, totalKb: devnetKb + chaincodeKb, processes };
}

/** The median of a few samples taken sampleMs apart, with nothing running. */
async function idleMemory(devnetPid: number, sampleMs: number, t0: number): Promise<MemorySample> {
  const samples: MemorySample[] = [];
  for (let i = 0; i < IDLE_SAMPLES; i++) {
    if (i > 0) await sleep(sampleMs);
    samples.push(sampleMemory(devnetPid, t0));
  }
  return samples.sort((a, b) => a.totalKb - b.totalKb)[Math.floor(samples.length / 2)];
}

// ---------------------------------------------------------------------------------------------
// The session: what must be undone, whatever happens

class Session {
  readonly dataDir = mkdtempSync(path.join(os.tmpdir(), 'devnet-bench-'));
  readonly clients: grpc.Client[] = [];
  readonly gateways: Gateway[] = [];
  upRunning?: Promise<CliResult>;
  sampler?: NodeJS.Timeout;
  private teardown?: Promise<void>;

  constructor(private readonly keepData: boolean) {}

  /** Throws once close() has begun (Ctrl-C), so that no phase goes on against a stopping devnet. */
  checkOpen(): void {
    if (this.teardown) throw new BenchError('interrupted');
  }

  async gateway(member: MemberConnection): Promise<Contract> {
    this.checkOpen();
    const client = await newGrpcConnection(member.peer);
    this.clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.waitForReady(Date.now() + CONNECT_DEADLINE_MS, (err) => {
        if (err) reject(new BenchError(`cannot connect to ${member.mspId}'s peer at ${member.peer.endpoint}: ${err.message}`));
        else resolve();
      });
    });
    const gw = await connectGateway(client, member, 'user');
    this.gateways.push(gw);
    return gw.getNetwork(CHANNEL).getContract(CHAINCODE_NAME);
  }

  /** Closes the clients and runs `devnet down` (which stops the pid in devnet.pid); once. */
  close(): Promise<void> {
    this.teardown ??= (async (): Promise<void> => {
      if (this.sampler) clearInterval(this.sampler);
      for (const g of this.gateways.splice(0)) g.close();
      for (const c of this.clients.splice(0)) c.close();
      // A devnet that `up` is still starting writes its pid file only once it serves.
      if (this.upRunning) await this.upRunning.catch(() => undefined);
      if (!existsSync(this.dataDir)) return;
      progress(`down: stopping the devnet on ${this.dataDir}`);
      const r = await runCli(['--data', this.dataDir, 'down', ...(this.keepData ? ['--keep-data'] : [])]);
      if (r.code !== 0) progress(`down failed (exit ${String(r.code)}): ${(r.stderr + r.stdout).trim()}`);
      else progress(r.stdout.trim());
    })();
    return this.teardown;
  }
}

/** Lines of the devnet's and the chaincode's logs that look like trouble. */
function logProblems(dataDir: string): string[] {
  const dir = path.join(dataDir, 'logs');
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const file of readdirSync(dir).sort()) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (/error|warn|fail|exited|restart|unhandled|exception/i.test(line)) out.push(`${file}: ${line.trim()}`);
    }
  }
  return out;
}

function logTail(dataDir: string, lines = 30): string {
  const file = path.join(dataDir, 'logs', 'devnet.log');
  if (!existsSync(file)) return '(no devnet.log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------------------------------------
// The phases

async function phaseUp(s: Session, o: Options): Promise<Results['up']> {
  progress(`up: devnet on ${s.dataDir}, base port ${o.basePort}, BatchTimeout ${o.batchTimeout ?? `${DEFAULT_BATCH_TIMEOUT} (default)`}`);
  const args = ['--data', s.dataDir, '--json', 'up', '--base-port', String(o.basePort)];
  if (o.batchTimeout) args.push('--batch-timeout', o.batchTimeout);
  s.upRunning = runCli(args, true);
  const r = await s.upRunning;
  if (r.code !== 0) throw cliFailure(`devnet up --base-port ${o.basePort}`, r);
  const reported = parseJsonLine(r.stdout)?.seconds;
  const pid = await waitForPid(s.dataDir);
  progress(`up: ${(r.wallMs / 1000).toFixed(2)} s, devnet pid ${pid}`);
  return { wallMs: Math.round(r.wallMs), devnetReportedS: typeof reported === 'number' ? reported : undefined, pid };
}

async function phaseDeploy(s: Session, o: Options): Promise<Results['deploy']> {
  progress(`deploy: ${o.chaincode} as ${CHAINCODE_NAME} on ${CHANNEL}`);
  const r = await runCli(['--data', s.dataDir, '--json', 'deploy', o.chaincode, CHANNEL, CHAINCODE_NAME]);
  if (r.code !== 0) throw cliFailure(`devnet deploy ${o.chaincode} ${CHANNEL} ${CHAINCODE_NAME}`, r);
  progress(`deploy: ${(r.wallMs / 1000).toFixed(2)} s`);
  const ccid = parseJsonLine(r.stdout)?.ccid;
  return { wallMs: Math.round(r.wallMs), ccid: typeof ccid === 'string' ? ccid : undefined };
}

async function phaseLatency(s: Session, contract: Contract, o: Options, failures: Failure[]): Promise<Results['latency']> {
  progress(`latency: ${o.warmup} warm-up + ${o.latencyTx} sequential submitTransaction('Put') from one client`);
  let firstTxMs: number | undefined;
  for (let i = 0; i < o.warmup; i++) {
    s.checkOpen();
    const t = performance.now();
    try {
      await contract.submitTransaction('Put', `warmup-${i}`, 'w');
    } catch (err) {
      failures.push({ phase: 'warm-up', index: i, ...describeError(err) });
    }
    firstTxMs ??= round(performance.now() - t);
  }
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; i < o.latencyTx; i++) {
    s.checkOpen();
    const t = performance.now();
    try {
      await contract.submitTransaction('Put', `latency-${i}`, `value-${i}`);
      times.push(performance.now() - t);
    } catch (err) {
      failed += 1;
      failures.push({ phase: 'latency', index: i, ...describeError(err) });
    }
  }
  const summary = summarize(times);
  progress(`latency: p50 ${summary.p50} ms, p95 ${summary.p95} ms, max ${summary.max} ms, ${failed} failed`);
  return { ...summary, firstTxMs, failed };
}

async function phaseThroughput(
  s: Session,
  o: Options,
  members: readonly MemberConnection[],
  devnetPid: number,
  t0: number,
  failures: Failure[],
): Promise<{ throughput: Results['throughput']; samples: MemorySample[] }> {
  progress(`throughput: connecting ${o.clients} clients over ${members.length} orgs`);
  const contracts: Contract[] = [];
  for (let i = 0; i < o.clients; i++) contracts.push(await s.gateway(members[i % members.length]));
  // One unmeasured transaction per client, so that no client's first call is in the figures.
  await Promise.all(
    contracts.map((c, i) =>
      c.submitTransaction('Put', `warmup-client-${i}`, 'w').catch((err: unknown) => {
        failures.push({ phase: 'warm-up', client: i, index: 0, ...describeError(err) });
      }),
    ),
  );

  const perClient = contracts.map((_, i) => Math.floor(o.loadTx / o.clients) + (i < o.loadTx % o.clients ? 1 : 0));
  progress(`throughput: ${o.loadTx} transactions, ${o.clients} clients back-to-back (${perClient.join('/')}), memory every ${o.sampleMs} ms`);
  const samples: MemorySample[] = [sampleMemory(devnetPid, t0)];
  s.sampler = setInterval(() => {
    try {
      samples.push(sampleMemory(devnetPid, t0));
    } catch {
      // reported by the next phase's sample, which throws outside the timer
    }
  }, o.sampleMs);

  const latencies: number[] = [];
  const endorseSubmit: number[] = [];
  const blocks = new Set<bigint>();
  let valid = 0;
  let failed = 0;
  const worker = async (client: number): Promise<void> => {
    const contract = contracts[client];
    for (let j = 0; j < perClient[client]; j++) {
      s.checkOpen();
      const t = performance.now();
      try {
        const submitted = await contract.submitAsync('Put', { arguments: [`load-${client}-${j}`, `value-${client}-${j}`] });
        endorseSubmit.push(performance.now() - t);
        const status = await submitted.getStatus();
        if (status.successful) {
          valid += 1;
          latencies.push(performance.now() - t);
          blocks.add(status.blockNumber);
        } else {
          failed += 1;
          failures.push({
            phase: 'throughput',
            client,
            index: j,
            transactionId: status.transactionId,
            code: statusName(status.code),
            message: `committed invalid in block ${status.blockNumber}`,
          });
        }
      } catch (err) {
        failed += 1;
        failures.push({ phase: 'throughput', client, index: j, ...describeError(err) });
      }
    }
  };
  const started = performance.now();
  await Promise.all(contracts.map((_, i) => worker(i)));
  const wallMs = performance.now() - started;
  clearInterval(s.sampler);
  s.sampler = undefined;
  samples.push(sampleMemory(devnetPid, t0));

  const summary = summarize(latencies);
  const txPerSecond = round(valid / (wallMs / 1000));
  progress(`throughput: ${txPerSecond} tx/s, p50 ${summary.p50} ms, p95 ${summary.p95} ms, ${failed} failed`);
  return {
    throughput: {
      ...summary,
      clients: o.clients,
      submitted: o.loadTx,
      valid,
      failed,
      wallMs: Math.round(wallMs),
      txPerSecond,
      endorseSubmitP50: summarize(endorseSubmit).p50,
      blocks: blocks.size,
    },
    samples,
  };
}

// ---------------------------------------------------------------------------------------------
// Output

const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;
const memLine = (m: MemorySample): string => `${mb(m.totalKb)} (devnet ${mb(m.devnetKb)} + chaincode ${mb(m.chaincodeKb)}, ${m.processes} processes)`;

function humanReport(r: Results): string {
  const t = r.throughput;
  const rows: [string, string][] = [
    ['up (wall clock of `devnet up`)', `${(r.up.wallMs / 1000).toFixed(2)} s${r.up.devnetReportedS !== undefined ? ` (devnet reports ${r.up.devnetReportedS} s)` : ''}`],
    [`deploy ${CHAINCODE_NAME} on ${CHANNEL}`, `${(r.deploy.wallMs / 1000).toFixed(2)} s`],
    [
      'submit-to-commit, 1 client',
      `${r.latency.count} tx: p50 ${r.latency.p50} ms, p95 ${r.latency.p95} ms, max ${r.latency.max} ms (first tx ${String(r.latency.firstTxMs)} ms)`,
    ],
    [`throughput, ${t.clients} clients`, `${t.txPerSecond} tx/s (${t.valid} VALID of ${t.submitted} in ${(t.wallMs / 1000).toFixed(2)} s, ${t.blocks} blocks)`],
    ['  latency under load', `p50 ${t.p50} ms, p95 ${t.p95} ms, max ${t.max} ms (endorse+submit p50 ${t.endorseSubmitP50} ms)`],
    ['memory idle, before load', memLine(r.memory.idleBeforeLoad)],
    [`memory peak under load`, `${memLine(r.memory.peakUnderLoad)}, ${r.memory.samplesUnderLoad} samples`],
    ['memory idle, after load', memLine(r.memory.idleAfterLoad)],
    ['failed transactions', String(r.failures.length)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const c = r.config;
  const lines = [
    `devnet benchmark: BatchTimeout ${c.batchTimeout}, MaxMessageCount ${c.maxMessageCount}, ${c.endorsement}, ` +
      `base port ${c.basePort}, ${c.cpus} CPUs, Node ${c.node}`,
    '',
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
  ];
  if (r.failures.length > 0) {
    lines.push('', 'failures:');
    for (const f of r.failures) {
      lines.push(`  ${f.phase}${f.client !== undefined ? ` client ${f.client}` : ''} #${f.index}${f.transactionId ? ` ${f.transactionId}` : ''}: ${f.code}: ${f.message}`);
    }
  }
  if (r.logProblems.length > 0) {
    lines.push('', 'log lines that look like trouble:');
    for (const l of r.logProblems.slice(0, 40)) lines.push(`  ${l}`);
    if (r.logProblems.length > 40) lines.push(`  ... ${r.logProblems.length - 40} more`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function bench(s: Session, o: Options): Promise<Results> {
  const t0 = performance.now();
  const failures: Failure[] = [];
  const up = await phaseUp(s, o);
  const deploy = await phaseDeploy(s, o);
  const connection = readConnectionFile(path.join(s.dataDir, 'connection.json'));

  const single = await s.gateway(connection.members[0]);
  // The warm-up of the latency phase also loads the contract in the chaincode before idle is measured.
  const latency = await phaseLatency(s, single, o, failures);
  progress('memory: idle before load');
  const idleBeforeLoad = await idleMemory(up.pid, o.sampleMs, t0);

  const { throughput, samples } = await phaseThroughput(s, o, connection.members, up.pid, t0, failures);
  progress('memory: idle after load');
  await sleep(1000);
  const idleAfterLoad = await idleMemory(up.pid, o.sampleMs, t0);
  const peakUnderLoad = samples.reduce((a, b) => (b.totalKb > a.totalKb ? b : a));

  return {
    config: {
      basePort: o.basePort,
      batchTimeout: o.batchTimeout ?? `${DEFAULT_BATCH_TIMEOUT} (devnet default)`,
      maxMessageCount: DEFAULT_MAX_MESSAGE_COUNT,
      endorsement: `MAJORITY Endorsement of ${connection.members.length} orgs`,
      chaincode: o.chaincode,
      cpus: os.cpus().length,
      node: process.version,
    },
    up,
    deploy,
    latency,
    throughput,
    memory: { idleBeforeLoad, peakUnderLoad, idleAfterLoad, samplesUnderLoad: samples.length },
    failures,
    logProblems: logProblems(s.dataDir),
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('bench-devnet')
    .description('Benchmark the devnet through fabric-gateway: up/deploy time, submit-to-commit latency, throughput, memory')
    .option('--base-port <port>', 'first port of a private port grid (orderers base+0..3000, peers base+1..6001, admin base+9)', parsePort, 21125)
    .option('--batch-timeout <duration>', `BatchTimeout of the channels (default: the devnet's, ${DEFAULT_BATCH_TIMEOUT})`)
    .option('--latency-tx <n>', 'sequential transactions of the latency phase', positiveInt, 100)
    .option('--clients <n>', 'concurrent clients of the throughput phase, spread over the orgs', positiveInt, 10)
    .option('--load-tx <n>', 'transactions of the throughput phase, in total', positiveInt, 500)
    .option('--warmup <n>', 'unmeasured transactions before the latency phase', positiveInt, 3)
    .option('--sample-ms <ms>', 'memory sampling interval', positiveInt, 200)
    .option('--chaincode <folder>', 'chaincode folder to deploy as assets (needs Put(key, value))', DEFAULT_CHAINCODE)
    .option('--keep-data', 'keep the data folder (logs, ledger) after down')
    .option('--json', 'print the results as one JSON object')
    .showHelpAfterError()
    .addHelpText('after', '\nExample:\n  npm run bench:devnet -- --json\n  node scripts/dist/bench-devnet.js --base-port 47050 --load-tx 1000');
  program.exitOverride();
  try {
    program.parse([...argv]);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const o = program.opts<Options>();
  o.chaincode = path.resolve(o.chaincode);
  if (!existsSync(DEVNET_CLI)) {
    process.stderr.write(`✖ ${DEVNET_CLI} is missing: run 'npm run build' first\n`);
    return 2;
  }
  if (!existsSync(o.chaincode)) {
    process.stderr.write(`✖ chaincode folder ${o.chaincode} does not exist\n`);
    return 2;
  }
  if (o.clients > o.loadTx) {
    process.stderr.write(`✖ --clients (${o.clients}) must not exceed --load-tx (${o.loadTx})\n`);
    return 2;
  }

  const session = new Session(o.keepData === true);
  const interrupted = closeOnSignals(() => session.close(), () => `if a devnet is left, run: node ${DEVNET_CLI} --data ${session.dataDir} down`);

  try {
    const results = await bench(session, o);
    process.stdout.write(o.json ? JSON.stringify(results, null, 2) + '\n' : humanReport(results) + '\n');
    const failed = results.failures.length;
    if (failed > 0) process.stderr.write(`✖ ${failed} transaction(s) failed (warm-up included)\n`);
    return failed > 0 ? 1 : 0;
  } catch (err) {
    if (interrupted() !== 0) return interrupted();
    const detail = err instanceof BenchError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`✖ ${detail}\nlast lines of ${path.join(session.dataDir, 'logs', 'devnet.log')}:\n${logTail(session.dataDir)}\n`);
    return 1;
  } finally {
    await session.close();
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
