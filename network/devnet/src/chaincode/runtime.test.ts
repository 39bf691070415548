/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Drives the real, unmodified fabric-shim server (fabric-chaincode-node 2.5.8) with the test
 * contract in testdata/kvcc over the real gRPC stream. State lives in an in-memory StateAccess fake.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChaincodeExitInfo, InvokeResult } from '.';
import { ChaincodeError, ChaincodeRuntime, ccaasPackageId } from '.';
import type { HistoryEntry, KeyValue, PrivateStateAccess, RangePage, StateAccess } from './stateAccess';

jest.setTimeout(60_000);

const KVCC = path.join(__dirname, 'testdata', 'kvcc');
const BROKEN = path.join(__dirname, 'testdata', 'broken');
const CHANNEL = 'mychannel';
const CLIENT_MSP = 'Org1MSP';
const PEER_MSP = 'Org1PeerMSP';

// ---------------------------------------------------------------------------------------------
// Fixtures

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Committed state shared by the transactions of a test; each transaction sees it through a MemoryState. */
class MemoryLedger {
  readonly values = new Map<string, Uint8Array>();
  readonly metadata = new Map<string, Map<string, Uint8Array>>();
  readonly history = new Map<string, HistoryEntry[]>();

  set(key: string, value: string): void {
    this.values.set(key, Buffer.from(value, 'utf8'));
  }

  text(key: string): string | undefined {
    const value = this.values.get(key);
    return value === undefined ? undefined : Buffer.from(value).toString('utf8');
  }
}

/** Writes through to the ledger at once; also proves the runtime never overlaps calls of one transaction. */
class MemoryState implements StateAccess {
  inFlight = 0;
  maxInFlight = 0;
  readonly calls: string[] = [];

  constructor(private readonly ledger: MemoryLedger) {}

  private async read<T>(call: string, work: () => T): Promise<T> {
    this.calls.push(call);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // A real ledger read is asynchronous; yield so overlapping calls would show.
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight -= 1;
    return work();
  }

  getState(key: string): Promise<Uint8Array | undefined> {
    return this.read(`get ${key}`, () => this.ledger.values.get(key));
  }

  putState(key: string, value: Uint8Array): void {
    this.calls.push(`put ${key}`);
    if (value.length === 0) this.ledger.values.delete(key);
    else this.ledger.values.set(key, Buffer.from(value));
  }

  deleteState(key: string): void {
    this.calls.push(`del ${key}`);
    this.ledger.values.delete(key);
  }

  getStateByRange(startKey: string, endKey: string, paging?: { pageSize: number; bookmark: string }): Promise<RangePage> {
    return this.read(`range ${JSON.stringify([startKey, endKey, paging ?? null])}`, () => {
      const from = paging && paging.bookmark !== '' ? paging.bookmark : startKey;
      const rows: KeyValue[] = [...this.ledger.values.entries()]
        .filter(([key]) => compareKeys(key, from) >= 0 && (endKey === '' || compareKeys(key, endKey) < 0))
        .sort(([a], [b]) => compareKeys(a, b))
        .map(([key, value]) => ({ key, value }));
      if (!paging) return { results: rows, bookmark: '' };
      const page = rows.slice(0, paging.pageSize);
      return { results: page, bookmark: rows.length > paging.pageSize ? rows[paging.pageSize].key : '' };
    });
  }

  getHistoryForKey(key: string): Promise<HistoryEntry[]> {
    return this.read(`history ${key}`, () => this.ledger.history.get(key) ?? []);
  }

  getStateMetadata(key: string): Promise<Map<string, Uint8Array>> {
    return this.read(`getmeta ${key}`, () => this.ledger.metadata.get(key) ?? new Map<string, Uint8Array>());
  }

  putStateMetadata(key: string, metakey: string, value: Uint8Array): void {
    this.calls.push(`putmeta ${key} ${metakey}`);
    const entries = this.ledger.metadata.get(key) ?? new Map<string, Uint8Array>();
    entries.set(metakey, Buffer.from(value));
    this.ledger.metadata.set(key, entries);
  }
}

