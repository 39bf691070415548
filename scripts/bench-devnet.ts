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
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Contract } from '@hyperledger/fabric-gateway';
import { Command } from 'commander';
import { DEFAULT_BATCH_TIMEOUT, DEFAULT_MAX_MESSAGE_COUNT } from 'fabric-devnet';
import { failureLine, latencyPhase, sampleMemory, throughputPhase, withLoadOptions } from './benchLoad';
import type { CpuShares, LoadFailure, LoadOptions, MemorySample as ProcessMemory, ThroughputFigures } from './benchLoad';
import { BenchError, benchMain, CHAINCODES, parsePort, positiveInt, progress, sleep } from './benchSupport';
import type { BenchSession, Summary } from './benchSupport';

const CHANNEL = 'primary';
const CHAINCODE_NAME = 'assets';
const IDLE_SAMPLES = 5;

interface Options extends LoadOptions {
  clients: number;
  basePort: number;
  batchTimeout?: string;
  chaincodePerOrg?: boolean;
  warmup: number;
  chaincode: string;
  keepData?: boolean;
  json?: boolean;
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
    chaincodePerOrg: boolean;
    clientSigner: string;
    cpus: number;
    node: string;
  };
  up: { wallMs: number; devnetReportedS?: number; pid: number };
  deploy: { wallMs: number; ccid?: string };
  latency: Summary & { firstTxMs?: number; failed: number };
  throughput: ThroughputFigures;
  memory: {
    idleBeforeLoad: MemorySample;
    peakUnderLoad: MemorySample;
    idleAfterLoad: MemorySample;
    samplesUnderLoad: number;
  };
  failures: LoadFailure[];
  logProblems: string[];
}

// ---------------------------------------------------------------------------------------------
// Memory: the devnet process and its chaincode children

const asDevnet = (m: ProcessMemory): MemorySample => ({ atMs: m.atMs, devnetKb: m.rootKb, chaincodeKb: m.childrenKb, totalKb: m.totalKb, processes: m.processes });

function devnetMemory(devnetPid: number, t0: number): MemorySample {
  const m = sampleMemory([devnetPid], t0);
  if (m.rootKb === 0) throw new BenchError(`cannot read /proc/${devnetPid}/status: is the devnet (pid ${devnetPid}) still running?`);
  return asDevnet(m);
}

/** The median of a few samples taken sampleMs apart, with nothing running. */
async function idleMemory(devnetPid: number, sampleMs: number, t0: number): Promise<MemorySample> {
  const samples: MemorySample[] = [];
  for (let i = 0; i < IDLE_SAMPLES; i++) {
    if (i > 0) await sleep(sampleMs);
    samples.push(devnetMemory(devnetPid, t0));
  }
  return samples.sort((a, b) => a.totalKb - b.totalKb)[Math.floor(samples.length / 2)];
}

// ---------------------------------------------------------------------------------------------
// Output

