/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The signed-block half of the audit on Fabric blocks made as the devnet's orderer makes them
 * (signed by a member's orderer identity, real CONFIG and endorser transactions): the orderer
 * signature and hash checks, the heads that expose a history cut at the end or a relinked record,
 * the version 2 export, and the in-force classification (skipped, pending, overdue).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  blockDataHash,
  blockHeaderBytes,
  blockHeaderHash,
  buildConfigUpdateEnvelope,
  buildGenesisBlock,
  computeUpdate,
  readConfigBlock,
  readMsps,
  signConfigUpdate,
  withBatchParams,
} from 'fabric-config/configtx';
import type { BatchChange } from 'fabric-config/configtx';
import { generateOrgCrypto, MspRegistry, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { acceptConfigUpdate, generateTestOrgs, testChannelProfile } from 'fabric-config/testing';
import { cycleWindow, expectedProposer, hashHeader, parseIsoMillis, scheduleAfter, toIsoMillis, voteMessage } from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, ConfigBlockHeader, GenesisParams, JsonObject, JsonValue } from 'mgmt-chaincode/dist/protocol';
import { managementLinkTxId } from '../primary/managementLink';
import { auditEvidence, NO_CONFIG_NOTICE, NO_HEAD_EVIDENCE_NOTICE } from './audit';
import { BlockProblem, cbWritesOf, checkDataHash, checkHashLink, checkOrdererSignatures, decodeBlock, ordererTrust } from './blockEvidence';
import { collectEvidence } from './collect';
import type { EvidenceSources } from './collect';
import { buildExport, parseExport, serializeExport } from './exportFormat';
import { classifyPrimary } from './heads';
import { decodePrimaryConfigBlock } from './primary';
import { renderCsv, renderTable } from './render';
import type { AuditEvidence, AuditFault, PrimaryConfigRecord, SignedBlocks } from './types';

const SCHEMA: JsonObject = {
  type: 'object',
  properties: { batchTimeoutMs: { type: 'integer', minimum: 50, maximum: 10000 }, maxMessageCount: { type: 'integer', minimum: 1, maximum: 1000 } },
  required: ['batchTimeoutMs', 'maxMessageCount'],
  additionalProperties: false,
};
// The generated certificates are valid from a few minutes ago: the CBs are made an hour from now.
const GENESIS_MS = Math.floor(Date.now() / 1000) * 1000 + 3_600_000;

let root: string;
let outsiderRoot: string;
let orgs: OrgCrypto[];
let outsider: OrgCrypto;
let orderer: SigningIdentity;
let admins: SigningIdentity[];
let params: GenesisParams;
let chain: ConfigBlock[];
/** A consistent history: 3 CBs; primary config blocks 0, 4 (CB 1), 8 (CB 2), head 10; mgmt blocks 0 (config), 12 (CB 2), 13 (head). */
let history: History;

interface History {
  readonly evidence: AuditEvidence;
  readonly signed: SignedBlocks;
  readonly primaryBlocks: common.Block[];
  readonly mgmtTail: common.Block[];
}

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('audit-heads', 4));
  outsiderRoot = mkdtempSync(join(tmpdir(), 'audit-heads-outsider-'));
  outsider = await generateOrgCrypto(outsiderRoot, { mspId: 'Org9MSP', domain: 'org9.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  orderer = new SigningIdentity(orgs[0].mspId, orgs[0].orderer.signCertPem, orgs[0].orderer.privateKeyPem);
  admins = orgs.map((o) => new SigningIdentity(o.mspId, o.admin.certPem, o.admin.privateKeyPem));
  params = {
    members: orgs.map((o) => ({ mspId: o.mspId, caCertificate: o.caCertPem })),
    cbiSeconds: 30,
    cycleTimeoutSeconds: 10,
    clockToleranceSeconds: 5,
    configSchema: SCHEMA,
  };
  chain = buildChain([
    { batchTimeoutMs: 100, maxMessageCount: 10 },
    { batchTimeoutMs: 200, maxMessageCount: 20 },
    { batchTimeoutMs: 300, maxMessageCount: 30 },
  ]);
  history = buildHistory();
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outsiderRoot, { recursive: true, force: true });
});

// ---- CBs, sealed with the members' client identities ----

function seal(header: ConfigBlockHeader): ConfigBlock {
  const hash = hashHeader(header);
  const proof = orgs.slice(0, 3).map((o) => ({
    mspId: o.mspId,
    certificate: o.user.certPem,
    signature: Buffer.from(new SigningIdentity(o.mspId, o.user.certPem, o.user.privateKeyPem).sign(voteMessage(hash, true))).toString('base64'),
  }));
  return { ...header, hash, proof };
}

