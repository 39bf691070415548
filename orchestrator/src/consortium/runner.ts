/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The one-command consortium: a devnet, the management chaincode on `mgmt` and the assets
 * chaincode on `primary`, genesis sealed by a quorum, then one management node per member with a
 * rules twin fed by that member's own metrics of a workload on `primary`, each round shown live,
 * a summary at the end, and everything stopped on the way out.
 *
 * The devnet, when the consortium starts one, comes from the repository's network backend
 * (network/backends), loaded only then: see ./devnetProcess.ts.
 *
 * The four nodes run in this process, each with its own gRPC connection to its own member's
 * peer, its own gateway identity and its own vote key. Child processes would isolate them
 * further, but on a small machine four extra Node.js runtimes cost more than the whole devnet,
 * and one process makes the live view and a clean Ctrl-C simple (no orphans to hunt). The node
 * is the same class that `mgmt node` runs as a daemon of its own, one per member, in a real
 * deployment.
 */
import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { Gateway } from '@hyperledger/fabric-gateway';
import type { ConfigBlock, GenesisParams, JsonObject } from 'mgmt-chaincode/dist/protocol';
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import { SigningIdentity } from 'fabric-config/msp';
import { connectGateway, managementChaincodeOf, newGrpcConnection, readConnectionFile } from '../gateway';
import type { ConnectionFile, MemberConnection } from '../gateway';
import { FabricMgmtLedger } from '../managementNode/fabricLedger';
import { genesisInput, membersFromConnection } from '../managementNode/genesis';
import { voteSignerFromMsp } from '../managementNode/identity';
import type { VoteSigner } from '../managementNode/identity';
import { ManagementNode } from '../managementNode/managementNode';
import type { ManagementNodeOptions } from '../managementNode/managementNode';
import type { NodeEvent } from '../managementNode/events';
import type { MgmtLedger } from '../managementNode/ledger';
import { channelCheck, readLiveChannelModel } from '../primary/channelCheck';
import { tracedClientOptions } from '../trace/contract';
import type { Tracer } from '../trace/types';
import { PrimaryMetricsCollector } from '../twins/metrics';
import { boundsFromSchema, CHANNEL_MODEL_SCHEMA_FILE, DEFAULT_PRIMARY_CONFIG, isModelSchema, readSchemaFile } from '../twins/primaryConfig';
import { RulesTwin } from '../twins/rulesTwin';
import type { DigitalTwin } from '../twins/twin';
import { defaultCycleTimeout } from './defaults';
import { deployChaincode, NetworkStartError, startDevnet } from './devnetProcess';
import type { DevnetHandle } from './devnetProcess';
import { abbreviatePems, RoundTracker, summaryTable } from './display';
import type { CbRow } from './display';
import { sealGenesis } from './genesis';
import { summarise } from './stats';
import type { SampleSummary } from './stats';
import { Workload } from './workload';
import type { WorkloadStats } from './workload';

/** The repository root, for the chaincode folders and the default data folder. */
export const REPO_ROOT = path.resolve(path.dirname(require.resolve('mgmt-chaincode/package.json')), '..');
/** Where the consortium keeps its devnet by default (the same folder `npm run devnet -- up` uses). */
export const DEFAULT_DATA_DIR = path.join(REPO_ROOT, '.devnet');
const MGMT_CHAINCODE = path.join(REPO_ROOT, 'chaincode');
const ASSETS_CHAINCODE = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');

/** One member's running pieces, handed to {@link ConsortiumOptions.attach}. */
export interface MemberContext {
  readonly member: MemberConnection;
  readonly connection: ConnectionFile;
  /** The member's gRPC connection to its peer (owned by the consortium). */
  readonly client: grpc.Client;
  /** The member's gateway as its user (owned by the consortium). */
  readonly gateway: Gateway;
  readonly ledger: MgmtLedger;
  readonly node: ManagementNode;
  readonly params: GenesisParams;
  /** The management chain's genesis block (sealed now or found on the chain). */
  readonly genesis: ConfigBlock;
}

/**
 * Per-member extensions: the observer and the primary-node adapter hook in here. Blocks reach
 * `onConfigBlock` in height order, one at a time, as that member's node sees them committed.
 */
