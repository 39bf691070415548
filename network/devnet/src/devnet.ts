/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The devnet in one process: four members' peers and orderers over TLS, channels `mgmt` and
 * `primary`, chaincode as a service, one embedded store. See README.md for what it does not do.
 */
import * as grpc from '@grpc/grpc-js';
import { common, discovery, gateway, orderer, peer } from '@hyperledger/fabric-protos';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { BodyTooLargeError, guardLocalRequest, readLimitedBody, writeTokenFile } from './admin/localEndpoint';
import type { Refusal } from './admin/localEndpoint';
import { ChaincodeDefinition, Channel, DEFAULT_ENDORSEMENT_POLICY } from './channel';
import { ChaincodeRuntime } from './chaincode';
import { ChaincodePidFiles, endLeftoverChaincodes } from './chaincode/leftovers';
import { hashChaincodeFolder } from './chaincode/packageId';
import { buildGenesisBlock, ChannelProfile, DEVNET_CONSENSUS_TYPE, readConfigBlock, readLastConfigIndex } from 'fabric-config/configtx';
import { CONNECTION_FILE_VERSION, ConnectionFile } from 'fabric-config/connection';
import type { MemberConnection } from 'fabric-config/connection';
import { BlockSource } from './deliver/blockSource';
import { DeliverService } from './deliver/deliver';
import { DiscoveryServer } from './discovery/service';
import { Endorser } from './endorser/endorser';
import { DevnetLifecycle } from './lifecycle/devnetLifecycle';
import type { ChaincodeSource } from './lifecycle/devnetLifecycle';
import { endorserService } from './endorser/endorserService';
import { CommitWaiter } from './gateway/commitWaiter';
import { GatewayServer, PeerNode } from './gateway/gateway';
import type { GatewayDeps } from './gateway/gateway';
import { ADDED_PEER_NAME, loadPeerMaterial } from './peers/material';
import { readAddedPeers, writeAddedPeers } from './peers/registry';
import { parseAddPeerRequest, PeerRequestError } from './peers/request';
import type { AddPeerRequest } from './peers/request';
import { Committer } from './ledger/committer';
import { tolerantService, undecodableRequests } from './grpcDecode';
import { PrivateData } from './privdata';
import type { CommitResult } from './ledger/committer';
import { LedgerStore } from './ledger/store';
import { generateOrgCrypto, loadOrgCrypto, MspRegistry, OrgCrypto, SigningIdentity } from 'fabric-config/msp';
import { consensusTypeOf } from './orderer/configBundle';
import { Orderer } from './orderer/orderer';
import { adminPort, CHANNELS, DEFAULT_BASE_PORT, DEFAULT_TOPOLOGY, orgTopology, OrgTopology, allPorts, runsOrderer, runsPeer, topologyProblem } from './topology';
import type { TopologyOptions } from './topology';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DevnetOptions {
  dataDir: string;
  basePort?: number;
  /** Genesis batch parameters of every channel. */
  batchTimeout?: string;
  maxMessageCount?: number;
  /** Which organisations run (a fresh data folder only; a folder keeps the topology it was made with). */
  topology?: TopologyOptions;
  /**
   * The consensus type written into the channels' genesis blocks (a fresh data folder only; default
   * `devnet`). `etcdraft` makes the channels readable by Fabric's own peers, whose deliver client
   * accepts only etcdraft and BFT channels; the devnet still orders alone (README).
   */
  consensusType?: DevnetConsensusType;
  /**
   * Run each Node chaincode once per peer organisation (each with that organisation as its local
   * MSP, as each Fabric peer runs its own), every endorsing organisation simulating on its own
   * process; default false: one process, Org1's, serves every peer. Chaincode-as-a-service servers
   * stay shared either way.
   */
  chaincodePerOrg?: boolean;
  log?: (line: string) => void;
}

/** Consensus types the devnet can write into its channels' genesis blocks. */
export const DEVNET_CONSENSUS_TYPES = [DEVNET_CONSENSUS_TYPE, 'etcdraft'] as const;
export type DevnetConsensusType = (typeof DEVNET_CONSENSUS_TYPES)[number];

/** The devnet's defaults; BatchTimeout is short so that a lone client is not held up for 2 s. */
export const DEFAULT_BATCH_TIMEOUT = '100ms';
export const DEFAULT_MAX_MESSAGE_COUNT = 10;

/** Largest admin API request body (a deploy request is a few hundred bytes). */
export const ADMIN_MAX_BODY_BYTES = 64 * 1024;
/** Tries to relaunch a deployed chaincode at start-up before the start fails. */
export const RELAUNCH_ATTEMPTS = 3;
// From spawn to READY; a local Node server needs a second or two, so three tries fit `up`'s deadline.
const CHAINCODE_LAUNCH_TIMEOUT_MS = 30_000;
// Restart backoff after an unexpected exit: 1 s doubling to 30 s, back to 1 s after a minute of running.
const RESTART_FIRST_DELAY_MS = 1000;
const RESTART_MAX_DELAY_MS = 30_000;
const RESTART_STABLE_MS = 60_000;
// Channelz (grpc-js's per-call bookkeeping for its debug service, which nothing here serves) is
// off: it costs CPU on every call and stream message.
const GRPC_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': 100 * 1024 * 1024,
  'grpc.max_send_message_length': 100 * 1024 * 1024,
  'grpc.enable_channelz': 0,
  // Undecodable requests fail with grpc-go's status, as on a Fabric node (./grpcDecode.ts).
  interceptors: [undecodableRequests],
};

export class DevnetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevnetError';
  }
}

/** A peer added through {@link Devnet.addPeer}, as `GET /status` lists it. */
export interface AddedPeerStatus {
  mspId: string;
  domain: string;
  endpoint: string;
  folder: string;
}

interface Member {
  topology: OrgTopology;
  crypto: OrgCrypto;
  peerSigner: SigningIdentity;
  ordererSigner: SigningIdentity;
}