function buildChain(configs: JsonObject[]): ConfigBlock[] {
  const blocks = [seal({ height: 0, prevHash: '', proposer: 'Org1MSP', cycle: 0, timestamp: toIsoMillis(GENESIS_MS), config: configs[0], params })];
  for (let h = 1; h < configs.length; h++) {
    const previous = blocks[h - 1];
    const window = cycleWindow(scheduleAfter(parseIsoMillis(previous.timestamp) as number, params), 0);
    blocks.push(
      seal({ height: h, prevHash: previous.hash, proposer: expectedProposer(params.members, previous.hash, 0), cycle: 0, timestamp: toIsoMillis(window.startsAtMs + 1000), config: configs[h] }),
    );
  }
  return blocks;
}

const cbTime = (h: number, plusMs = 0): Date => new Date((parseIsoMillis(chain[h].timestamp) as number) + plusMs);

// ---- Fabric blocks, as the devnet's orderer writes them ----

function timestamp(at: Date): Timestamp {
  const ts = new Timestamp();
  ts.fromDate(at);
  return ts;
}

/** A block with SIGNATURES (signed by `signer` unless null) and LAST_CONFIG metadata, and the TRANSACTIONS_FILTER. */
function makeBlock(number: number, previous: common.Block | undefined, envelopes: Uint8Array[], lastConfig: number, signer: SigningIdentity | null = orderer, filter?: number[]): common.Block {
  const header = new common.BlockHeader();
  header.setNumber(number);
  header.setPreviousHash(previous === undefined ? new Uint8Array(0) : blockHeaderHash(previous.getHeader() as common.BlockHeader));
  const data = new common.BlockData();
  data.setDataList(envelopes);
  header.setDataHash(blockDataHash(data));
  const lc = new common.LastConfig();
  lc.setIndex(lastConfig);
  const obm = new common.OrdererBlockMetadata();
  obm.setLastConfig(lc);
  const value = obm.serializeBinary();
  const signatures = new common.Metadata();
  signatures.setValue(value);
  if (signer !== null) {
    const sh = new common.SignatureHeader();
    sh.setCreator(signer.serialize());
    sh.setNonce(new Uint8Array(24).fill(number % 256));
    const sig = new common.MetadataSignature();
    sig.setSignatureHeader(sh.serializeBinary());
    sig.setSignature(signer.sign(Buffer.concat([value, sh.serializeBinary(), blockHeaderBytes(header)])));
    signatures.setSignaturesList([sig]);
  }
  const lastConfigSlot = new common.Metadata();
  lastConfigSlot.setValue(lc.serializeBinary());
  const metadata = new common.BlockMetadata();
  metadata.setMetadataList([signatures.serializeBinary(), lastConfigSlot.serializeBinary(), Uint8Array.from(filter ?? envelopes.map(() => 0)), new Uint8Array(0), new Uint8Array(0)]);
  const block = new common.Block();
  block.setHeader(header);
  block.setData(data);
  block.setMetadata(metadata);
  return block;
}

function envelopeOf(channelId: string, type: number, data: Uint8Array, at: Date, txId = ''): Uint8Array {
  const ch = new common.ChannelHeader();
  ch.setType(type);
  ch.setChannelId(channelId);
  ch.setTxId(txId);
  ch.setTimestamp(timestamp(at));
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(data);
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  return envelope.serializeBinary();
}

/** The CONFIG envelope of an accepted update of `current`, carrying `link`. */
function configEnvelope(current: common.Config, change: BatchChange, at: Date, link?: { height: number; hash: string }): { envelope: Uint8Array; config: common.Config } {
  const update = computeUpdate('primary', current, withBatchParams(current, change)).serializeBinary();
  const signers = admins.slice(1, 4);
  const updateEnvelope = buildConfigUpdateEnvelope('primary', update, signers.map((s) => signConfigUpdate(update, s)), signers[0], { timestamp: at, ...(link === undefined ? {} : { txId: managementLinkTxId(link) }) });
  const applied = acceptConfigUpdate('primary', current, updateEnvelope, new MspRegistry(readMsps(current)));
  const ce = new common.ConfigEnvelope();
  ce.setConfig(applied.config);
  ce.setLastUpdate(updateEnvelope);
  return { envelope: envelopeOf('primary', common.HeaderType.CONFIG, ce.serializeBinary(), at), config: applied.config };
}

/** An endorser transaction of the mgmt chaincode writing `writes` (a Tally writes `cb:<height>`). */
function tallyEnvelope(writes: { key: string; value: string }[], at: Date, txId: string): Uint8Array {
  const kv = new ledger.rwset.kvrwset.KVRWSet();
  for (const w of writes) {
    const write = new ledger.rwset.kvrwset.KVWrite();
    write.setKey(w.key);
    write.setValue(Buffer.from(w.value, 'utf8'));
    kv.addWrites(write);
  }
  const ns = new ledger.rwset.NsReadWriteSet();
  ns.setNamespace('mgmt');
  ns.setRwset(kv.serializeBinary());
  const rwset = new ledger.rwset.TxReadWriteSet();
  rwset.setNsRwsetList([ns]);
  const action = new peer.ChaincodeAction();
  action.setResults(rwset.serializeBinary());
  const prp = new peer.ProposalResponsePayload();
  prp.setExtension$(action.serializeBinary());
  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(prp.serializeBinary());
  const cap = new peer.ChaincodeActionPayload();
  cap.setAction(endorsed);
  const ta = new peer.TransactionAction();
  ta.setPayload(cap.serializeBinary());
  const tx = new peer.Transaction();
  tx.setActionsList([ta]);
  return envelopeOf('mgmt', common.HeaderType.ENDORSER_TRANSACTION, tx.serializeBinary(), at, txId);
}