export interface MemberHooks {
  readonly onConfigBlock?: (block: ConfigBlock) => void | Promise<void>;
  /** Called on the way out, before the member's gateway closes. */
  readonly stop?: () => void | Promise<void>;
}

/** What a twin is built from. */
export interface TwinContext {
  readonly member: MemberConnection;
  readonly params: GenesisParams;
}

/** Options of {@link Consortium}. */
export interface ConsortiumOptions {
  /** Stop after this many CBs after genesis; 0 runs until `signal` aborts. */
  readonly rounds: number;
  readonly cbiSeconds: number;
  /** Undefined: the backend's default ({@link defaultCycleTimeout}). */
  readonly cycleTimeoutSeconds?: number;
  /** Workload on `primary`, transactions per second (0: none). */
  readonly workloadTps: number;
  /** Deploy the assets chaincode on `primary` even without a workload (a scenario transacts on it). */
  readonly deployAssets?: boolean;
  /** Leave the devnet running on the way out (stop it with `npm run devnet -- down`). */
  readonly keep?: boolean;
  /** Use the network of this connection file instead of starting a devnet. */
  readonly connectionFile?: string;
  /** The devnet's data folder when one is started. Default `<repo>/.devnet`. */
  readonly dataDir?: string;
  readonly basePort?: number;
  /** The devnet's genesis BatchTimeout (Go duration). */
  readonly batchTimeout?: string;
  /** JSON Schema of C^prim for genesis. Default orchestrator/schemas/channel-config.schema.json (the channel model). */
  readonly schemaFile?: string;
  /**
   * Initial C^prim. Default: with a channel model schema, what the primary channel runs now (read
   * from the first member's orderer); with the two-value schema, the devnet's batch parameters.
   */
  readonly initialConfig?: JsonObject;
  /** Stop when this settles (a scenario that reached its end), besides `rounds` and `signal`. */
  readonly until?: Promise<void>;
  /** Names the twins in the start line, e.g. `operator (governance scenario)`. */
  readonly twinLabel?: string;
  /**
   * Runs once the nodes have stopped and before the devnet does, when the run ended by itself
   * (rounds reached or `until` settled), e.g. an audit of what the run did.
   */
  readonly beforeStop?: (connectionFile: string) => Promise<void>;
  /** Aborting stops everything cleanly; `run` then resolves with `interrupted`. */
  readonly signal?: AbortSignal;
  /** Live lines. */
  readonly output?: (line: string) => void;
  /** Every node event, as it happens (e.g. for --json). */
  readonly onNodeEvent?: (event: NodeEvent) => void;
  /** Builds each member's hooks once its node exists (before it starts). */
  readonly attach?: (context: MemberContext) => MemberHooks | Promise<MemberHooks>;
  /** Builds each member's twin; a rules twin on the genesis bounds by default. */
  readonly twinFor?: (context: TwinContext) => DigitalTwin;
  /** Tuning passed to every node. */
  readonly nodeOptions?: Partial<Pick<ManagementNodeOptions, 'tallyStaggerMs' | 'recheckMs' | 'boundaryGraceMs' | 'retry' | 'twinTimeoutMs'>>;
  /** Propagation delay per CB height (ms), for the summary table, when observers run. */
  readonly propagationMs?: () => ReadonlyMap<number, number>;
  /** Show each vote's reason and connection changes. */
  readonly verbose?: boolean;
  /**
   * Per member, where its node and its management transactions record their steps (`--trace`);
   * its gateway contract is then driven step by step so that ordering shows apart. Nothing is
   * traced without it.
   */
  readonly tracerFor?: (mspId: string) => Tracer;
}

/** What a run produced. */
export interface ConsortiumResult {
  /** Sealed CBs after genesis, in height order. */
  readonly rows: readonly CbRow[];
  /** Agreement delay statistics, ms. */
  readonly agreement: SampleSummary | undefined;
  readonly genesis: ConfigBlock | undefined;
  /** Stopped by the signal before `rounds` CBs. */
  readonly interrupted: boolean;
  readonly connectionFile: string | undefined;
  /** Whether the devnet was left running. */
  readonly kept: boolean;
  readonly workload: WorkloadStats;
  readonly elapsedMs: number;
}

