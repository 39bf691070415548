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
 *      transaction must commit VALID; once per client count of --clients (10 and 50 by default);
 *   4. memory: summed RSS of the backend's processes (devnet: its process tree; native: every
 *      orderer, peer and chaincode server in <data>/pids), peak under load and idle after it.
 *
 * With both backends, the devnet's throughput is judged against issue 19's goal (ten times native
 * with the same clients) beside the most the machine's cores allow at the CPU each side used
 * (./throughputGoal.ts).
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
import * as os from 'node:os';
import type { Contract } from '@hyperledger/fabric-gateway';
import { Command, InvalidArgumentError } from 'commander';
import type { BackendName } from 'network-backends';
import { failureLine, latencyPhase, sampleMemory, throughputPhase, withLoadOptions } from './benchLoad';
import type { CpuShares, LoadFailure, LoadOptions, MemorySample } from './benchLoad';
import { BenchSession, CHAINCODES, errorText, positiveInt, progress, round, runProgram, sleep } from './benchSupport';
import type { Summary } from './benchSupport';
import { goalLines, throughputGoals } from './throughputGoal';
import type { ThroughputGoal, ThroughputSample } from './throughputGoal';

const CHANNEL = 'primary';
const NAME = 'assets';

interface Options extends LoadOptions {
  clients: number[];
  backends: BackendName[];
  basePort: number;
  nativePort: number;
  json?: boolean;
}

interface Figures {
  backend: BackendName;
  upS: number;
  deployS: number;
  latency: Summary & { failed: number };
  /** One phase per client count, in the order of --clients. */
  throughput: (Summary & { clients: number; valid: number; failed: number; txPerSecond: number; blocks: number; cpu?: CpuShares })[];
  memoryMb: { idleBeforeLoad: number; peakUnderLoad: number; idleAfterLoad: number; processes: number };
  failures: string[];
}

const inMb = (m: MemorySample): { mb: number; processes: number } => ({ mb: round(m.totalKb / 1024, 0), processes: m.processes });
const memoryMb = (s: BenchSession): { mb: number; processes: number } => inMb(sampleMemory(s.net.processes(), 0));

async function measure(s: BenchSession, o: Options): Promise<Figures> {
  const failures: LoadFailure[] = [];
  const check = (): void => {
    s.checkOpen();
  };
  progress(`${s.backend}: up`);
  const { network, wallMs: upMs } = await s.start();
  progress(`${s.backend}: up in ${(upMs / 1000).toFixed(2)} s; deploy ${NAME} on ${CHANNEL}`);
  const { wallMs: deployMs } = await s.deploy(CHAINCODES.assets, CHANNEL, NAME);
  progress(`${s.backend}: deploy in ${(deployMs / 1000).toFixed(2)} s`);
  const members = network.connection.members;
  const contractOf = async (i: number): Promise<Contract> => (await s.connect(members[i % members.length], o.clientSigner)).getNetwork(CHANNEL).getContract(NAME);

  progress(`${s.backend}: latency, ${o.latencyTx} sequential Put from one client`);
  const l = await latencyPhase(await contractOf(0), { warmup: 3, count: o.latencyTx, check }, failures);
  const idleBefore = memoryMb(s);

  const throughput: Figures['throughput'] = [];
  let peak = idleBefore;
  for (const clients of o.clients) {
    progress(`${s.backend}: throughput, ${o.loadTx} Put from ${clients} concurrent clients`);
    const contracts = await Promise.all(Array.from({ length: clients }, (_, i) => contractOf(i)));
    const { figures: t, samples } = await throughputPhase(contracts, { loadTx: o.loadTx, check, memory: { roots: () => s.net.processes(), everyMs: o.sampleMs, t0: 0 } }, failures);
    progress(`${s.backend}: ${t.txPerSecond} tx/s with ${clients} clients`);
    peak = samples.map(inMb).reduce((a, b) => (b.mb > a.mb ? b : a), peak);
    throughput.push({ count: t.count, p50: t.p50, p95: t.p95, max: t.max, mean: t.mean, clients: t.clients, valid: t.valid, failed: t.failed, txPerSecond: t.txPerSecond, blocks: t.blocks, cpu: t.cpu });
  }
  await sleep(1000);
  const idleAfter = memoryMb(s);
  return {
    backend: s.backend,
    upS: round(upMs / 1000, 2),
    deployS: round(deployMs / 1000, 2),
    latency: { count: l.count, p50: l.p50, p95: l.p95, max: l.max, mean: l.mean, failed: l.failed },
    throughput,
    memoryMb: { idleBeforeLoad: idleBefore.mb, peakUnderLoad: peak.mb, idleAfterLoad: idleAfter.mb, processes: peak.processes },
    failures: failures.map(failureLine),
  };
}

/** The network's processes (devnet: the devnet and its chaincode servers; native: every node), the bench's clients, the machine. */
const cpuCell = (c: CpuShares): string => `network ${c.networkRoots + c.networkChildren}%, bench clients ${c.bench}%, machine ${c.machine}% of ${c.cores * 100}%`;