export class Devnet {
  private readonly servers: grpc.Server[] = [];
  private admin?: http.Server;
  private stopping = false;
  private readonly restartDelays = new Map<string, number>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly launchedAt = new Map<string, number>();
  /** Deploys and restarts run one at a time, so that two never start the same chaincode. */
  private queue: Promise<unknown> = Promise.resolve();
  private adminToken = '';
  private readonly pidFiles: ChaincodePidFiles;
  /** The pid records written since start (a chaincode per organisation has one per process). */
  private readonly pidKeys = new Set<string>();
  /** Every peer the gateways know: the members' and the added ones (shared with the gateways, so it grows in place). */
  private readonly peers: PeerNode[] = [];
  /** What every peer server serves; set once the servers start. */
  private peerServices?: { deps: GatewayDeps; endorser: Endorser; deliver: DeliverService };
  /** Peers added through the admin API, in the order of `<data>/peers.json`. */
  private readonly addedPeers: { request: AddPeerRequest; member: MemberConnection }[] = [];
  /** `_lifecycle`: installed packages, the system chaincode, committed definitions put in force. */
  private readonly lifecycle: DevnetLifecycle;

  private constructor(
    readonly options: Required<Omit<DevnetOptions, 'log' | 'consensusType'>> & { consensusType?: DevnetConsensusType; log: (line: string) => void },
    private readonly store: LedgerStore,
    private readonly members: Member[],
    readonly channels: Map<string, Channel>,
    private readonly orderer: Orderer,
    private readonly runtime: ChaincodeRuntime,
    private readonly commits: EventEmitter,
    /** Private data collections, shared by the endorser, gateways, discovery and committer. */
    private readonly privateData: PrivateData,
  ) {
    this.pidFiles = new ChaincodePidFiles(path.join(options.dataDir, 'chaincode-pids'));
    this.lifecycle = new DevnetLifecycle({
      dataDir: options.dataDir,
      store,
      peerOrgs: () => this.peers.map((p) => p.mspId),
      putInForce: (def, source) => this.putInForce(def, source),
      log: options.log,
    });
  }

  get connectionFilePath(): string {
    return path.join(this.options.dataDir, 'connection.json');
  }

  /** The admin API's bearer token (mode 0600), rewritten with a fresh token at every start. */
  get adminTokenPath(): string {
    return path.join(this.options.dataDir, 'admin.token');
  }

  /**
   * Starts the devnet on a data folder, creating crypto material and channels on first start and
   * resuming every committed block, and relaunching deployed chaincodes, on later starts. Chaincode
   * servers left running by an earlier run that died are ended first; a chaincode whose address is
   * still taken moves to a free port. The start succeeds only when every deployed chaincode answers.
   * @throws DevnetError naming a port in use, a data folder locked by another devnet, or a deployed
   *   chaincode that could not be relaunched (with the end of its log).
   */
  static async start(opts: DevnetOptions): Promise<Devnet> {
    const options = {
      dataDir: path.resolve(opts.dataDir),
      basePort: opts.basePort ?? DEFAULT_BASE_PORT,
      batchTimeout: opts.batchTimeout ?? DEFAULT_BATCH_TIMEOUT,
      maxMessageCount: opts.maxMessageCount ?? DEFAULT_MAX_MESSAGE_COUNT,
      topology: topologyOf(path.resolve(opts.dataDir), opts.topology),
      consensusType: opts.consensusType,
      chaincodePerOrg: opts.chaincodePerOrg === true,
      log: opts.log ?? ((): void => undefined),
    };
    if (options.consensusType !== undefined && !(DEVNET_CONSENSUS_TYPES as readonly string[]).includes(options.consensusType)) {
      throw new DevnetError(`invalid consensus type ${JSON.stringify(options.consensusType)}: expected ${DEVNET_CONSENSUS_TYPES.join(' or ')}`);
    }
    let added: AddPeerRequest[];
    try {
      added = readAddedPeers(options.dataDir);
    } catch (err) {
      throw new DevnetError(errorMessage(err));
    }
    for (const port of [...allPorts(options.basePort, options.topology), ...added.map((p) => p.port)]) await assertPortFree(port);
    mkdirSync(options.dataDir, { recursive: true });
    writeTopology(options.dataDir, options.topology);

    const members = await loadOrCreateCrypto(options.dataDir, orgTopology(options.basePort, options.topology));
    let store: LedgerStore;
    try {
      store = await LedgerStore.open(path.join(options.dataDir, 'ledger'));
    } catch (err) {
      throw new DevnetError(`cannot open the ledger in ${options.dataDir} (is another devnet using it?): ${(err as Error).message}`);
    }
    const commits = new EventEmitter();
    commits.setMaxListeners(0);
    const channels = new Map<string, Channel>();
    const privateData = new PrivateData(store, channels);
    const committer = new Committer(store, privateData.committer);
    const ordererService = new Orderer({
      store,
      committer,
      channels,
      signer: (members.find((m) => runsOrderer(m.topology)) ?? members[0]).ordererSigner,
      afterCommit: (channel: Channel, result: CommitResult): Promise<void> => devnet.lifecycle.afterCommit(channel, result),
    });
    ordererService.on('block', (channelId: string, result: unknown) => commits.emit('block', channelId, result));
    ordererService.on('error', (err: unknown) => { options.log(`orderer error: ${(err as Error).message}`); });
    ordererService.on('dropped', (channelId: string, reason: string) => { options.log(`${channelId}: ${reason}`); });
    const runtime = new ChaincodeRuntime({ launchTimeoutMs: CHAINCODE_LAUNCH_TIMEOUT_MS });
    const devnet: Devnet = new Devnet(options, store, members, channels, ordererService, runtime, commits, privateData);
    try {
      // Before the admin API listens, and so before the connection file that names it.
      devnet.adminToken = writeTokenFile(devnet.adminTokenPath);
      devnet.watchRuntime();
      await devnet.openChannels();
      await devnet.startServers(added);
      await devnet.relaunchChaincodes();
      devnet.writeConnectionFile();
    } catch (err) {
      await devnet.stop();
      throw err;
    }
    return devnet;
  }

