/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The pure audit on synthetic management chains made with the protocol core and real signatures
 * from a generated PKI: the core's verifyBlock with the OpenSSL verifier against the core's own
 * pure verifier (rule by rule and at random), the
 * audit's anchoring and link checks, the export and tampered exports, the CLI offline, and speed.
 */
import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { Command } from 'commander';
import fc from 'fast-check';
import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { p256 } from '@noble/curves/nist';
import {
  assertVoteSignature,
  BlockVerificationError,
  messageOf,
  parseIsoMillis,
  pureVerifier,
  toIsoMillis,
  verifyBlock,
  verifyChain,
  voteMessage,
  voteText,
} from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, ConfigBlockHeader, CryptoVerifier, GenesisParams, JsonObject, JsonValue } from 'mgmt-chaincode/dist/protocol';
import { createTestConsortium, TestIdentity, TestOrg } from '../../../chaincode/src/testing/pki';
import { endingOf } from '../cli/errors';
import { registerAudit } from '../cli/audit';
import { auditEvidence, checkMembersAnchored, NO_CONFIG_NOTICE, NO_HEAD_EVIDENCE_NOTICE } from './audit';
import { AuditError } from './errors';
import { buildExport, parseExport, serializeExport } from './exportFormat';
import type { AuditEvidence, AuditFault, PrimaryConfigRecord } from './types';
import { createOpenSslVerifier } from './opensslVerifier';
import { approversOf as approversAt, buildSyntheticChain, headerAfter as headerAt, sealBlock as seal, signVoteFast, SYNTHETIC_SCHEMA as BATCH_SCHEMA } from './syntheticChain';
import type { SyntheticVoter as Voter } from './syntheticChain';
import { runningSignatureWorkers, startSignaturePrepass } from './signatureWorkers';
import { verifyManagementChain } from './verifyChain';

interface Fixture {
  readonly orgs: TestOrg[];
  readonly params: GenesisParams;
  readonly voters: Voter[];
}

function voterOf(identity: TestIdentity): Voter {
  return { mspId: identity.mspId, certificate: identity.certificate, key: createPrivateKey(identity.privateKeyPem) };
}

function approversOf(fx: Fixture, height: number): Voter[] {
  return approversAt(fx.voters, height);
}

function headerAfter(fx: Fixture, previous: ConfigBlock, height: number): ConfigBlockHeader {
  return headerAt(fx.params, previous, height);
}

function buildChain(fx: Fixture, count: number): ConfigBlock[] {
  return buildSyntheticChain(fx.params, fx.voters, count);
}

/** The header of a block, to edit and reseal. */
function headerOf(block: ConfigBlock): ConfigBlockHeader {
  const { height, prevHash, proposer, cycle, timestamp, config } = block;
  return { height, prevHash, proposer, cycle, timestamp, config };
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function primaryRecords(chain: readonly ConfigBlock[]): PrimaryConfigRecord[] {
  const records: PrimaryConfigRecord[] = [
    { number: 0, sequence: 0, timestamp: '2025-12-31T00:00:00.000Z', batchTimeout: '2s', batchTimeoutMs: 2000, maxMessageCount: 10, link: null, signers: [] },
  ];
  chain.slice(1).forEach((cb, i) => {
    const ms = cb.config.batchTimeoutMs as number;
    records.push({
      number: (i + 1) * 3,
      sequence: i + 1,
      timestamp: toIsoMillis((parseIsoMillis(cb.timestamp) as number) + 2000),
      batchTimeout: `${ms}ms`,
      batchTimeoutMs: ms,
      maxMessageCount: cb.config.maxMessageCount as number,
      link: { height: cb.height, hash: cb.hash },
      signers: ['Org1MSP', 'Org2MSP', 'Org3MSP'],
    });
  });
  return records;
}

function evidenceOf(fx: Fixture, chain: readonly unknown[], records: readonly PrimaryConfigRecord[]): AuditEvidence {
  return {
    managementChannel: { channelId: 'mgmt', chaincode: 'mgmt', configBlockNumber: 0, msps: fx.orgs.map((o) => ({ mspId: o.mspId, rootCerts: [o.caCertificate] })) },
    managementChain: chain as JsonValue[],
    primaryChannel: { channelId: 'primary', configBlocks: records },
  };
}

function verdict(blocks: readonly unknown[], reference: boolean): { verified: number; height?: number; reason?: string } {
  const result = verifyManagementChain(blocks, { reference });
  return { verified: result.verified.length, height: result.fault?.height, reason: result.fault?.reason };
}

let fx: Fixture;
let chain: ConfigBlock[];
let outsider: TestOrg;

beforeAll(async () => {
  const orgs = await createTestConsortium();
  [outsider] = await createTestConsortium(['Org9MSP']);
  fx = {
    orgs,
    params: {
      members: orgs.map((o) => ({ mspId: o.mspId, caCertificate: o.caCertificate })),
      cbiSeconds: 30,
      cycleTimeoutSeconds: 10,
      clockToleranceSeconds: 5,
      configSchema: BATCH_SCHEMA,
    },
    voters: orgs.map((o) => voterOf(o.client)),
  };
  chain = buildChain(fx, 12);
});

describe('the synthetic chain', () => {
  it('is valid for the core, and its blocks have the intended shapes', () => {
    expect(verifyChain(chain).latest.hash).toBe(chain[11].hash);
    expect(chain[5]).toMatchObject({ cycle: 1 });
    expect(chain[5].proof).toHaveLength(3);
    expect(chain[6].proof).toHaveLength(4);
  });
});

/** The core's verdict on a vote signature with a verifier: undefined when valid, else the message. */
function voteVerdict(hash: string, der: Uint8Array, certificate: string, verifier: CryptoVerifier): string | undefined {
  try {
    assertVoteSignature({ hash, approve: true, signature: Buffer.from(der).toString('base64'), certificate }, verifier);
    return undefined;
  } catch (err) {
    return messageOf(err);
  }
}

/** The core's verdict on one block after `previous`: undefined when valid, else the reason. */
function blockVerdict(block: unknown, previous: ConfigBlock, verifier: CryptoVerifier): string | undefined {
  try {
    verifyBlock(block, { previous, params: fx.params, verifier });
    return undefined;
  } catch (err) {
    if (!(err instanceof BlockVerificationError)) throw err;
    return err.reason;
  }
}

describe('the canonical low-S DER rule of the core, with either verifier', () => {
  const hash = 'ab'.repeat(32);
  const low = (): Uint8Array => Buffer.from(signVoteFast(hash, fx.voters[0].key), 'base64');
  const cases: [string, () => Uint8Array, boolean][] = [
    ['low-S canonical DER: accepted', low, true],
    ['the same signature with high S: refused', () => highS(low()), false],
    ['an extra leading zero in r: refused', () => padR(low()), false],
    ['a trailing byte: refused', () => Buffer.concat([low(), Buffer.from([0])]), false],
    ['r = 0: refused', () => Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01]), false],
    ['a long-form sequence length: refused', () => longForm(low()), false],
  ];
  function highS(der: Uint8Array): Uint8Array {
    const sig = p256.Signature.fromBytes(der, 'der');
    return new p256.Signature(sig.r, p256.Point.Fn.ORDER - sig.s).toBytes('der');
  }
  function padR(der: Uint8Array): Uint8Array {
    const b = Buffer.from(der);
    const rLength = b[3];
    return Buffer.concat([Buffer.from([0x30, b[1] + 1, 0x02, rLength + 1, 0x00]), b.subarray(4)]);
  }
  function longForm(der: Uint8Array): Uint8Array {
    const b = Buffer.from(der);
    return Buffer.concat([Buffer.from([0x30, 0x81, b[1]]), b.subarray(2)]);
  }
  it.each(cases)('%s', (_name, make, expected) => {
    const bytes = make();
    const openssl = voteVerdict(hash, bytes, fx.voters[0].certificate, createOpenSslVerifier());
    expect(openssl).toEqual(voteVerdict(hash, bytes, fx.voters[0].certificate, pureVerifier));
    expect(openssl === undefined).toBe(expected);
  });
  it('differs from the low-S form only in S', () => {
    const der = low();
    expect(p256.Signature.fromBytes(highS(der), 'der').r).toBe(p256.Signature.fromBytes(der, 'der').r);
  });
});