const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;
const cpuLine = (c: CpuShares): string =>
  `devnet ${c.networkRoots}%, chaincode ${c.networkChildren}%, bench clients ${c.bench}%, whole machine ${c.machine}% of ${c.cores * 100}%`;
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
    ['  CPU under load (% of a core)', t.cpu ? cpuLine(t.cpu) : 'not measured'],
    ['memory idle, before load', memLine(r.memory.idleBeforeLoad)],
    [`memory peak under load`, `${memLine(r.memory.peakUnderLoad)}, ${r.memory.samplesUnderLoad} samples`],
    ['memory idle, after load', memLine(r.memory.idleAfterLoad)],
    ['failed transactions', String(r.failures.length)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const c = r.config;
  const lines = [
    `devnet benchmark: BatchTimeout ${c.batchTimeout}, MaxMessageCount ${c.maxMessageCount}, ${c.endorsement}, ` +
      `base port ${c.basePort}, ${c.chaincodePerOrg ? 'chaincode per organisation' : 'one chaincode process'}, clients signing with ${c.clientSigner}, ${c.cpus} CPUs, Node ${c.node}`,
    '',
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
  ];
  if (r.failures.length > 0) {
    lines.push('', 'failures:');
    for (const f of r.failures) lines.push(`  ${failureLine(f)}`);
  }
  if (r.logProblems.length > 0) {
    lines.push('', 'log lines that look like trouble:');
    for (const l of r.logProblems.slice(0, 40)) lines.push(`  ${l}`);
    if (r.logProblems.length > 40) lines.push(`  ... ${r.logProblems.length - 40} more`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function bench(s: BenchSession, o: Options): Promise<Results> {
  const t0 = performance.now();
  const failures: LoadFailure[] = [];
  const check = (): void => {
    s.checkOpen();
  };
  progress(`up: devnet, base port ${o.basePort}, BatchTimeout ${o.batchTimeout ?? `${DEFAULT_BATCH_TIMEOUT} (default)`}`);
  const { network, wallMs: upMs } = await s.start();
  const pid = network.pid as number;
  progress(`up: ${(upMs / 1000).toFixed(2)} s, devnet pid ${pid}`);
  const up = { wallMs: Math.round(upMs), pid };

  progress(`deploy: ${o.chaincode} as ${CHAINCODE_NAME} on ${CHANNEL}`);
  const deployed = await s.deploy(o.chaincode, CHANNEL, CHAINCODE_NAME);
  progress(`deploy: ${(deployed.wallMs / 1000).toFixed(2)} s`);
  const deploy = { wallMs: Math.round(deployed.wallMs), ccid: deployed.ccid };
  const connection = network.connection;
  const contractOf = async (i: number): Promise<Contract> =>
    (await s.connect(connection.members[i % connection.members.length], o.clientSigner)).getNetwork(CHANNEL).getContract(CHAINCODE_NAME);

  // The warm-up of the latency phase also loads the contract in the chaincode before idle is measured.
  progress(`latency: ${o.warmup} warm-up + ${o.latencyTx} sequential submitTransaction('Put') from one client`);
  const latency = await latencyPhase(await contractOf(0), { warmup: o.warmup, count: o.latencyTx, check }, failures);
  progress(`latency: p50 ${latency.p50} ms, p95 ${latency.p95} ms, max ${latency.max} ms, ${latency.failed} failed`);
  progress('memory: idle before load');
  const idleBeforeLoad = await idleMemory(pid, o.sampleMs, t0);

  progress(`throughput: connecting ${o.clients} clients over ${connection.members.length} orgs`);
  const contracts: Contract[] = [];
  for (let i = 0; i < o.clients; i++) contracts.push(await contractOf(i));
  progress(`throughput: ${o.loadTx} transactions, ${o.clients} clients back-to-back, memory every ${o.sampleMs} ms`);
  const { figures: throughput, samples } = await throughputPhase(contracts, { loadTx: o.loadTx, check, memory: { roots: () => [pid], everyMs: o.sampleMs, t0 } }, failures);
  progress(`throughput: ${throughput.txPerSecond} tx/s, p50 ${throughput.p50} ms, p95 ${throughput.p95} ms, ${throughput.failed} failed`);
  progress('memory: idle after load');
  await sleep(1000);
  const idleAfterLoad = await idleMemory(pid, o.sampleMs, t0);
  if (samples.some((m) => m.rootKb === 0)) throw new BenchError(`cannot read /proc/${pid}/status under load: did the devnet (pid ${pid}) stop?`);
  const peakUnderLoad = asDevnet(samples.reduce((a, b) => (b.totalKb > a.totalKb ? b : a)));

  return {
    config: {
      basePort: o.basePort,
      batchTimeout: o.batchTimeout ?? `${DEFAULT_BATCH_TIMEOUT} (devnet default)`,
      maxMessageCount: DEFAULT_MAX_MESSAGE_COUNT,
      endorsement: `MAJORITY Endorsement of ${connection.members.length} orgs`,
      chaincode: o.chaincode,
      chaincodePerOrg: o.chaincodePerOrg === true,
      clientSigner: o.clientSigner,
      cpus: os.cpus().length,
      node: process.version,
    },
    up,
    deploy,
    latency,
    throughput,
    memory: { idleBeforeLoad, peakUnderLoad, idleAfterLoad, samplesUnderLoad: samples.length },
    failures,
    logProblems: s.logProblems(),
  };
}

benchMain<Options>({
  program: withLoadOptions(
    new Command('bench-devnet')
      .description('Benchmark the devnet through fabric-gateway: up/deploy time, submit-to-commit latency, throughput, memory')
      .option('--base-port <port>', 'first port of a private port grid (orderers base+0..3000, peers base+1..6001, admin base+9)', parsePort, 21125)
      .option('--batch-timeout <duration>', `BatchTimeout of the channels (default: the devnet's, ${DEFAULT_BATCH_TIMEOUT})`)
      .option('--clients <n>', 'concurrent clients of the throughput phase, spread over the orgs', positiveInt, 10),
  )
    .option('--warmup <n>', 'unmeasured transactions before the latency phase', positiveInt, 3)
    .option('--chaincode <folder>', 'chaincode folder to deploy as assets (needs Put(key, value))', CHAINCODES.assets)
    .option('--chaincode-per-org', "the devnet runs the chaincode once per peer organisation (devnet --chaincode-per-org)")
    .option('--keep-data', 'keep the data folder (logs, ledger) after down')
    .option('--json', 'print the results as one JSON object')
    .showHelpAfterError()
    .addHelpText('after', '\nExample:\n  npm run bench:devnet -- --json\n  node scripts/dist/bench-devnet.js --base-port 47050 --load-tx 1000'),
  session: (o) => ({ basePort: o.basePort, batchTimeout: o.batchTimeout, chaincodePerOrg: o.chaincodePerOrg === true, keepData: o.keepData === true }),
  check: (o) => {
    o.chaincode = path.resolve(o.chaincode);
    if (!existsSync(o.chaincode)) return `chaincode folder ${o.chaincode} does not exist`;
    if (o.clients > o.loadTx) return `--clients (${o.clients}) must not exceed --load-tx (${o.loadTx})`;
    return undefined;
  },
  run: async (session, o) => {
    const results = await bench(session, o);
    process.stdout.write(o.json ? JSON.stringify(results, null, 2) + '\n' : humanReport(results) + '\n');
    const failed = results.failures.length;
    if (failed > 0) process.stderr.write(`✖ ${failed} transaction(s) failed (warm-up included)\n`);
    return failed > 0 ? 1 : 0;
  },
});
