#!/usr/bin/env node
/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Figures of Algorithm 2 on the devnet (paper section 3, measured live): a benchmark, not a test.
 * It starts a devnet of its own on a fresh temporary data folder and a private port grid, runs the
 * four members' orchestrators in this process (observer -> primary runtime -> FabricPrimaryAdapter,
 * each with its own gateway, admin and orderer connection), puts a steady workload on `primary`,
 * and drives the management chaincode through genesis and N reconfigurations (the expected
 * proposer proposes as soon as its cycle opens, three members approve, it tallies). It always
 * brings the devnet down again (also on failure and on Ctrl-C).
 *
 * Measured:
 *   - propagation delay: CB committed -> verified at each of the 4 observers;
 *   - update delay: CB committed -> the `primary` config block linked to it is committed (the new
 *     configuration is in force from the next block), and -> each member's runtime reports it;
 *   - inter-block times of `primary` under the workload: normal blocks (consecutive data blocks
 *     under the same configuration) versus switch blocks (consecutive data blocks with a config
 *     block between them), medians, p95 and their ratio.
 * "Committed" is the first moment this process learnt of the sealing Tally's commit: its commit
 * status, or an observer's event, whichever came first. Block times are arrival times of the
 * peer's block events (one listener), which is what a client of the channel sees.
 *
 * Port grid with the default --base-port 19850 (all 127.0.0.1), below the ephemeral port range so
 * that no outgoing connection can take one of its ports:
 *   orderers 19850 20850 21850 22850, peers 19851 21851 23851 25851, admin API 19859.
 *
 * Example:
 *   npm run bench:reconfiguration -- --reconfigurations 24 --rate 20
 *
 * Exit codes: 0 done, 1 a phase failed or a workload transaction failed, 2 bad usage, 130/143
 * interrupted.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { CloseableAsyncIterable, Contract, Gateway } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { Command } from 'commander';
import { closeOnSignals, parsePort, positiveInt, progress, round, sleep, summarize } from './benchSupport';
import type { Summary } from './benchSupport';
import { readConfigBlock, readManagementLink } from 'fabric-devnet/dist/configtx';
import { SigningIdentity } from 'fabric-devnet/dist/msp';
import type { ConfigBlock, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { quorum, signVote } from 'mgmt-chaincode/dist/protocol';
import { connectGateway, newGrpcConnection, readConnectionFile } from 'mgmt-orchestrator';
import type { ConnectionFile, MemberConnection } from 'mgmt-orchestrator';
import { Observer } from 'mgmt-orchestrator/dist/observer';
import type { Logger } from 'mgmt-orchestrator/dist/observer';
import { FabricPrimaryAdapter, PrimaryNodeRuntime } from 'mgmt-orchestrator/dist/primary';
import type { AppliedConfiguration } from 'mgmt-orchestrator/dist/primary';

const DEVNET_DIR = path.dirname(require.resolve('fabric-devnet/package.json'));
const REPO_ROOT = path.resolve(DEVNET_DIR, '..', '..');
const DEVNET_CLI = path.join(DEVNET_DIR, 'dist', 'cli.js');
const MGMT_CHAINCODE = path.join(REPO_ROOT, 'chaincode');
const ASSETS_CHAINCODE = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');

/** Configurations the reconfigurations cycle through: every CB changes the parameters. */
const CONFIGS: readonly { batchTimeoutMs: number; maxMessageCount: number }[] = [
  { batchTimeoutMs: 200, maxMessageCount: 10 },
  { batchTimeoutMs: 300, maxMessageCount: 5 },
  { batchTimeoutMs: 150, maxMessageCount: 20 },
  { batchTimeoutMs: 250, maxMessageCount: 8 },
];

const CONFIG_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    batchTimeoutMs: { type: 'integer', minimum: 50, maximum: 10000 },
    maxMessageCount: { type: 'integer', minimum: 1, maximum: 1000 },
  },
  required: ['batchTimeoutMs', 'maxMessageCount'],
  additionalProperties: false,
};