interface Session {
  readonly member: MemberConnection;
  readonly client: grpc.Client;
  readonly gateway: Gateway;
  readonly ledger: FabricMgmtLedger;
  readonly signVote: VoteSigner;
  readonly tracer: Tracer | undefined;
  collector?: PrimaryMetricsCollector;
  node?: ManagementNode;
  hooks?: MemberHooks;
  hookQueue: Promise<void>;
}

/** What the primary channel runs now, as the genesis configuration of a channel-model chain. */
async function liveModel(member: MemberConnection, channelId: string): Promise<JsonObject> {
  const model = await readLiveChannelModel({ connect: () => newGrpcConnection(member.orderer), channelId, signer: SigningIdentity.fromMspDir(member.userMspDir, member.mspId) });
  return model as unknown as JsonObject;
}

/** Genesis's configuration: the one given, what `primary` runs (channel model schema), or the devnet's batch values. */
async function initialConfig(o: Readonly<ConsortiumOptions>, schema: JsonObject, member: MemberConnection, primary: string): Promise<JsonObject> {
  if (o.initialConfig !== undefined) return o.initialConfig;
  return isModelSchema(schema) ? liveModel(member, primary) : { ...DEFAULT_PRIMARY_CONFIG };
}

/** The run was aborted between phases. */
class Interrupted extends Error {}

/**
 * The one-command consortium.
 *
 * @example
 * const consortium = new Consortium({ rounds: 5, cbiSeconds: 5, cycleTimeoutSeconds: 5, workloadTps: 20, output: console.log });
 * const result = await consortium.run();
 */
export class Consortium {
  private readonly options: Readonly<ConsortiumOptions>;
  private devnet: DevnetHandle | undefined;
  private readonly sessions: Session[] = [];
  private workload: Workload | undefined;

  constructor(options: Readonly<ConsortiumOptions>) {
    this.options = options;
  }

  /**
   * Runs the consortium until `rounds` CBs are sealed or the signal aborts, then stops every
   * part it started (also when something fails).
   *
   * @throws {@link NetworkStartError} when the devnet cannot start or a chaincode cannot be
   * deployed; {@link LedgerCallError} when genesis cannot be sealed; Error for bad options.
   */
  async run(): Promise<ConsortiumResult> {
    const o = this.options;
    const out = o.output ?? ((): void => undefined);
    const started = Date.now();
    if (!(Number.isSafeInteger(o.rounds) && o.rounds >= 0)) throw new Error(`rounds must be an integer >= 0, got ${o.rounds}`);
    let tracker = new RoundTracker(4, o.verbose === true);
    let genesis: ConfigBlock | undefined;
    let connectionFile = o.connectionFile;
    let interrupted = false;
    const check = (): void => {
      if (o.signal?.aborted === true) throw new Interrupted();
    };
    try {
      // 1. The network.
      if (connectionFile === undefined) {
        this.devnet = await startDevnet({ dataDir: o.dataDir ?? DEFAULT_DATA_DIR, basePort: o.basePort, batchTimeout: o.batchTimeout, log: out });
        connectionFile = this.devnet.connectionFile;
      } else {
        out(`using the network of ${connectionFile}`);
      }
      check();
      const connection = readConnectionFile(connectionFile);
      const { management, primary } = connection.channels;
      tracker = new RoundTracker(connection.members.length, o.verbose === true);

      // 2. Chaincodes.
      for (const member of connection.members) this.sessions.push(await openSession(member, management, managementChaincodeOf(connection), o.tracerFor?.(member.mspId)));
      const first = this.sessions[0];
      await this.ensureDeployed(connection, first, out);
      check();

      // 3. Genesis, sealed by a quorum of members.
      const schema = readSchemaFile(o.schemaFile ?? CHANNEL_MODEL_SCHEMA_FILE);
      const input = genesisInput(membersFromConnection(connection), {
        cbiSeconds: o.cbiSeconds,
        cycleTimeoutSeconds: o.cycleTimeoutSeconds ?? defaultCycleTimeout(connection.backend),
        configSchema: schema,
        config: await initialConfig(o, schema, first.member, primary),
      });
      const sealed = await sealGenesis(this.sessions.map((s) => ({ mspId: s.member.mspId, ledger: s.ledger, signVote: s.signVote })), input);
      genesis = sealed.block;
      tracker.setGenesis(sealed.block);
      const params = await first.ledger.getParams();
      out(
        sealed.created
          ? `genesis sealed by ${sealed.block.proof.map((p) => p.mspId).join(', ')}: CBI ${params.cbiSeconds} s, cycle ${params.cycleTimeoutSeconds} s, config ${JSON.stringify(abbreviatePems(sealed.block.config))}`
          : `the chain already has genesis ${sealed.block.hash.slice(0, 12)}…: its CBI ${params.cbiSeconds} s and cycle ${params.cycleTimeoutSeconds} s apply`,
      );
      check();

      // 4. Metrics, twins, nodes, hooks, workload.
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      await this.startMembers(connection, params, sealed.block, (session, e) => {
        for (const line of tracker.onEvent(e)) out(line);
        o.onNodeEvent?.(e);
        if (e.type === 'committed') this.deliver(session, e.block, out);
        if (o.rounds > 0 && tracker.rows().length >= o.rounds) done();
      });
      out(`${this.sessions.length} management nodes with ${o.twinLabel ?? (o.twinFor === undefined ? 'rules' : 'custom')} twins; workload ${o.workloadTps} tx/s on ${primary}; ${o.rounds > 0 ? `stopping after ${o.rounds} CBs` : 'Ctrl-C stops'}`);

      // 5. Until N blocks, or Ctrl-C.
      const aborted = new Promise<void>((resolve) => {
        if (o.signal?.aborted === true) resolve();
        o.signal?.addEventListener('abort', () => {
          resolve();
        }, { once: true });
      });
      await Promise.race([finished, aborted, ...(o.until === undefined ? [] : [o.until])]);
      interrupted = o.signal?.aborted === true && (o.rounds === 0 || tracker.rows().length < o.rounds);
      if (!interrupted && o.beforeStop !== undefined) this.beforeStop = () => (o.beforeStop as (file: string) => Promise<void>)(connectionFile as string);
    } catch (err) {
      if (!(err instanceof Interrupted)) {
        await this.shutdown(out);
        throw err;
      }
      interrupted = true;
    }
    const workload = await this.shutdown(out);
    const rows = tracker.rows();
    for (const line of summaryTable(rows, o.propagationMs?.())) out(line);
    return {
      rows,
      agreement: summarise(tracker.agreementDelays()),
      genesis,
      interrupted,
      connectionFile,
      kept: this.devnet !== undefined && o.keep === true,
      workload,
      elapsedMs: Date.now() - started,
    };
  }