const cbKey = (h: number): string => `cb:${h.toString().padStart(16, '0')}`;
const tallyOf = (cb: ConfigBlock, at: Date): Uint8Array => tallyEnvelope([{ key: cbKey(cb.height), value: JSON.stringify(cb) }, { key: 'latest', value: '{}' }], at, `tally-${cb.height}`);
const bytes = (b: common.Block): Uint8Array => b.serializeBinary();

function buildHistory(): History {
  const primaryGenesis = buildGenesisBlock(testChannelProfile(orgs), { timestamp: new Date(GENESIS_MS - 86_400_000) });
  const g = readConfigBlock(primaryGenesis).config;
  const c1 = configEnvelope(g, { batchTimeout: '200ms', maxMessageCount: 20 }, cbTime(1, 5000), { height: 1, hash: chain[1].hash });
  const c2 = configEnvelope(c1.config, { batchTimeout: '300ms', maxMessageCount: 30 }, cbTime(2, 5000), { height: 2, hash: chain[2].hash });
  const b4 = makeBlock(4, undefined, [c1.envelope], 4);
  const b8 = makeBlock(8, undefined, [c2.envelope], 8);
  const head = makeBlock(10, undefined, [envelopeOf('primary', common.HeaderType.ENDORSER_TRANSACTION, new Uint8Array([1]), cbTime(2, 9000))], 8);
  const primaryBlocks = [primaryGenesis, b4, b8];
  const mgmtGenesis = buildGenesisBlock(testChannelProfile(orgs, { channelId: 'mgmt' }), { timestamp: new Date(GENESIS_MS - 86_400_000) });
  const m12 = makeBlock(12, undefined, [tallyOf(chain[2], cbTime(2, 2000))], 0);
  const m13 = makeBlock(13, m12, [tallyEnvelope([{ key: 'updsig', value: '{}' }], cbTime(2, 8000), 'share')], 0);
  const signed: SignedBlocks = {
    readAt: cbTime(2, 10_000).toISOString(),
    managementConfigBlock: bytes(mgmtGenesis),
    managementTail: [bytes(m12), bytes(m13)],
    primaryConfigBlocks: primaryBlocks.map(bytes),
    primaryHead: bytes(head),
  };
  const evidence: AuditEvidence = {
    managementChannel: { channelId: 'mgmt', chaincode: 'mgmt', configBlockNumber: 0, msps: orgs.map((o) => ({ mspId: o.mspId, rootCerts: [o.caCertPem] })) },
    managementChain: JSON.parse(JSON.stringify(chain)) as JsonValue[],
    primaryChannel: { channelId: 'primary', configBlocks: primaryBlocks.map(decodePrimaryConfigBlock) },
    signedBlocks: signed,
  };
  return { evidence, signed, primaryBlocks, mgmtTail: [m12, m13] };
}

function withSigned(edit: Partial<SignedBlocks>, evidence: AuditEvidence = history.evidence): AuditEvidence {
  return { ...evidence, signedBlocks: { ...(evidence.signedBlocks as SignedBlocks), ...edit } };
}

const codes = (faults: readonly AuditFault[]): string[] => faults.map((f) => f.code);

// ---- the tests ----

