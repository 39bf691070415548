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
 * With `--change policy` the chain governs the channel model (its genesis is what `primary` runs)
 * and every CB changes the application Endorsement policy instead (MAJORITY Endorsement and any
 * two organisations' peers in turn): the update delay is then "policy change sealed -> in force".
 * `--backend native` runs it on real Fabric (FABRIC_BIN), as the other benchmarks do.
 *
 * Example:
 *   npm run bench:reconfiguration -- --reconfigurations 24 --rate 20
 *   npm run bench:reconfiguration -- --change policy --reconfigurations 12 --backend native
 *
 * Exit codes: 0 done, 1 a phase failed or a workload transaction failed, 2 bad usage, 130/143
 * interrupted.
 */
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Contract, Gateway } from '@hyperledger/fabric-gateway';
import { common, peer } from '@hyperledger/fabric-protos';
import { Command, Option } from 'commander';
import { readConfigBlock } from 'fabric-config/configtx';
import { quorum } from 'mgmt-chaincode/dist/protocol';
import type { JsonObject } from 'mgmt-chaincode/dist/protocol';
import { SigningIdentity } from 'fabric-config/msp';
import { newGrpcConnection } from 'mgmt-orchestrator/dist/gateway';
import { readLiveChannelModel } from 'mgmt-orchestrator/dist/primary/channelCheck';
import { CHANNEL_MODEL_SCHEMA_FILE, readSchemaFile } from 'mgmt-orchestrator/dist/twins/primaryConfig';
import type { MemberConnection } from 'mgmt-orchestrator';
import { Workload } from 'mgmt-orchestrator/dist/consortium';
import { consortiumOf, startMemberPrimary } from 'mgmt-orchestrator/dist/member';
import type { Logger, Observer } from 'mgmt-orchestrator/dist/observer';
import { readManagementLink } from 'mgmt-orchestrator/dist/primary';
import type { AppliedConfiguration, PrimaryNodeRuntime } from 'mgmt-orchestrator/dist/primary';
import { closeSessions, inForce as runtimeInForce, openSessions, produceBlock, produceGenesis } from 'mgmt-orchestrator/dist/testing/cbRounds';
import type { ProducedBlock } from 'mgmt-orchestrator/dist/testing/cbRounds';
import { benchMain, CHAINCODES, errorText, parsePort, positiveInt, progress, round, sleep, summarize } from './benchSupport';
import type { BenchSession, Summary } from './benchSupport';

/** Configurations the reconfigurations cycle through: every CB changes the parameters. */
const CONFIGS: readonly { batchTimeoutMs: number; maxMessageCount: number }[] = [
  { batchTimeoutMs: 200, maxMessageCount: 10 },
  { batchTimeoutMs: 300, maxMessageCount: 5 },
  { batchTimeoutMs: 150, maxMessageCount: 20 },
  { batchTimeoutMs: 250, maxMessageCount: 8 },
];

interface Options {
  basePort: number;
  change: 'batch' | 'policy';
  backend: 'devnet' | 'native';
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
  config: { backend: string; change: string; basePort: number; reconfigurations: number; workloadTxPerSecond: number; clients: number; cbiSeconds: number; cpus: number; node: string };
  propagationMs: Summary & { perMember: Record<string, Summary> };
  updateDelayMs: { channel: Summary; perMember: Record<string, Summary> };
  interBlockMs: { normal: Summary; switch: Summary; ratioMedian: number; ratioP95: number };
  workload: { submitted: number; valid: number; failed: number; failures: Record<string, number>; txPerSecond: number };
  perReconfiguration: { height: number; config: string; propagationMs: number[]; updateDelayMs: number; switchIntervalMs: number | undefined }[];
  /** Per-observation values (ms) in the simulator's terms, for `--samples`. */
  raw: Record<'agreement' | 'propagation' | 'update' | 'total' | 'normal' | 'switch', number[]>;
}

// ---------------------------------------------------------------------------------------------
// The members' orchestrators: observer -> primary runtime -> Fabric adapter (mgmt-orchestrator's member primary)

interface MemberNode {
  readonly member: MemberConnection;
  readonly observer: Observer;
  readonly runtime: PrimaryNodeRuntime;
  readonly applied: AppliedConfiguration[];
}

function inForce(node: MemberNode, height: number, timeoutMs = 60_000): Promise<void> {
  return runtimeInForce(node.runtime, height, timeoutMs, node.member.mspId);
}

/**
 * With `--change policy`: the genesis model (what `primary` runs) and two models that differ from
 * each other only in the application Endorsement policy, so that every CB changes a policy.
 */