  /** Builds each member's collector, twin, node and hooks, then starts the workload and the nodes. */
  private async startMembers(connection: ConnectionFile, params: GenesisParams, genesis: ConfigBlock, onEvent: (session: Session, e: NodeEvent) => void): Promise<void> {
    const o = this.options;
    const { primary } = connection.channels;
    const bounds = boundsFromSchema(params.configSchema);
    for (const s of this.sessions) {
      const collector = new PrimaryMetricsCollector({
        network: s.gateway.getNetwork(primary),
        maxMessageCount: DEFAULT_PRIMARY_CONFIG.maxMessageCount,
        // On a devnet of our own the channel is young: read it from block 0 to learn its
        // MaxMessageCount from the config block.
        startBlock: this.devnet !== undefined ? 0n : undefined,
      });
      s.collector = collector;
      const twin = o.twinFor?.({ member: s.member, params }) ?? new RulesTwin({ bounds });
      const member = s.member;
      const node = new ManagementNode({
        ...o.nodeOptions,
        mspId: member.mspId,
        ledger: s.ledger,
        twin,
        signVote: s.signVote,
        metrics: () => collector.snapshot(),
        channelCheck: channelCheck({ connect: () => newGrpcConnection(member.orderer), channelId: primary, signer: SigningIdentity.fromMspDir(member.userMspDir, member.mspId) }),
        tracer: s.tracer,
      });
      s.node = node;
      node.on('event', (e) => {
        onEvent(s, e);
      });
      s.hooks = await o.attach?.({ member: s.member, connection, client: s.client, gateway: s.gateway, ledger: s.ledger, node, params, genesis });
    }
    if (o.workloadTps > 0) this.workload = new Workload({ contracts: this.sessions.map((s) => s.gateway.getNetwork(primary).getContract('assets')), tps: o.workloadTps });
    for (const s of this.sessions) s.collector?.start();
    this.workload?.start();
    await Promise.all(this.sessions.map((s) => s.node?.start() ?? Promise.resolve()));
  }

