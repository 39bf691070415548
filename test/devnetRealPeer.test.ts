/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A real Fabric v3 peer follows a devnet channel: the devnet makes its channels `etcdraft`
 * (`--consensus-type etcdraft`), a `peer node start` of Org1 joins `primary` from its genesis
 * block (fetched from the devnet's orderer), pulls every block the devnet cuts from the devnet's
 * orderer and validates it itself. Checked: the same chain (heights, `peer channel getinfo`
 * hashes, every block's header and data), and each transaction's validation code on both sides,
 * for transactions made on purpose (VALID, MVCC_READ_CONFLICT, ENDORSEMENT_POLICY_FAILURE, a
 * config update, `_lifecycle` approvals and commits): the devnet keeps `_lifecycle` state in
 * Fabric's layout (definitions public, approvals as private data of each organisation's implicit
 * collection, hashes on the ledger), so every code is the same on both sides, and the real peer
 * learns the chaincodes the devnet defines (network/devnet/README.md, "A Fabric peer following a
 * devnet channel").
 *
 * The real peer is peer1.org1.example.com, with its own enrolment and TLS certificates issued by
 * Org1's CAs (fabric-config's issuePeerNode). Needs Fabric's binaries: FABRIC_BIN=/path/to/fabric/bin (v3.1.5); skipped with a message without.
 * Ports: the devnet's grid from 22850, the real peer 22950 (gRPC), 22951 (chaincode), 22952
 * (operations).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import type { Gateway } from '@hyperledger/fabric-gateway';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { buildConfigUpdateEnvelope, computeUpdate, readConfigBlock, signConfigUpdate } from 'fabric-config/configtx';
import { issuePeerNode, SigningIdentity } from 'fabric-config/msp';
import type { NodeCrypto } from 'fabric-config/msp';
import type { MemberConnection } from 'fabric-config/connection';
import { startNetwork } from '../network/backends/src';
import type { RunningNetwork } from '../network/backends/src';
import { endorsedTransaction, lifecycleProposal } from '../network/devnet/src/lifecycle/client';
import { broadcast, fetchConfigBlock, fetchPeerBlock, processProposal } from '../orchestrator/src/channelConfig/ordererClient';
import { connectGateway, newGrpcConnection } from '../orchestrator/src/gateway';
import { REPO_ROOT } from './support/network';
import { peerAdminEnv } from './support/peerCli';

const FABRIC_BIN = process.env.FABRIC_BIN;
const BASE_PORT = 22850;
const PEER_PORT = 22950;
const CHANNEL = 'primary';
const KVCC = path.join(REPO_ROOT, 'network', 'devnet', 'src', 'chaincode', 'testdata', 'kvcc');
const run = promisify(execFile);
const lc = peer.lifecycle;
const codeName = (code: number): string => Object.entries(peer.TxValidationCode).find(([, v]) => v === code)?.[0] ?? String(code);

const withFabric = FABRIC_BIN ? describe : describe.skip;
if (!FABRIC_BIN) {
  console.warn('devnetRealPeer: FABRIC_BIN is not set, so the real Fabric peer is not started and these cases are skipped (set FABRIC_BIN=/path/to/fabric/bin, Fabric v3.1.5)');
}

let netw: RunningNetwork | undefined;
let scratch: string | undefined;
/** The real peer's own material: peer1 of Org1, issued by Org1's CA and TLS CA. */
let peer1: NodeCrypto | undefined;
let realPeer: ChildProcess | undefined;
let realPeerExit: Promise<void> | undefined;
const clients: grpc.Client[] = [];
const gateways: Gateway[] = [];

const org = (i: number): MemberConnection => (netw as RunningNetwork).connection.members[i];
const adminOf = (m: MemberConnection): SigningIdentity => SigningIdentity.fromMspDir(m.adminMspDir, m.mspId);
const realPeerEndpoint = (): MemberConnection['peer'] => ({ endpoint: `127.0.0.1:${PEER_PORT}`, hostAlias: 'peer1.org1.example.com', tlsCaCertPath: (peer1 as NodeCrypto).tlsCaPath });

async function client(endpoint: MemberConnection['peer']): Promise<grpc.Client> {
  const c = await newGrpcConnection(endpoint);
  clients.push(c);
  return c;
}

/** Runs the `peer` CLI as Org1's admin against `address`; resolves with stdout and stderr. */
async function peerCli(address: string, args: string[]): Promise<string> {
  const m = org(0);
  const env = peerAdminEnv(FABRIC_BIN as string, m, address);
  try {
    const { stdout, stderr } = await run(path.join(FABRIC_BIN as string, 'peer'), args, { env, timeout: 60_000 });
    return `${stdout}${stderr}`;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`peer ${args.join(' ')}: ${e.stderr ?? e.message}`);
  }
}