async function policyConfigs(s: BenchSession, member: MemberConnection, mspIds: readonly string[]): Promise<{ genesis: JsonObject; configs: JsonObject[] }> {
  s.checkOpen();
  const live = (await readLiveChannelModel({
    connect: () => newGrpcConnection(member.orderer),
    channelId: 'primary',
    signer: SigningIdentity.fromMspDir(member.userMspDir, member.mspId),
  })) as unknown as JsonObject;
  const withEndorsement = (policy: JsonObject): JsonObject => {
    const application = live.application as JsonObject;
    return { ...live, application: { ...application, policies: { ...(application.policies as JsonObject), Endorsement: policy } } };
  };
  const anyTwo = { type: 'Signature', rule: `OutOf(2, ${[...mspIds].sort().map((id) => `'${id}.peer'`).join(', ')})` };
  return { genesis: live, configs: [withEndorsement(anyTwo), withEndorsement({ type: 'ImplicitMeta', rule: 'MAJORITY Endorsement' })] };
}

/** A TxValidationCode's name, e.g. 10 -> ENDORSEMENT_POLICY_FAILURE. */
function validationCodeName(code: number): string {
  const entry = Object.entries(peer.TxValidationCode).find(([, value]) => value === code);
  return entry === undefined ? `validation code ${code}` : entry[0];
}

// ---------------------------------------------------------------------------------------------
// Watching `primary`

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

async function watchPrimary(s: BenchSession, gateway: Gateway, into: PrimaryBlock[]): Promise<void> {
  const events = await gateway.getNetwork('primary').getBlockEvents({ startBlock: 0n });
  s.onClose(() => {
    events.close();
  });
  void (async (): Promise<void> => {
    try {
      for await (const block of events) into.push(describeBlock(block, Date.now()));
    } catch {
      // closed at teardown
    }
  })();
}

// ---------------------------------------------------------------------------------------------

