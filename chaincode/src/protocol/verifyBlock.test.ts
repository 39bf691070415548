/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { beforeAll, describe, expect, it } from '@jest/globals';
import { p256 } from '@noble/curves/nist';

import { createTestConsortium, createTestOrg } from '../testing/pki';
import type { TestIdentity, TestOrg } from '../testing/pki';
import { planGenesis, planProposal, sealProposal } from './agreement';
import { pureVerifier } from './cryptoVerifier';
import type { CryptoVerifier } from './cryptoVerifier';
import { hashHeader } from './hash';
import { validateParams } from './params';
import { expectedProposer } from './proposer';
import { signVote } from './signatures';
import type { ConfigBlock, GenesisParams, JsonObject, ProofEntry, Proposal, Vote } from './types';
import { verifyBlock, verifyChain } from './verifyBlock';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const CONFIG: JsonObject = { batchTimeoutMs: 2000, maxMessageCount: 10 };
const SCHEMA: JsonObject = {
  type: 'object',
  properties: { batchTimeoutMs: { type: 'integer', minimum: 100, maximum: 10000 }, maxMessageCount: { type: 'integer', minimum: 1 } },
  additionalProperties: false,
};

let orgs: TestOrg[];
let outsider: TestOrg;
let params: GenesisParams;
let genesis: ConfigBlock;
/** Height 1, proposed in cycle 0 and approved by Org1..Org3. */
let b1: ConfigBlock;
/** Height 2, proposed in cycle 1 (the first cycle after b1 failed). */
let b2: ConfigBlock;

function vote(identity: TestIdentity, proposal: Proposal, approve = true): Vote {
  return {
    proposalId: proposal.id,
    mspId: identity.mspId,
    approve,
    signature: signVote({ hash: proposal.hash, approve, privateKeyPem: identity.privateKeyPem }),
    certificate: identity.certificate,
    reason: '',
    timestamp: proposal.header.timestamp,
    txId: 'tx',
  };
}

function seal(proposal: Proposal, voters: readonly TestOrg[]): ConfigBlock {
  return sealProposal(
    proposal,
    voters.map((org) => vote(org.client, proposal)),
  );
}

function next(previous: ConfigBlock, cycle: number, offsetMs: number, voters: readonly TestOrg[]): ConfigBlock {
  const proposal = planProposal({
    params,
    latest: previous,
    caller: expectedProposer(params.members, previous.hash, cycle),
    nowMs: Date.parse(previous.timestamp) + offsetMs,
    config: CONFIG,
    txId: 'tx',
  });
  expect(proposal.header.cycle).toBe(cycle);
  return seal(proposal, voters);
}

/** A copy with changes applied and the hash recomputed, so that only the intended check fails. */
function rehash(block: ConfigBlock, changes: Partial<ConfigBlock>): ConfigBlock {
  const changed = { ...block, ...changes };
  return { ...changed, hash: hashHeader(changed) };
}

function proofEntry(identity: TestIdentity, hash: string, approve = true): ProofEntry {
  return { mspId: identity.mspId, certificate: identity.certificate, signature: signVote({ hash, approve, privateKeyPem: identity.privateKeyPem }) };
}

beforeAll(async () => {
  orgs = await createTestConsortium();
  outsider = await createTestOrg('Org5MSP');
  params = validateParams({
    members: orgs.map((o) => ({ mspId: o.mspId, caCertificate: o.caCertificate })),
    cbiSeconds: 30,
    cycleTimeoutSeconds: 10,
    clockToleranceSeconds: 5,
    configSchema: SCHEMA,
  });
  genesis = seal(planGenesis({ params, caller: 'Org2MSP', nowMs: T0, config: CONFIG, txId: 'tx' }), orgs);
  b1 = next(genesis, 0, 30_000 + 5, orgs.slice(0, 3));
  b2 = next(b1, 1, 40_000 + 7, orgs.slice(1));
});