  private async openChannels(): Promise<void> {
    for (const channelId of CHANNELS) {
      const height = await this.store.height(channelId);
      if (height === 0) {
        const genesis = buildGenesisBlock(this.profile(channelId));
        const { config } = readConfigBlock(genesis);
        const channel = new Channel(channelId, config, 0);
        this.channels.set(channelId, channel);
        await this.orderer.attach(channel);
        await this.orderer.commitGenesis(channel, genesis);
        this.options.log(`channel ${channelId} created`);
      } else {
        const last = common.Block.deserializeBinary(await this.mustBlock(channelId, height - 1));
        const lastConfigIndex = readLastConfigIndex(last);
        const configBlock = common.Block.deserializeBinary(await this.mustBlock(channelId, lastConfigIndex));
        const channel = new Channel(channelId, readConfigBlock(configBlock).config, lastConfigIndex);
        const made = consensusTypeOf(channel.config).getType();
        if (this.options.consensusType !== undefined && made !== this.options.consensusType) {
          throw new DevnetError(
            `channel ${channelId} in ${this.options.dataDir} was made with consensus type ${made}, not ${this.options.consensusType}: the type is chosen when a data folder is made (remove the folder, e.g. \`devnet down\`, to make it anew)`,
          );
        }
        this.channels.set(channelId, channel);
        await this.orderer.attach(channel);
        this.options.log(`channel ${channelId} resumed at height ${height}`);
      }
    }
  }