function table(all: Figures[], clientCounts: readonly number[]): string {
  const phase = (f: Figures, clients: number): Figures['throughput'][number] | undefined => f.throughput.find((t) => t.clients === clients);
  const perPhase = (clients: number): [string, (f: Figures) => string][] => {
    const cell = (show: (t: Figures['throughput'][number]) => string) => (f: Figures) => {
      const t = phase(f, clients);
      return t === undefined ? 'not measured' : show(t);
    };
    return [
      [`throughput, ${clients} concurrent clients`, cell((t) => `${t.txPerSecond} tx/s (${t.valid} tx, ${t.blocks} blocks)`)],
      ['  latency under that load', cell((t) => `p50 ${t.p50} ms, p95 ${t.p95} ms`)],
      ['  CPU under that load (% of a core)', cell((t) => (t.cpu ? cpuCell(t.cpu) : 'not measured'))],
    ];
  };
  const rows: [string, (f: Figures) => string][] = [
    ['`up` (fresh data folder)', (f) => `${f.upS.toFixed(2)} s`],
    [`\`deploy\` ${NAME} on ${CHANNEL}`, (f) => `${f.deployS.toFixed(2)} s`],
    ['submit-to-commit, 1 client', (f) => `p50 ${f.latency.p50} ms, p95 ${f.latency.p95} ms (${f.latency.count} tx)`],
    ...clientCounts.flatMap(perPhase),
    ['memory, peak under load', (f) => `${f.memoryMb.peakUnderLoad} MB (${f.memoryMb.processes} processes)`],
    ['memory, idle before / after load', (f) => `${f.memoryMb.idleBeforeLoad} / ${f.memoryMb.idleAfterLoad} MB`],
    ['failed transactions', (f) => String(f.failures.length)],
  ];
  const lines = [`| what | ${all.map((f) => f.backend).join(' | ')} |`, `| --- | ${all.map(() => '---').join(' | ')} |`];
  for (const [label, value] of rows) lines.push(`| ${label} | ${all.map(value).join(' | ')} |`);
  return lines.join('\n');
}

async function main(o: Options): Promise<number> {
  let stopping = false;
  let current: BenchSession | undefined;
  // The first Ctrl-C stops the backend being measured and skips the rest; a second exits at once.
  const onSignal = (): void => {
    if (stopping) {
      current?.kill();
      process.exit(130);
    }
    stopping = true;
    progress('interrupted: stopping (Ctrl-C again to exit at once)');
    void current?.close();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const results: Figures[] = [];
  let failed = false;
  for (const name of o.backends) {
    if (stopping) break;
    current = new BenchSession({ backend: name, basePort: name === 'devnet' ? o.basePort : o.nativePort });
    try {
      results.push(await measure(current, o));
    } catch (err) {
      failed = true;
      if (!stopping) process.stderr.write(`✖ ${name}: ${errorText(err)}\n`);
    } finally {
      await current.close();
    }
  }
  const env = `${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, clients signing with ${o.clientSigner}`;
  const goals = goalsOf(results);
  if (o.json) process.stdout.write(JSON.stringify({ env, results, goals }, null, 2) + '\n');
  else {
    const goal = goals.length === 0 ? '' : `\n\nthroughput goal (devnet >= 10x native, same clients):\n${goalLines(goals).join('\n')}`;
    process.stdout.write(`${env}\n\n${table(results, o.clients)}${goal}\n`);
  }
  for (const r of results) for (const f of r.failures.slice(0, 20)) process.stderr.write(`  ${r.backend}: ${f}\n`);
  if (stopping) return 130;
  return failed || results.some((r) => r.failures.length > 0) ? 1 : 0;
}

/** The throughput phases of a backend as the goal reads them. */
function samplesOf(f: Figures): ThroughputSample[] {
  return f.throughput.map((t) => ({
    clients: t.clients,
    txPerSecond: t.txPerSecond,
    ...(t.cpu === undefined
      ? {}
      : {
          cpu: {
            bench: t.cpu.bench,
            network: t.cpu.networkRoots + t.cpu.networkChildren,
            // The devnet's chaincode servers are its children; a native network's nodes are all roots.
            ...(f.backend === 'devnet' ? { chaincode: t.cpu.networkChildren } : {}),
            cores: t.cpu.cores,
          },
        }),
  }));
}

function goalsOf(results: readonly Figures[]): ThroughputGoal[] {
  const devnet = results.find((r) => r.backend === 'devnet');
  const native = results.find((r) => r.backend === 'native');
  return devnet === undefined || native === undefined ? [] : throughputGoals(samplesOf(devnet), samplesOf(native));
}

/** `10,50` → [10, 50]: distinct positive counts. */
function clientCounts(value: string): number[] {
  const counts = value.split(',').map((x) => positiveInt(x.trim()));
  if (new Set(counts).size !== counts.length) throw new InvalidArgumentError('each client count once');
  return counts;
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
  .option('--clients <list>', 'concurrent clients of each throughput phase, spread over the orgs, comma-separated', clientCounts, [10, 50]);
withLoadOptions(program)
  .option('--json', 'machine-readable output')
  .addHelpText('after', '\nExample:\n  node scripts/dist/bench-backends.js --backends devnet,native --clients 10,50 --load-tx 3000');

runProgram(program, () => main(program.opts<Options>()));
