#!/usr/bin/env node
/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Figures for the README, both backends side by side, through the real fabric-gateway client:
 *
 *   1. `up` and `deploy` of test/fixtures/assets-chaincode on `primary`, wall clock each;
 *   2. submit-to-commit latency: sequential submitTransaction('Put') from one client (Org1's user);
 *   3. throughput: concurrent clients (separate gRPC connections, spread over the 4 orgs), each
 *      submitting back to back (submitAsync + getStatus), MAJORITY endorsement; every
 *      transaction must commit VALID;
 *   4. memory: summed RSS of the backend's processes (devnet: its process tree; native: every
 *      orderer, peer and chaincode server in <data>/pids), peak under load and idle after it.
 *
 * Each backend runs on a fresh temporary data folder and private port grid and is always brought
 * down again (also on failure and Ctrl-C). The native backend needs Fabric v3 binaries (FABRIC_BIN
 * or PATH; network/native/README.md); without them it fails with the installer hint.
 *
 * Port grids (all 127.0.0.1, below Linux's ephemeral range, clear of the test grids):
 *   devnet --base-port 21525: orderers 21525 22525 23525 24525, peers 21526 23526 25526 27526, admin 21534
 *   native --native-port 30025: org N at 30025+10*(N-1)+0..5, chaincode servers 30075-30124
 *
 * Example:
 *   npm run build && npx tsc -p scripts/tsconfig.json && node scripts/dist/bench-backends.js --backends devnet,native
 *
 * Exit codes: 0 every transaction committed VALID on every backend, 1 a phase or a transaction
 * failed, 2 bad usage, 130 interrupted.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as grpc from '@grpc/grpc-js';
import { Contract, Gateway } from '@hyperledger/fabric-gateway';
import { Command, InvalidArgumentError } from 'commander';
import { connectGateway, MemberConnection, newGrpcConnection, readConnectionFile } from 'mgmt-orchestrator';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DEVNET_CLI = path.join(REPO_ROOT, 'network', 'devnet', 'dist', 'cli.js');
const NATIVE_SCRIPT = path.join(REPO_ROOT, 'network', 'native', 'network.sh');
const CHAINCODE = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');
const CHANNEL = 'primary';
const NAME = 'assets';

type BackendName = 'devnet' | 'native';

interface Options {
  backends: BackendName[];
  basePort: number;
  nativePort: number;
  latencyTx: number;
  clients: number;
  loadTx: number;
  sampleMs: number;
  json?: boolean;
}

interface Summary {
  count: number;
  p50: number;
  p95: number;
  max: number;
}

interface Figures {
  backend: BackendName;
  upS: number;
  deployS: number;
  latency: Summary & { failed: number };
  throughput: Summary & { clients: number; valid: number; failed: number; txPerSecond: number; blocks: number };
  memoryMb: { idleBeforeLoad: number; peakUnderLoad: number; idleAfterLoad: number; processes: number };
  failures: string[];
}

class BenchError extends Error {
  override name = 'BenchError';
}

const progress = (line: string): void => {
  process.stderr.write(`» ${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
}

function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
  return { count: sorted.length, p50: round(pct(50)), p95: round(pct(95)), max: round(sorted[sorted.length - 1] ?? NaN) };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { details?: { mspId?: string; message?: string }[] };
  const details = (e.details ?? []).map((d) => `${d.mspId ?? '?'}: ${d.message ?? ''}`).join('; ');
  return `${e.name}: ${e.message}${details ? ` [${details}]` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Processes and memory (Linux /proc)

function run(command: string, args: readonly string[]): Promise<{ code: number | null; output: string; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Own process group: a Ctrl-C in the terminal must not cut `up` short while it starts nodes.
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ code, output, wallMs: performance.now() - started });
    });
  });
}

function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    out.push(p);
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        for (const c of children ? children.split(/\s+/) : []) queue.push(Number(c));
      }
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The two backends behind one interface

interface Backend {
  readonly name: BackendName;
  readonly dataDir: string;
  up(): Promise<number>;
  deploy(): Promise<number>;
  /** Every process of the running network. */
  pids(): number[];
  down(): Promise<void>;
}

function devnetBackend(basePort: number): Backend {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-devnet-'));
  const cli = async (...args: string[]): Promise<number> => {
    const r = await run(process.execPath, [DEVNET_CLI, '--data', dataDir, ...args]);
    if (r.code !== 0) throw new BenchError(`devnet ${args.join(' ')} failed (exit ${String(r.code)}):\n${r.output.trim()}`);
    return r.wallMs;
  };
  return {
    name: 'devnet',
    dataDir,
    up: () => cli('up', '--base-port', String(basePort)),
    deploy: () => cli('deploy', CHAINCODE, CHANNEL, NAME),
    pids: () => {
      const pid = Number(readFileSync(path.join(dataDir, 'devnet.pid'), 'utf8').trim());
      return descendants(pid);
    },
    down: async () => {
      await cli('down');
    },
  };
}