  private profile(channelId: string): ChannelProfile {
    return {
      channelId,
      ordererType: this.options.consensusType ?? DEVNET_CONSENSUS_TYPE,
      batchSize: { maxMessageCount: this.options.maxMessageCount, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
      batchTimeout: this.options.batchTimeout,
      orgs: this.members.map((m) => ({
        mspId: m.topology.mspId,
        groups: m.topology.role,
        rootCerts: [m.crypto.caCertPem],
        tlsRootCerts: [m.crypto.tlsCaCertPem],
        ...(runsPeer(m.topology) ? { anchorPeer: { host: m.topology.peerHost, port: m.topology.peerPort } } : {}),
        ...(runsOrderer(m.topology)
          ? {
              ordererEndpoint: `${m.topology.ordererHost}:${m.topology.ordererPort}`,
              // Stored and governed as an etcdraft consenter list (also on an `etcdraft` channel,
              // where a Fabric peer reads it); the devnet still orders alone.
              consenter: { host: m.topology.ordererHost, port: m.topology.ordererPort, clientTlsCert: m.crypto.orderer.tlsCertPem, serverTlsCert: m.crypto.orderer.tlsCertPem },
            }
          : {}),
      })),
    };
  }

  private async startServers(added: readonly AddPeerRequest[]): Promise<void> {
    const blocks = new BlockSource(this.store, this.commits);
    const endorser = new Endorser(this.channels, this.store, this.runtime, this.lifecycle.scc, this.privateData);
    const commitWaiter = new CommitWaiter(this.store, this.commits);
    const deliver = new DeliverService(this.channels, blocks);
    const peerMembers = this.members.filter((m) => runsPeer(m.topology));
    this.peers.push(...peerMembers.map((m) => ({
      mspId: m.topology.mspId,
      address: `${m.topology.peerHost}:${m.topology.peerPort}`,
      signer: m.peerSigner,
      // The peer's local MSP, from its own msp folder's CA certificates as a Fabric peer loads it.
      msp: new MspRegistry([{ mspId: m.topology.mspId, rootCerts: [m.crypto.caCertPem], tlsRootCerts: [m.crypto.tlsCaCertPem] }]),
    })));
    const deps: GatewayDeps = { channels: this.channels, store: this.store, endorser, orderer: this.orderer, blocks, commits: commitWaiter, peers: this.peers, privateData: this.privateData };
    this.peerServices = { deps, endorser, deliver };

    for (const [i, m] of peerMembers.entries()) {
      await this.servePeer(this.peers[i], m.topology.peerPort, m.crypto.peer.tlsKeyPem, m.crypto.peer.tlsCertPem);
    }
    for (const request of added) {
      try {
        await this.startAddedPeer(request);
      } catch (err) {
        throw new DevnetError(
          `the peer of ${request.mspId} recorded in ${path.join(this.options.dataDir, 'peers.json')} cannot start: ${errorMessage(err)}. Fix it (restore ${request.folder}, free port ${request.port}), or remove its entry from peers.json`,
        );
      }
    }
    for (const m of this.members.filter((o) => runsOrderer(o.topology))) {
      const ordererServer = new grpc.Server(GRPC_OPTIONS);
      ordererServer.addService(tolerantService(orderer.AtomicBroadcastService), {
        broadcast: (call: grpc.ServerDuplexStream<common.Envelope, orderer.BroadcastResponse>) => { this.handleBroadcast(call); },
        deliver: (call: grpc.ServerDuplexStream<common.Envelope, orderer.DeliverResponse>) => { deliver.handle(call, 'orderer'); },
      });
      await this.bind(ordererServer, m.topology.ordererPort, m.crypto.orderer.tlsKeyPem, m.crypto.orderer.tlsCertPem);
    }
    await this.startAdmin();
  }

  /** One peer's server: Gateway, Endorser and Deliver over every channel, as `node` (its MSP, its signer). */
  private async servePeer(node: PeerNode, port: number, tlsKeyPem: string, tlsCertPem: string): Promise<void> {
    const services = this.peerServices;
    if (!services) throw new DevnetError('the peer services are not set up yet');
    const { deps, endorser, deliver } = services;
    const peerServer = new grpc.Server(GRPC_OPTIONS);
    peerServer.addService(tolerantService(gateway.GatewayService), new GatewayServer(deps, node).service());
    peerServer.addService(tolerantService(peer.EndorserService), endorserService(endorser, node));
    peerServer.addService(tolerantService(discovery.DiscoveryService), new DiscoveryServer({ channels: this.channels, heights: this.store, peers: this.peers, collections: this.privateData.registry }, node).service());
    peerServer.addService(tolerantService(peer.DeliverService), {
      deliver: (call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) => { deliver.handle(call, 'block'); },
      deliverFiltered: (call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) => { deliver.handle(call, 'filtered'); },
      deliverWithPrivateData: (call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) => { deliver.handle(call, 'private'); },
    });
    await this.bind(peerServer, port, tlsKeyPem, tlsCertPem);
  }

  private async bind(server: grpc.Server, port: number, key: string, cert: string): Promise<void> {
    const credentials = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(key), cert_chain: Buffer.from(cert) }], false);
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`127.0.0.1:${port}`, credentials, (err) => {
        if (err) reject(new DevnetError(`cannot listen on 127.0.0.1:${port} (port in use?): ${err.message}`));
        else resolve();
      });
    });
    this.servers.push(server);
  }

  /** Broadcast answers in order, one BroadcastResponse per envelope, as Fabric's orderer does. */
  private handleBroadcast(call: grpc.ServerDuplexStream<common.Envelope, orderer.BroadcastResponse>): void {
    let queue: Promise<void> = Promise.resolve();
    call.on('data', (envelope: common.Envelope) => {
      queue = queue.then(async () => {
        const result = await this.orderer.broadcast(envelope);
        const response = new orderer.BroadcastResponse();
        response.setStatus(result.status);
        response.setInfo(result.info);
        call.write(response);
      });
    });
    call.on('end', () => void queue.then(() => call.end()));
    call.on('error', () => undefined);
  }

  private async startAdmin(): Promise<void> {
    const port = adminPort(this.options.basePort);
    const server = http.createServer((req, res) => {
      this.serveAdmin(req, res, port).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: errorMessage(err) });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => { reject(new DevnetError(`cannot listen on 127.0.0.1:${port} (port in use?): ${err.message}`)); });
      server.listen(port, '127.0.0.1', () => { resolve(); });
    });
    this.admin = server;
  }

  /**
   * The admin API: GET /status, POST /deploy and POST /peers, for the user who started the devnet only (the
   * rules of ./admin/localEndpoint.ts: bearer token, no browser-style request, JSON bodies of at
   * most {@link ADMIN_MAX_BODY_BYTES}).
   */
  private async serveAdmin(req: http.IncomingMessage, res: http.ServerResponse, port: number): Promise<void> {
    const verdict = guardLocalRequest(req, { port, token: this.adminToken, maxBodyBytes: ADMIN_MAX_BODY_BYTES });
    if (!verdict.ok) {
      refuse(req, res, verdict);
      return;
    }
    if (req.method === 'GET' && req.url === '/status') {
      sendJson(res, 200, await this.status());
      return;
    }
    if (req.method === 'POST' && req.url === '/peers') {
      const body = await readJsonBody(req, res);
      if (body === undefined) return;
      try {
        sendJson(res, 200, { member: await this.addPeer(parseAddPeerRequest(body.value)) });
      } catch (err) {
        sendJson(res, err instanceof PeerRequestError || err instanceof DevnetError ? 400 : 500, { error: errorMessage(err) });
      }
      return;
    }
    if (req.method === 'POST' && req.url === '/deploy') {
      let body: Buffer;
      try {
        body = await readLimitedBody(req, ADMIN_MAX_BODY_BYTES);
      } catch (err) {
        if (err instanceof BodyTooLargeError) refuse(req, res, err.refusal);
        else sendJson(res, 400, { error: `cannot read the request body: ${errorMessage(err)}` });
        return;
      }
      let request: { folder?: unknown; channel?: unknown; name?: unknown };
      try {
        request = JSON.parse(body.toString('utf8')) as typeof request;
      } catch {
        sendJson(res, 400, { error: 'the request body is not JSON' });
        return;
      }
      if (typeof request !== 'object' || request === null || typeof request.folder !== 'string' || typeof request.channel !== 'string' || typeof request.name !== 'string') {
        sendJson(res, 400, { error: 'deploy needs string fields folder, channel and name' });
        return;
      }
      try {
        sendJson(res, 200, await this.deploy(request.folder, request.channel, request.name));
      } catch (err) {
        sendJson(res, err instanceof DevnetError ? 400 : 500, { error: errorMessage(err) });
      }
      return;
    }
    sendJson(res, 404, { error: `no such admin endpoint: ${req.method ?? ''} ${req.url ?? ''}` });
  }

  async status(): Promise<{
    channels: { id: string; height: number; chaincodes: string[] }[];
    /** `pids`: every process of the chaincode (one per organisation with chaincodePerOrg), `pid` the first. */
    chaincodes: { name: string; running: boolean; pid?: number; pids?: number[]; ccid?: string; address?: string }[];
    /** Peers added through `POST /peers` (the members' own peers are in the connection file). */
    addedPeers: AddedPeerStatus[];
  }> {
    const channels = [];
    for (const channel of this.channels.values()) {
      channels.push({ id: channel.id, height: await this.store.height(channel.id), chaincodes: channel.chaincodeNames() });
    }
    const names = new Set([...this.channels.values()].flatMap((c) => c.chaincodeNames()));
    return {
      channels,
      addedPeers: this.addedPeers.map(({ request, member }) => ({ mspId: request.mspId, domain: request.domain, endpoint: member.peer.endpoint, folder: request.folder })),
      chaincodes: [...names].map((name) => {
        const running = this.runtime.isRunning(name);
        const def = this.definitionOf(name);
        return {
          name,
          running,
          pid: running ? this.runtime.pidOf(name) : undefined,
          pids: running ? this.runtime.pidsOf(name) : undefined,
          ccid: (running ? this.runtime.packageIdOf(name) : undefined) ?? def?.ccid,
          address: def?.address,
        };
      }),
    };
  }

  /**
   * Starts a peer for an organisation the devnet was not made with (one admitted later through a
   * config update), serving every channel, and records it in `<data>/peers.json` so that a restart
   * starts it again. The gateways of every peer may then ask it to endorse. The organisation need
   * not be in a channel yet: until it is, the channel's ACLs and MSPs refuse its identities, as
   * Fabric's channels refuse a peer's that joined early.
   * @returns the organisation's connection entry (its orderer is the devnet's first).
   * @throws PeerRequestError for an MSP ID that already has a peer, a taken or reserved port, or
   *   material that is missing or not that MSP's; DevnetError when the devnet is stopping.
   */
  addPeer(request: AddPeerRequest): Promise<MemberConnection> {
    return this.exclusive(async () => {
      if (this.stopping) throw new DevnetError('the devnet is stopping');
      const own = this.members.find((m) => m.topology.mspId === request.mspId || m.topology.domain === request.domain);
      if (own) throw new PeerRequestError(`${request.mspId} (${request.domain}) clashes with the devnet's own organisation ${own.topology.mspId} (${own.topology.domain}): choose another MSP ID and domain`);
      const other = this.addedPeers.find((p) => p.request.mspId === request.mspId || p.request.domain === request.domain);
      if (other) throw new PeerRequestError(`${other.request.mspId} (${other.request.domain}) has a peer already, at ${other.member.peer.endpoint}; one peer per organisation`);
      const reserved = [...allPorts(this.options.basePort, this.options.topology), ...this.addedPeers.map((p) => p.request.port)];
      if (reserved.includes(request.port)) throw new PeerRequestError(`port ${request.port} is one of the devnet's own (its port grid from ${this.options.basePort}, or an added peer's): choose another port`);
      if (!(await isAddressFree(`127.0.0.1:${request.port}`))) throw new PeerRequestError(`port ${request.port} on 127.0.0.1 is in use: stop what uses it or choose another port`);
      const member = await this.startAddedPeer(request);
      writeAddedPeers(this.options.dataDir, this.addedPeers.map((p) => p.request));
      if (this.options.chaincodePerOrg) await this.launchForNewOrg(request.mspId);
      return member;
    });
  }

  private async startAddedPeer(request: AddPeerRequest): Promise<MemberConnection> {
    const { crypto, signer, localMsp } = await loadPeerMaterial(request, this.channels.values());
    const host = `${ADDED_PEER_NAME}.${request.domain}`;
    const node: PeerNode = { mspId: request.mspId, address: `${host}:${request.port}`, signer, msp: localMsp };
    await this.servePeer(node, request.port, crypto.peer.tlsKeyPem, crypto.peer.tlsCertPem);
    // Last: the gateways ask it to endorse only once it serves.
    this.peers.push(node);
    const ordering = this.members.find((m) => runsOrderer(m.topology)) ?? this.members[0];
    const member: MemberConnection = {
      mspId: request.mspId,
      domain: request.domain,
      peer: { endpoint: `127.0.0.1:${request.port}`, hostAlias: host, tlsCaCertPath: crypto.peer.tlsCaPath },
      orderer: this.ordererEndpointFor(ordering),
      caCertPath: path.join(crypto.mspDir, 'cacerts', `ca.${request.domain}-cert.pem`),
      adminMspDir: crypto.admin.mspDir,
      userMspDir: crypto.user.mspDir,
    };
    this.addedPeers.push({ request, member });
    this.options.log(`peer of ${request.mspId} (${host}) serving on 127.0.0.1:${request.port}`);
    return member;
  }

  /**
   * Starts a chaincode folder as a service and defines it on a channel (Fabric's package, install,
   * approve and commit in one step). The package id hashes the whole folder as Fabric would package
   * it. A deploy replaces the running process with a fresh one of the folder's current code (an
   * upgrade, or a restart when the same package is deployed again on the same channel); only the
   * same package newly defined on another channel keeps the process that already serves it.
   * @throws DevnetError for an unknown channel, a folder that is not a built Node chaincode, or a
   *   name already served from another folder.
   */
  deploy(folderArg: string, channelId: string, name: string): Promise<ChaincodeDefinition> {
    return this.exclusive(() => this.deployNow(folderArg, channelId, name));
  }

  private async deployNow(folderArg: string, channelId: string, name: string): Promise<ChaincodeDefinition> {
    const channel = this.channels.get(channelId);
    if (!channel) throw new DevnetError(`unknown channel '${channelId}' (channels: ${[...this.channels.keys()].join(', ')})`);
    if (!/^[A-Za-z0-9]+([-_][A-Za-z0-9]+)*$/.test(name)) {
      throw new DevnetError(`invalid chaincode name '${name}': letters, digits, '-' and '_' (Fabric's rule)`);
    }
    const folder = path.resolve(folderArg);
    const pkg = readChaincodePackage(folder);
    const existing = this.definitionOf(name);
    if (existing && existing.folder !== folder && existing.channel !== channelId) {
      throw new DevnetError(`chaincode name '${name}' is already served from ${existing.folder} on channel ${existing.channel}; choose another name`);
    }
    const version = pkg.version;
    const label = `${name}_${version}`;
    let def: ChaincodeDefinition = {
      channel: channelId,
      name,
      version,
      ccid: `${label}:${pkg.hash}`,
      folder,
      address: existing?.address ?? `127.0.0.1:${await freePort()}`,
      endorsementPolicy: DEFAULT_ENDORSEMENT_POLICY,
    };
    // The same package newly defined on another channel keeps running: one process serves every
    // channel a chaincode is defined on, as an installed package does on a Fabric peer.
    const keepRunning = existing?.ccid === def.ccid && channel.chaincode(name) === undefined && this.runtime.isRunning(name);
    if (!keepRunning) {
      this.cancelRestart(name);
      await this.runtime.stop(name);
      try {
        def = await this.launchDefinition(def);
      } catch (err) {
        // The deployed definition stays as it was: bring its process back.
        if (existing) this.scheduleRestart(name, 'was stopped for a deploy that failed');
        throw err;
      }
    }
    // The same flow as the peer CLI's: installed on every peer, approved by every organisation, committed.
    def = { ...def, sequence: await this.defineThroughLifecycle(channel, def) };
    channel.defineChaincode(def);
    await this.store.putChaincode(channelId, name, def);
    this.options.log(`chaincode ${name} ${version} deployed on ${channelId} (${def.ccid})${keepRunning ? ', its running process kept' : ''}`);
    return def;
  }

  /** `deploy`'s install, approvals and commit, each organisation's admin signing for it. */
  private async defineThroughLifecycle(channel: Channel, def: ChaincodeDefinition): Promise<number> {
    const services = this.peerServices;
    if (!services) throw new DevnetError('the peer services are not set up yet');
    const orgs = this.members.filter((m) => runsPeer(m.topology)).map((m, i) => ({
      mspId: m.topology.mspId,
      admin: new SigningIdentity(m.topology.mspId, m.crypto.admin.certPem, m.crypto.admin.privateKeyPem),
      peer: this.peers[i],
    }));
    try {
      return await this.lifecycle.defineEverywhere({
        channel, name: def.name, version: def.version, packageId: def.ccid, folder: def.folder, orgs, endorser: services.endorser,
        submitter: { broadcast: (envelope) => this.orderer.broadcast(envelope), commits: this.commits },
      });
    } catch (err) {
      throw new DevnetError(`chaincode ${def.name} could not be defined on ${channel.id}: ${errorMessage(err)}`);
    }
  }

  /**
   * Puts a definition committed through _lifecycle in force: starts (or dials) the package the
   * organisations approved unless that package already serves the name, then defines it.
   */
  private async putInForce(def: ChaincodeDefinition, source: ChaincodeSource): Promise<void> {
    const channel = this.channels.get(def.channel);
    if (!channel) return;
    let current = def;
    const running = this.definitionOf(def.name);
    if (source.kind === 'node' || source.kind === 'ccaas') {
      if (running?.ccid === def.ccid && this.runtime.isRunning(def.name)) {
        current = { ...def, address: running.address };
      } else {
        this.cancelRestart(def.name);
        await this.runtime.stop(def.name);
        if (current.address === '') current = { ...current, address: `127.0.0.1:${await freePort()}` };
        try {
          current = await this.launchDefinition(current);
        } catch (err) {
          // Committed is committed: the definition is in force, and its code is retried with the restart backoff.
          channel.defineChaincode(current);
          await this.store.putChaincode(def.channel, def.name, current);
          this.scheduleRestart(def.name, `could not start (${firstLine(errorMessage(err))})`);
          return;
        }
      }
    }
    channel.defineChaincode(current);
    // A definition with no package to run is in force until a restart, which finds nothing to launch.
    if (source.kind !== 'none') await this.store.putChaincode(def.channel, def.name, current);
  }

  /**
   * Starts a definition's processes that are not running: the lead organisation's at the
   * definition's address and, with chaincodePerOrg, every other peer organisation's at a free port
   * of its own, so a restart after one process died starts that one alone. A ccaas server is dialled
   * once for every peer, as one server serves several Fabric peers.
   */
  private async launch(def: ChaincodeDefinition): Promise<void> {
    if (def.external) {
      await this.runtime.attach({ name: def.name, packageId: def.ccid, address: def.address });
      return;
    }
    const lead = this.leadOrg();
    const orgs = this.options.chaincodePerOrg ? [...new Set([lead, ...this.peers.map((p) => p.mspId)])] : [lead];
    const missing = orgs.filter((mspId) => !this.runtime.isRunningFor(def.name, mspId));
    const results = await Promise.allSettled(
      missing.map(async (mspId) =>
        this.runtime.launch({
          name: def.name,
          label: `${def.name}_${def.version}`,
          packageId: def.ccid,
          folder: def.folder,
          address: mspId === lead ? def.address : `127.0.0.1:${await freePort()}`,
          mspId,
          logFile: path.join(this.options.dataDir, 'logs', mspId === lead ? `chaincode-${def.name}.log` : `chaincode-${def.name}-${mspId}.log`),
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failed) return;
    // A fresh start that half failed leaves nothing running, as a single launch that failed does.
    if (missing.length === orgs.length) await this.runtime.stop(def.name);
    throw failed.reason;
  }

  /** The organisation whose process serves every peer without chaincodePerOrg: the first member with a peer. */
  private leadOrg(): string {
    return (this.members.find((m) => runsPeer(m.topology)) ?? this.members[0]).topology.mspId;
  }

  /** With chaincodePerOrg: starts each deployed Node chaincode for a peer added while the devnet runs. */
  private async launchForNewOrg(mspId: string): Promise<void> {
    const names = new Set([...this.channels.values()].flatMap((c) => c.chaincodeNames()));
    for (const name of names) {
      const def = this.definitionOf(name);
      if (!def || def.external || !this.runtime.isRunning(name)) continue;
      try {
        await this.launch(def);
      } catch (err) {
        // Until it runs, the organisation's transactions run on the lead organisation's process.
        this.scheduleRestart(name, `could not start for ${mspId} (${firstLine(errorMessage(err))})`);
      }
    }
  }

  /**
   * Launches a definition; when its address is taken (by a process this devnet does not know),
   * first moves the chaincode, on every channel it is defined on, to a free port.
   * @returns the definition launched, with its address.
   */
  private async launchDefinition(def: ChaincodeDefinition): Promise<ChaincodeDefinition> {
    let current = def;
    // A ccaas server listens on its address: that it is taken is expected; so it is when the lead
    // organisation's process runs there and only another organisation's is missing.
    if (!def.external && !this.runtime.isRunningFor(def.name, this.leadOrg()) && !(await isAddressFree(def.address))) {
      const address = `127.0.0.1:${await freePort()}`;
      this.options.log(`chaincode ${def.name}: ${def.address} is taken by another process; moving it to ${address}`);
      current = { ...def, address };
      for (const channel of this.channels.values()) {
        const defined = channel.chaincode(def.name);
        if (!defined) continue;
        const moved = { ...defined, address };
        channel.defineChaincode(moved);
        await this.store.putChaincode(channel.id, def.name, moved);
      }
    }
    await this.launch(current);
    this.launchedAt.set(def.name, Date.now());
    return current;
  }

  /** The definition a chaincode name runs with: the first channel's (mgmt before primary). */
  private definitionOf(name: string): ChaincodeDefinition | undefined {
    return [...this.channels.values()].map((c) => c.chaincode(name)).find((d) => d !== undefined);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Records each chaincode pid (for the next start after a crash) and restarts chaincodes that die. */
  private watchRuntime(): void {
    this.runtime.on('spawn', (name, pid, info) => {
      // One record per process: the lead organisation's under the name, as without chaincodePerOrg.
      const key = info.mspId === this.leadOrg() ? name : `${name}@${info.mspId}`;
      try {
        this.pidFiles.write({ name: key, pid, ccid: info.packageId, address: info.address });
        this.pidKeys.add(key);
      } catch (err) {
        this.options.log(`chaincode ${name}: cannot record its pid ${pid}: ${errorMessage(err)}`);
      }
    });
    this.runtime.on('exit', (name, code, info) => {
      if (info.requested || this.stopping) return;
      if (Date.now() - (this.launchedAt.get(name) ?? 0) >= RESTART_STABLE_MS) this.restartDelays.delete(name);
      this.scheduleRestart(name, `exited (code ${String(code)}, signal ${String(info.signal)})`);
    });
  }

  /** Relaunches a chaincode after a delay that doubles with each failure, up to 30 s, until it runs. */
  private scheduleRestart(name: string, reason: string): void {
    if (this.stopping || this.restartTimers.has(name)) return;
    const previous = this.restartDelays.get(name);
    const delay = previous === undefined ? RESTART_FIRST_DELAY_MS : Math.min(previous * 2, RESTART_MAX_DELAY_MS);
    this.restartDelays.set(name, delay);
    this.options.log(`chaincode ${name} ${reason}; restarting in ${delay} ms`);
    const timer = setTimeout(() => {
      this.restartTimers.delete(name);
      this.exclusive(async () => {
        const def = this.definitionOf(name);
        if (!def || this.stopping || this.runtime.isRunning(name)) return;
        await this.launchDefinition(def);
        this.options.log(`chaincode ${name} restarted`);
      }).catch((err: unknown) => {
        this.scheduleRestart(name, `restart failed (${firstLine(errorMessage(err))})`);
      });
    }, delay);
    timer.unref();
    this.restartTimers.set(name, timer);
  }

  private cancelRestart(name: string): void {
    clearTimeout(this.restartTimers.get(name));
    this.restartTimers.delete(name);
  }

  private async relaunchChaincodes(): Promise<void> {
    mkdirSync(path.join(this.options.dataDir, 'logs'), { recursive: true });
    // The ledger is open (and locked), so no live devnet owns these: they are an earlier run's.
    await endLeftoverChaincodes(this.pidFiles, this.options.log);
    const defs = await this.store.listChaincodes<ChaincodeDefinition>();
    for (const def of defs) {
      this.channels.get(def.channel)?.defineChaincode(def);
    }
    for (const name of new Set(defs.map((d) => d.name))) {
      await this.relaunchAtStart(name);
    }
  }

  private async relaunchAtStart(name: string): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= RELAUNCH_ATTEMPTS; attempt++) {
      const def = this.definitionOf(name);
      if (!def) return;
      if (def.external) {
        // A ccaas server runs on its own: the devnet starts without waiting for it and dials until it answers.
        this.launchDefinition(def).catch((err: unknown) => { this.scheduleRestart(name, `is not answering (${firstLine(errorMessage(err))})`); });
        return;
      }
      try {
        await this.launchDefinition(def);
        this.options.log(`chaincode ${name} relaunched (${def.ccid})`);
        return;
      } catch (err) {
        lastError = err;
        this.options.log(`chaincode ${name}: relaunch ${attempt} of ${RELAUNCH_ATTEMPTS} failed: ${firstLine(errorMessage(err))}`);
        if (attempt < RELAUNCH_ATTEMPTS) await sleep(500 * 2 ** (attempt - 1));
      }
    }
    throw new DevnetError(
      `deployed chaincode ${name} (folder ${this.definitionOf(name)?.folder ?? '?'}) could not be relaunched after ${RELAUNCH_ATTEMPTS} tries, so the devnet did not start; fix the folder (it must still hold the built chaincode) and start again. Last error: ${errorMessage(lastError)}`,
    );
  }

  private writeConnectionFile(): void {
    const file: ConnectionFile = {
      version: CONNECTION_FILE_VERSION,
      backend: 'devnet',
      channels: { management: 'mgmt', primary: 'primary' },
      adminUrl: `http://127.0.0.1:${adminPort(this.options.basePort)}`,
      adminTokenPath: this.adminTokenPath,
      members: this.members.filter((m) => runsPeer(m.topology)).map((m) => ({
        mspId: m.topology.mspId,
        domain: m.topology.domain,
        peer: { endpoint: `127.0.0.1:${m.topology.peerPort}`, hostAlias: m.topology.peerHost, tlsCaCertPath: m.crypto.peer.tlsCaPath },
        orderer: this.ordererEndpointFor(m),
        caCertPath: caCertPathOf(m),
        adminMspDir: m.crypto.admin.mspDir,
        userMspDir: m.crypto.user.mspDir,
      })),
    };
    const signers = this.members.filter((m) => !runsPeer(m.topology));
    if (signers.length > 0) {
      file.signers = signers.map((m) => ({
        mspId: m.topology.mspId,
        domain: m.topology.domain,
        orderer: this.ordererEndpointFor(m),
        caCertPath: caCertPathOf(m),
        adminMspDir: m.crypto.admin.mspDir,
      }));
    }
    // Written last and atomically: its presence tells `devnet up` that the network is serving.
    const tmp = `${this.connectionFilePath}.tmp`;
    writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n');
    renameSync(tmp, this.connectionFilePath);
  }

  /** The orderer a member uses: its own, or the ordering organisation's when it has none. */
  private ordererEndpointFor(m: Member): ConnectionFile['members'][number]['orderer'] {
    const o = runsOrderer(m.topology) ? m : (this.members.find((x) => runsOrderer(x.topology)) ?? m);
    return { endpoint: `127.0.0.1:${o.topology.ordererPort}`, hostAlias: o.topology.ordererHost, tlsCaCertPath: o.crypto.orderer.tlsCaPath };
  }

  /** Stops serving, lets blocks already cut commit, stops chaincodes and closes the store. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const name of [...this.restartTimers.keys()]) this.cancelRestart(name);
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => { s.tryShutdown(() => { resolve(); }); })));
    for (const s of this.servers) s.forceShutdown();
    if (this.admin) {
      const admin = this.admin;
      admin.closeAllConnections();
      await new Promise<void>((resolve) => admin.close(() => { resolve(); }));
    }
    await this.orderer.close();
    const names = [...this.runtime.names(), ...this.pidKeys];
    await this.runtime.stopAll();
    // Every chaincode process has exited: nothing is left for the next start to end.
    for (const name of new Set(names)) this.pidFiles.remove(name);
    await this.store.close();
  }

  private async mustBlock(channelId: string, num: number): Promise<Buffer> {
    const bytes = await this.store.getBlockBytes(channelId, num);
    if (!bytes) throw new DevnetError(`block ${num} of channel ${channelId} is missing from the ledger`);
    return bytes;
  }
}

const caCertPathOf = (m: Member): string => path.join(m.crypto.mspDir, 'cacerts', `ca.${m.topology.domain}-cert.pem`);

const TOPOLOGY_FILE = 'topology.json';

/**
 * The topology a data folder was made with (kept in `topology.json`), or the one asked for a
 * fresh folder. A folder's organisations are its crypto material and channel genesis, so asking
 * another topology of it is an error rather than a silent choice.
 */
function topologyOf(dataDir: string, asked: TopologyOptions | undefined): TopologyOptions {
  const file = path.join(dataDir, TOPOLOGY_FILE);
  const wanted = asked ?? DEFAULT_TOPOLOGY;
  const problem = topologyProblem(wanted);
  if (problem !== undefined) throw new DevnetError(`invalid topology: ${problem}`);
  if (!existsSync(file)) {
    // A folder made before topologies were recorded ran the default one.
    if (existsSync(path.join(dataDir, 'organizations', '.complete'))) return checkSame(DEFAULT_TOPOLOGY, asked, dataDir);
    return wanted;
  }
  let stored: TopologyOptions;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as TopologyOptions;
  } catch (err) {
    throw new DevnetError(`cannot read ${file}: ${errorMessage(err)}`);
  }
  if (topologyProblem(stored) !== undefined || typeof stored.ordererOrg !== 'boolean') throw new DevnetError(`${file} is malformed; remove the data folder to start anew`);
  return checkSame(stored, asked, dataDir);
}

function checkSame(stored: TopologyOptions, asked: TopologyOptions | undefined, dataDir: string): TopologyOptions {
  if (asked !== undefined && (asked.orgs !== stored.orgs || asked.ordererOrg !== stored.ordererOrg)) {
    const describe = (t: TopologyOptions): string => `${t.orgs} orgs${t.ordererOrg ? ' and a separate orderer organisation' : ''}`;
    throw new DevnetError(`${dataDir} holds a devnet of ${describe(stored)}, not ${describe(asked)}: use another --data folder, or \`down\` this one first`);
  }
  return stored;
}

function writeTopology(dataDir: string, topology: TopologyOptions): void {
  const file = path.join(dataDir, TOPOLOGY_FILE);
  if (!existsSync(file)) writeFileSync(file, JSON.stringify({ orgs: topology.orgs, ordererOrg: topology.ordererOrg }) + '\n');
}

async function loadOrCreateCrypto(dataDir: string, topology: OrgTopology[]): Promise<Member[]> {
  const marker = path.join(dataDir, 'organizations', '.complete');
  const specs = topology.map((t) => ({ mspId: t.mspId, domain: t.domain, peerName: t.peerName, ordererName: t.ordererName, kind: t.role === 'orderer' ? ('orderer' as const) : ('peer' as const) }));
  const cryptos = existsSync(marker)
    ? await Promise.all(specs.map((s) => loadOrgCrypto(dataDir, s)))
    : await Promise.all(specs.map((s) => generateOrgCrypto(dataDir, s)));
  if (!existsSync(marker)) writeFileSync(marker, new Date().toISOString() + '\n');
  return topology.map((t, i) => ({
    topology: t,
    crypto: cryptos[i],
    peerSigner: new SigningIdentity(t.mspId, cryptos[i].peer.signCertPem, cryptos[i].peer.privateKeyPem),
    ordererSigner: new SigningIdentity(t.mspId, cryptos[i].orderer.signCertPem, cryptos[i].orderer.privateKeyPem),
  }));
}

function readChaincodePackage(folder: string): { version: string; hash: string } {
  const pkgPath = path.join(folder, 'package.json');
  if (!existsSync(pkgPath)) throw new DevnetError(`${folder} is not a Node chaincode folder: no package.json`);
  let pkg: { main?: unknown; version?: unknown };
  const raw = readFileSync(pkgPath);
  try {
    pkg = JSON.parse(raw.toString('utf8')) as typeof pkg;
  } catch {
    throw new DevnetError(`${pkgPath} is not valid JSON`);
  }
  const main = path.join(folder, typeof pkg.main === 'string' ? pkg.main : 'index.js');
  if (!existsSync(main)) {
    throw new DevnetError(`the chaincode's main file ${main} does not exist: run 'npm install && npm run build' in ${folder}`);
  }
  // Every file Fabric's Node platform would package (node_modules and .git left out), not only
  // package.json and main: changed code anywhere in the folder is a new package id.
  const hash = hashChaincodeFolder(folder);
  return { version: typeof pkg.version === 'string' ? pkg.version : '1.0', hash };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0];
}