async function bench(s: BenchSession, o: Options): Promise<Results> {
  const logger: Logger = o.verbose ? console : { info: () => undefined, warn: () => undefined, error: (m) => process.stderr.write(`${m}\n`) };
  progress(`up: devnet, base port ${o.basePort}`);
  const { network } = await s.start();
  for (const [folder, channel, name] of [
    [CHAINCODES.mgmt, 'mgmt', 'mgmt'],
    [CHAINCODES.assets, 'primary', 'assets'],
  ] as const) {
    progress(`deploy: ${name} on ${channel}`);
    await s.deploy(folder, channel, name);
  }
  const connection = network.connection;

  progress('genesis: InitLedger, 3 approvals, Tally');
  const sessions = await openSessions(connection);
  s.onClose(() => {
    closeSessions(sessions);
  });
  const policyChanges = o.change === 'policy' ? await policyConfigs(s, connection.members[0], connection.members.map((m) => m.mspId)) : undefined;
  await produceGenesis(
    sessions,
    connection,
    { cbiSeconds: o.cbi, cycleTimeoutSeconds: o.backend === 'native' ? 5 : 3 },
    policyChanges === undefined ? undefined : { configSchema: readSchemaFile(CHANNEL_MODEL_SCHEMA_FILE), config: policyChanges.genesis },
  );

  const blocks: PrimaryBlock[] = [];
  await watchPrimary(s, sessions[0].gateway, blocks);
  progress('orchestrators: 4 members, each observer -> primary runtime -> Fabric adapter');
  const nodes: MemberNode[] = [];
  const consortium = consortiumOf(connection);
  for (const { member, gateway } of sessions) {
    s.checkOpen();
    const applied: AppliedConfiguration[] = [];
    const primary = await startMemberPrimary({
      member,
      gateway,
      channels: connection.channels,
      stateDir: path.join(network.dataDir, 'orchestrators', member.mspId),
      consortium,
      logger,
      onApplied: (a) => applied.push(a),
      genesisTimeoutMs: 60_000,
    });
    s.onClose(() => primary.stop());
    nodes.push({ member, observer: primary.observer, runtime: primary.runtime, applied });
  }
  await Promise.all(nodes.map((n) => inForce(n, 0)));

  const contracts: Contract[] = [];
  for (let i = 0; i < o.clients; i++) {
    const gateway = await s.connect(connection.members[i % connection.members.length]);
    contracts.push(gateway.getNetwork('primary').getContract('assets'));
  }
  progress(`workload: ${o.rate} tx/s over ${o.clients} clients; warming up 3 s`);
  // The network may fall behind: at most 500 transactions wait for their commit, the rest are skipped.
  const failures = new Map<string, number>();
  const workload = new Workload({
    contracts,
    tps: o.rate,
    maxInFlight: 500,
    // Grouped by cause: a validation code by its name, anything else by its first line.
    onError: (err) => {
      const text = errorText(err).split('\n')[0] ?? '';
      const code = /committed with code (\d+)/.exec(text);
      const cause = code === null ? text.replace(/[0-9a-f]{64}/g, '<txid>') : validationCodeName(Number(code[1]));
      failures.set(cause, (failures.get(cause) ?? 0) + 1);
    },
  });
  const workloadStarted = Date.now();
  workload.start();
  s.onClose(async () => {
    await workload.stop();
  });
  await sleep(3_000);

  const produced: ProducedBlock[] = [];
  for (let k = 1; k <= o.reconfigurations; k++) {
    s.checkOpen();
    const config: JsonObject = policyChanges === undefined ? CONFIGS[(k - 1) % CONFIGS.length] : policyChanges.configs[(k - 1) % policyChanges.configs.length];
    const cb = await produceBlock(sessions, config);
    produced.push(cb);
    await Promise.all(nodes.map((n) => inForce(n, cb.block.height)));
    progress(`reconfiguration ${k}/${o.reconfigurations}: CB ${cb.block.height} ${policyChanges === undefined ? JSON.stringify(config) : 'Endorsement policy change'} in force at all 4 members`);
  }
  await sleep(2_000);
  const wallMs = Date.now() - workloadStarted;
  const stats = await workload.stop();
  const load = { submitted: stats.submitted, valid: stats.committed, failed: stats.failed, wallMs };
  await sleep(500);

  // Committed = the first notice of the sealing Tally in this process.
  const committedAt = new Map<number, number>();
  for (const { block, committedAtMs } of produced) {
    const notices = nodes.map((n) => n.observer.entries[block.height]?.receipt.receivedAtMs ?? Infinity);
    committedAt.set(block.height, Math.min(committedAtMs, ...notices));
  }

  const propagation: number[] = [];
  const propagationPerMember: Record<string, number[]> = {};
  const updatePerMember: Record<string, number[]> = {};
  for (const node of nodes) {
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
      backend: o.backend,
      change: o.change,
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
    workload: { submitted: load.submitted, valid: load.valid, failed: load.failed, failures: Object.fromEntries(failures), txPerSecond: round(load.valid / (load.wallMs / 1000)) },
    raw: liveSamples(produced, channelUpdate, nodes.map((n) => n.observer), committedAt, normal, switching),
    perReconfiguration: produced.map(({ block }, i) => ({
      height: block.height,
      config: JSON.stringify(block.config),
      propagationMs: nodes.map((n) => (n.observer.entries[block.height]?.receipt.verifiedAtMs ?? NaN) - (committedAt.get(block.height) as number)),
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
  produced: readonly ProducedBlock[],
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
    ['workload', `${r.workload.txPerSecond} tx/s committed (${r.workload.valid} VALID of ${r.workload.submitted}, ${r.workload.failed} failed${r.workload.failed === 0 ? '' : `: ${Object.entries(r.workload.failures).map(([cause, n]) => `${n} ${cause}`).join(', ')}`})`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `reconfiguration benchmark on the ${c.backend}: ${c.reconfigurations} reconfigurations of primary's ${c.change === 'policy' ? 'Endorsement policy' : 'BatchTimeout/MaxMessageCount'}, CBI ${c.cbiSeconds} s, ` +
      `workload ${c.workloadTxPerSecond} tx/s over ${c.clients} clients, base port ${c.basePort}, ${c.cpus} CPUs, Node ${c.node}`,
    '',
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
  ].join('\n');
}

benchMain<Options>({
  program: new Command('bench-reconfiguration')
    .description('Measure Algorithm 2 on the devnet: propagation and update delays, normal versus switch inter-block times')
    .addOption(new Option('--change <what>', 'what each CB changes: batch values (two-value chain) or the Endorsement policy (channel model chain)').choices(['batch', 'policy']).default('batch'))
    .addOption(new Option('--backend <name>', 'network to run on').choices(['devnet', 'native']).default('devnet'))
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
    .addHelpText('after', '\nExample:\n  npm run bench:reconfiguration -- --reconfigurations 24 --json'),
  session: (o) => ({ backend: o.backend, basePort: o.basePort, keepData: o.keepData === true }),
  run: async (session, o) => {
    const results = await bench(session, o);
    process.stdout.write(o.json ? `${JSON.stringify(results, null, 2)}\n` : `${humanReport(results)}\n`);
    if (o.samples !== undefined) {
      writeFileSync(o.samples, samplesCsv(results.raw, o.backend));
      progress(`samples for the simulator's report written to ${o.samples}`);
    }
    return results.workload.failed > 0 ? 1 : 0;
  },
});