/** Private data of one collection-aware transaction, in memory: each call is recorded with its collection. */
class MemoryPrivateState implements PrivateStateAccess {
  readonly calls: string[] = [];
  readonly values = new Map<string, Buffer>();
  readonly metadata = new Map<string, Map<string, Uint8Array>>();

  private id(collection: string, key: string): string {
    return `${collection}/${key}`;
  }

  getPrivateData(collection: string, key: string): Promise<Uint8Array | undefined> {
    this.calls.push(`pget ${collection} ${key}`);
    return Promise.resolve(this.values.get(this.id(collection, key)));
  }

  getPrivateDataHash(collection: string, key: string): Promise<Uint8Array | undefined> {
    this.calls.push(`phash ${collection} ${key}`);
    const value = this.values.get(this.id(collection, key));
    return Promise.resolve(value === undefined ? undefined : createHash('sha256').update(value).digest());
  }

  putPrivateData(collection: string, key: string, value: Uint8Array): void {
    this.calls.push(`pput ${collection} ${key}`);
    this.values.set(this.id(collection, key), Buffer.from(value));
  }

  deletePrivateData(collection: string, key: string): void {
    this.calls.push(`pdel ${collection} ${key}`);
    this.values.delete(this.id(collection, key));
  }

  purgePrivateData(collection: string, key: string): void {
    this.calls.push(`ppurge ${collection} ${key}`);
    this.values.delete(this.id(collection, key));
  }

  getPrivateDataByRange(collection: string, startKey: string, endKey: string): Promise<KeyValue[]> {
    this.calls.push(`prange ${collection} ${startKey} ${endKey}`);
    const prefix = `${collection}/`;
    return Promise.resolve(
      [...this.values.entries()]
        .filter(([id]) => id.startsWith(prefix))
        .map(([id, value]) => ({ key: id.slice(prefix.length), value }))
        .filter(({ key }) => compareKeys(key, startKey) >= 0 && (endKey === '' || compareKeys(key, endKey) < 0))
        .sort((a, b) => compareKeys(a.key, b.key)),
    );
  }

  getPrivateDataMetadata(collection: string, key: string): Promise<Map<string, Uint8Array>> {
    this.calls.push(`pgetmeta ${collection} ${key}`);
    return Promise.resolve(this.metadata.get(this.id(collection, key)) ?? new Map<string, Uint8Array>());
  }

  putPrivateDataMetadata(collection: string, key: string, metakey: string, value: Uint8Array): void {
    this.calls.push(`pputmeta ${collection} ${key} ${metakey}`);
    const entries = this.metadata.get(this.id(collection, key)) ?? new Map<string, Uint8Array>();
    entries.set(metakey, Buffer.from(value));
    this.metadata.set(this.id(collection, key), entries);
  }
}

/** A MemoryState whose namespace has collections. */
class MemoryStateWithCollections extends MemoryState {
  readonly privateData = new MemoryPrivateState();
}

interface Identity {
  certPem: string;
  keyPem: string;
}

/** A self-signed P-256 certificate made by the openssl CLI (node:crypto cannot issue X.509). */
function makeIdentity(dir: string, name: string, extraArgs: string[] = []): Identity {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', keyFile, '-out', certFile, '-subj', `/O=Org1/OU=client/CN=${name}`, ...extraArgs],
    { stdio: 'pipe' },
  );
  return { certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') };
}

interface Proposal {
  txId: string;
  signedProposal: peer.SignedProposal;
  input: peer.ChaincodeInput;
  timestamp: { seconds: number; nanos: number };
}