describe('verifyManagementChain equals the core verifier', () => {
  type Mutation = (c: ConfigBlock[]) => unknown[];
  const at5 = (edit: (b: ConfigBlock, c: ConfigBlock[]) => unknown): Mutation => (c) => c.map((b, i) => (i === 5 ? edit(copy(b), c) : b));
  const reseal5 = (edit: (h: ConfigBlockHeader, c: ConfigBlock[]) => ConfigBlockHeader): Mutation => at5((b, c) => seal(edit(headerOf(b), c), approversOf(fx, 5)));
  const proof5 = (edit: (p: Record<string, unknown>[], b: ConfigBlock) => unknown[]): Mutation =>
    at5((b) => ({ ...b, proof: edit(copy(b.proof) as unknown as Record<string, unknown>[], b) }));

  const cases: [string, Mutation, RegExp][] = [
    ['changed config: hash mismatch', at5((b) => ({ ...b, config: { ...b.config, maxMessageCount: 999 } })), /^hash \w+ does not match the header/],
    ['dropped vote: proof below quorum', proof5((p) => p.slice(1)), /^proof has 2 approvals, quorum is 3$/],
    ['swapped with the next block: height', (c) => c.map((b, i) => (i === 5 ? c[6] : i === 6 ? c[5] : b)), /^height is 6, expected 5$/],
    ['dropped block: height', (c) => c.filter((_, i) => i !== 5), /^height is 6, expected 5$/],
    ['another proposer, resealed', reseal5((h) => ({ ...h, proposer: h.proposer === 'Org1MSP' ? 'Org2MSP' : 'Org1MSP' })), /^proposer is Org\dMSP, expected Org\dMSP for cycle 1$/],
    ['cycle that does not match the timestamp, resealed', reseal5((h) => ({ ...h, cycle: 0 })), /outside cycle 0/],
    ['before the CBI, resealed', reseal5((h, c) => ({ ...h, timestamp: toIsoMillis((parseIsoMillis(c[4].timestamp) as number) + 29_999) })), /less than CBI/],
    ['not after the previous block, resealed', reseal5((h, c) => ({ ...h, timestamp: c[4].timestamp })), /is not after/],
    ['config outside the schema bounds, resealed', reseal5((h) => ({ ...h, config: { batchTimeoutMs: 100, maxMessageCount: 0 } })), /^config: /],
    ['prevHash that does not link, resealed', reseal5((h) => ({ ...h, prevHash: 'cd'.repeat(32) })), /does not link to block 4/],
    ['params above height 0 that remove two of four members', at5((b) => ({ ...b, params: { ...fx.params, members: fx.params.members.slice(0, 2) } })), /params: removes 2 of 4 members/],
    ['uppercase hash', at5((b) => ({ ...b, hash: b.hash.toUpperCase() })), /64 lowercase hex/],
    ['proof not sorted', proof5((p) => [...p].reverse()), /not sorted by MSP ID or repeat a member/],
    ['the same member twice', proof5((p) => [p[0], p[0], p[1], p[2]]), /not sorted by MSP ID or repeat a member/],
    ['a non-member in the proof', proof5((p) => [...p, { mspId: 'Org9MSP', certificate: outsider.client.certificate, signature: p[0].signature }]), /Org9MSP is not a member/],
    ['a rejection passed off as an approval', proof5((p, b) => p.map((e, i) => (i === 0 ? { ...e, signature: signVoteFast(b.hash, keyOf(e.mspId as string), false) } : e))), /signature does not verify/],
    ['the signature of another block', proof5((p) => p.map((e, i) => (i === 0 ? { ...e, signature: signVoteFast(chain[4].hash, keyOf(e.mspId as string)) } : e))), /signature does not verify/],
    ['a high-S signature', proof5((p) => p.map((e, i) => (i === 0 ? { ...e, signature: highSOf(e.signature as string) } : e))), /high S/],
    ['non-canonical base64', proof5((p) => p.map((e, i) => (i === 0 ? { ...e, signature: `${e.signature as string}\n` } : e))), /canonical base64/],
    ['an extra field in a proof entry', proof5((p) => p.map((e, i) => (i === 0 ? { ...e, reason: 'fine' } : e))), /exactly the fields/],
    ['a certificate of another member', proof5((p) => p.map((e, i) => (i === 0 ? { ...e, certificate: fx.voters[3].certificate } : e))), /not issued by the Org\dMSP CA/],
    ['a peer certificate', proof5((p) => p.map((e, i) => (i === 0 ? { ...e, certificate: fx.orgs[0].peer.certificate } : e))), /peer or orderer/],
  ];

  function keyOf(mspId: string): KeyObject {
    return (fx.voters.find((v) => v.mspId === mspId) as Voter).key;
  }
  function highSOf(signature: string): string {
    const sig = p256.Signature.fromBytes(Buffer.from(signature, 'base64'), 'der');
    return Buffer.from(new p256.Signature(sig.r, p256.Point.Fn.ORDER - sig.s).toBytes('der')).toString('base64');
  }

  it.each(cases)('%s: fault at height 5 with the core reason, and the OpenSSL verifier never accepts it', (_name, mutate, reason) => {
    const tampered = mutate(chain);
    const fast = verdict(tampered, false);
    expect(fast).toEqual(verdict(tampered, true));
    expect(fast).toMatchObject({ verified: 5, height: 5 });
    expect(fast.reason).toMatch(reason);
    expect(blockVerdict(tampered[5], chain[4], createOpenSslVerifier())).toBe(fast.reason);
  });

  it('accepts what the core accepts: fields outside the header and the proof are ignored', () => {
    const extended = chain.map((b) => ({ ...b, txId: `tx-${b.height}` }));
    expect(verdict(extended, false)).toEqual({ verified: 12, height: undefined, reason: undefined });
    expect(blockVerdict(extended[5], chain[4], createOpenSslVerifier())).toBeUndefined();
  });

  it('rechecks the validity time of a certificate it has already seen', async () => {
    // Org1's approvals use a certificate that expires after block 3's timestamp.
    const expiring = voterOf(await fx.orgs[0].issue({ notAfter: new Date((parseIsoMillis(chain[3].timestamp) as number) + 1000) }));
    const voters = [expiring, ...fx.voters.slice(1, 3)];
    const blocks: ConfigBlock[] = [chain[0]];
    for (let h = 1; h < 6; h++) blocks.push(seal(headerAfter(fx, blocks[h - 1], h), voters));
    const fast = verdict(blocks, false);
    expect(fast).toEqual(verdict(blocks, true));
    expect(fast).toMatchObject({ verified: 4, height: 4 });
    expect(fast.reason).toMatch(/certificate of Org1MSP .* is not valid at/);
  });

  it('agrees with the core on random tampering', () => {
    const base = chain.slice(0, 6);
    const fields = ['height', 'hash', 'prevHash', 'proposer', 'cycle', 'timestamp', 'config', 'proof', 'params'];
    const mutation = fc.record({
      index: fc.integer({ min: 0, max: 5 }),
      kind: fc.constantFrom('set', 'delete', 'proofEntry', 'swap'),
      field: fc.constantFrom(...fields),
      entryField: fc.constantFrom('mspId', 'certificate', 'signature', 'extra'),
      value: fc.jsonValue({ maxDepth: 2 }),
    });
    fc.assert(
      fc.property(mutation, (m) => {
        const blocks = copy(base) as unknown as Record<string, unknown>[];
        const target = blocks[m.index];
        if (m.kind === 'set') target[m.field] = m.value;
        else if (m.kind === 'delete') Reflect.deleteProperty(target, m.field);
        else if (m.kind === 'swap') [blocks[m.index], blocks[(m.index + 1) % 6]] = [blocks[(m.index + 1) % 6], blocks[m.index]];
        else (target.proof as Record<string, unknown>[])[0][m.entryField] = m.value;
        expect(verdict(blocks, false)).toEqual(verdict(blocks, true));
      }),
      { numRuns: 60 },
    );
  });

  it('reports an empty chain at height 0, as the core does', () => {
    expect(verdict([], false)).toEqual({ verified: 0, height: 0, reason: 'no blocks to verify' });
  });
});

