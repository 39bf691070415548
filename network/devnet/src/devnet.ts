/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The devnet in one process: four members' peers and orderers over TLS, channels `mgmt` and
 * `primary`, chaincode as a service, one embedded store. See README.md for what it does not do.
 */
import * as grpc from '@grpc/grpc-js';
import { common, gateway, orderer, peer } from '@hyperledger/fabric-protos';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { ChaincodeDefinition, Channel } from './channel';
import { ChaincodeRuntime } from './chaincode';
import { buildGenesisBlock, ChannelProfile, DEVNET_CONSENSUS_TYPE, readConfigBlock, readLastConfigIndex } from './configtx';
import { CONNECTION_FILE_VERSION, ConnectionFile } from './connectionProfile';
import { BlockSource } from './deliver/blockSource';
import { DeliverService } from './deliver/deliver';
import { Endorser } from './endorser/endorser';
import { endorserService } from './endorser/endorserService';
import { CommitWaiter } from './gateway/commitWaiter';
import { GatewayServer, PeerNode } from './gateway/gateway';
import { Committer } from './ledger/committer';
import { LedgerStore } from './ledger/store';
import { generateOrgCrypto, loadOrgCrypto, OrgCrypto, SigningIdentity } from './msp';
import { Orderer } from './orderer/orderer';
import { adminPort, CHANNELS, DEFAULT_BASE_PORT, orgTopology, OrgTopology, allPorts } from './topology';

export interface DevnetOptions {
  dataDir: string;
  basePort?: number;
  /** Genesis batch parameters of every channel. */
  batchTimeout?: string;
  maxMessageCount?: number;
  log?: (line: string) => void;
}

/** The devnet's defaults; BatchTimeout is short so that a lone client is not held up for 2 s. */
export const DEFAULT_BATCH_TIMEOUT = '100ms';
export const DEFAULT_MAX_MESSAGE_COUNT = 10;