describe('checkOrdererSignatures', () => {
  const trust = (): ReturnType<typeof ordererTrust> => ordererTrust('primary', readConfigBlock(history.primaryBlocks[0]).config, 0);
  const head = (signer: SigningIdentity | null): common.Block => makeBlock(10, undefined, [new Uint8Array([1])], 8, signer);

  it('accepts a block signed by an orderer of the channel and returns the signed last config', () => {
    expect(checkOrdererSignatures(head(orderer), trust())).toEqual({ signers: ['Org1MSP'], lastConfig: 8 });
  });

  it.each([
    ['unsigned', (): common.Block => head(null), /carries no orderer signature/],
    ['signed by a client of an orderer organisation', (): common.Block => head(new SigningIdentity('Org2MSP', orgs[1].user.certPem, orgs[1].user.privateKeyPem)), /is not an orderer's \(OU client\)/],
    ['signed by an orderer of another consortium', (): common.Block => head(new SigningIdentity(outsider.mspId, outsider.orderer.signCertPem, outsider.orderer.privateKeyPem)), /not an organisation of the Orderer group of config block 0/],
    ['signed with a foreign certificate under a member MSP ID', (): common.Block => head(new SigningIdentity('Org2MSP', outsider.orderer.signCertPem, outsider.orderer.privateKeyPem)), /not issued by a root CA of Org2MSP/],
    [
      'with a header changed after signing',
      (): common.Block => {
        const block = head(orderer);
        block.getHeader()?.setNumber(11);
        return block;
      },
      /signature of Org1MSP's orderer does not verify/,
    ],
    [
      'with its last config changed after signing',
      (): common.Block => {
        const block = head(orderer);
        const slots = block.getMetadata()?.getMetadataList_asU8() as Uint8Array[];
        const md = common.Metadata.deserializeBinary(slots[0]);
        const obm = common.OrdererBlockMetadata.deserializeBinary(md.getValue_asU8());
        obm.getLastConfig()?.setIndex(9);
        md.setValue(obm.serializeBinary());
        block.getMetadata()?.setMetadataList([md.serializeBinary(), ...slots.slice(1)]);
        return block;
      },
      /does not verify/,
    ],
  ])('refuses a block %s', (_name, make, reason) => {
    expect(() => checkOrdererSignatures(make(), trust())).toThrow(reason);
  });

  it('checks the data hash and the hash link', () => {
    const block = head(orderer);
    checkDataHash(block);
    block.getData()?.setDataList([new Uint8Array([2])]);
    expect(() => {
      checkDataHash(block);
    }).toThrow(/data hash [0-9a-f]{64} is not the hash of its transactions/);
    const [m12, m13] = history.mgmtTail;
    checkHashLink(m12, m13);
    expect(() => {
      checkHashLink(m12, makeBlock(13, undefined, [new Uint8Array([1])], 0));
    }).toThrow(/previous hash .* is not the hash of block 12/);
    expect(() => {
      checkHashLink(m12, makeBlock(14, m12, [new Uint8Array([1])], 0));
    }).toThrow(/it is block 14, expected block 13/);
    expect(() => decodeBlock(new Uint8Array([0xff, 0xff]))).toThrow(BlockProblem);
  });

  it('finds the CBs a block writes, with the peer validation flag', () => {
    const block = makeBlock(5, undefined, [tallyOf(chain[1], cbTime(1)), tallyOf(chain[2], cbTime(2))], 0, orderer, [0, 11]);
    expect(cbWritesOf(block, 'mgmt').map((w) => [w.tx, w.height, w.valid, (w.value as { hash: string }).hash])).toEqual([
      [0, 1, true, chain[1].hash],
      [1, 2, false, chain[2].hash],
    ]);
    expect(cbWritesOf(block, 'other')).toEqual([]);
  });
});

describe('auditEvidence with signed blocks', () => {
  it('passes a consistent history: heads, the in-force CB and the skipped genesis, and no notice', () => {
    const report = auditEvidence(history.evidence);
    expect(report.faults).toEqual([]);
    expect(report.notices).toEqual([]);
    expect(report.heads).toEqual({
      readAt: history.signed.readAt,
      referenceTime: history.signed.readAt,
      primary: { headBlock: 10, lastConfig: 8, signers: ['Org1MSP'] },
      management: { headBlock: 13, cbBlock: 12, cbHeight: 2, signers: ['Org1MSP'] },
    });
    expect(report.blocks.map((b) => b.primaryStatus)).toEqual(['skipped', 'applied', 'in-force']);
    expect(report.inForce).toEqual({ height: 2, block: 8, skipped: [0], pending: null, graceSeconds: 30 });
    const table = renderTable(report);
    expect(table).toContain('  primary: head block 10, signed by the orderer of Org1MSP, names config block 8 as the latest');
    expect(table).toContain('  mgmt: head block 13, signed by the orderer of Org1MSP; newest CB 2 written in block 12, none after it up to the head');
    expect(table).toContain('In force on primary: CB 2 (config block 8); skipped: CB 0');
    expect(renderCsv(report).split('\r\n')[0]).toMatch(/^record,height,time,proposer,cycle,approvals,changes,primary_blocks,status,hash,faults,primary_status,block,/);
    expect(renderCsv(report).split('\r\n')[1]).toMatch(/^cb,0,.*,skipped(,)+$/);
    // The changes come from the signed config blocks, each governed by the CB its block links.
    expect(report.primaryConfigBlocks.map((p) => [p.number, p.governedBy, p.changesComplete, p.changes.map((c) => [c.path, c.before, c.after, c.governed])])).toEqual([
      [0, 0, true, []],
      [4, 1, true, [['Channel/Orderer/BatchSize/MaxMessageCount', 10, 20, true], ['Channel/Orderer/BatchTimeout', '2s', '200ms', true]]],
      [8, 2, true, [['Channel/Orderer/BatchSize/MaxMessageCount', 20, 30, true], ['Channel/Orderer/BatchTimeout', '200ms', '300ms', true]]],
    ]);
    expect(table).toMatch(/^8 +CB 2 \(linked\) +yes +- +Channel\/Orderer\/BatchTimeout +200ms → 300ms$/m);
  });

  it('fails a history cut after its last primary config block, naming the head and the missing config block', () => {
    const evidence = withSigned(
      { primaryConfigBlocks: history.signed.primaryConfigBlocks.slice(0, 2) },
      { ...history.evidence, primaryChannel: { channelId: 'primary', configBlocks: history.evidence.primaryChannel.configBlocks.slice(0, 2) } },
    );
    const report = auditEvidence(evidence);
    expect(report.ok).toBe(false);
    expect(report.faults).toContainEqual({ code: 'AUDIT_TRUNCATED', primaryBlock: 10, reason: 'primary head block 10 names config block 8 as last config; the export ends at config block 4' });
    // CB 2 was sealed 8 s before the heads were read: within the grace, so pending, not a fault.
    expect(report.blocks[2].primaryStatus).toBe('pending');
  });

  it('fails a history cut after its last CB and the primary block linking it, at both heads', () => {
    const evidence = withSigned(
      { primaryConfigBlocks: history.signed.primaryConfigBlocks.slice(0, 2) },
      {
        ...history.evidence,
        managementChain: history.evidence.managementChain.slice(0, 2),
        primaryChannel: { channelId: 'primary', configBlocks: history.evidence.primaryChannel.configBlocks.slice(0, 2) },
      },
    );
    const faults = auditEvidence(evidence).faults;
    expect(faults).toContainEqual(expect.objectContaining({ code: 'AUDIT_TRUNCATED', primaryBlock: 10 }));
    expect(faults).toContainEqual({ code: 'AUDIT_TRUNCATED', height: 2, managementBlock: 12, reason: 'mgmt block 12 (transaction 0, tally-2) writes CB 2; the export ends at CB 1' });
    expect(faults).toContainEqual(expect.objectContaining({ code: 'AUDIT_EVIDENCE_MISMATCH', height: 1, managementBlock: 12 }));
  });

  it('fails a record relinked to another CB with the same configuration, reading the link from the signed block', () => {
    // CB 3 repeats CB 2's configuration; config block 8 applied CB 2 and is relinked to CB 3 in the export.
    const longer = buildChain([...chain.map((cb) => cb.config), chain[2].config]);
    const records = history.evidence.primaryChannel.configBlocks.map((r) => (r.number === 8 ? { ...r, link: { height: 3, hash: longer[3].hash } } : r));
    const m12 = makeBlock(12, undefined, [tallyOf(longer[3], cbTime(2, 40_000))], 0);
    const m13 = makeBlock(13, m12, [new Uint8Array(tallyEnvelope([], cbTime(2, 41_000), 'x'))], 0);
    const base = { ...history.evidence, managementChain: JSON.parse(JSON.stringify(longer)) as JsonValue[] };
    const untouched = auditEvidence(withSigned({ managementTail: [bytes(m12), bytes(m13)], readAt: cbTime(2, 42_000).toISOString() }, base));
    expect(untouched.faults).toEqual([]);
    expect(untouched.blocks[3].primaryStatus).toBe('pending');
    const relinked = auditEvidence(withSigned({ managementTail: [bytes(m12), bytes(m13)], readAt: cbTime(2, 42_000).toISOString() }, { ...base, primaryChannel: { channelId: 'primary', configBlocks: records } }));
    expect(relinked.faults).toEqual([
      {
        code: 'AUDIT_EVIDENCE_MISMATCH',
        height: 3,
        primaryBlock: 8,
        reason: `the export's record of primary config block 8 differs from the signed block: link: the export says CB 3 (${longer[3].hash.slice(0, 12)}…), the signed block CB 2 (${chain[2].hash.slice(0, 12)}…)`,
      },
    ]);
    // The checks ran on the signed link: CB 2 applied in block 8, CB 3 not applied.
    expect(relinked.blocks.map((b) => b.appliedIn)).toEqual([[], [4], [8], []]);
  });

  it('fails a tampered block, a broken hash chain, a foreign head and substituted MSPs', () => {
    const tampered = decodeBlock(history.signed.primaryConfigBlocks[1]);
    tampered.getData()?.setDataList([history.signed.primaryConfigBlocks[2]]);
    expect(auditEvidence(withSigned({ primaryConfigBlocks: [history.signed.primaryConfigBlocks[0], bytes(tampered), history.signed.primaryConfigBlocks[2]] })).faults).toContainEqual(
      expect.objectContaining({ code: 'AUDIT_BLOCK_INVALID', primaryBlock: 4 }),
    );
    const loose = makeBlock(13, undefined, [tallyEnvelope([], cbTime(2, 8000), 'x')], 0);
    expect(auditEvidence(withSigned({ managementTail: [history.signed.managementTail[0], bytes(loose)] })).faults).toEqual([
      { code: 'AUDIT_BLOCK_INVALID', managementBlock: 13, reason: expect.stringMatching(/^mgmt block 13: its previous hash [0-9a-f]* is not the hash of block 12/) },
    ]);
    const foreign = makeBlock(10, undefined, [new Uint8Array([1])], 8, new SigningIdentity(outsider.mspId, outsider.orderer.signCertPem, outsider.orderer.privateKeyPem));
    expect(codes(auditEvidence(withSigned({ primaryHead: bytes(foreign) })).faults)).toEqual(['AUDIT_BLOCK_INVALID']);
    const msps = history.evidence.managementChannel.msps.map((m, i) => (i === 1 ? { ...m, rootCerts: [outsider.caCertPem] } : m));
    const swapped = auditEvidence({ ...history.evidence, managementChannel: { ...history.evidence.managementChannel, msps } }).faults;
    expect(swapped).toContainEqual(expect.objectContaining({ code: 'AUDIT_EVIDENCE_MISMATCH', managementBlock: 0, reason: expect.stringContaining('the root certificates of Org2MSP differ') }));
  });

  it('refuses a primary genesis whose orderer organisation is not a member with its genesis CA', () => {
    const foreignGenesis = buildGenesisBlock(testChannelProfile([...orgs.slice(0, 3), outsider]), { timestamp: new Date(GENESIS_MS - 86_400_000) });
    const evidence = withSigned(
      { primaryConfigBlocks: [bytes(foreignGenesis), ...history.signed.primaryConfigBlocks.slice(1)] },
      { ...history.evidence, primaryChannel: { channelId: 'primary', configBlocks: [decodePrimaryConfigBlock(foreignGenesis), ...history.evidence.primaryChannel.configBlocks.slice(1)] } },
    );
    expect(auditEvidence(evidence).faults).toContainEqual({
      code: 'AUDIT_ORDERER_UNANCHORED',
      primaryBlock: 0,
      reason: `${outsider.mspId} is an orderer organisation in the primary genesis block but neither a member at genesis nor a declared signer`,
    });
  });

  it('reports a later CB in a transaction the peer flagged invalid as a notice, a valid one as a cut', () => {
    const later = buildChain([...chain.map((cb) => cb.config), { batchTimeoutMs: 400, maxMessageCount: 40 }])[3];
    const m13 = (code: number): common.Block => makeBlock(13, history.mgmtTail[0], [tallyOf(later, cbTime(2, 8000))], 0, orderer, [code]);
    const flagged = auditEvidence(withSigned({ managementTail: [history.signed.managementTail[0], bytes(m13(11))] }));
    expect(flagged.faults).toEqual([]);
    expect(flagged.notices).toEqual([expect.stringMatching(/^mgmt block 13 \(transaction 0, tally-3\) writes CB 3, past the export's end, in a transaction the peer flagged invalid \(code 11\)/)]);
    expect(codes(auditEvidence(withSigned({ managementTail: [history.signed.managementTail[0], bytes(m13(0))] })).faults)).toEqual(['AUDIT_TRUNCATED']);
  });

  it('fails the newest CB not in force after the grace, with the time it was sealed', () => {
    const evidence = withSigned(
      {
        primaryConfigBlocks: history.signed.primaryConfigBlocks.slice(0, 2),
        primaryHead: bytes(makeBlock(10, undefined, [envelopeOf('primary', common.HeaderType.ENDORSER_TRANSACTION, new Uint8Array([1]), cbTime(2, 9000))], 4)),
        readAt: cbTime(2, 60_000).toISOString(),
      },
      { ...history.evidence, primaryChannel: { channelId: 'primary', configBlocks: history.evidence.primaryChannel.configBlocks.slice(0, 2) } },
    );
    const report = auditEvidence(evidence);
    expect(report.faults).toEqual([
      {
        code: 'AUDIT_NOT_IN_FORCE',
        height: 2,
        reason: `CB 2 was sealed at ${cbTime(2, 2000).toISOString()} but is not in force: the latest linked config block of primary, block 4, applies CB 1 when the heads were read at ${cbTime(2, 60_000).toISOString()}, 58.0 s later (grace 30 s)`,
      },
    ]);
    expect(auditEvidence(evidence, { graceSeconds: 60 }).blocks[2].primaryStatus).toBe('pending');
  });
});

describe('the version 3 export', () => {
  it('round-trips the signed blocks, base64, and re-verifies', () => {
    const report = auditEvidence(history.evidence);
    const text = serializeExport(buildExport(history.evidence, report, new Date('2026-02-01T00:00:00Z')));
    const doc = JSON.parse(text) as { version: number; headsReadAt: string; primaryChannel: { configBlocks: { block: string }[]; headBlock: string }; managementChannel: { headBlocks: string[] } };
    expect(doc.version).toBe(3);
    expect(doc.headsReadAt).toBe(history.signed.readAt);
    expect(doc.managementChannel.headBlocks).toHaveLength(2);
    expect(Buffer.from(doc.primaryChannel.headBlock, 'base64').equals(Buffer.from(history.signed.primaryHead))).toBe(true);
    const parsed = parseExport(text);
    expect(parsed.signedBlocks?.primaryConfigBlocks.map((b) => Buffer.from(b).toString('hex'))).toEqual(history.signed.primaryConfigBlocks.map((b) => Buffer.from(b).toString('hex')));
    expect(auditEvidence(parsed).ok).toBe(true);
  });

  it('reads a version 2 document as before, recomputing every change from its config blocks', () => {
    const text = serializeExport(buildExport(history.evidence, auditEvidence(history.evidence))).replace('"version": 3,', '"version": 2,');
    expect(JSON.parse(text)).toMatchObject({ version: 2 });
    const report = auditEvidence(parseExport(text));
    expect(report.faults).toEqual([]);
    expect(report.notices).toEqual([]);
    expect(report.primaryConfigBlocks.map((p) => [p.changesComplete, p.changes.length])).toEqual([
      [true, 0],
      [true, 2],
      [true, 2],
    ]);
  });

  it('refuses a block that is not canonical base64, naming the path', () => {
    const text = serializeExport(buildExport(history.evidence, auditEvidence(history.evidence)));
    const doc = JSON.parse(text) as { primaryChannel: { headBlock: string } };
    doc.primaryChannel.headBlock = `${doc.primaryChannel.headBlock}\n`;
    expect(() => parseExport(JSON.stringify(doc), 'audit.json')).toThrow(/\$\.primaryChannel\.headBlock: must be canonical base64/);
  });

  it('a version 1 document reads without signed blocks and says so', () => {
    const v1: AuditEvidence = { ...history.evidence };
    delete (v1 as { signedBlocks?: SignedBlocks }).signedBlocks;
    const text = serializeExport(buildExport(v1, auditEvidence(v1)));
    expect(JSON.parse(text)).toMatchObject({ version: 1 });
    const report = auditEvidence(parseExport(text));
    expect(report.ok).toBe(true);
    expect(report.notices).toEqual([NO_HEAD_EVIDENCE_NOTICE, NO_CONFIG_NOTICE]);
    expect(report.primaryConfigBlocks.map((p) => p.changesComplete)).toEqual([true, false, false]);
    expect(report.heads).toBeUndefined();
    expect(report.blocks.map((b) => b.primaryStatus)).toEqual(['skipped', 'applied', 'in-force']);
    expect(renderTable(report)).toContain(`Notice: ${NO_HEAD_EVIDENCE_NOTICE}`);
  });
});

describe('classifyPrimary', () => {
  const cb = (height: number, at: string): ConfigBlock => ({ height, hash: String(height).repeat(64).slice(0, 64), timestamp: at }) as unknown as ConfigBlock;
  const verified = [cb(0, '2026-01-01T00:00:00.000Z'), cb(1, '2026-01-01T00:01:00.000Z'), cb(2, '2026-01-01T00:02:00.000Z'), cb(3, '2026-01-01T00:03:00.000Z')];
  const record = (number: number, height: number | null): PrimaryConfigRecord => ({
    number,
    sequence: number,
    timestamp: '2026-01-01T00:00:00.000Z',
    batchTimeout: '1s',
    batchTimeoutMs: 1000,
    maxMessageCount: 10,
    link: height === null ? null : { height, hash: verified[height].hash },
    signers: [],
  });
  const at = (iso: string): number => Date.parse(iso);

  it('marks applied, in force and skipped CBs; the newest unapplied is unchecked without heads', () => {
    const result = classifyPrimary(verified, [record(0, null), record(3, 1), record(7, 2)], { primaryChannel: 'primary', graceSeconds: 30 });
    expect(result.statuses).toEqual(['skipped', 'applied', 'in-force', 'unchecked']);
    expect(result.faults).toEqual([]);
    expect(result.summary).toEqual({ height: 2, block: 7, skipped: [0], pending: null, graceSeconds: 30 });
  });

  it('a CB the runtime moved past is skipped, not a fault; the newest in force is in force', () => {
    const result = classifyPrimary(verified, [record(0, null), record(3, 1), record(9, 3)], { primaryChannel: 'primary', graceSeconds: 30, timing: { referenceMs: at('2026-01-01T01:00:00.000Z') } });
    expect(result.statuses).toEqual(['skipped', 'applied', 'skipped', 'in-force']);
    expect(result.faults).toEqual([]);
  });

  it.each([
    ['sealed within the grace: pending', '2026-01-01T00:03:30.000Z', 'pending', 0],
    ['sealed exactly the grace before: pending', '2026-01-01T00:03:31.000Z', 'pending', 0],
    ['sealed longer before: not in force, a fault', '2026-01-01T00:03:31.001Z', 'not-in-force', 1],
  ])('the newest CB not applied, %s', (_name, reference, status, faults) => {
    const result = classifyPrimary(verified, [record(0, null), record(3, 1), record(7, 2)], {
      primaryChannel: 'primary',
      graceSeconds: 30,
      timing: { referenceMs: at(reference), newestSealedMs: at('2026-01-01T00:03:01.000Z') },
    });
    expect(result.statuses[3]).toBe(status);
    expect(result.faults).toHaveLength(faults);
    expect(result.summary.pending).toBe(status === 'pending' ? 3 : null);
  });
});

describe('collectEvidence with head evidence', () => {
  /** The channels of the history as a fake orderer serves them; mgmt blocks 1..11 only matter to a walk that goes too far. */
  function sources(chainPages: JsonValue[][], calls: string[]): EvidenceSources {
    const primaryHead = decodeBlock(history.signed.primaryHead);
    const filler = (channelId: string, number: number, lastConfig: number): common.Block =>
      makeBlock(number, undefined, [envelopeOf(channelId, common.HeaderType.ENDORSER_TRANSACTION, new Uint8Array([1]), cbTime(1))], lastConfig);
    const primary = new Map<number, common.Block>([
      [0, history.primaryBlocks[0]],
      [3, filler('primary', 3, 0)],
      [4, history.primaryBlocks[1]],
      [7, filler('primary', 7, 4)],
      [8, history.primaryBlocks[2]],
      [10, primaryHead],
    ]);
    const mgmt = new Map<number, common.Block>([
      [0, decodeBlock(history.signed.managementConfigBlock)],
      ...Array.from({ length: 11 }, (_, i): [number, common.Block] => [i + 1, filler('mgmt', i + 1, 0)]),
      [12, history.mgmtTail[0]],
      [13, history.mgmtTail[1]],
    ]);
    let reads = 0;
    return {
      managementChannel: 'mgmt',
      primaryChannel: 'primary',
      chaincode: 'mgmt',
      evaluate: (name, ...args) => {
        calls.push(`${name} ${args.join('..')}`);
        const page = chainPages[Math.min(reads, chainPages.length - 1)];
        reads += 1;
        return Promise.resolve(new TextEncoder().encode(JSON.stringify(page)));
      },
      fetchBlock: (channelId, which) => {
        calls.push(`fetch ${channelId} ${which}`);
        const blocks = channelId === 'primary' ? primary : mgmt;
        const block = blocks.get(which === 'newest' ? Math.max(...blocks.keys()) : which);
        return block === undefined ? Promise.reject(new Error(`no block ${which} of ${channelId}`)) : Promise.resolve(block);
      },
      fetchConfigBlock: () => Promise.reject(new Error('not used with head evidence')),
    };
  }

  it('reads the primary channel, the chain, the mgmt head back to the newest CB, then the mgmt config; the audit passes', async () => {
    const calls: string[] = [];
    const evidence = await collectEvidence(sources([history.evidence.managementChain as JsonValue[]], calls), undefined, { headEvidence: true, now: () => new Date(history.signed.readAt) });
    expect(calls).toEqual(['fetch primary newest', 'fetch primary 8', 'fetch primary 7', 'fetch primary 4', 'fetch primary 3', 'fetch primary 0', 'GetBlocks 0..99', 'fetch mgmt newest', 'fetch mgmt 12', 'fetch mgmt 0']);
    expect(evidence.signedBlocks?.managementTail).toHaveLength(2);
    expect(auditEvidence(evidence).faults).toEqual([]);
  });

  it('reads the chain again when a CB was sealed during the walk', async () => {
    const calls: string[] = [];
    const behind = (history.evidence.managementChain as JsonValue[]).slice(0, 2);
    const evidence = await collectEvidence(sources([behind, history.evidence.managementChain as JsonValue[]], calls), undefined, { headEvidence: true });
    expect(calls.filter((c) => c.startsWith('GetBlocks'))).toHaveLength(2);
    expect(evidence.managementChain).toHaveLength(3);
    expect(auditEvidence(evidence).faults.filter((f) => f.code !== 'AUDIT_NOT_IN_FORCE')).toEqual([]);
  });

  it('names the step when no block up to the head holds the newest CB', async () => {
    // A chain of 6 CBs (as a peer of another network would answer): no block of this mgmt channel writes CB 5.
    const other = Array.from({ length: 6 }, (_, h) => ({ height: h })) as JsonValue[];
    const error = await collectEvidence(sources([other], []), undefined, { headEvidence: true }).catch((err: unknown) => err);
    expect(error).toMatchObject({
      code: 'AUDIT_READ_FAILED',
      step: 'head blocks of mgmt',
      message: 'AUDIT_READ_FAILED: head blocks of mgmt: no block up to the head block 13 holds a valid write of CB 5',
    });
  });
});