function nativeBackend(basePort: number): Backend {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-native-'));
  const script = async (...args: string[]): Promise<number> => {
    const r = await run('bash', [NATIVE_SCRIPT, ...args, '--data', dataDir, '--base-port', String(basePort)]);
    if (r.code !== 0) throw new BenchError(`network/native/network.sh ${args.join(' ')} failed (exit ${String(r.code)}):\n${r.output.trim()}`);
    return r.wallMs;
  };
  return {
    name: 'native',
    dataDir,
    up: () => script('up', '--watch-pid', String(process.pid)),
    deploy: () => script('deploy', CHAINCODE, CHANNEL, NAME),
    pids: () => {
      const dir = path.join(dataDir, 'pids');
      return readdirSync(dir)
        .filter((f) => f.endsWith('.pid') && f !== 'watchdog.pid')
        .flatMap((f) => descendants(Number(readFileSync(path.join(dir, f), 'utf8').split(' ')[0])));
    },
    down: async () => {
      await script('down');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One backend, all phases

class Connections {
  private readonly clients: grpc.Client[] = [];
  private readonly gateways: Gateway[] = [];

  async contract(member: MemberConnection): Promise<Contract> {
    const client = await newGrpcConnection(member.peer);
    this.clients.push(client);
    const gw = await connectGateway(client, member, 'user');
    this.gateways.push(gw);
    return gw.getNetwork(CHANNEL).getContract(NAME);
  }

  close(): void {
    for (const g of this.gateways.splice(0)) g.close();
    for (const c of this.clients.splice(0)) c.close();
  }
}

function memoryMb(backend: Backend): { mb: number; processes: number } {
  const pids = backend.pids();
  return { mb: round(pids.reduce((sum, p) => sum + rssKb(p), 0) / 1024, 0), processes: pids.length };
}

async function measure(backend: Backend, o: Options, stopping: () => boolean): Promise<Figures> {
  const failures: string[] = [];
  progress(`${backend.name}: up on ${backend.dataDir}`);
  const upMs = await backend.up();
  progress(`${backend.name}: up in ${(upMs / 1000).toFixed(2)} s; deploy ${NAME} on ${CHANNEL}`);
  const deployMs = await backend.deploy();
  progress(`${backend.name}: deploy in ${(deployMs / 1000).toFixed(2)} s`);
  const connection = readConnectionFile(path.join(backend.dataDir, 'connection.json'));
  const connections = new Connections();
  try {
    const single = await connections.contract(connection.members[0]);
    for (let i = 0; i < 3; i++) await single.submitTransaction('Put', `warmup-${i}`, 'w');
    const times: number[] = [];
    let latencyFailed = 0;
    progress(`${backend.name}: latency, ${o.latencyTx} sequential Put from one client`);
    for (let i = 0; i < o.latencyTx && !stopping(); i++) {
      const t = performance.now();
      try {
        await single.submitTransaction('Put', `latency-${i}`, `v${i}`);
        times.push(performance.now() - t);
      } catch (err) {
        latencyFailed += 1;
        failures.push(`latency #${i}: ${describe(err)}`);
      }
    }
    const idleBefore = memoryMb(backend);

    progress(`${backend.name}: throughput, ${o.loadTx} Put from ${o.clients} concurrent clients`);
    const contracts = await Promise.all(Array.from({ length: o.clients }, (_, i) => connections.contract(connection.members[i % connection.members.length])));
    await Promise.all(contracts.map((c, i) => c.submitTransaction('Put', `warmup-client-${i}`, 'w')));
    const perClient = contracts.map((_, i) => Math.floor(o.loadTx / o.clients) + (i < o.loadTx % o.clients ? 1 : 0));
    let peak = idleBefore;
    const sampler = setInterval(() => {
      const m = memoryMb(backend);
      if (m.mb > peak.mb) peak = m;
    }, o.sampleMs);
    const latencies: number[] = [];
    const blocks = new Set<bigint>();
    let valid = 0;
    let failed = 0;
    const started = performance.now();
    await Promise.all(
      contracts.map(async (contract, client) => {
        for (let j = 0; j < perClient[client] && !stopping(); j++) {
          const t = performance.now();
          try {
            const submitted = await contract.submitAsync('Put', { arguments: [`load-${client}-${j}`, `v${j}`] });
            const status = await submitted.getStatus();
            if (status.successful) {
              valid += 1;
              latencies.push(performance.now() - t);
              blocks.add(status.blockNumber);
            } else {
              failed += 1;
              failures.push(`load ${client}/${j} ${status.transactionId}: validation code ${status.code} in block ${status.blockNumber}`);
            }
          } catch (err) {
            failed += 1;
            failures.push(`load ${client}/${j}: ${describe(err)}`);
          }
        }
      }),
    );
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    await sleep(1000);
    const idleAfter = memoryMb(backend);
    return {
      backend: backend.name,
      upS: round(upMs / 1000, 2),
      deployS: round(deployMs / 1000, 2),
      latency: { ...summarize(times), failed: latencyFailed },
      throughput: { ...summarize(latencies), clients: o.clients, valid, failed, txPerSecond: round(valid / (wallMs / 1000)), blocks: blocks.size },
      memoryMb: { idleBeforeLoad: idleBefore.mb, peakUnderLoad: peak.mb, idleAfterLoad: idleAfter.mb, processes: peak.processes },
      failures,
    };
  } finally {
    connections.close();
  }
}

function table(all: Figures[]): string {
  const rows: [string, (f: Figures) => string][] = [
    ['`up` (fresh data folder)', (f) => `${f.upS.toFixed(2)} s`],
    [`\`deploy\` ${NAME} on ${CHANNEL}`, (f) => `${f.deployS.toFixed(2)} s`],
    ['submit-to-commit, 1 client', (f) => `p50 ${f.latency.p50} ms, p95 ${f.latency.p95} ms (${f.latency.count} tx)`],
    ['throughput, concurrent clients', (f) => `${f.throughput.txPerSecond} tx/s (${f.throughput.clients} clients, ${f.throughput.valid} tx, ${f.throughput.blocks} blocks)`],
    ['  latency under that load', (f) => `p50 ${f.throughput.p50} ms, p95 ${f.throughput.p95} ms`],
    ['memory, peak under load', (f) => `${f.memoryMb.peakUnderLoad} MB (${f.memoryMb.processes} processes)`],
    ['memory, idle before / after load', (f) => `${f.memoryMb.idleBeforeLoad} / ${f.memoryMb.idleAfterLoad} MB`],
    ['failed transactions', (f) => String(f.failures.length)],
  ];
  const lines = [`| what | ${all.map((f) => f.backend).join(' | ')} |`, `| --- | ${all.map(() => '---').join(' | ')} |`];
  for (const [label, value] of rows) lines.push(`| ${label} | ${all.map(value).join(' | ')} |`);
  return lines.join('\n');
}

async function main(o: Options): Promise<number> {
  let stoppingFlag = false;
  let current: Backend | undefined;
  const onSignal = (): void => {
    if (stoppingFlag) process.exit(130);
    stoppingFlag = true;
    progress('interrupted: stopping (Ctrl-C again to exit at once)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const results: Figures[] = [];
  let failed = false;
  for (const name of o.backends) {
    if (stoppingFlag) break;
    current = name === 'devnet' ? devnetBackend(o.basePort) : nativeBackend(o.nativePort);
    try {
      results.push(await measure(current, o, () => stoppingFlag));
    } catch (err) {
      failed = true;
      process.stderr.write(`✖ ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    } finally {
      progress(`${name}: down`);
      await current.down().catch((err: unknown) => {
        progress(`${name}: down failed: ${describe(err)}`);
      });
      if (existsSync(current.dataDir)) rmSync(current.dataDir, { recursive: true, force: true });
    }
  }
  const env = `${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  if (o.json) process.stdout.write(JSON.stringify({ env, results }, null, 2) + '\n');
  else process.stdout.write(`${env}\n\n${table(results)}\n`);
  for (const r of results) for (const f of r.failures.slice(0, 20)) process.stderr.write(`  ${r.backend}: ${f}\n`);
  if (stoppingFlag) return 130;
  return failed || results.some((r) => r.failures.length > 0) ? 1 : 0;
}

const program = new Command('bench-backends')
  .description('up, deploy, latency, throughput and memory of the devnet and native Fabric, side by side')
  .option('--backends <list>', 'comma-separated: devnet, native', (v: string): BackendName[] => {
    const list = v.split(',').map((x) => x.trim());
    if (list.length === 0 || list.some((x) => x !== 'devnet' && x !== 'native')) throw new InvalidArgumentError('devnet and/or native');
    return list as BackendName[];
  }, ['devnet', 'native'] as BackendName[])
  .option('--base-port <port>', 'devnet port grid', positiveInt, 21525)
  .option('--native-port <port>', 'native port grid', positiveInt, 30025)
  .option('--latency-tx <n>', 'sequential transactions of the latency phase', positiveInt, 100)
  .option('--clients <n>', 'concurrent clients of the throughput phase', positiveInt, 10)
  .option('--load-tx <n>', 'transactions of the throughput phase', positiveInt, 500)
  .option('--sample-ms <ms>', 'memory sampling interval', positiveInt, 200)
  .option('--json', 'machine-readable output')
  .addHelpText('after', '\nExample:\n  node scripts/dist/bench-backends.js --backends devnet,native --load-tx 300');

program
  .parseAsync(process.argv)
  .then(async () => {
    process.exitCode = await main(program.opts<Options>());
  })
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