/** A SignedProposal as fabric-gateway builds it: 24-byte nonce, txId = hex(sha256(nonce || creator)). */
function makeProposal(identity: Identity, chaincodeName: string, args: string[], transient: Record<string, string> = {}): Proposal {
  const creator = new msp.SerializedIdentity();
  creator.setMspid(CLIENT_MSP);
  creator.setIdBytes(Buffer.from(identity.certPem, 'utf8'));
  const creatorBytes = creator.serializeBinary();
  const nonce = randomBytes(24);
  const txId = createHash('sha256').update(nonce).update(creatorBytes).digest('hex');

  const now = Date.now();
  const timestamp = new Timestamp();
  timestamp.setSeconds(Math.floor(now / 1000));
  timestamp.setNanos((now % 1000) * 1_000_000);

  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName(chaincodeName);
  const extension = new peer.ChaincodeHeaderExtension();
  extension.setChaincodeId(chaincodeId);

  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setChannelId(CHANNEL);
  channelHeader.setTxId(txId);
  channelHeader.setTimestamp(timestamp);
  channelHeader.setEpoch(0);
  channelHeader.setExtension$(extension.serializeBinary());

  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creatorBytes);
  signatureHeader.setNonce(nonce);

  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());

  const input = new peer.ChaincodeInput();
  input.setArgsList(args.map((arg) => Buffer.from(arg, 'utf8')));
  const spec = new peer.ChaincodeSpec();
  spec.setType(peer.ChaincodeSpec.Type.NODE);
  spec.setChaincodeId(chaincodeId);
  spec.setInput(input);
  const invocation = new peer.ChaincodeInvocationSpec();
  invocation.setChaincodeSpec(spec);
  const payload = new peer.ChaincodeProposalPayload();
  payload.setInput(invocation.serializeBinary());
  for (const [key, value] of Object.entries(transient)) payload.getTransientmapMap().set(key, Buffer.from(value, 'utf8'));

  const proposal = new peer.Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(payload.serializeBinary());
  const proposalBytes = proposal.serializeBinary();

  const signedProposal = new peer.SignedProposal();
  signedProposal.setProposalBytes(proposalBytes);
  signedProposal.setSignature(sign('sha256', proposalBytes, createPrivateKey(identity.keyPem)));
  return { txId, signedProposal, input, timestamp: { seconds: timestamp.getSeconds(), nanos: timestamp.getNanos() } };
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

// ---------------------------------------------------------------------------------------------