/** The request's JSON body, or undefined once a refusal has been sent. */
async function readJsonBody(req: http.IncomingMessage, res: http.ServerResponse): Promise<{ value: unknown } | undefined> {
  let body: Buffer;
  try {
    body = await readLimitedBody(req, ADMIN_MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) refuse(req, res, err.refusal);
    else sendJson(res, 400, { error: `cannot read the request body: ${errorMessage(err)}` });
    return undefined;
  }
  try {
    return { value: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    sendJson(res, 400, { error: 'the request body is not JSON' });
    return undefined;
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Answers a refused admin request. A 413 closes the connection once the answer is out, without
 * reading the rest of the body.
 */
function refuse(req: http.IncomingMessage, res: http.ServerResponse, refusal: Refusal): void {
  if (refusal.status === 413) {
    req.pause();
    res.once('finish', () => { req.socket.destroy(); });
  }
  sendJson(res, refusal.status, { error: refusal.error, code: refusal.code }, refusal.headers);
}

/** Whether a `127.0.0.1:port` address can be listened on now. */
async function isAddressFree(address: string): Promise<boolean> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator);
  const port = Number(address.slice(separator + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return false;
  return new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => { resolve(false); });
    probe.listen(port, host, () => probe.close(() => { resolve(true); }));
  });
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', () => { reject(new DevnetError(`port ${port} on 127.0.0.1 is in use: stop what uses it or choose another --base-port`)); });
    probe.listen(port, '127.0.0.1', () => probe.close(() => { resolve(); }));
  });
}

async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => { resolve(port); });
    });
  });
}