describe('verifyChain', () => {
  it('accepts a chain built by the agreement rules', () => {
    const { latest, params: verified } = verifyChain([genesis, b1, b2]);
    expect(latest.hash).toBe(b2.hash);
    expect(verified).toEqual(params);
    expect(b2.cycle).toBe(1);
  });

  it('continues a verified chain', () => {
    expect(verifyChain([b2], { previous: b1, params }).latest).toBe(b2);
  });

  it('ignores fields outside the header and the proof', () => {
    expect(() => verifyChain([{ ...genesis, sealedBy: 'tx9' }, { ...b1, note: 'x' }])).not.toThrow();
  });

  it('must start at genesis', () => {
    expect(() => verifyChain([b1, b2])).toThrow(expect.objectContaining({ code: 'MGMT_INVALID_BLOCK', height: 0 }));
  });

  it('refuses an empty run', () => {
    expect(() => verifyChain([])).toThrow('no blocks');
  });

  it('names the first failing height', () => {
    expect(() => verifyChain([genesis, b1, { ...b2, prevHash: genesis.hash }])).toThrow(
      expect.objectContaining({ name: 'BlockVerificationError', code: 'MGMT_INVALID_BLOCK', height: 2 }),
    );
  });
});

describe('verifyBlock above genesis', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['not an object', () => [], /not a JSON object/],
    ['a wrong height', () => ({ ...b1, height: 5 }), /height is 5, expected 1/],
    ['a malformed hash', () => ({ ...b1, hash: b1.hash.toUpperCase() }), /hash is not 64 lowercase hex/],
    ['a header changed after hashing', () => ({ ...b1, config: { ...CONFIG, maxMessageCount: 11 } }), /does not match the header/],
    ['a broken prevHash link', () => rehash(b1, { prevHash: 'ab'.repeat(32) }), /does not link to block 0/],
    ['a timestamp not after the previous block', () => rehash(b1, { timestamp: genesis.timestamp }), /is not after/],
    ['a timestamp less than CBI after the previous block', () => rehash(b1, { timestamp: '2026-01-01T00:00:29.999Z' }), /less than CBI/],
    ['a timestamp outside its cycle', () => rehash(b1, { cycle: 1 }), /outside cycle 1/],
    ['a timestamp between rounds', () => rehash(b1, { timestamp: '2026-01-01T00:01:15.000Z' }), /outside cycle 0/],
    ['a non-canonical timestamp', () => rehash(b1, { timestamp: '2026-01-01T00:00:30Z' }), /timestamp is not/],
    ['the wrong proposer', () => rehash(b1, { proposer: b1.proposer === 'Org1MSP' ? 'Org2MSP' : 'Org1MSP' }), /proposer is .*, expected/],
    ['a configuration out of bounds', () => rehash(b1, { config: { batchTimeoutMs: 1 } }), /config: MGMT_INVALID_CONFIG/],
    ['params above genesis removing two of four members', () => rehash(b1, { params: { ...params, members: params.members.slice(0, 2) } }), /params: removes 2 of 4 members/],
    ['a negative cycle', () => ({ ...b1, cycle: -1 }), /cycle is not a non-negative integer/],
    ['a config that is not an object', () => ({ ...b1, config: [] }), /config is not a JSON object/],
    ['a proof that is not an array', () => ({ ...b1, proof: {} }), /proof is not an array/],
    ['a non-I-JSON header', () => ({ ...b1, config: { x: '\ud800' } }), /header: MGMT_INVALID_JSON/],
  ];

  it.each(cases)('refuses %s', (_label, make, reason) => {
    expect(() => verifyBlock(make(), { previous: genesis, params })).toThrow(
      expect.objectContaining({ name: 'BlockVerificationError', code: 'MGMT_INVALID_BLOCK', height: 1 }),
    );
    expect(() => verifyBlock(make(), { previous: genesis, params })).toThrow(reason);
  });

  it('judges each config under the schema of the params object given, block after block', () => {
    const strict: GenesisParams = { ...params, configSchema: { ...SCHEMA, properties: { ...(SCHEMA.properties as JsonObject), maxMessageCount: { type: 'integer', maximum: 5 } } } };
    const broken: GenesisParams = { ...params, configSchema: { type: 'object', minimum: 'x' } };
    for (let round = 0; round < 2; round++) {
      expect(verifyBlock(b1, { previous: genesis, params })).toBe(b1);
      expect(() => verifyBlock(b1, { previous: genesis, params: strict })).toThrow(/^MGMT_INVALID_BLOCK: height 1: config: MGMT_INVALID_CONFIG: config.maxMessageCount must be <= 5$/);
      expect(() => verifyBlock(b1, { previous: genesis, params: broken })).toThrow(/^MGMT_INVALID_BLOCK: height 1: config: MGMT_INVALID_PARAMS: params.configSchema: /);
      expect(() => verifyBlock(rehash(b1, { config: { batchTimeoutMs: 1 } }), { previous: genesis, params })).toThrow(
        /^MGMT_INVALID_BLOCK: height 1: config: MGMT_INVALID_CONFIG: config.batchTimeoutMs must be >= 100$/,
      );
    }
  });

  it('needs the genesis params', () => {
    expect(() => verifyBlock(b1, { previous: genesis })).toThrow(/genesis params are needed/);
  });
});