interface Options {
  basePort: number;
  reconfigurations: number;
  rate: number;
  clients: number;
  cbi: number;
  keepData?: boolean;
  json?: boolean;
  samples?: string;
  verbose?: boolean;
}

interface Results {
  config: { basePort: number; reconfigurations: number; workloadTxPerSecond: number; clients: number; cbiSeconds: number; cpus: number; node: string };
  propagationMs: Summary & { perMember: Record<string, Summary> };
  updateDelayMs: { channel: Summary; perMember: Record<string, Summary> };
  interBlockMs: { normal: Summary; switch: Summary; ratioMedian: number; ratioP95: number };
  workload: { submitted: number; valid: number; failed: number; txPerSecond: number };
  perReconfiguration: { height: number; config: string; propagationMs: number[]; updateDelayMs: number; switchIntervalMs: number | undefined }[];
  /** Per-observation values (ms) in the simulator's terms, for `--samples`. */
  raw: Record<'agreement' | 'propagation' | 'update' | 'total' | 'normal' | 'switch', number[]>;
}

class BenchError extends Error {
  override name = 'BenchError';
}

const utf8 = new TextDecoder();
const json = async <T>(bytes: Promise<Uint8Array>): Promise<T> => JSON.parse(utf8.decode(await bytes)) as T;

// ---------------------------------------------------------------------------------------------
// The devnet CLI and the session: what must be undone, whatever happens

function runCli(args: readonly string[], detached = false): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEVNET_CLI, ...args], { detached, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ code, output });
    });
  });
}

interface MemberNode {
  readonly member: MemberConnection;
  readonly mgmt: Contract;
  readonly gateway: Gateway;
  readonly votingKeyPem: string;
  readonly observer: Observer;
  readonly runtime: PrimaryNodeRuntime;
  readonly applied: AppliedConfiguration[];
}

class Session {
  readonly dataDir = mkdtempSync(path.join(os.tmpdir(), 'reconfiguration-bench-'));
  readonly stateDir = path.join(this.dataDir, 'orchestrators');
  readonly clients: grpc.Client[] = [];
  readonly gateways: Gateway[] = [];
  readonly streams: CloseableAsyncIterable<unknown>[] = [];
  readonly nodes: MemberNode[] = [];
  upRunning?: Promise<unknown>;
  #teardown?: Promise<void>;

  constructor(private readonly keepData: boolean) {}

  checkOpen(): void {
    if (this.#teardown) throw new BenchError('interrupted');
  }

  async connect(member: MemberConnection): Promise<Gateway> {
    this.checkOpen();
    const client = await newGrpcConnection(member.peer);
    this.clients.push(client);
    const gateway = await connectGateway(client, member, 'user');
    this.gateways.push(gateway);
    return gateway;
  }

  async orderer(member: MemberConnection): Promise<grpc.Client> {
    const client = await newGrpcConnection(member.orderer);
    this.clients.push(client);
    return client;
  }

  close(): Promise<void> {
    this.#teardown ??= (async (): Promise<void> => {
      for (const n of this.nodes.splice(0)) {
        await n.runtime.stop();
        await n.observer.stop();
      }
      for (const s of this.streams.splice(0)) s.close();
      for (const g of this.gateways.splice(0)) g.close();
      for (const c of this.clients.splice(0)) c.close();
      if (this.upRunning) await this.upRunning.catch(() => undefined);
      if (!existsSync(this.dataDir)) return;
      progress(`down: stopping the devnet on ${this.dataDir}`);
      const r = await runCli(['--data', this.dataDir, 'down', ...(this.keepData ? ['--keep-data'] : [])]);
      if (r.code !== 0) progress(`down failed (exit ${String(r.code)}): ${r.output.trim()}`);
      if (!this.keepData) rmSync(this.dataDir, { recursive: true, force: true });
    })();
    return this.#teardown;
  }
}

function logTail(dataDir: string, lines = 30): string {
  const file = path.join(dataDir, 'logs', 'devnet.log');
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no devnet.log)';
}

// ---------------------------------------------------------------------------------------------
// Producing configuration blocks (what the management nodes do; they are not under test here)