export class DevnetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevnetError';
  }
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

  private constructor(
    readonly options: Required<Omit<DevnetOptions, 'log'>> & { log: (line: string) => void },
    private readonly store: LedgerStore,
    private readonly members: Member[],
    readonly channels: Map<string, Channel>,
    private readonly orderer: Orderer,
    private readonly runtime: ChaincodeRuntime,
    private readonly commits: EventEmitter,
  ) {}

  get connectionFilePath(): string {
    return path.join(this.options.dataDir, 'connection.json');
  }

  /**
   * Starts the devnet on a data folder, creating crypto material and channels on first start and
   * resuming every committed block, and relaunching deployed chaincodes, on later starts.
   * @throws DevnetError naming a port in use or a data folder locked by another devnet.
   */
  static async start(opts: DevnetOptions): Promise<Devnet> {
    const options = {
      dataDir: path.resolve(opts.dataDir),
      basePort: opts.basePort ?? DEFAULT_BASE_PORT,
      batchTimeout: opts.batchTimeout ?? DEFAULT_BATCH_TIMEOUT,
      maxMessageCount: opts.maxMessageCount ?? DEFAULT_MAX_MESSAGE_COUNT,
      log: opts.log ?? ((): void => undefined),
    };
    for (const port of allPorts(options.basePort)) await assertPortFree(port);
    mkdirSync(options.dataDir, { recursive: true });

    const members = await loadOrCreateCrypto(options.dataDir, orgTopology(options.basePort));
    let store: LedgerStore;
    try {
      store = await LedgerStore.open(path.join(options.dataDir, 'ledger'));
    } catch (err) {
      throw new DevnetError(`cannot open the ledger in ${options.dataDir} (is another devnet using it?): ${(err as Error).message}`);
    }
    const commits = new EventEmitter();
    commits.setMaxListeners(0);
    const committer = new Committer(store);
    const channels = new Map<string, Channel>();
    const ordererService = new Orderer({ store, committer, channels, signer: members[0].ordererSigner });
    ordererService.on('block', (channelId: string, result: unknown) => commits.emit('block', channelId, result));
    ordererService.on('error', (err: unknown) => { options.log(`orderer error: ${(err as Error).message}`); });
    ordererService.on('dropped', (channelId: string, reason: string) => { options.log(`${channelId}: ${reason}`); });
    const runtime = new ChaincodeRuntime();
    const devnet = new Devnet(options, store, members, channels, ordererService, runtime, commits);
    try {
      await devnet.openChannels();
      await devnet.startServers();
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
        this.channels.set(channelId, channel);
        await this.orderer.attach(channel);
        this.options.log(`channel ${channelId} resumed at height ${height}`);
      }
    }
  }

  private profile(channelId: string): ChannelProfile {
    return {
      channelId,
      ordererType: DEVNET_CONSENSUS_TYPE,
      batchSize: { maxMessageCount: this.options.maxMessageCount, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
      batchTimeout: this.options.batchTimeout,
      orgs: this.members.map((m) => ({
        mspId: m.topology.mspId,
        rootCerts: [m.crypto.caCertPem],
        tlsRootCerts: [m.crypto.tlsCaCertPem],
        anchorPeer: { host: m.topology.peerHost, port: m.topology.peerPort },
        ordererEndpoint: `${m.topology.ordererHost}:${m.topology.ordererPort}`,
      })),
    };
  }

  private async startServers(): Promise<void> {
    const blocks = new BlockSource(this.store, this.commits);
    const endorser = new Endorser(this.channels, this.store, this.runtime);
    const commitWaiter = new CommitWaiter(this.store, this.commits);
    const deliver = new DeliverService(this.channels, blocks);
    const peers: PeerNode[] = this.members.map((m) => ({
      mspId: m.topology.mspId,
      address: `${m.topology.peerHost}:${m.topology.peerPort}`,
      signer: m.peerSigner,
    }));
    const deps = { channels: this.channels, store: this.store, endorser, orderer: this.orderer, blocks, commits: commitWaiter, peers };
    const grpcOptions = { 'grpc.max_receive_message_length': 100 * 1024 * 1024, 'grpc.max_send_message_length': 100 * 1024 * 1024 };

    for (const [i, m] of this.members.entries()) {
      const peerServer = new grpc.Server(grpcOptions);
      peerServer.addService(gateway.GatewayService, new GatewayServer(deps, peers[i]).service());
      peerServer.addService(peer.EndorserService, endorserService(endorser, m.peerSigner));
      peerServer.addService(peer.DeliverService, {
        deliver: (call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) => { deliver.handle(call, 'block'); },
        deliverFiltered: (call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) => { deliver.handle(call, 'filtered'); },
        deliverWithPrivateData: (call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) => { deliver.handle(call, 'private'); },
      });
      await this.bind(peerServer, m.topology.peerPort, m.crypto.peer.tlsKeyPem, m.crypto.peer.tlsCertPem);

      const ordererServer = new grpc.Server(grpcOptions);
      ordererServer.addService(orderer.AtomicBroadcastService, {
        broadcast: (call: grpc.ServerDuplexStream<common.Envelope, orderer.BroadcastResponse>) => { this.handleBroadcast(call); },
        deliver: (call: grpc.ServerDuplexStream<common.Envelope, orderer.DeliverResponse>) => { deliver.handle(call, 'orderer'); },
      });
      await this.bind(ordererServer, m.topology.ordererPort, m.crypto.orderer.tlsKeyPem, m.crypto.orderer.tlsCertPem);
    }
    await this.startAdmin();
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
    const server = http.createServer((req, res) => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === '/status') {
        void this.status().then((s) => { reply(200, s); }, (err: unknown) => { reply(500, { error: errorMessage(err) }); });
        return;
      }
      if (req.method === 'POST' && req.url === '/deploy') {
        let body = '';
        req.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        req.on('end', () => {
          let request: { folder?: unknown; channel?: unknown; name?: unknown };
          try {
            request = JSON.parse(body) as typeof request;
          } catch {
            reply(400, { error: 'the request body is not JSON' });
            return;
          }
          if (typeof request.folder !== 'string' || typeof request.channel !== 'string' || typeof request.name !== 'string') {
            reply(400, { error: 'deploy needs string fields folder, channel and name' });
            return;
          }
          this.deploy(request.folder, request.channel, request.name).then(
            (def) => { reply(200, def); },
            (err: unknown) => { reply(err instanceof DevnetError ? 400 : 500, { error: errorMessage(err) }); },
          );
        });
        return;
      }
      reply(404, { error: `no such admin endpoint: ${req.method ?? ''} ${req.url ?? ''}` });
    });
    const port = adminPort(this.options.basePort);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => { reject(new DevnetError(`cannot listen on 127.0.0.1:${port} (port in use?): ${err.message}`)); });
      server.listen(port, '127.0.0.1', () => { resolve(); });
    });
    this.admin = server;
  }

  async status(): Promise<{ channels: { id: string; height: number; chaincodes: string[] }[]; chaincodes: { name: string; running: boolean; pid?: number }[] }> {
    const channels = [];
    for (const channel of this.channels.values()) {
      channels.push({ id: channel.id, height: await this.store.height(channel.id), chaincodes: channel.chaincodeNames() });
    }
    const names = new Set([...this.channels.values()].flatMap((c) => c.chaincodeNames()));
    return {
      channels,
      chaincodes: [...names].map((name) => ({ name, running: this.runtime.isRunning(name), pid: this.runtime.pidOf(name) })),
    };
  }

  /**
   * Starts a chaincode folder as a service and defines it on a channel (Fabric's package, install,
   * approve and commit in one step). Redeploying a name replaces its process (an upgrade).
   * @throws DevnetError for an unknown channel, a folder that is not a built Node chaincode, or a
   *   name already served from another folder.
   */
  async deploy(folderArg: string, channelId: string, name: string): Promise<ChaincodeDefinition> {
    const channel = this.channels.get(channelId);
    if (!channel) throw new DevnetError(`unknown channel '${channelId}' (channels: ${[...this.channels.keys()].join(', ')})`);
    if (!/^[A-Za-z0-9]+([-_][A-Za-z0-9]+)*$/.test(name)) {
      throw new DevnetError(`invalid chaincode name '${name}': letters, digits, '-' and '_' (Fabric's rule)`);
    }
    const folder = path.resolve(folderArg);
    const pkg = readChaincodePackage(folder);
    const existing = [...this.channels.values()].map((c) => c.chaincode(name)).find((d) => d !== undefined);
    if (existing && existing.folder !== folder && existing.channel !== channelId) {
      throw new DevnetError(`chaincode name '${name}' is already served from ${existing.folder} on channel ${existing.channel}; choose another name`);
    }
    const version = pkg.version;
    const label = `${name}_${version}`;
    const address = existing?.address ?? `127.0.0.1:${await freePort()}`;
    const def: ChaincodeDefinition = {
      channel: channelId,
      name,
      version,
      ccid: `${label}:${pkg.hash}`,
      folder,
      address,
      endorsementPolicy: '/Channel/Application/Endorsement',
    };
    // The same package already serving another channel keeps running: one process serves every
    // channel a chaincode is defined on, as an installed package does on a Fabric peer.
    const samePackageRunning = existing?.ccid === def.ccid && this.runtime.isRunning(name);
    if (!samePackageRunning) {
      if (this.runtime.isRunning(name)) await this.runtime.stop(name);
      await this.launch(def);
    }
    channel.defineChaincode(def);
    await this.store.putChaincode(channelId, name, def);
    this.options.log(`chaincode ${name} ${version} deployed on ${channelId} (${def.ccid})`);
    return def;
  }

  private async launch(def: ChaincodeDefinition): Promise<void> {
    await this.runtime.launch({
      name: def.name,
      label: `${def.name}_${def.version}`,
      packageId: def.ccid,
      folder: def.folder,
      address: def.address,
      mspId: this.members[0].topology.mspId,
      logFile: path.join(this.options.dataDir, 'logs', `chaincode-${def.name}.log`),
    });
  }

  private async relaunchChaincodes(): Promise<void> {
    mkdirSync(path.join(this.options.dataDir, 'logs'), { recursive: true });
    this.runtime.on('exit', (name, code, info) => {
      if (info.requested || this.stopping) return;
      const delay = Math.min((this.restartDelays.get(name) ?? 500) * 2, 30_000);
      this.restartDelays.set(name, delay);
      this.options.log(`chaincode ${name} exited (code ${String(code)}, signal ${String(info.signal)}); restarting in ${delay} ms`);
      setTimeout(() => {
        const def = [...this.channels.values()].map((c) => c.chaincode(name)).find((d) => d !== undefined);
        if (!def || this.stopping || this.runtime.isRunning(name)) return;
        this.launch(def).then(
          () => { this.options.log(`chaincode ${name} restarted`); },
          (err: unknown) => { this.options.log(`chaincode ${name} restart failed: ${errorMessage(err)}`); },
        );
      }, delay).unref();
    });
    const defs = await this.store.listChaincodes<ChaincodeDefinition>();
    for (const def of defs) {
      this.channels.get(def.channel)?.defineChaincode(def);
    }
    const launched = new Set<string>();
    for (const def of defs) {
      if (launched.has(def.name)) continue;
      launched.add(def.name);
      try {
        await this.launch(def);
      } catch (err) {
        this.options.log(`chaincode ${def.name} could not be relaunched: ${(err as Error).message}`);
      }
    }
  }

  private writeConnectionFile(): void {
    const file: ConnectionFile = {
      version: CONNECTION_FILE_VERSION,
      backend: 'devnet',
      channels: { management: 'mgmt', primary: 'primary' },
      adminUrl: `http://127.0.0.1:${adminPort(this.options.basePort)}`,
      members: this.members.map((m) => ({
        mspId: m.topology.mspId,
        domain: m.topology.domain,
        peer: { endpoint: `127.0.0.1:${m.topology.peerPort}`, hostAlias: m.topology.peerHost, tlsCaCertPath: m.crypto.peer.tlsCaPath },
        orderer: { endpoint: `127.0.0.1:${m.topology.ordererPort}`, hostAlias: m.topology.ordererHost, tlsCaCertPath: m.crypto.orderer.tlsCaPath },
        caCertPath: path.join(m.crypto.mspDir, 'cacerts', `ca.${m.topology.domain}-cert.pem`),
        adminMspDir: m.crypto.admin.mspDir,
        userMspDir: m.crypto.user.mspDir,
      })),
    };
    // Written last and atomically: its presence tells `devnet up` that the network is serving.
    const tmp = `${this.connectionFilePath}.tmp`;
    writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n');
    renameSync(tmp, this.connectionFilePath);
  }

  /** Stops serving, lets blocks already cut commit, stops chaincodes and closes the store. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => { s.tryShutdown(() => { resolve(); }); })));
    for (const s of this.servers) s.forceShutdown();
    if (this.admin) {
      const admin = this.admin;
      admin.closeAllConnections();
      await new Promise<void>((resolve) => admin.close(() => { resolve(); }));
    }
    await this.orderer.close();
    await this.runtime.stopAll();
    await this.store.close();
  }

  private async mustBlock(channelId: string, num: number): Promise<Buffer> {
    const bytes = await this.store.getBlockBytes(channelId, num);
    if (!bytes) throw new DevnetError(`block ${num} of channel ${channelId} is missing from the ledger`);
    return bytes;
  }
}

async function loadOrCreateCrypto(dataDir: string, topology: OrgTopology[]): Promise<Member[]> {
  const marker = path.join(dataDir, 'organizations', '.complete');
  const specs = topology.map((t) => ({ mspId: t.mspId, domain: t.domain, peerName: t.peerName, ordererName: t.ordererName }));
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
  const hash = createHash('sha256').update(raw).update(readFileSync(main)).digest('hex');
  return { version: typeof pkg.version === 'string' ? pkg.version : '1.0', hash };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