describe('verifyBlock proof', () => {
  const proofCases: [string, () => unknown[], RegExp][] = [
    ['fewer approvals than the quorum', () => b1.proof.slice(0, 2), /2 approvals, quorum is 3/],
    ['entries out of order', () => [...b1.proof].reverse(), /not sorted by MSP ID/],
    ['a member twice', () => [b1.proof[0], b1.proof[0], b1.proof[1]], /repeat a member/],
    ['an extra field', () => [{ ...b1.proof[0], approve: true }, b1.proof[1], b1.proof[2]], /exactly the fields/],
    ['a missing field', () => [{ mspId: 'Org1MSP', certificate: 'x' }, b1.proof[1], b1.proof[2]], /exactly the fields/],
    ['a non-string field', () => [{ ...b1.proof[0], signature: 5 }, b1.proof[1], b1.proof[2]], /must be strings/],
    ['an entry that is not an object', () => ['x', b1.proof[1], b1.proof[2]], /proof\[0\] is not an object/],
    ['a non-member', () => [...b1.proof, proofEntry(outsider.client, b1.hash)], /Org5MSP is not a member/],
    ['a rejection passed off as an approval', () => [proofEntry(orgs[0].client, b1.hash, false), b1.proof[1], b1.proof[2]], /does not verify/],
    ['a signature over another block', () => [proofEntry(orgs[0].client, genesis.hash), b1.proof[1], b1.proof[2]], /does not verify/],
    [
      "a certificate of another member's CA",
      () => [{ ...proofEntry(orgs[1].client, b1.hash), mspId: 'Org1MSP' }, b1.proof[1], b1.proof[2]],
      /not issued by the Org1MSP CA/,
    ],
    ['a peer certificate', () => [proofEntry(orgs[0].peer, b1.hash), b1.proof[1], b1.proof[2]], /peer or orderer/],
  ];

  it.each(proofCases)('refuses %s', (_label, makeProof, reason) => {
    expect(() => verifyBlock({ ...b1, proof: makeProof() }, { previous: genesis, params })).toThrow(reason);
  });

  it('refuses a certificate that was not valid at the block timestamp', async () => {
    const expired = await orgs[0].issue({ notAfter: new Date(Date.parse(b1.timestamp) - 1000) });
    const proof = [proofEntry(expired, b1.hash), b1.proof[1], b1.proof[2]];
    expect(() => verifyBlock({ ...b1, proof }, { previous: genesis, params })).toThrow(/not valid at/);
  });

  it('accepts admin certificates and more than a quorum', () => {
    const proof = orgs.map((org) => proofEntry(org.admin, b1.hash));
    expect(() => verifyBlock({ ...b1, proof }, { previous: genesis, params })).not.toThrow();
  });
});

describe('verifyBlock at genesis', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['a non-empty prevHash', () => rehash(genesis, { prevHash: 'ab'.repeat(32) }), /prevHash of genesis must be ""/],
    ['a non-zero cycle', () => rehash(genesis, { cycle: 1 }), /cycle of genesis must be 0/],
    ['a proposer outside the members', () => rehash(genesis, { proposer: 'Org5MSP' }), /proposer Org5MSP is not a member/],
    ['unsorted members', () => rehash(genesis, { params: { ...params, members: [...params.members].reverse() } }), /not sorted/],
    ['missing params', () => ({ ...genesis, params: undefined }), /header: MGMT_INVALID_JSON/],
    ['invalid params', () => rehash(genesis, { params: { ...params, cbiSeconds: 0 } }), /params: MGMT_INVALID_PARAMS/],
  ])('refuses %s', (_label, make, reason) => {
    expect(() => verifyBlock(make())).toThrow(expect.objectContaining({ code: 'MGMT_INVALID_BLOCK', height: 0 }));
    expect(() => verifyBlock(make())).toThrow(reason);
  });

  it('checks the params against trusted ones when given', () => {
    expect(() => verifyBlock(genesis, { params })).not.toThrow();
    expect(() => verifyBlock(genesis, { params: { ...params, cbiSeconds: 31 } })).toThrow(/differ from the trusted genesis params/);
  });
});