/** `peer channel getinfo` of a peer: its height and newest block hash. */
async function chainInfo(address: string): Promise<{ height: number; currentBlockHash: string }> {
  const out = await peerCli(address, ['channel', 'getinfo', '-c', CHANNEL]);
  const json = /Blockchain info: (\{.*\})/.exec(out)?.[1];
  if (json === undefined) throw new Error(`no "Blockchain info" in the output of peer channel getinfo at ${address}: ${out}`);
  return JSON.parse(json) as { height: number; currentBlockHash: string };
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { resolve(false); });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const value = await probe().catch((err: unknown) => {
      last = `; last error: ${err instanceof Error ? err.message : String(err)}`;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${last}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Starts `peer node start` for Org1 with the environment only (as network/native/peer.sh does),
 * its log in `<scratch>/peer.log`. Its deliver client dials the orderer endpoints of the channel
 * config (`orderer0.orgN.example.com:<port>`), names no resolver knows: the address overrides send
 * each to 127.0.0.1, with the org's TLS CA.
 */
function startRealPeer(dir: string, node: NodeCrypto): ChildProcess {
  const tls = path.join(node.mspDir, '..', 'tls');
  const overrides = (netw as RunningNetwork).connection.members.map((m) => {
    const port = m.orderer.endpoint.split(':')[1] ?? '';
    return `{from: ${m.orderer.hostAlias}:${port}, to: 127.0.0.1:${port}, caCertsFile: ${m.orderer.tlsCaCertPath}}`;
  });
  const address = `127.0.0.1:${PEER_PORT}`;
  const env = {
    ...process.env,
    FABRIC_CFG_PATH: path.join(FABRIC_BIN as string, '..', 'config'),
    FABRIC_LOGGING_SPEC: 'info',
    CORE_PEER_ID: node.host,
    CORE_PEER_ADDRESS: address,
    CORE_PEER_LISTENADDRESS: address,
    CORE_PEER_CHAINCODEADDRESS: `127.0.0.1:${PEER_PORT + 1}`,
    CORE_PEER_CHAINCODELISTENADDRESS: `127.0.0.1:${PEER_PORT + 1}`,
    CORE_PEER_GOSSIP_BOOTSTRAP: address,
    CORE_PEER_GOSSIP_EXTERNALENDPOINT: address,
    CORE_PEER_LOCALMSPID: 'Org1MSP',
    CORE_PEER_MSPCONFIGPATH: node.mspDir,
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_TLS_CERT_FILE: path.join(tls, 'server.crt'),
    CORE_PEER_TLS_KEY_FILE: path.join(tls, 'server.key'),
    CORE_PEER_TLS_ROOTCERT_FILE: node.tlsCaPath,
    CORE_PEER_FILESYSTEMPATH: path.join(dir, 'ledger'),
    CORE_LEDGER_SNAPSHOTS_ROOTDIR: path.join(dir, 'snapshots'),
    CORE_OPERATIONS_LISTENADDRESS: `127.0.0.1:${PEER_PORT + 2}`,
    CORE_METRICS_PROVIDER: 'disabled',
    CORE_PEER_DELIVERYCLIENT_ADDRESSOVERRIDES: `[${overrides.join(', ')}]`,
    // Org1's approvals are private data the real peer is eligible for but cannot pull (no gossip
    // with the devnet): it commits each such block without them after this wait (default 60 s).
    CORE_PEER_GOSSIP_PVTDATA_PULLRETRYTHRESHOLD: '1s',
    CORE_PEER_GOSSIP_PVTDATA_RECONCILIATIONENABLED: 'false',
  };
  mkdirSync(dir, { recursive: true });
  const log = openSync(path.join(dir, 'peer.log'), 'a');
  try {
    return spawn(path.join(FABRIC_BIN as string, 'peer'), ['node', 'start'], { cwd: dir, env, stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
}

async function stopRealPeer(): Promise<void> {
  const child = realPeer;
  if (child === undefined || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([realPeerExit?.then(() => true), new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(false); }, 10_000); })]);
  clearTimeout(timer);
  if (!exited) {
    child.kill('SIGKILL');
    await realPeerExit;
  }
}

/** One transaction of a block: its id, kind, chaincode and function (for a `_lifecycle` call). */
interface TxSummary {
  readonly block: number;
  readonly txId: string;
  /** The HeaderType name, e.g. CONFIG or ENDORSER_TRANSACTION. */
  readonly kind: string;
  readonly chaincode: string;
  readonly fn: string;
}

function summaries(block: common.Block): TxSummary[] {
  const number = block.getHeader()?.getNumber() ?? -1;
  return (block.getData()?.getDataList_asU8() ?? []).map((bytes) => {
    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8());
    const header = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array());
    const kind = Object.entries(common.HeaderType).find(([, v]) => v === header.getType())?.[0] ?? String(header.getType());
    if (header.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return { block: number, txId: header.getTxId(), kind, chaincode: '', fn: '' };
    const chaincode = peer.ChaincodeHeaderExtension.deserializeBinary(header.getExtension_asU8()).getChaincodeId()?.getName() ?? '';
    const action = peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()[0];
    const proposalPayload = peer.ChaincodeProposalPayload.deserializeBinary(peer.ChaincodeActionPayload.deserializeBinary(action?.getPayload_asU8() ?? new Uint8Array()).getChaincodeProposalPayload_asU8());
    const args = peer.ChaincodeInvocationSpec.deserializeBinary(proposalPayload.getInput_asU8()).getChaincodeSpec()?.getInput()?.getArgsList_asU8() ?? [];
    return { block: number, txId: header.getTxId(), kind, chaincode, fn: Buffer.from(args[0] ?? new Uint8Array()).toString('utf8') };
  });
}

function validationCodes(block: common.Block): string[] {
  const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array();
  return Array.from(filter, codeName);
}

/** A `_lifecycle` call by `m`'s admin, endorsed by the peers of `at`, ordered and committed on the devnet; its txId. */
async function lifecycleTx(gateway: Gateway, m: MemberConnection, at: readonly MemberConnection[], fn: string, arg: Uint8Array): Promise<string> {
  const admin = adminOf(m);
  const { signed, proposal, txId } = lifecycleProposal(admin, CHANNEL, fn, arg);
  const responses = await Promise.all(at.map(async (p) => processProposal(await client(p.peer), signed, 60_000)));
  for (const r of responses) expect(r.getResponse()?.getMessage()).toBe('');
  const outcome = await broadcast(await client(org(0).orderer), endorsedTransaction(proposal, responses, admin));
  expect(outcome.statusName).toBe('SUCCESS');
  const qscc = gateway.getNetwork(CHANNEL).getContract('qscc');
  await until(`transaction ${txId} committed on the devnet`, async () => ((await qscc.evaluateTransaction('GetTransactionByID', CHANNEL, txId)).length > 0 ? true : undefined));
  return txId;
}

function definition<T extends { setName(v: string): unknown; setSequence(v: number): unknown; setVersion(v: string): unknown; serializeBinary(): Uint8Array }>(args: T, name: string): T {
  args.setName(name);
  args.setSequence(1);
  args.setVersion('1');
  return args;
}

withFabric('a real Fabric v3 peer following a devnet channel of consensus type etcdraft', () => {
  /** Transactions made on purpose, by txId: what they are meant to be on the devnet. */
  const made = new Map<string, string>();

  beforeAll(async () => {
    if (!existsSync(path.join(FABRIC_BIN as string, 'peer'))) throw new Error(`FABRIC_BIN=${FABRIC_BIN as string} has no \`peer\` binary: point it at the bin folder of a Fabric v3.1.5 release`);
    scratch = mkdtempSync(path.join(tmpdir(), 'devnet-real-peer-'));
    netw = await startNetwork({ backend: 'devnet', basePort: BASE_PORT, batchTimeout: '500ms', consensusType: 'etcdraft' });
    if (await portAnswers(PEER_PORT)) throw new Error(`port ${PEER_PORT} is in use: the real peer needs it`);
    const dir = path.join(scratch, 'peer1');
    peer1 = await issuePeerNode(netw.dataDir, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' }, 'peer1');
    realPeer = startRealPeer(dir, peer1);
    const child = realPeer;
    let spawnError: Error | undefined;
    realPeerExit = new Promise((resolve) => {
      child.once('exit', () => { resolve(); });
      child.once('error', (err) => { spawnError = err; resolve(); });
    });
    await until('the real peer listens', async () => {
      if (spawnError !== undefined) throw new Error(`cannot start ${path.join(FABRIC_BIN as string, 'peer')}: ${spawnError.message}`);
      if (child.exitCode !== null) throw new Error(`the real peer exited (${child.exitCode}); its log:\n${readFileSync(path.join(dir, 'peer.log'), 'utf8').slice(-3000)}`);
      return (await portAnswers(PEER_PORT)) ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    gateways.splice(0).forEach((g) => { g.close(); });
    clients.splice(0).forEach((c) => { c.close(); });
    await stopRealPeer();
    await netw?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  it('joins the channel from its genesis block, fetched from the devnet orderer with `peer channel fetch 0`', async () => {
    const genesis = path.join(scratch as string, 'primary.block');
    const m = org(0);
    await peerCli(m.peer.endpoint, ['channel', 'fetch', '0', genesis, '-o', m.orderer.endpoint, '--tls', '--cafile', m.orderer.tlsCaCertPath, '-c', CHANNEL]);
    const block = common.Block.deserializeBinary(readFileSync(genesis));
    const consensusBytes = readConfigBlock(block).config.getChannelGroup()?.getGroupsMap().get('Orderer')?.getValuesMap().get('ConsensusType')?.getValue_asU8();
    const consensus = orderer.ConsensusType.deserializeBinary(consensusBytes ?? new Uint8Array());
    expect(consensus.getType()).toBe('etcdraft');
    const consenters = orderer.etcdraft.ConfigMetadata.deserializeBinary(consensus.getMetadata_asU8()).getConsentersList();
    expect(consenters.map((c) => `${c.getHost()}:${c.getPort()}`).sort()).toEqual((netw as RunningNetwork).connection.members.map((x) => `${x.orderer.hostAlias}:${x.orderer.endpoint.split(':')[1] ?? ''}`).sort());
    expect(await peerCli(`127.0.0.1:${PEER_PORT}`, ['channel', 'join', '-b', genesis])).toContain('Successfully submitted proposal to join channel');
    expect(await peerCli(`127.0.0.1:${PEER_PORT}`, ['channel', 'list'])).toContain(CHANNEL);
  }, 90_000);

  it('pulls and validates the transactions made on purpose on the devnet', async () => {
    const kv = await netw?.deploy(KVCC, CHANNEL, 'kv');
    const gateway = await connectGateway(await client(org(0).peer), org(0));
    gateways.push(gateway);
    const contract = gateway.getNetwork(CHANNEL).getContract('kv');

    const valid = await contract.newProposal('put', { arguments: ['k1', 'v1'] }).endorse();
    made.set(valid.getTransactionId(), 'a put endorsed by a majority');
    expect((await (await valid.submit()).getStatus()).code).toBe(peer.TxValidationCode.VALID);

    // A read of k2 ordered after a write of k2 in the same block: stale when validated.
    const write = await contract.newProposal('put', { arguments: ['k2', 'new'] }).endorse();
    const read = await contract.newProposal('get', { arguments: ['k2'] }).endorse();
    const [written, stale] = [await write.submit(), await read.submit()];
    made.set(write.getTransactionId(), 'a put of k2');
    made.set(read.getTransactionId(), 'a read of k2 in the same block, after the put');
    expect((await written.getStatus()).code).toBe(peer.TxValidationCode.VALID);
    expect((await stale.getStatus()).code).toBe(peer.TxValidationCode.MVCC_READ_CONFLICT);

    const short = await contract.newProposal('put', { arguments: ['k3', 'v3'], endorsingOrganizations: ['Org1MSP'] }).endorse();
    made.set(short.getTransactionId(), 'a put endorsed by Org1 alone');
    expect((await (await short.submit()).getStatus()).code).toBe(peer.TxValidationCode.ENDORSEMENT_POLICY_FAILURE);

    // A chaincode definition committed with the endorsements of two organisations of four.
    const approve = definition(new lc.ApproveChaincodeDefinitionForMyOrgArgs(), 'kvtwo');
    const source = new lc.ChaincodeSource();
    const local = new lc.ChaincodeSource.Local();
    local.setPackageId(kv?.ccid ?? '');
    source.setLocalPackage(local);
    approve.setSource(source);
    for (const m of [org(0), org(1)]) made.set(await lifecycleTx(gateway, m, [m], 'ApproveChaincodeDefinitionForMyOrg', approve.serializeBinary()), `${m.mspId} approves kvtwo`);
    made.set(await lifecycleTx(gateway, org(0), [org(0), org(1)], 'CommitChaincodeDefinition', definition(new lc.CommitChaincodeDefinitionArgs(), 'kvtwo').serializeBinary()), 'a commit of kvtwo endorsed by 2 of 4');

    // A config update (BatchTimeout), signed by a majority of the admins.
    const admins = [0, 1, 2].map((i) => adminOf(org(i)));
    const config = readConfigBlock(await fetchConfigBlock(await client(org(0).orderer), CHANNEL, admins[0])).config;
    const edited = config.cloneMessage();
    const timeout = edited.getChannelGroup()?.getGroupsMap().get('Orderer')?.getValuesMap().get('BatchTimeout');
    const batchTimeout = new orderer.BatchTimeout();
    batchTimeout.setTimeout('400ms');
    timeout?.setValue(batchTimeout.serializeBinary());
    const update = computeUpdate(CHANNEL, config, edited).serializeBinary();
    const outcome = await broadcast(await client(org(0).orderer), buildConfigUpdateEnvelope(CHANNEL, update, admins.map((a) => signConfigUpdate(update, a)), admins[0]));
    expect(outcome.statusName).toBe('SUCCESS');
    await until('the config update is in force', async () => {
      const now = readConfigBlock(await fetchConfigBlock(await client(org(0).orderer), CHANNEL, admins[0])).config;
      return now.getSequence() > config.getSequence() ? true : undefined;
    });
    // One more block after the config block, so that the real peer must verify blocks under the new config.
    const after = await contract.newProposal('put', { arguments: ['k4', 'v4'] }).endorse();
    made.set(after.getTransactionId(), 'a put after the config update');
    expect((await (await after.submit()).getStatus()).code).toBe(peer.TxValidationCode.VALID);
  }, 180_000);

  it('holds the same chain as the devnet: height, `peer channel getinfo` hash, every header and data', async () => {
    const devnet = await chainInfo(org(0).peer.endpoint);
    const real = await until('the real peer reaches the devnet height', async () => {
      const info = await chainInfo(`127.0.0.1:${PEER_PORT}`);
      return info.height >= devnet.height ? info : undefined;
    });
    expect(real).toEqual(devnet);
    const admin = adminOf(org(0));
    const devnetPeer = await client(org(0).peer);
    const realPeerClient = await client(realPeerEndpoint());
    for (let n = 0; n < devnet.height; n++) {
      const [a, b] = [await fetchPeerBlock(devnetPeer, CHANNEL, admin, n), await fetchPeerBlock(realPeerClient, CHANNEL, admin, n)];
      expect(Buffer.from(b.getHeader()?.serializeBinary() ?? []).equals(Buffer.from(a.getHeader()?.serializeBinary() ?? []))).toBe(true);
      expect(Buffer.from(b.getData()?.serializeBinary() ?? []).equals(Buffer.from(a.getData()?.serializeBinary() ?? []))).toBe(true);
    }
  }, 120_000);

  it("gives each transaction the devnet's validation code", async () => {
    const admin = adminOf(org(0));
    const devnetPeer = await client(org(0).peer);
    const realPeerClient = await client(realPeerEndpoint());
    const { height } = await chainInfo(org(0).peer.endpoint);
    const rows: { tx: TxSummary; devnet: string; real: string }[] = [];
    for (let n = 1; n < height; n++) {
      const [a, b] = [await fetchPeerBlock(devnetPeer, CHANNEL, admin, n), await fetchPeerBlock(realPeerClient, CHANNEL, admin, n)];
      const [devnetCodes, realCodes] = [validationCodes(a), validationCodes(b)];
      summaries(a).forEach((tx, i) => { rows.push({ tx, devnet: devnetCodes[i] ?? '(none)', real: realCodes[i] ?? '(none)' }); });
    }
    console.log(`devnetRealPeer: validation codes, devnet vs Fabric v3 peer\n${rows.map((r) => `  block ${r.tx.block} ${r.tx.kind} ${r.tx.chaincode} ${r.tx.fn} ${made.get(r.tx.txId) ?? ''}: ${r.devnet} / ${r.real}`).join('\n')}`);
    // Every transaction, `_lifecycle` approvals and commits included, gets the same code on both sides.
    for (const row of rows) expect(row).toEqual({ ...row, real: row.devnet });
    const byPurpose = (purpose: string): { devnet: string; real: string } | undefined => {
      const row = rows.find((r) => made.get(r.tx.txId) === purpose);
      return row && { devnet: row.devnet, real: row.real };
    };
    expect(byPurpose('a put endorsed by a majority')?.devnet).toBe('VALID');
    expect(byPurpose('a read of k2 in the same block, after the put')?.devnet).toBe('MVCC_READ_CONFLICT');
    expect(byPurpose('a put endorsed by Org1 alone')?.devnet).toBe('ENDORSEMENT_POLICY_FAILURE');
    // Approvals are valid under their implicit collection's policy (one organisation), a commit needs LifecycleEndorsement.
    expect(byPurpose('Org1MSP approves kvtwo')).toEqual({ devnet: 'VALID', real: 'VALID' });
    expect(byPurpose('Org2MSP approves kvtwo')).toEqual({ devnet: 'VALID', real: 'VALID' });
    expect(byPurpose('a commit of kvtwo endorsed by 2 of 4')).toEqual({ devnet: 'ENDORSEMENT_POLICY_FAILURE', real: 'ENDORSEMENT_POLICY_FAILURE' });
    const deployed = rows.filter((r) => r.tx.chaincode === '_lifecycle' && made.get(r.tx.txId) === undefined);
    expect(deployed.map((r) => [r.tx.fn, r.devnet, r.real])).toEqual([
      ...[1, 2, 3, 4].map(() => ['ApproveChaincodeDefinitionForMyOrg', 'VALID', 'VALID']),
      ['CommitChaincodeDefinition', 'VALID', 'VALID'],
    ]);
    expect(rows.filter((r) => r.tx.chaincode === 'kv').map((r) => r.real)).toEqual(['VALID', 'VALID', 'MVCC_READ_CONFLICT', 'ENDORSEMENT_POLICY_FAILURE', 'VALID']);
    expect(rows.filter((r) => r.tx.kind === 'CONFIG').map((r) => [r.devnet, r.real])).toEqual([['VALID', 'VALID']]);
  }, 120_000);

  it('knows the definitions the devnet committed: `peer lifecycle chaincode querycommitted` answers the same on both', async () => {
    const query = ['lifecycle', 'chaincode', 'querycommitted', '--channelID', CHANNEL, '--name', 'kv', '--output', 'json'];
    // The CLI's indented JSON, from a line `{` to a line `}` (its log lines on stderr come with it).
    const parse = (out: string): { sequence: number; version: string; approvals: Record<string, boolean> } => {
      const json = /^\{$[\s\S]*?^\}$/m.exec(out)?.[0];
      if (json === undefined) throw new Error(`no JSON in the output of peer lifecycle chaincode querycommitted: ${out}`);
      return JSON.parse(json) as { sequence: number; version: string; approvals: Record<string, boolean> };
    };
    const devnet = parse(await peerCli(org(0).peer.endpoint, query));
    const real = parse(await peerCli(`127.0.0.1:${PEER_PORT}`, query));
    expect(devnet.sequence).toBe(1);
    expect(real).toEqual(devnet);
    // kvtwo's commit was invalid: neither side has a definition of it.
    await expect(peerCli(`127.0.0.1:${PEER_PORT}`, ['lifecycle', 'chaincode', 'querycommitted', '--channelID', CHANNEL, '--name', 'kvtwo'])).rejects.toThrow('namespace kvtwo is not defined');
  }, 60_000);
});