describe('ChaincodeRuntime with fabric-chaincode-node server', () => {
  const runtime = new ChaincodeRuntime({ executeTimeoutMs: 20_000, stopTimeoutMs: 3_000 });
  const exits: { name: string; code: number | null; info: ChaincodeExitInfo }[] = [];
  runtime.on('exit', (name, code, info) => exits.push({ name, code, info }));
  const ledgerState = new MemoryLedger();
  let tmp: string;
  let user: Identity;
  let address: string;

  const launchKvcc = async (name = 'kvcc'): Promise<void> => {
    await runtime.launch({ name, label: 'kvcc_1.0', folder: KVCC, address, mspId: PEER_MSP, logFile: path.join(tmp, `${name}.log`) });
  };

  /** Runs one transaction with a fresh per-transaction view of the shared ledger. */
  const call = async (
    args: string[],
    options: { transient?: Record<string, string>; timeoutMs?: number; state?: MemoryState; name?: string } = {},
  ): Promise<InvokeResult & { txId: string; state: MemoryState; proposal: Proposal }> => {
    const proposal = makeProposal(user, 'kvcc', args, options.transient);
    const state = options.state ?? new MemoryState(ledgerState);
    const result = await runtime.invoke(options.name ?? 'kvcc', {
      channelId: CHANNEL,
      txId: proposal.txId,
      signedProposal: proposal.signedProposal,
      input: proposal.input,
      state,
      timeoutMs: options.timeoutMs,
    });
    return { ...result, txId: proposal.txId, state, proposal };
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-chaincode-'));
    user = makeIdentity(tmp, 'user1');
    address = `127.0.0.1:${await freePort()}`;
    await launchKvcc();
  });

  afterAll(async () => {
    // Runs whatever failed above; the runtime signals only the children it spawned.
    await runtime.stopAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('launch completes the handshake and reports the ccid', () => {
    expect(runtime.isRunning('kvcc')).toBe(true);
    expect(runtime.packageIdOf('kvcc')).toBe(ccaasPackageId('kvcc_1.0', address));
    expect(runtime.packageIdOf('kvcc')).toMatch(/^kvcc_1\.0:[0-9a-f]{64}$/);
    expect(runtime.isRunning('other')).toBe(false);
  });

  test('launching a running name again is refused', async () => {
    await expect(
      runtime.launch({ name: 'kvcc', label: 'kvcc_1.0', folder: KVCC, address, mspId: PEER_MSP, logFile: path.join(tmp, 'again.log') }),
    ).rejects.toMatchObject({ name: 'ChaincodeError', code: 'ALREADY_RUNNING', message: 'chaincode kvcc is already running' });
  });

  test('put then get in separate transactions', async () => {
    const put = await call(['put', 'asset1', 'blue']);
    expect(put.response).toMatchObject({ status: 200 });
    expect(text(put.response.payload)).toBe('asset1');
    expect(put.state.calls).toEqual(['put asset1']);
    expect(ledgerState.text('asset1')).toBe('blue');

    const get = await call(['get', 'asset1']);
    expect(get.response.status).toBe(200);
    expect(text(get.response.payload)).toBe('blue');
    expect(get.event).toBeUndefined();
  });

  test('a missing key reads as empty, and delete removes a key', async () => {
    expect(text((await call(['get', 'nothing-here'])).response.payload)).toBe('');
    ledgerState.set('doomed', 'x');
    const del = await call(['del', 'doomed']);
    expect(del.response.status).toBe(200);
    expect(del.state.calls).toEqual(['del doomed']);
    expect(ledgerState.values.has('doomed')).toBe(false);
  });

  test('the stub sees txid, channel, creator and the peer MSP', async () => {
    const result = await call(['whoami']);
    expect(result.response.status).toBe(200);
    const who = JSON.parse(text(result.response.payload)) as Record<string, string>;
    expect(who).toMatchObject({ clientMspId: CLIENT_MSP, peerMspId: PEER_MSP, txId: result.txId, channelId: CHANNEL });
    expect(who.clientId).toContain('CN=user1');
  });

  test('the transaction timestamp is the proposal header timestamp', async () => {
    const result = await call(['txTimestamp']);
    expect(JSON.parse(text(result.response.payload))).toEqual(result.proposal.timestamp);
  });

  test('transient data reaches the chaincode', async () => {
    const result = await call(['transient', 'secret'], { transient: { secret: 's3cr3t' } });
    expect(text(result.response.payload)).toBe('s3cr3t');
  });

  test('an unpaginated range query pages through QUERY_STATE_NEXT in batches of 100', async () => {
    for (let i = 0; i < 250; i += 1) ledgerState.set(`r${String(i).padStart(3, '0')}`, `v${i}`);
    const result = await call(['range', 'r000', 'r999']);
    expect(result.response.status).toBe(200);
    const rows = JSON.parse(text(result.response.payload)) as { key: string; value: string }[];
    expect(rows).toHaveLength(250);
    expect(rows[0]).toEqual({ key: 'r000', value: 'v0' });
    expect(rows[249]).toEqual({ key: 'r249', value: 'v249' });
    expect(result.state.calls).toEqual([`range ${JSON.stringify(['r000', 'r999', null])}`]);
  });

  test('a range query with an empty start key starts at "\\x01" and an empty end key is unbounded', async () => {
    const result = await call(['range', '', '']);
    expect(result.state.calls).toEqual([`range ${JSON.stringify(['\u0001', '', null])}`]);
    const rows = JSON.parse(text(result.response.payload)) as { key: string }[];
    expect(rows.length).toBeGreaterThanOrEqual(250);
  });

  test('a paginated range query returns one page with bookmark and count', async () => {
    for (let i = 0; i < 10; i += 1) ledgerState.set(`p${i}`, `page${i}`);
    const first = await call(['rangePage', 'p0', 'p9~', '4', '']);
    expect(first.response.status).toBe(200);
    expect(JSON.parse(text(first.response.payload))).toEqual({
      rows: [0, 1, 2, 3].map((i) => ({ key: `p${i}`, value: `page${i}` })),
      bookmark: 'p4',
      fetched: 4,
    });
    expect(first.state.calls).toEqual([`range ${JSON.stringify(['p0', 'p9~', { pageSize: 4, bookmark: '' }])}`]);

    const last = await call(['rangePage', 'p0', 'p9~', '4', 'p8']);
    expect(JSON.parse(text(last.response.payload))).toEqual({
      rows: [8, 9].map((i) => ({ key: `p${i}`, value: `page${i}` })),
      bookmark: '',
      fetched: 2,
    });
  });

  test('a partial composite key query finds the keys under the prefix', async () => {
    await call(['putComposite', 'owner', 'alice', 'car1', 'red']);
    await call(['putComposite', 'owner', 'alice', 'car2', 'green']);
    await call(['putComposite', 'owner', 'bob', 'car3', 'grey']);
    const result = await call(['partial', 'owner', 'alice']);
    expect(result.response.status).toBe(200);
    expect(JSON.parse(text(result.response.payload))).toEqual([
      { attributes: ['alice', 'car1'], value: 'red' },
      { attributes: ['alice', 'car2'], value: 'green' },
    ]);
    const prefix = '\u0000owner\u0000alice\u0000';
    expect(result.state.calls).toEqual([`range ${JSON.stringify([prefix, `${prefix}\u{10FFFF}`, null])}`]);
  });

  test('history returns KeyModifications with timestamps, newest first', async () => {
    ledgerState.history.set('asset9', [
      { txId: 'tx3', value: new Uint8Array(0), isDelete: true, timestamp: { seconds: 1700000300, nanos: 3 } },
      { txId: 'tx2', value: Buffer.from('two'), isDelete: false, timestamp: { seconds: 1700000200, nanos: 2_000_000 } },
      { txId: 'tx1', value: Buffer.from('one'), isDelete: false, timestamp: { seconds: 1700000100, nanos: 0 } },
    ]);
    const result = await call(['history', 'asset9']);
    expect(result.response.status).toBe(200);
    expect(JSON.parse(text(result.response.payload))).toEqual([
      { txId: 'tx3', value: '', isDelete: true, seconds: 1700000300, nanos: 3 },
      { txId: 'tx2', value: 'two', isDelete: false, seconds: 1700000200, nanos: 2_000_000 },
      { txId: 'tx1', value: 'one', isDelete: false, seconds: 1700000100, nanos: 0 },
    ]);
  });

  test('state metadata (key-level endorsement) is written and read through StateAccess', async () => {
    const set = await call(['setEndorsers', 'asset1', 'policy-bytes']);
    expect(set.response.status).toBe(200);
    expect(set.state.calls).toEqual(['putmeta asset1 VALIDATION_PARAMETER']);
    const get = await call(['getEndorsers', 'asset1']);
    expect(text(get.response.payload)).toBe('policy-bytes');
  });

  test('the chaincode event is returned with the response', async () => {
    const result = await call(['emit', 'AssetCreated', '{"id":"a1"}']);
    expect(result.response.status).toBe(200);
    expect(result.event).toBeDefined();
    expect(result.event?.eventName).toBe('AssetCreated');
    expect(text(result.event?.payload ?? new Uint8Array(0))).toBe('{"id":"a1"}');
  });

  test('an unknown function gives status 500', async () => {
    const result = await call(['noSuchFunction']);
    expect(result.response.status).toBe(500);
    expect(result.response.message).toContain('noSuchFunction');
  });

  test('a thrown error gives status 500 with its message', async () => {
    const result = await call(['fail', 'MGMT_NOT_PROPOSER: expected Org1MSP']);
    expect(result.response).toMatchObject({ status: 500, message: 'MGMT_NOT_PROPOSER: expected Org1MSP' });
  });

  test.each([
    ['rich query', ['richQuery', '{"selector":{}}'], 'GET_QUERY_RESULT failed: transaction ID: %s: ExecuteQuery not supported for leveldb'],
    [
      'private data without collections',
      ['privateGet', 'collectionA', 'k'],
      'GET_STATE failed: transaction ID: %s: collection config not defined for chaincode [kvcc], pass the collection configuration upon chaincode definition/instantiation',
    ],
    ['chaincode to chaincode', ['callOther', 'othercc'], 'INVOKE_CHAINCODE failed: transaction ID: %s: chaincode-to-chaincode invocation is not supported'],
  ])('%s is answered with a clean ERROR', async (_label, args, expected) => {
    const result = await call(args);
    expect(result.response.status).toBe(500);
    expect(result.response.message).toContain(expected.replace('%s', result.txId));
  });

  test('requests naming a collection go to the private data side, with their collection', async () => {
    const state = new MemoryStateWithCollections(ledgerState);
    const put = await call(['privatePut', 'assetCollection', 'p1', 'secret'], { state });
    expect(put.response.status).toBe(200);
    expect((await call(['privateGet', 'assetCollection', 'p1'], { state })).response.payload).toEqual(Buffer.from('secret'));
    const hash = await call(['privateHash', 'assetCollection', 'p1'], { state });
    expect(text(hash.response.payload)).toBe(createHash('sha256').update('secret').digest('hex'));
    await call(['privatePut', 'assetCollection', 'p2', 'other'], { state });
    const range = await call(['privateRange', 'assetCollection', 'p', 'q'], { state });
    expect(range.response.message).toBe('');
    expect(JSON.parse(text(range.response.payload))).toEqual([{ key: 'p1', value: 'secret' }, { key: 'p2', value: 'other' }]);
    await call(['privateSetEndorsers', 'assetCollection', 'p1', 'policy'], { state });
    expect(text((await call(['privateGetEndorsers', 'assetCollection', 'p1'], { state })).response.payload)).toBe('policy');
    await call(['privateDel', 'assetCollection', 'p2'], { state });
    await call(['privatePurge', 'assetCollection', 'p1'], { state });
    expect(state.privateData.calls).toEqual([
      'pput assetCollection p1',
      'pget assetCollection p1',
      'phash assetCollection p1',
      'pput assetCollection p2',
      'prange assetCollection p q',
      'pputmeta assetCollection p1 VALIDATION_PARAMETER',
      'pgetmeta assetCollection p1',
      'pdel assetCollection p2',
      'ppurge assetCollection p1',
    ]);
    // Public state was not touched.
    expect(state.calls).toEqual([]);
  });

  test('a shim-level ERROR (unreadable proposal) resolves as status 500', async () => {
    const { txId, input } = makeProposal(user, 'kvcc', ['get', 'asset1']);
    const emptyProposal = new peer.SignedProposal();
    emptyProposal.setProposalBytes(new peer.Proposal().serializeBinary());
    const result = await runtime.invoke('kvcc', {
      channelId: CHANNEL,
      txId,
      signedProposal: emptyProposal,
      input,
      state: new MemoryState(ledgerState),
    });
    expect(result.response.status).toBe(500);
    expect(result.response.message).toBe('transaction returned with failure: Error: Proposal header is empty');
  });

  test('concurrent reads of one transaction are served one at a time', async () => {
    ledgerState.set('c1', 'one');
    ledgerState.set('c2', 'two');
    ledgerState.set('c3', 'three');
    const result = await call(['getMany', 'c1', 'c2', 'c3']);
    expect(JSON.parse(text(result.response.payload))).toEqual(['one', 'two', 'three']);
    expect(result.state.maxInFlight).toBe(1);
  });

  test('transactions run concurrently on one stream, and a duplicate in-flight txid is refused', async () => {
    const slow = makeProposal(user, 'kvcc', ['sleep', '400']);
    const state = new MemoryState(ledgerState);
    const request = { channelId: CHANNEL, txId: slow.txId, signedProposal: slow.signedProposal, input: slow.input, state };
    const sleeping = runtime.invoke('kvcc', request);
    let sleepingDone = false;
    void sleeping.then(() => {
      sleepingDone = true;
    });
    await expect(runtime.invoke('kvcc', request)).rejects.toMatchObject({
      code: 'DUPLICATE_TXID',
      message: `txid: ${slow.txId}(${CHANNEL}) exists`,
    });
    const quick = await Promise.all([call(['get', 'asset1']), call(['whoami'])]);
    expect(quick.map((r) => r.response.status)).toEqual([200, 200]);
    // The short transactions were answered while the first one was still sleeping in the chaincode.
    expect(sleepingDone).toBe(false);
    expect(text((await sleeping).response.payload)).toBe('slept');
  });

  test('a transaction that outlives its timeout fails, and the late answer is dropped', async () => {
    await expect(call(['sleep', '600'], { timeoutMs: 150 })).rejects.toMatchObject({
      name: 'ChaincodeError',
      code: 'TIMEOUT',
      message: 'timeout expired while executing transaction',
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(runtime.isRunning('kvcc')).toBe(true);
    expect((await call(['get', 'asset1'])).response.status).toBe(200);
  });

  test('an unknown chaincode is not running', async () => {
    await expect(call(['get', 'asset1'], { name: 'ghost' })).rejects.toMatchObject({
      code: 'NOT_RUNNING',
      message: 'chaincode ghost is not running',
    });
  });

  test('a killed chaincode fails the pending transaction and reports exit; it can be relaunched', async () => {
    const pid = runtime.pidOf('kvcc');
    expect(pid).toBeDefined();
    const exited = new Promise<void>((resolve) => {
      runtime.once('exit', () => {
        resolve();
      });
    });
    const pending = call(['sleep', '5000']);
    pending.catch(() => undefined);
    // Let the TRANSACTION reach the chaincode before killing it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(pid as number, 'SIGKILL');

    await expect(pending).rejects.toMatchObject({ code: 'STREAM_TERMINATED', message: 'chaincode stream terminated' });
    await exited;
    expect(exits).toContainEqual({ name: 'kvcc', code: null, info: { signal: 'SIGKILL', requested: false } });
    expect(runtime.isRunning('kvcc')).toBe(false);
    await expect(call(['get', 'asset1'])).rejects.toMatchObject({ code: 'NOT_RUNNING', message: 'chaincode kvcc is not running' });

    await launchKvcc();
    expect(text((await call(['get', 'asset1'])).response.payload)).toBe('blue');
  });

  test('a chaincode that cannot start fails launch with its log, and leaves no process', async () => {
    const logFile = path.join(tmp, 'broken.log');
    const brokenAddress = `127.0.0.1:${await freePort()}`;
    const failure = runtime.launch({ name: 'broken', label: 'broken_1', folder: BROKEN, address: brokenAddress, mspId: PEER_MSP, logFile });
    await expect(failure).rejects.toBeInstanceOf(ChaincodeError);
    await expect(failure).rejects.toMatchObject({ code: 'LAUNCH_FAILED' });
    await expect(failure).rejects.toThrow(/could not launch chaincode broken_1:[0-9a-f]{64}: the process exited \(code 1\)[\s\S]*missing\.js/);
    expect(runtime.names()).not.toContain('broken');
    expect(exits.map((e) => e.name)).not.toContain('broken');
  });

  test('a folder without fabric-shim fails launch before spawning', async () => {
    await expect(
      runtime.launch({ name: 'nowhere', label: 'n_1', folder: os.tmpdir(), address, mspId: PEER_MSP, logFile: path.join(tmp, 'nowhere.log') }),
    ).rejects.toMatchObject({ code: 'LAUNCH_FAILED', message: expect.stringContaining('fabric-shim is not installed') });
  });

  test('mutual TLS: the chaincode serves with its certificate and requires the devnet\'s', async () => {
    const server = makeIdentity(tmp, 'kvtls', ['-addext', 'subjectAltName=DNS:kvtls.example.com']);
    const keyFile = path.join(tmp, 'kvtls.key');
    const certFile = path.join(tmp, 'kvtls.crt');
    const tlsAddress = `127.0.0.1:${await freePort()}`;
    await runtime.launch({
      name: 'kvtls',
      label: 'kvcc_1.0',
      folder: KVCC,
      address: tlsAddress,
      mspId: PEER_MSP,
      logFile: path.join(tmp, 'kvtls.log'),
      tls: {
        keyFile,
        certFile,
        rootCertPem: Buffer.from(server.certPem),
        serverNameOverride: 'kvtls.example.com',
        // user1's self-signed certificate is its own CA.
        clientCaCertFile: path.join(tmp, 'user1.crt'),
        clientKeyPem: Buffer.from(user.keyPem),
        clientCertPem: Buffer.from(user.certPem),
      },
    });
    expect(runtime.packageIdOf('kvtls')).toBe(ccaasPackageId('kvcc_1.0', tlsAddress, true));
    const result = await call(['get', 'asset1'], { name: 'kvtls' });
    expect(text(result.response.payload)).toBe('blue');
  });

  test('stopAll leaves no child running', async () => {
    const pids = runtime.names().map((name) => runtime.pidOf(name) as number);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    await runtime.stopAll();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(runtime.names()).toEqual([]);
    expect(runtime.isRunning('kvcc')).toBe(false);
    expect(exits.filter((e) => e.info.requested).map((e) => e.name).sort()).toEqual(['kvcc', 'kvtls']);
  });
});