  /** Ends the devnet's process group at once (a second Ctrl-C); synchronous. */
  kill(): void {
    this.devnet?.kill();
  }

  private deliver(session: Session, block: ConfigBlock, out: (line: string) => void): void {
    const hook = session.hooks?.onConfigBlock;
    if (hook === undefined) return;
    session.hookQueue = session.hookQueue
      .then(() => hook(block))
      .catch((err: unknown) => {
        out(`  ! ${session.member.mspId}: onConfigBlock(${block.height}) failed: ${messageOf(err)}`);
      });
  }

  private async ensureDeployed(connection: ConnectionFile, first: Session, out: (line: string) => void): Promise<void> {
    const { management, primary } = connection.channels;
    const adminUrl = connection.adminUrl;
    const ours = this.devnet !== undefined;
    const mgmtReady = !ours && (await first.ledger.getRound().then(() => true, () => false));
    // Without a workload the assets chaincode is not used: a user's own network need not have it.
    const assetsReady =
      (this.options.workloadTps === 0 && this.options.deployAssets !== true) ||
      (!ours &&
      (await first.gateway
        .getNetwork(primary)
        .getContract('assets')
        .evaluateTransaction('WhoAmI')
        .then(() => true, () => false)));
    for (const [ready, folder, channel, name] of [
      [mgmtReady, MGMT_CHAINCODE, management, managementChaincodeOf(connection)],
      [assetsReady, ASSETS_CHAINCODE, primary, 'assets'],
    ] as const) {
      if (ready) continue;
      if (adminUrl === undefined) {
        throw new NetworkStartError('DEPLOY_FAILED', `chaincode ${name} does not answer on ${channel}, and the network has no devnet admin API: deploy ${folder} as ${name} on ${channel} (native: network/native/network.sh deploy)`);
      }
      const t = Date.now();
      await deployChaincode(adminUrl, folder, channel, name, connection.adminTokenPath);
      out(`chaincode ${name} deployed on ${channel} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  }

  private beforeStop: (() => Promise<void>) | undefined;

  private async shutdown(out: (line: string) => void): Promise<WorkloadStats> {
    const workload = (await this.workload?.stop()) ?? { submitted: 0, committed: 0, failed: 0, skipped: 0 };
    this.workload = undefined;
    await Promise.all(this.sessions.map((s) => s.node?.stop() ?? Promise.resolve()));
    for (const s of this.sessions) {
      await s.hookQueue;
      try {
        await s.hooks?.stop?.();
      } catch (err) {
        out(`  ! ${s.member.mspId}: stopping its hooks failed: ${messageOf(err)}`);
      }
    }
    await Promise.all(this.sessions.map((s) => s.collector?.stop() ?? Promise.resolve()));
    for (const s of this.sessions.splice(0)) {
      s.gateway.close();
      s.client.close();
    }
    const before = this.beforeStop;
    this.beforeStop = undefined;
    if (before !== undefined) {
      try {
        await before();
      } catch (err) {
        out(`  ! ${messageOf(err)}`);
      }
    }
    if (this.devnet !== undefined) {
      if (this.options.keep === true) {
        this.devnet.detach();
        out(`devnet left running on ${this.devnet.dataDir} (pid ${String(this.devnet.pid)}); stop it with \`npm run devnet -- --data ${this.devnet.dataDir} down\``);
      } else {
        await this.devnet.stop();
        out('devnet stopped');
      }
      this.devnet = undefined;
    }
    return workload;
  }
}

async function openSession(member: MemberConnection, management: string, chaincodeName: string, tracer: Tracer | undefined): Promise<Session> {
  const client = await newGrpcConnection(member.peer);
  try {
    const gateway = await connectGateway(client, member, 'user');
    const network = gateway.getNetwork(management);
    return {
      member,
      client,
      gateway,
      ledger:
        tracer === undefined
          ? new FabricMgmtLedger({ network, chaincodeName })
          : new FabricMgmtLedger(tracedClientOptions(network, chaincodeName, tracer)),
      signVote: voteSignerFromMsp(member.userMspDir),
      tracer,
      hookQueue: Promise.resolve(),
    };
  } catch (err) {
    client.close();
    throw err;
  }
}