async function vote(node: MemberNode, hash: string): Promise<void> {
  const signature = signVote({ hash, approve: true, privateKeyPem: node.votingKeyPem });
  await node.mgmt.submitTransaction('Vote', hash, 'true', signature, 'bench');
}

async function produceGenesis(nodes: readonly Pick<MemberNode, 'mgmt' | 'votingKeyPem'>[], connection: ConnectionFile, cbi: number): Promise<void> {
  const [first] = nodes as [MemberNode];
  const paramsJson = JSON.stringify({
    params: {
      members: connection.members.map((m) => ({ mspId: m.mspId, caCertificate: readFileSync(m.caCertPath, 'utf8') })),
      cbiSeconds: cbi,
      cycleTimeoutSeconds: 3,
      clockToleranceSeconds: 30,
      configSchema: CONFIG_SCHEMA,
    },
    config: { batchTimeoutMs: 100, maxMessageCount: 10 },
  });
  const proposal = await json<Proposal>(first.mgmt.submitTransaction('InitLedger', paramsJson));
  await Promise.all(nodes.slice(0, 3).map((n) => vote(n as MemberNode, proposal.hash)));
  await first.mgmt.submitTransaction('Tally', proposal.id);
}

/** The next block with `config`; returns it and when its Tally's commit status came back. */
async function produceBlock(nodes: readonly MemberNode[], config: object): Promise<{ block: ConfigBlock; committedAtMs: number; openedAtMs: number }> {
  const first = nodes[0];
  for (let attempt = 0; attempt < 400; attempt++) {
    const r = await json<Round>(first.mgmt.evaluateTransaction('GetRound'));
    const proposedThisCycle = r.proposal !== null && r.proposal.header.height === r.nextHeight && r.proposal.header.cycle === r.cycle;
    if (r.phase !== 'cycle' || proposedThisCycle) {
      const until = r.phase === 'waiting' ? r.opensAt : r.cycleEndsAt;
      await sleep(Math.max(10, Math.min((until === null ? 100 : Date.parse(until) - Date.parse(r.now)) + 10, 5_000)));
      continue;
    }
    const proposer = nodes.find((n) => n.member.mspId === r.expectedProposer) as MemberNode;
    let proposal: Proposal;
    try {
      proposal = await json<Proposal>(proposer.mgmt.submitTransaction('Propose', JSON.stringify(config)));
    } catch {
      continue; // the cycle rolled over between GetRound and Propose
    }
    const voters = [proposer, ...nodes.filter((n) => n !== proposer)].slice(0, 3);
    await Promise.all(voters.map((n) => vote(n, proposal.hash)));
    const block = await json<ConfigBlock>(proposer.mgmt.submitTransaction('Tally', proposal.id));
    return { block, committedAtMs: Date.now(), openedAtMs: Date.parse(r.cycleStartsAt ?? r.now) };
  }
  throw new BenchError('no agreement cycle opened');
}

// ---------------------------------------------------------------------------------------------
// The members' orchestrators

async function startNode(s: Session, member: MemberConnection, logger: Logger): Promise<MemberNode> {
  const gateway = await s.connect(member);
  const keystore = path.join(member.userMspDir, 'keystore');
  const votingKeyPem = readFileSync(path.join(keystore, readdirSync(keystore).sort()[0]), 'utf8');
  const mgmt = gateway.getNetwork('mgmt').getContract('mgmt');
  const adapter = new FabricPrimaryAdapter({
    channelId: 'primary',
    admin: SigningIdentity.fromMspDir(member.adminMspDir, member.mspId),
    orderer: await s.orderer(member),
    management: { contract: mgmt, network: gateway.getNetwork('mgmt') },
    primary: gateway.getNetwork('primary'),
    logger,
    name: member.mspId,
  });
  const holder: { runtime?: PrimaryNodeRuntime } = {};
  const observer = new Observer({
    network: gateway.getNetwork('mgmt'),
    stateDir: path.join(s.stateDir, member.mspId),
    onConfigBlock: (v) => {
      holder.runtime?.receive(v.block, v.receipt);
    },
    logger,
    name: member.mspId,
  });
  await observer.start();
  await observer.waitForDelivered(0, 60_000);
  const runtime = new PrimaryNodeRuntime({ adapter, chain: observer.chain, hints: observer.entries.map((e) => e.receipt), logger, name: member.mspId });
  holder.runtime = runtime;
  const applied: AppliedConfiguration[] = [];
  runtime.on('applied', (a) => applied.push(a));
  runtime.start();
  const node: MemberNode = { member, mgmt, gateway, votingKeyPem, observer, runtime, applied };
  s.nodes.push(node);
  return node;
}