describe('verifyBlock with an injected verifier', () => {
  /** The pure verifier, counting the questions and optionally overriding answers. */
  function spy(overrides: Partial<CryptoVerifier> = {}): { verifier: CryptoVerifier; asked: Record<keyof CryptoVerifier, number> } {
    const asked = { certificate: 0, issuedBy: 0, verifyVote: 0 };
    const verifier: CryptoVerifier = {
      certificate: (pem) => {
        asked.certificate++;
        return (overrides.certificate ?? pureVerifier.certificate)(pem);
      },
      issuedBy: (certificate, ca) => {
        asked.issuedBy++;
        return (overrides.issuedBy ?? pureVerifier.issuedBy)(certificate, ca);
      },
      verifyVote: (certificate, message, signature) => {
        asked.verifyVote++;
        return (overrides.verifyVote ?? pureVerifier.verifyVote)(certificate, message, signature);
      },
    };
    return { verifier, asked };
  }
  const reasonOf = (run: () => unknown): string | undefined => {
    try {
      run();
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('defaults to the pure verifier, and asks the injected one about every proof entry', () => {
    expect(verifyChain([genesis, b1, b2]).latest).toBe(b2);
    const { verifier, asked } = spy();
    expect(verifyBlock(b1, { previous: genesis, params, verifier })).toBe(b1);
    // Each entry: its certificate and the CA (certificate rule), the certificate again (signature rule).
    expect(asked).toEqual({ certificate: 3 * b1.proof.length, issuedBy: b1.proof.length, verifyVote: b1.proof.length });
  });

  it('keeps the rules and their reasons: a verifier only answers the primitive questions', () => {
    const notIssued = spy({ issuedBy: () => false });
    expect(reasonOf(() => verifyBlock(b1, { previous: genesis, params, verifier: notIssued.verifier }))).toMatch(
      /^MGMT_INVALID_BLOCK: height 1: proof\[0\] \(Org1MSP\): MGMT_BAD_CERTIFICATE: certificate is not issued by the Org1MSP CA of the genesis params$/,
    );
    const forged = spy({ verifyVote: () => false });
    expect(reasonOf(() => verifyBlock(b1, { previous: genesis, params, verifier: forged.verifier }))).toMatch(
      /^MGMT_INVALID_BLOCK: height 1: proof\[0\] \(Org1MSP\): MGMT_BAD_SIGNATURE: signature does not verify over "mgmt-cb-v1:approve:/,
    );
    const unparsable = spy({
      certificate: () => {
        throw new Error('bad');
      },
    });
    expect(reasonOf(() => verifyBlock(b1, { previous: genesis, params, verifier: unparsable.verifier }))).toBe(
      'MGMT_INVALID_BLOCK: height 1: proof[0] (Org1MSP): MGMT_BAD_CERTIFICATE: certificate of Org1MSP does not parse: bad',
    );
  });

  it('applies the low-S and canonical DER rules itself, before asking for the ECDSA check', () => {
    const { verifier, asked } = spy({ verifyVote: () => true });
    const signature = Buffer.from(b1.proof[0].signature, 'base64');
    const padded = Buffer.concat([Buffer.from([0x30, signature[1] + 1, 0x02, signature[3] + 1, 0x00]), signature.subarray(4)]).toString('base64');
    const proof = [{ ...b1.proof[0], signature: padded }, b1.proof[1], b1.proof[2]];
    expect(() => verifyBlock({ ...b1, proof }, { previous: genesis, params, verifier })).toThrow(/proof\[0\] \(Org1MSP\): MGMT_BAD_SIGNATURE: signature is not DER/);
    const low = p256.Signature.fromBytes(signature, 'der');
    const high = Buffer.from(new p256.Signature(low.r, p256.Point.Fn.ORDER - low.s).toBytes('der')).toString('base64');
    const highProof = [{ ...b1.proof[0], signature: high }, b1.proof[1], b1.proof[2]];
    expect(() => verifyBlock({ ...b1, proof: highProof }, { previous: genesis, params, verifier })).toThrow(/proof\[0\] \(Org1MSP\): MGMT_BAD_SIGNATURE: signature has a high S value$/);
    expect(asked.verifyVote).toBe(0);
  });
});