describe('auditEvidence', () => {
  const codes = (faults: readonly AuditFault[]): string[] => faults.map((f) => f.code);

  it('passes a consistent chain and primary history, with approvals, changes and the applying blocks', () => {
    const report = auditEvidence(evidenceOf(fx, chain, primaryRecords(chain)));
    expect(report.faults).toEqual([]);
    expect(report).toMatchObject({ ok: true, verifiedHeight: 11, members: ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'] });
    expect(report.blocks[0]).toMatchObject({
      height: 0,
      status: 'verified',
      approvals: ['Org1MSP', 'Org2MSP', 'Org3MSP'],
      changes: [
        { key: 'batchTimeoutMs', kind: 'added', after: 100 },
        { key: 'maxMessageCount', kind: 'added', after: 10 },
      ],
      appliedIn: [],
    });
    expect(report.blocks[1]).toMatchObject({
      changes: [
        { key: 'batchTimeoutMs', kind: 'changed', before: 100, after: 110 },
        { key: 'maxMessageCount', kind: 'changed', before: 10, after: 11 },
      ],
      appliedIn: [3],
    });
    // Without config blocks (version 1 evidence) the changes are the records' batch values, governed by the linked CB.
    expect(report.primaryConfigBlocks[1]).toMatchObject({
      number: 3,
      batchChanged: true,
      link: { height: 1 },
      governedBy: 1,
      changesComplete: false,
      changes: [
        { path: 'Channel/Orderer/BatchTimeout', kind: 'modified', before: '2s', after: '110ms', governed: true },
        { path: 'Channel/Orderer/BatchSize/MaxMessageCount', kind: 'modified', before: 10, after: 11, governed: true },
      ],
    });
    expect(report.primaryConfigBlocks[0]).toMatchObject({ changes: [], governedBy: 0, changesComplete: true });
    expect(report.notices).toEqual([NO_HEAD_EVIDENCE_NOTICE, NO_CONFIG_NOTICE]);
  });

  it('anchors the genesis members in the management channel config', () => {
    const evidence = evidenceOf(fx, chain, primaryRecords(chain));
    const msps = evidence.managementChannel.msps;
    const swapped = { ...evidence, managementChannel: { ...evidence.managementChannel, msps: msps.map((m, i) => (i === 1 ? { ...m, rootCerts: [outsider.caCertificate] } : m)) } };
    expect(auditEvidence(swapped).faults).toEqual([
      { code: 'AUDIT_MEMBERS_MISMATCH', height: 0, reason: expect.stringMatching(/^the CA certificate of Org2MSP in force \(SHA-256 .*\) is not a root certificate of Org2MSP in the mgmt channel config \(block 0\)$/) },
    ]);
    const missing = { ...evidence, managementChannel: { ...evidence.managementChannel, msps: msps.slice(0, 3) } };
    expect(auditEvidence(missing).faults.map((f) => f.reason)).toEqual(['Org4MSP is a member in force but has no MSP in the mgmt channel config (block 0)']);
    const extra = { ...evidence, managementChannel: { ...evidence.managementChannel, msps: [...msps, { mspId: 'Org9MSP', rootCerts: [outsider.caCertificate] }] } };
    expect(auditEvidence(extra).faults.map((f) => f.reason)).toEqual(['Org9MSP has an MSP in the mgmt channel config (block 0) but was never a member and is not a declared signer']);
    // A declared signer (an orderer organisation) is accepted with its declared CA, named in a notice, and refused with another CA.
    const declared = { ...extra, managementChannel: { ...extra.managementChannel, declaredSigners: [{ mspId: 'Org9MSP', rootCerts: [outsider.caCertificate] }] } };
    const declaredReport = auditEvidence(declared);
    expect(declaredReport.faults).toEqual([]);
    expect((declaredReport.notices ?? []).some((n) => n.startsWith('declared signers, accepted on the channels without being members: Org9MSP (CA SHA-256 '))).toBe(true);
    const otherCa = { ...extra, managementChannel: { ...extra.managementChannel, declaredSigners: [{ mspId: 'Org9MSP', rootCerts: [fx.orgs[0].caCertificate] }] } };
    expect(auditEvidence(otherCa).faults.map((f) => f.reason)).toEqual([expect.stringMatching(/^Org9MSP is a declared signer, but its declared CA certificate \(SHA-256 .*\) is not a root certificate of Org9MSP in the mgmt channel config \(block 0\)$/)]);
    // A member removed by a CB may keep its MSP in the channel; one never admitted may not.
    const inForce = evidence.managementChain.length === 0 ? [] : (chain[0]?.params?.members ?? []).slice(0, 3);
    expect(checkMembersAnchored(inForce, msps, 'the mgmt channel config', ['Org4MSP'])).toEqual([]);
    expect(checkMembersAnchored(inForce, msps, 'the mgmt channel config', [])).toHaveLength(1);
    // A CA rotation that keeps the genesis CA among the roots is fine.
    const rotated = { ...evidence, managementChannel: { ...evidence.managementChannel, msps: msps.map((m) => ({ ...m, rootCerts: [outsider.caCertificate, ...m.rootCerts] })) } };
    expect(auditEvidence(rotated).ok).toBe(true);
  });

  const primaryCases: [string, (r: PrimaryConfigRecord[]) => PrimaryConfigRecord[], Partial<AuditFault>][] = [
    [
      'a link to a CB hash that is not on the chain',
      (r) => r.map((x) => (x.number === 6 ? { ...x, link: { height: 2, hash: 'ef'.repeat(32) } } : x)),
      { code: 'AUDIT_LINK_HASH_MISMATCH', height: 2, primaryBlock: 6 },
    ],
    ['a link past the end of the chain', (r) => r.map((x) => (x.number === 6 ? { ...x, link: { height: 40, hash: 'ef'.repeat(32) } } : x)), { code: 'AUDIT_LINK_UNKNOWN_CB', height: 40, primaryBlock: 6 }],
    [
      'batch parameters other than the CB',
      (r) => r.map((x) => (x.number === 6 ? { ...x, maxMessageCount: 77 } : x)),
      {
        code: 'AUDIT_BATCH_MISMATCH',
        height: 2,
        primaryBlock: 6,
        paths: ['Channel/Orderer/BatchSize/MaxMessageCount'],
        reason: "the config does not run CB 2's configuration at 1 governed path: Channel/Orderer/BatchSize/MaxMessageCount is 77, CB 2 wants 12",
      },
    ],
    [
      'a batch change with no link',
      (r) => r.map((x) => (x.number === 6 ? { ...x, link: null } : x)),
      {
        code: 'AUDIT_UNLINKED_GOVERNED_CHANGE',
        primaryBlock: 6,
        paths: ['Channel/Orderer/BatchTimeout', 'Channel/Orderer/BatchSize/MaxMessageCount'],
        reason:
          "an update without a management link, signed by Org1MSP, Org2MSP, Org3MSP, changed 2 paths that CB 1's configuration governs: " +
          'Channel/Orderer/BatchTimeout 110ms → 120ms; Channel/Orderer/BatchSize/MaxMessageCount 11 → 12',
      },
    ],
    ['a config block left out', (r) => r.filter((x) => x.number !== 6), { code: 'AUDIT_PRIMARY_INCOMPLETE', primaryBlock: 9 }],
    ['no genesis config block', (r) => r.slice(1).map((x) => ({ ...x })), { code: 'AUDIT_PRIMARY_INCOMPLETE', primaryBlock: 3 }],
    ['a config block before its CB was proposed', (r) => r.map((x) => (x.number === 6 ? { ...x, timestamp: '2026-01-01T00:00:01.000Z' } : x)), { code: 'AUDIT_LINK_BEFORE_CB', height: 2, primaryBlock: 6 }],
    [
      'an older CB applied after a newer one',
      (r) => [...r, { ...r[2], number: 40, sequence: r.length, timestamp: r[r.length - 1].timestamp }],
      { code: 'AUDIT_LINK_ROLLBACK', height: 2, primaryBlock: 40 },
    ],
    ['a malformed link', (r) => r.map((x) => (x.number === 6 ? { ...x, link: null, linkError: "invalid management link 'mgmt-cb:x'" } : x)), { code: 'AUDIT_PRIMARY_MALFORMED', primaryBlock: 6 }],
  ];

  it.each(primaryCases)('%s is a fault naming the primary block', (_name, edit, expected) => {
    const report = auditEvidence(evidenceOf(fx, chain, edit(primaryRecords(chain))));
    expect(report.ok).toBe(false);
    expect(report.faults).toEqual([expect.objectContaining(expected)]);
  });

  it('marks blocks after an invalid one unverified and refuses links to them', () => {
    const tampered = chain.map((b, i) => (i === 7 ? { ...b, proof: b.proof.slice(1) } : b));
    const report = auditEvidence(evidenceOf(fx, tampered, primaryRecords(chain)));
    expect(report.blocks.map((b) => b.status)).toEqual([...Array<string>(7).fill('verified'), 'invalid', ...Array<string>(4).fill('unverified')]);
    expect(report.verifiedHeight).toBe(6);
    expect(codes(report.faults)).toEqual(['AUDIT_CB_INVALID', ...Array<string>(5).fill('AUDIT_LINK_UNKNOWN_CB')]);
    expect(report.faults[0]).toEqual({ code: 'AUDIT_CB_INVALID', height: 7, reason: 'proof has 2 approvals, quorum is 3' });
    expect(report.faults[1].reason).toBe('links CB 7, which does not verify (the management chain verifies up to height 6)');
  });
});

describe('the export', () => {
  let text: string;
  beforeAll(() => {
    const evidence = evidenceOf(fx, chain, primaryRecords(chain));
    text = serializeExport(buildExport(evidence, auditEvidence(evidence), new Date('2026-02-01T00:00:00Z')));
  });

  function tamper(edit: (doc: Record<string, unknown> & { managementChain: Record<string, unknown>[] }) => void): AuditFault[] {
    const doc = JSON.parse(text) as Record<string, unknown> & { managementChain: Record<string, unknown>[] };
    edit(doc);
    return auditEvidence(parseExport(JSON.stringify(doc))).faults as AuditFault[];
  }

  it('round-trips: the evidence comes back exactly, the CBs as they were, one per line', () => {
    const evidence = parseExport(text);
    expect(evidence).toEqual(evidenceOf(fx, chain, primaryRecords(chain)));
    expect(auditEvidence(evidence).ok).toBe(true);
    expect(text.split('\n').filter((l) => l.startsWith('    {"height":'))).toHaveLength(12);
    expect(JSON.parse(text)).toMatchObject({ format: 'mgmt-audit-export', version: 1, exportedAt: '2026-02-01T00:00:00.000Z', report: { ok: true } });
  });

  it('a changed config fails at its height: hash mismatch', () => {
    expect(tamper((d) => ((d.managementChain[4].config as JsonObject).batchTimeoutMs = 5000))).toEqual([
      { code: 'AUDIT_CB_INVALID', height: 4, reason: expect.stringMatching(/^hash \w+ does not match the header \(recomputed \w+\)$/) },
      ...Array<unknown>(8).fill(expect.objectContaining({ code: 'AUDIT_LINK_UNKNOWN_CB' })),
    ]);
  });

  it('a dropped vote fails at its height: proof below quorum', () => {
    const faults = tamper((d) => (d.managementChain[8].proof as unknown[]).splice(1, 1));
    expect(faults[0]).toEqual({ code: 'AUDIT_CB_INVALID', height: 8, reason: 'proof has 2 approvals, quorum is 3' });
  });

  it('swapped blocks fail at the first: height', () => {
    const faults = tamper((d) => d.managementChain.splice(2, 2, d.managementChain[3], d.managementChain[2]));
    expect(faults[0]).toEqual({ code: 'AUDIT_CB_INVALID', height: 2, reason: 'height is 3, expected 2' });
  });

  it('a changed primary config block fails at that block', () => {
    const faults = tamper((d) => ((d.primaryChannel as { configBlocks: Record<string, unknown>[] }).configBlocks[3].maxMessageCount = 500));
    expect(faults).toEqual([expect.objectContaining({ code: 'AUDIT_BATCH_MISMATCH', height: 3, primaryBlock: 9 })]);
  });

  it('a substituted channel CA certificate fails at genesis', () => {
    const faults = tamper((d) => ((d.managementChannel as { msps: { rootCerts: string[] }[] }).msps[2].rootCerts = [outsider.caCertificate]));
    expect(faults).toEqual([expect.objectContaining({ code: 'AUDIT_MEMBERS_MISMATCH', height: 0 })]);
  });

  it('ignores the stored report: a forged "ok" changes nothing', () => {
    const faults = tamper((d) => {
      d.report = { ok: true, faults: [] };
      (d.managementChain[1].proof as unknown[]).pop();
      (d.managementChain[1].proof as unknown[]).pop();
    });
    expect(faults[0]).toMatchObject({ code: 'AUDIT_CB_INVALID', height: 1 });
  });

  const unreadable: [string, (t: string) => string, RegExp][] = [
    ['not JSON', (t) => t.slice(0, 100), /\$: not strict JSON/],
    ['a duplicate member name', (t) => t.replace('"version": 1,', '"version": 1, "version": 1,'), /duplicate member name "version"/],
    ['another format', (t) => t.replace('"mgmt-audit-export"', '"something-else"'), /\$\.format: must be "mgmt-audit-export"/],
    ['another version', (t) => t.replace('"version": 1,', '"version": 4,'), /\$\.version: 4 is not supported \(this mgmt reads versions 1, 2, 3\)/],
    ['a version 2 export without its signed blocks', (t) => t.replace('"version": 1,', '"version": 2,'), /\$\.managementChannel\.headBlocks: must be an array/],
    ['a version 3 export without its signed blocks', (t) => t.replace('"version": 1,', '"version": 3,'), /\$\.managementChannel\.headBlocks: must be an array/],
    ['a batch timeout text that disagrees with its milliseconds', (t) => t.replace('"batchTimeout": "2s"', '"batchTimeout": "3s"'), /configBlocks\[0\]\.batchTimeoutMs: must be the milliseconds of batchTimeout "3s"/],
    ['a missing channel', (t) => t.replace('"primaryChannel":', '"primaryChannelX":'), /\$\.primaryChannel: must be an object/],
  ];
  it.each(unreadable)('refuses %s, naming the path', (_name, edit, message) => {
    let thrown: unknown;
    try {
      parseExport(edit(text), 'audit.json');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AuditError);
    expect(thrown).toMatchObject({ name: 'AuditError', code: 'AUDIT_EXPORT_UNREADABLE', step: 'audit.json' });
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('mgmt audit --verify-export (no network)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'audit-unit-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `mgmt audit <args>` on a fresh program as `runCli` does: exit codes from `endingOf`, output captured. */
  async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const program = new Command('mgmt')
      .exitOverride()
      .configureOutput({ writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t) });
    registerAudit(program, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
    let code = 0;
    try {
      await program.parseAsync(['audit', ...args], { from: 'user' });
    } catch (err) {
      const ending = endingOf(err);
      stderr += ending.text;
      code = ending.code;
    }
    return { code, stdout, stderr };
  }

  function writeExport(name: string, blocks: readonly unknown[]): string {
    const file = path.join(dir, name);
    const evidence = evidenceOf(fx, blocks, primaryRecords(chain));
    writeFileSync(file, serializeExport(buildExport(evidence, auditEvidence(evidence))));
    return file;
  }

  it('exits 0 and prints the table for a sound export', async () => {
    const result = await run(['--verify-export', writeExport('good.json', chain)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^HEIGHT +TIME +PROPOSER +CYCLE +APPROVALS +PRIMARY BLOCKS +STATUS +CHANGES$/m);
    expect(result.stdout).toMatch(/^5 +2026-\S+ +Org\dMSP +1 +Org1MSP,Org3MSP,Org4MSP +15 +verified +batchTimeoutMs: 140→150, maxMessageCount: 14→15$/m);
    expect(result.stdout).toMatch(/✔ audit passed: CBs 0..11 verified/);
  });

  it('exits 1 naming the height and reason of a tampered export, on stdout and stderr with --csv', async () => {
    const file = writeExport('tampered.json', chain.map((b, i) => (i === 9 ? { ...b, proof: b.proof.slice(0, 2) } : b)));
    const table = await run(['--verify-export', file]);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain('AUDIT_CB_INVALID at height 9: proof has 2 approvals, quorum is 3');
    const csv = await run(['--verify-export', file, '--csv']);
    expect(csv.code).toBe(1);
    expect(csv.stderr).toContain('✖ AUDIT_CB_INVALID at height 9: proof has 2 approvals, quorum is 3');
    expect(csv.stdout.split('\r\n')[0]).toBe(
      'record,height,time,proposer,cycle,approvals,changes,primary_blocks,status,hash,faults,primary_status,block,link_height,link_hash,signers,path,kind,before,after,governed,fault_code',
    );
    expect(csv.stdout.split('\r\n').filter((l) => l.startsWith('cb,'))).toHaveLength(12);
  });

  it('writes the re-verified export with --json --out', async () => {
    const out = path.join(dir, 'again.json');
    const result = await run(['--verify-export', writeExport('source.json', chain), '--json', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(auditEvidence(parseExport(readFileSync(out, 'utf8'))).ok).toBe(true);
  });

  it('exits 1 with --require-heads for an export without signed heads (version 1)', async () => {
    const file = writeExport('v1.json', chain);
    expect((await run(['--verify-export', file])).code).toBe(0);
    expect(await run(['--verify-export', file, '--require-heads'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^✖ .*v1\.json carries no orderer-signed heads \(export version 1\): --require-heads refuses it$/m),
    });
  });

  it('exits 1 for a file that is not an export, 2 for a missing file', async () => {
    const bogus = path.join(dir, 'bogus.json');
    writeFileSync(bogus, '{"format": "other"}');
    expect(await run(['--verify-export', bogus])).toMatchObject({ code: 1, stderr: expect.stringContaining('✖ AUDIT_EXPORT_UNREADABLE') });
    expect(await run(['--verify-export', path.join(dir, 'absent.json')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^✖ cannot read/m) });
  });

  it('gives the same table with the signatures checked by 2 workers or on one thread (--workers)', async () => {
    const file = writeExport('workers.json', chain);
    const parallel = await run(['--verify-export', file, '--workers', '2']);
    expect(parallel.code).toBe(0);
    expect(await run(['--verify-export', file, '--workers', '0'])).toMatchObject({ code: 0, stdout: parallel.stdout });
  });

  it('exits 2 on usage errors: no input, an unknown option, --json with --csv, --workers not a count', async () => {
    expect((await run(['--verify-export', 'x.json', '--workers', 'many'])).code).toBe(2);
    expect((await run(['--verify-export', 'x.json', '--workers', '-1'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
    expect((await run(['--bogus'])).code).toBe(2);
    expect((await run(['--verify-export', 'x.json', '--json', '--csv'])).code).toBe(2);
  });

  it('exits 1 when the connection file is missing, saying how to get one', async () => {
    expect(await run(['--connection', path.join(dir, 'none.json')])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^✖ connection file .*none\.json not found/m) });
  });

  it('prints help with an Example line and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Example:$/m);
    for (const option of ['--connection <file>', '--member <mspId>', '--json', '--csv', '--out <file>', '--verify-export <file>', '--workers <n>']) {
      expect(result.stdout).toContain(option);
    }
  });
});

describe('parallel verification (signatures checked ahead by worker threads)', () => {
  // 700 CBs: about 2,300 signatures, so nine chunks of 256 dealt to the workers.
  const COUNT = 700;
  let long: ConfigBlock[];
  beforeAll(() => {
    long = buildChain(fx, COUNT);
  });

  /** Everything verifyManagementChain says, comparable with toEqual. */
  function outcome(blocks: readonly unknown[], parallel: boolean, workers?: number): Record<string, unknown> {
    const r = verifyManagementChain(blocks, { parallel, ...(workers === undefined ? {} : { workers }) });
    return {
      verified: r.verified.length,
      lastHash: r.verified[r.verified.length - 1]?.hash,
      params: r.params,
      inForce: r.inForce,
      everMembers: r.everMembers,
      faultHeight: r.fault?.height,
      faultReason: r.fault?.reason,
      faultMessage: r.fault?.message,
      faultCause: r.fault?.cause === undefined ? undefined : messageOf(r.fault.cause),
    };
  }

  /** Waits for the workers of finished verifications to exit (they stop asynchronously). */
  async function workersStopped(): Promise<number> {
    for (let i = 0; i < 200 && runningSignatureWorkers() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    return runningSignatureWorkers();
  }

  afterAll(async () => {
    expect(await workersStopped()).toBe(0);
  });

  it.each([1, 2, 3])('gives the sequential verdict on a valid chain with %i worker(s), and stops them', async (workers) => {
    const sequential = outcome(long, false);
    expect(sequential).toMatchObject({ verified: COUNT, faultHeight: undefined });
    expect(outcome(long, true, workers)).toEqual(sequential);
    expect(await workersStopped()).toBe(0);
  });

  it("decides as the sequential pass under 'auto', the default", () => {
    expect(verifyManagementChain(long, { parallel: 'auto', workers: 2 }).verified).toHaveLength(COUNT);
    expect(verifyManagementChain(long).verified).toHaveLength(COUNT);
  });

  const voterKey = (mspId: string): KeyObject => {
    const voter = fx.voters.find((v) => v.mspId === mspId);
    if (voter === undefined) throw new Error(`no voter ${mspId}`);
    return voter.key;
  };
  const other = (mspId: string): Voter => fx.voters.find((v) => v.mspId !== mspId) as Voter;
  type Entry = ConfigBlock['proof'][number];
  type Tamper = (entry: Entry, block: ConfigBlock) => Entry;
  const tampers: [string, Tamper, RegExp][] = [
    ["another block's signature", (e, b) => ({ ...e, signature: signVoteFast(b.prevHash === '' ? '0'.repeat(64) : b.prevHash, voterKey(e.mspId)) }), /signature does not verify/],
    ["another member's key", (e, b) => ({ ...e, signature: signVoteFast(b.hash, other(e.mspId).key) }), /signature does not verify/],
    ['a rejection', (e, b) => ({ ...e, signature: signVoteFast(b.hash, voterKey(e.mspId), false) }), /signature does not verify/],
    ['bytes that are not DER', (e) => ({ ...e, signature: `AAAA${e.signature}` }), /not DER/],
    ["another member's certificate", (e) => ({ ...e, certificate: other(e.mspId).certificate }), /not issued by/],
  ];
  const heights = [0, 1, 77, 300, COUNT - 1];
  const cases = tampers.flatMap(([name, tamper, reason]) => heights.map((height) => [name, height, tamper, reason] as const));

  it.each(cases)('finds %s at height %i as the sequential pass does', async (_name, height, tamper, reason) => {
    const blocks = copy(long);
    const block = blocks[height];
    const last = block.proof.length - 1;
    blocks[height] = { ...block, proof: block.proof.map((e, i) => (i === last ? tamper(e, block) : e)) };
    const sequential = outcome(blocks, false);
    expect(sequential).toMatchObject({ verified: height, faultHeight: height });
    expect(sequential.faultReason).toMatch(reason);
    expect(outcome(blocks, true, 2)).toEqual(sequential);
    expect(await workersStopped()).toBe(0);
  });

  it('answers the core from the workers, and directly what was not asked ahead', () => {
    const prepass = startSignaturePrepass(long.slice(0, 100), 2, (hash) => voteText(hash, true));
    try {
      const verifier = prepass.verifier;
      const [first, second] = long;
      const entry = first.proof[0];
      const certificate = verifier.certificate(entry.certificate);
      const der = Buffer.from(entry.signature, 'base64');
      expect(verifier.verifyVote(certificate, voteMessage(first.hash, true), der)).toBe(true);
      expect(verifier.verifyVote(certificate, voteMessage(second.hash, true), der)).toBe(false);
      expect(prepass.answered()).toEqual({ ahead: 1, direct: 1 });
      expect(verifyChain(long.slice(0, 100), { verifier }).latest.height).toBe(99);
      expect(prepass.answered()).toEqual({ ahead: 1 + prepass.signatures, direct: 1 });
    } finally {
      prepass.close();
    }
  });

  it('has the workers check every chunk when nothing is asked meanwhile', async () => {
    const prepass = startSignaturePrepass(long, 2, (hash) => voteText(hash, true));
    try {
      // Waiting for the workers, not timing them: the bound only keeps a broken pool from hanging the run.
      for (let i = 0; i < 3000 && prepass.chunks().byWorkers < prepass.chunks().total; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(prepass.chunks()).toEqual({ total: Math.ceil(prepass.signatures / 256), byWorkers: Math.ceil(prepass.signatures / 256), here: 0 });
    } finally {
      prepass.close();
    }
  });

  it('refuses a worker count that is not a positive integer', () => {
    expect(() => verifyManagementChain(long, { parallel: true, workers: 0 })).toThrow(/workers must be a positive integer/);
  });
});

describe('speed', () => {
  // 2,000 CBs by default keeps the unit run short; AUDIT_SPEED_CBS=10000 measures the long history.
  const count = Number(process.env.AUDIT_SPEED_CBS ?? 2000);

  it(`verifies and audits ${count} CBs in seconds, and re-reads their export`, () => {
    let t = performance.now();
    const long = buildChain(fx, count);
    const built = performance.now() - t;
    const evidence = evidenceOf(fx, long, primaryRecords(long));

    t = performance.now();
    const verification = verifyManagementChain(long);
    const verifyMs = performance.now() - t;
    expect(verification.fault).toBeUndefined();

    t = performance.now();
    expect(verifyManagementChain(long, { parallel: false }).fault).toBeUndefined();
    const sequentialMs = performance.now() - t;

    t = performance.now();
    const report = auditEvidence(evidence);
    const auditMs = performance.now() - t;
    expect(report.ok).toBe(true);

    t = performance.now();
    const text = serializeExport(buildExport(evidence, report));
    const reread = auditEvidence(parseExport(text));
    const exportMs = performance.now() - t;
    expect(reread.ok).toBe(true);

    const sample = long.slice(0, 100);
    t = performance.now();
    verifyManagementChain(sample, { reference: true });
    const referencePerCb = (performance.now() - t) / sample.length;

    // As the observer: one long-lived OpenSSL verifier, each CB a fresh object (as parsed from its
    // event) verified after its predecessor; warmed on the first 200 (fewer for a short chain),
    // then up to 2,000 timed.
    const observer = createOpenSslVerifier();
    const arrivals = copy(long.slice(0, Math.min(count, 2201)));
    const warm = Math.min(200, Math.floor((arrivals.length - 1) / 2));
    let previous = verifyBlock(arrivals[0], { verifier: observer });
    const perCbUs: number[] = [];
    for (const [i, block] of arrivals.slice(1).entries()) {
      t = performance.now();
      previous = verifyBlock(block, { previous, params: fx.params, verifier: observer });
      if (i >= warm) perCbUs.push((performance.now() - t) * 1000);
    }
    perCbUs.sort((a, b) => a - b);
    const observerMean = perCbUs.reduce((sum, us) => sum + us, 0) / perCbUs.length;
    const observerMedian = perCbUs[Math.floor(perCbUs.length / 2)];
    const observerP99 = perCbUs[Math.floor(perCbUs.length * 0.99)];

    process.stdout.write(
      `audit speed: ${count} CBs (${count + 1} primary config blocks): built in ${(built / 1000).toFixed(1)} s; ` +
        `verifyManagementChain ${(verifyMs / 1000).toFixed(2)} s (${((verifyMs * 1000) / count).toFixed(0)} µs/CB, ${(count / (verifyMs / 1000)).toFixed(0)} CBs/s; ` +
        `on one thread ${(sequentialMs / 1000).toFixed(2)} s, ${(count / (sequentialMs / 1000)).toFixed(0)} CBs/s); ` +
        `auditEvidence ${(auditMs / 1000).toFixed(2)} s; export of ${(text.length / 1e6).toFixed(1)} MB written, parsed and audited in ${(exportMs / 1000).toFixed(2)} s; ` +
        `core verifyBlock with the pure verifier ${referencePerCb.toFixed(1)} ms/CB (${((referencePerCb * count) / 1000).toFixed(0)} s for the chain); ` +
        `observer verifyBlock of one CB after its predecessor (OpenSSL verifier, warmed, ${perCbUs.length} CBs) mean ${observerMean.toFixed(0)} µs, ` +
        `median ${observerMedian.toFixed(0)} µs, p99 ${observerP99.toFixed(0)} µs\n`,
    );
    // Speed is reported, not asserted (npm run bench:audit prints it beside the goal); what is
    // asserted is that every figure was measured on a chain that verified whole.
    expect([verifyMs, auditMs, observerMedian].every((v) => Number.isFinite(v) && v > 0)).toBe(true);
  }, 600_000);
});