function inForce(node: MemberNode, height: number, timeoutMs = 60_000): Promise<void> {
  if ((node.runtime.inForceHeight ?? -1) >= height) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.runtime.off('applied', listener);
      reject(new BenchError(`${node.member.mspId}: CB ${height} not in force within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (a: AppliedConfiguration): void => {
      if (a.height < height) return;
      clearTimeout(timer);
      node.runtime.off('applied', listener);
      resolve();
    };
    node.runtime.on('applied', listener);
  });
}

// ---------------------------------------------------------------------------------------------
// Watching `primary` and loading it

interface PrimaryBlock {
  readonly number: number;
  readonly arrivalMs: number;
  readonly linkHeight: number | undefined;
  readonly isConfig: boolean;
  readonly transactions: number;
}

function describeBlock(block: common.Block, arrivalMs: number): PrimaryBlock {
  const number = block.getHeader()?.getNumber() ?? -1;
  const transactions = block.getData()?.getDataList().length ?? 0;
  try {
    const { lastUpdate } = readConfigBlock(block);
    return { number, arrivalMs, isConfig: true, transactions, linkHeight: lastUpdate ? readManagementLink(lastUpdate)?.height : undefined };
  } catch {
    return { number, arrivalMs, isConfig: false, transactions, linkHeight: undefined };
  }
}

async function watchPrimary(s: Session, gateway: Gateway, into: PrimaryBlock[]): Promise<void> {
  const events = await gateway.getNetwork('primary').getBlockEvents({ startBlock: 0n });
  s.streams.push(events);
  void (async (): Promise<void> => {
    try {
      for await (const block of events) into.push(describeBlock(block, Date.now()));
    } catch {
      // closed at teardown
    }
  })();
}

/** A steady offered load: one Put every 1000/rate ms, round robin over the clients. */
function startWorkload(contracts: readonly Contract[], rate: number): { stop: () => Promise<{ submitted: number; valid: number; failed: number; wallMs: number }> } {
  let submitted = 0;
  let valid = 0;
  let failed = 0;
  const pending = new Set<Promise<void>>();
  const started = Date.now();
  const timer = setInterval(() => {
    if (pending.size > 500) return; // the network fell behind: do not pile up more
    const i = submitted++;
    const contract = contracts[i % contracts.length];
    const p = contract
      .submitAsync('Put', { arguments: [`load-${i}`, `v-${i}`] })
      .then((tx) => tx.getStatus())
      .then((status) => {
        if (status.successful) valid++;
        else failed++;
      })
      .catch(() => {
        failed++;
      })
      .finally(() => pending.delete(p));
    pending.add(p);
  }, 1000 / rate);
  return {
    stop: async () => {
      clearInterval(timer);
      const wallMs = Date.now() - started;
      await Promise.all([...pending]);
      return { submitted, valid, failed, wallMs };
    },
  };
}

// ---------------------------------------------------------------------------------------------

async function bench(s: Session, o: Options): Promise<Results> {
  const logger: Logger = o.verbose ? console : { info: () => undefined, warn: () => undefined, error: (m) => process.stderr.write(`${m}\n`) };
  progress(`up: devnet on ${s.dataDir}, base port ${o.basePort}`);
  s.upRunning = runCli(['--data', s.dataDir, 'up', '--base-port', String(o.basePort)], true);
  const up = (await s.upRunning) as { code: number | null; output: string };
  if (up.code !== 0) throw new BenchError(`devnet up failed:\n${up.output}`);
  for (const [folder, channel, name] of [
    [MGMT_CHAINCODE, 'mgmt', 'mgmt'],
    [ASSETS_CHAINCODE, 'primary', 'assets'],
  ] as const) {
    progress(`deploy: ${name} on ${channel}`);
    const r = await runCli(['--data', s.dataDir, 'deploy', folder, channel, name]);
    if (r.code !== 0) throw new BenchError(`deploy ${name} failed:\n${r.output}`);
  }
  const connection = readConnectionFile(path.join(s.dataDir, 'connection.json'));

  progress('genesis: InitLedger, 3 approvals, Tally');
  const drivers = await Promise.all(
    connection.members.map(async (member) => {
      const gateway = await s.connect(member);
      const keystore = path.join(member.userMspDir, 'keystore');
      return { mgmt: gateway.getNetwork('mgmt').getContract('mgmt'), votingKeyPem: readFileSync(path.join(keystore, readdirSync(keystore).sort()[0]), 'utf8') };
    }),
  );
  await produceGenesis(drivers, connection, o.cbi);

  const blocks: PrimaryBlock[] = [];
  await watchPrimary(s, s.gateways[0], blocks);
  progress('orchestrators: 4 members, each observer -> primary runtime -> Fabric adapter');
  for (const member of connection.members) await startNode(s, member, logger);
  await Promise.all(s.nodes.map((n) => inForce(n, 0)));

  const contracts: Contract[] = [];
  for (let i = 0; i < o.clients; i++) {
    const gateway = await s.connect(connection.members[i % connection.members.length]);
    contracts.push(gateway.getNetwork('primary').getContract('assets'));
  }
  progress(`workload: ${o.rate} tx/s over ${o.clients} clients; warming up 3 s`);
  const workload = startWorkload(contracts, o.rate);
  await sleep(3_000);

  const produced: { block: ConfigBlock; committedAtMs: number; openedAtMs: number }[] = [];
  for (let k = 1; k <= o.reconfigurations; k++) {
    s.checkOpen();
    const config = CONFIGS[(k - 1) % CONFIGS.length];
    const cb = await produceBlock(s.nodes, config);
    produced.push(cb);
    await Promise.all(s.nodes.map((n) => inForce(n, cb.block.height)));
    progress(`reconfiguration ${k}/${o.reconfigurations}: CB ${cb.block.height} ${JSON.stringify(config)} in force at all 4 members`);
  }
  await sleep(2_000);
  const load = await workload.stop();
  await sleep(500);

  // Committed = the first notice of the sealing Tally in this process.
  const committedAt = new Map<number, number>();
  for (const { block, committedAtMs } of produced) {
    const notices = s.nodes.map((n) => n.observer.entries[block.height]?.receipt.receivedAtMs ?? Infinity);
    committedAt.set(block.height, Math.min(committedAtMs, ...notices));
  }

  const propagation: number[] = [];
  const propagationPerMember: Record<string, number[]> = {};
  const updatePerMember: Record<string, number[]> = {};
  for (const node of s.nodes) {
    const mine: number[] = (propagationPerMember[node.member.mspId] = []);
    const updates: number[] = (updatePerMember[node.member.mspId] = []);
    for (const { block } of produced) {
      const receipt = node.observer.entries[block.height]?.receipt;
      const at = committedAt.get(block.height) as number;
      if (receipt) mine.push(receipt.verifiedAtMs - at);
      const applied = node.applied.find((a) => a.height === block.height);
      if (applied) updates.push(applied.inForceAtMs - at);
    }
    propagation.push(...mine);
  }

  // Update delay on the channel: the config block linked to the CB, as the peer delivered it.
  const channelUpdate = produced.map(({ block }) => {
    const configBlock = blocks.find((b) => b.isConfig && b.linkHeight === block.height);
    return configBlock ? configBlock.arrivalMs - (committedAt.get(block.height) as number) : NaN;
  });

  // Inter-block times of consecutive data blocks after the warm-up's first block.
  const sorted = [...blocks].sort((a, b) => a.number - b.number);
  const firstLoaded = sorted.find((b) => !b.isConfig && b.number > 0 && b.arrivalMs >= (committedAt.get(1) ?? Infinity) - 2_500);
  const normal: number[] = [];
  const switching: number[] = [];
  const switchByHeight = new Map<number, number>();
  let previous: PrimaryBlock | undefined;
  for (const b of sorted) {
    if (firstLoaded === undefined || b.number < firstLoaded.number || b.isConfig) continue;
    if (previous !== undefined) {
      const between = sorted.filter((c) => c.isConfig && c.number > (previous as PrimaryBlock).number && c.number < b.number);
      const interval = b.arrivalMs - previous.arrivalMs;
      if (between.length > 0) {
        switching.push(interval);
        for (const c of between) if (c.linkHeight !== undefined) switchByHeight.set(c.linkHeight, interval);
      } else {
        normal.push(interval);
      }
    }
    previous = b;
  }
  const normalSummary = summarize(normal);
  const switchSummary = summarize(switching);

  const summaries = (m: Record<string, number[]>): Record<string, Summary> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, summarize(v)]));
  return {
    config: {
      basePort: o.basePort,
      reconfigurations: o.reconfigurations,
      workloadTxPerSecond: o.rate,
      clients: o.clients,
      cbiSeconds: o.cbi,
      cpus: os.cpus().length,
      node: process.version,
    },
    propagationMs: { ...summarize(propagation), perMember: summaries(propagationPerMember) },
    updateDelayMs: { channel: summarize(channelUpdate.filter((v) => !Number.isNaN(v))), perMember: summaries(updatePerMember) },
    interBlockMs: {
      normal: normalSummary,
      switch: switchSummary,
      ratioMedian: Number((switchSummary.p50 / normalSummary.p50).toFixed(2)),
      ratioP95: Number((switchSummary.p95 / normalSummary.p95).toFixed(2)),
    },
    workload: { submitted: load.submitted, valid: load.valid, failed: load.failed, txPerSecond: round(load.valid / (load.wallMs / 1000)) },
    raw: liveSamples(produced, channelUpdate, s.nodes.map((n) => n.observer), committedAt, normal, switching),
    perReconfiguration: produced.map(({ block }, i) => ({
      height: block.height,
      config: JSON.stringify(block.config),
      propagationMs: s.nodes.map((n) => (n.observer.entries[block.height]?.receipt.verifiedAtMs ?? NaN) - (committedAt.get(block.height) as number)),
      updateDelayMs: channelUpdate[i],
      switchIntervalMs: switchByHeight.get(block.height),
    })),
  };
}

/**
 * The live run in the simulator's terms (orchestrator/src/sim/README.md): agreement = round open
 * → CB committed; propagation = committed → verified at the quorum-th (2f+1) observer; update =
 * from there → the linked config block committed on `primary` (all peers then run it); total = the sum.
 */
function liveSamples(
  produced: readonly { block: ConfigBlock; committedAtMs: number; openedAtMs: number }[],
  channelUpdate: readonly number[],
  observers: readonly Observer[],
  committedAt: ReadonlyMap<number, number>,
  normal: readonly number[],
  switching: readonly number[],
): Results['raw'] {
  const raw: Results['raw'] = { agreement: [], propagation: [], update: [], total: [], normal: [...normal], switch: [...switching] };
  produced.forEach(({ block, openedAtMs }, i) => {
    const committed = committedAt.get(block.height);
    const inForce = channelUpdate[i];
    const verified = observers.map((o) => o.entries[block.height]?.receipt.verifiedAtMs).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
    const q = quorum(observers.length) - 1;
    if (committed === undefined || Number.isNaN(inForce) || verified.length <= q) return;
    const agreement = committed - openedAtMs;
    const propagation = verified[q] - committed;
    raw.agreement.push(agreement);
    raw.propagation.push(propagation);
    raw.update.push(inForce - propagation);
    raw.total.push(agreement + inForce);
  });
  return raw;
}

/** Rows of the simulator's samples.csv: source,experiment,x,seed,metric,value (seconds). */
function samplesCsv(raw: Results['raw'], source: string): string {
  const rows = ['source,experiment,x,seed,metric,value'];
  for (const [metric, values] of Object.entries(raw)) {
    for (const v of values) rows.push(`${source},base,base,1,${metric},${(v / 1000).toFixed(6)}`);
  }
  return rows.join('\n') + '\n';
}

function humanReport(r: Results): string {
  const line = (s: Summary): string => `p50 ${s.p50} ms, p95 ${s.p95} ms, max ${s.max} ms (n=${s.count})`;
  const c = r.config;
  const rows: [string, string][] = [
    ['propagation: committed -> verified, 4 observers', line(r.propagationMs)],
    ...Object.entries(r.propagationMs.perMember).map(([m, s]): [string, string] => [`  at ${m}`, line(s)]),
    ['update delay: committed -> primary config block committed', line(r.updateDelayMs.channel)],
    ...Object.entries(r.updateDelayMs.perMember).map(([m, s]): [string, string] => [`  -> in force reported at ${m}`, line(s)]),
    ['inter-block time, normal blocks', line(r.interBlockMs.normal)],
    ['inter-block time, switch blocks', line(r.interBlockMs.switch)],
    ['switch / normal', `median ${r.interBlockMs.ratioMedian}, p95 ${r.interBlockMs.ratioP95}`],
    ['workload', `${r.workload.txPerSecond} tx/s committed (${r.workload.valid} VALID of ${r.workload.submitted}, ${r.workload.failed} failed)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `reconfiguration benchmark: ${c.reconfigurations} reconfigurations of primary's BatchTimeout/MaxMessageCount, CBI ${c.cbiSeconds} s, ` +
      `workload ${c.workloadTxPerSecond} tx/s over ${c.clients} clients, base port ${c.basePort}, ${c.cpus} CPUs, Node ${c.node}`,
    '',
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('bench-reconfiguration')
    .description('Measure Algorithm 2 on the devnet: propagation and update delays, normal versus switch inter-block times')
    .option('--base-port <port>', 'first port of a private port grid (orderers base+0..3000, peers base+1..6001, admin base+9)', parsePort, 19850)
    .option('--reconfigurations <n>', 'configuration blocks after genesis (each changes the parameters)', positiveInt, 24)
    .option('--rate <tx/s>', 'steady workload on primary, transactions offered per second', positiveInt, 20)
    .option('--clients <n>', 'workload clients, spread over the orgs', positiveInt, 4)
    .option('--cbi <s>', 'configuration block interval of the management chain, seconds', positiveInt, 1)
    .option('--keep-data', 'keep the data folder (logs, ledger, orchestrator state) after down')
    .option('--verbose', "print every member orchestrator's log")
    .option('--json', 'print the results as one JSON object')
    .option('--samples <file>', "also write the per-CB samples as the simulator's samples.csv (source devnet), for `npm run sim -- report`)")
    .showHelpAfterError()
    .addHelpText('after', '\nExample:\n  npm run bench:reconfiguration -- --reconfigurations 24 --json');
  program.exitOverride();
  try {
    program.parse([...argv]);
  } catch (err) {
    return (err as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const o = program.opts<Options>();
  if (!existsSync(DEVNET_CLI)) {
    process.stderr.write(`✖ ${DEVNET_CLI} is missing: run 'npm run build' first\n`);
    return 2;
  }
  const session = new Session(o.keepData === true);
  const interrupted = closeOnSignals(() => session.close(), () => `if a devnet is left, run: node ${DEVNET_CLI} --data ${session.dataDir} down`);
  try {
    const results = await bench(session, o);
    process.stdout.write(o.json ? `${JSON.stringify(results, null, 2)}\n` : `${humanReport(results)}\n`);
    if (o.samples !== undefined) {
      writeFileSync(o.samples, samplesCsv(results.raw, 'devnet'));
      progress(`samples for the simulator's report written to ${o.samples}`);
    }
    return results.workload.failed > 0 ? 1 : 0;
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
