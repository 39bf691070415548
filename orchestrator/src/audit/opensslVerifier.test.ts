/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The OpenSSL verifier against the core's pure one: the same answers to the primitive questions
 * the core asks, and the same verdict, word for word, from the core's certificate and signature
 * rules and from verifyBlock, on valid proofs and on each kind of invalid one; then at random.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createPrivateKey, KeyObject, sign as signData } from 'node:crypto';
import { p256 } from '@noble/curves/nist';
import {
  assertVoteSignature,
  checkMemberCertificate,
  cycleWindow,
  expectedProposer,
  hashHeader,
  messageOf,
  pureVerifier,
  scheduleAfter,
  toIsoMillis,
  verifyBlock,
  voteMessage,
} from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, ConfigBlockHeader, CryptoVerifier, GenesisParams } from 'mgmt-chaincode/dist/protocol';
import { createTestConsortium, createTestOrg, TestIdentity, TestOrg } from '../../../chaincode/src/testing/pki';
import { createOpenSslVerifier } from './opensslVerifier';

const HASH = 'c0ffee'.padEnd(64, '0');
const AT = Date.parse('2026-01-01T00:00:00.000Z');
const N = p256.Point.Fn.ORDER;

let orgs: TestOrg[];
/** Org1MSP again: a CA with the same subject name as Org1's, and another key. */
let impostor: TestOrg;
let p384: TestIdentity;
let expiring: TestIdentity;

beforeAll(async () => {
  orgs = await createTestConsortium();
  impostor = await createTestOrg('Org1MSP');
  p384 = await orgs[0].issue({ curve: 'P-384' });
  expiring = await orgs[0].issue({ notAfter: new Date(AT - 1000) });
});

const keys = new Map<string, KeyObject>();
function keyOf(identity: TestIdentity): KeyObject {
  let key = keys.get(identity.privateKeyPem);
  if (key === undefined) {
    key = createPrivateKey(identity.privateKeyPem);
    keys.set(identity.privateKeyPem, key);
  }
  return key;
}

/** Canonical DER of (r, s). */
function der(r: bigint, s: bigint): Uint8Array {
  return new p256.Signature(r, s).toBytes('der');
}

/** A vote signature made with OpenSSL, as (r, s) with s low. */
function signLow(identity: TestIdentity, hash = HASH, approve = true): { r: bigint; s: bigint } {
  const sig = p256.Signature.fromBytes(signData('sha256', voteMessage(hash, approve), { key: keyOf(identity), dsaEncoding: 'der' }), 'der');
  return { r: sig.r, s: sig.s > N >> 1n ? N - sig.s : sig.s };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** A valid vote signature, base64 as the chaincode takes it. */
function signature(identity: TestIdentity, hash = HASH, approve = true): string {
  const { r, s } = signLow(identity, hash, approve);
  return b64(der(r, s));
}

/** The same signature with S replaced by n - S. */
function highS(signature: string): string {
  const { r, s } = p256.Signature.fromBytes(Buffer.from(signature, 'base64'), 'der');
  return b64(der(r, N - s));
}

/** The same signature with a redundant leading zero byte in r: BER, not DER. */
function padR(signature: string): string {
  const bytes = Buffer.from(signature, 'base64');
  return b64(Buffer.concat([Buffer.from([0x30, bytes[1] + 1, 0x02, bytes[3] + 1, 0x00]), bytes.subarray(4)]));
}

const UNPARSEABLE = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

/** A certificate with one byte of its CA signature changed: same issuer name and key identifier, forged signature. */
function forged(pem: string): string {
  const body = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  body[body.length - 1] ^= 0x01;
  return `-----BEGIN CERTIFICATE-----\n${body.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
}

/** The core's verdict with a verifier: 'ok' or the error's message (which starts with its code). */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    return messageOf(err);
  }
}

/** A question to the core's rules, asked with a verifier. */
type Question = (verifier: CryptoVerifier) => unknown;

/**
 * The pure verifier's verdict, a fresh OpenSSL verifier's and that of one which has answered the
 * question before (its caches warm) are the same, and the expected one.
 */
function expectAgreement(question: Question, expected: RegExp | 'ok'): void {
  const warm = createOpenSslVerifier();
  outcome(() => question(warm));
  const pure = outcome(() => question(pureVerifier));
  expect(outcome(() => question(createOpenSslVerifier()))).toBe(pure);
  expect(outcome(() => question(warm))).toBe(pure);
  if (expected === 'ok') expect(pure).toBe('ok');
  else expect(pure).toMatch(expected);
}

/** A verifier's primitive answers, with certificates given as PEM and parsed by that verifier. */
function primitives(verifier: CryptoVerifier): {
  verifyVote: (certificate: string, message: Uint8Array, signature: Uint8Array) => boolean;
  issuedBy: (certificate: string, ca: string) => boolean;
} {
  return {
    verifyVote: (certificate, message, signature) => verifier.verifyVote(verifier.certificate(certificate), message, signature),
    issuedBy: (certificate, ca) => verifier.issuedBy(verifier.certificate(certificate), verifier.certificate(ca)),
  };
}

describe('the primitives, on the questions the core asks', () => {
  it('verifyVote: valid, another key, another message, another r or s', () => {
    const { r, s } = signLow(orgs[0].client);
    const cases: [string, Uint8Array, Uint8Array, boolean][] = [
      [orgs[0].client.certificate, voteMessage(HASH, true), der(r, s), true],
      [orgs[1].client.certificate, voteMessage(HASH, true), der(r, s), false],
      [orgs[0].client.certificate, voteMessage(HASH, false), der(r, s), false],
      [orgs[0].client.certificate, voteMessage('ab'.repeat(32), true), der(r, s), false],
      [orgs[0].client.certificate, voteMessage(HASH, true), der(r + 1n, s), false],
      [orgs[0].client.certificate, voteMessage(HASH, true), der(r, s - 1n), false],
    ];
    const pure = primitives(pureVerifier);
    const openssl = primitives(createOpenSslVerifier());
    for (const [certificate, message, signature, expected] of cases) {
      expect([pure.verifyVote(certificate, message, signature), openssl.verifyVote(certificate, message, signature)]).toEqual([expected, expected]);
    }
  });

  it('verifyVote: OpenSSL alone would take the high-S twin, which is why the low-S rule is the core’s, asked before', () => {
    const { r, s } = signLow(orgs[0].client);
    const high = der(r, N - s);
    expect(primitives(createOpenSslVerifier()).verifyVote(orgs[0].client.certificate, voteMessage(HASH, true), high)).toBe(true);
    expect(primitives(pureVerifier).verifyVote(orgs[0].client.certificate, voteMessage(HASH, true), high)).toBe(false);
    expectAgreement(
      (v) => {
        assertVoteSignature({ hash: HASH, approve: true, signature: b64(high), certificate: orgs[0].client.certificate }, v);
      },
      /^MGMT_BAD_SIGNATURE: signature has a high S value$/,
    );
  });

  it('issuedBy: the member CA, another CA, a CA of the same name, a forged CA signature, the CA itself', () => {
    const pure = primitives(pureVerifier);
    const openssl = primitives(createOpenSslVerifier());
    const cases: [string, string, boolean][] = [
      [orgs[0].client.certificate, orgs[0].caCertificate, true],
      [orgs[0].peer.certificate, orgs[0].caCertificate, true],
      [orgs[0].client.certificate, orgs[1].caCertificate, false],
      [impostor.client.certificate, orgs[0].caCertificate, false],
      [orgs[0].client.certificate, impostor.caCertificate, false],
      [forged(orgs[0].client.certificate), orgs[0].caCertificate, false],
      [orgs[0].caCertificate, orgs[0].caCertificate, true],
      // The same certificate again, against other CAs: the cache is per (certificate, CA).
      [orgs[0].client.certificate, orgs[2].caCertificate, false],
      [orgs[0].client.certificate, orgs[0].caCertificate, true],
    ];
    for (const [certificate, ca, expected] of cases) {
      expect([pure.issuedBy(certificate, ca), openssl.issuedBy(certificate, ca)]).toEqual([expected, expected]);
    }
  });

  it('certificate: the same fields; the same PEM parsed once; garbage throws in both', () => {
    const openssl = createOpenSslVerifier();
    const pem = orgs[0].client.certificate;
    expect(openssl.certificate(pem).fingerprint256).toBe(pureVerifier.certificate(pem).fingerprint256);
    expect(openssl.certificate(pem)).toBe(openssl.certificate(pem));
    expect(() => openssl.certificate(UNPARSEABLE)).toThrow();
    expect(() => pureVerifier.certificate(UNPARSEABLE)).toThrow();
  });

  it('stays right when its cache is smaller than the certificates it sees', () => {
    const small = primitives(createOpenSslVerifier({ maxCertificates: 1 }));
    for (let round = 0; round < 2; round++) {
      for (const org of orgs) {
        const { r, s } = signLow(org.client);
        expect(small.issuedBy(org.client.certificate, org.caCertificate)).toBe(true);
        expect(small.issuedBy(org.client.certificate, orgs[(orgs.indexOf(org) + 1) % orgs.length].caCertificate)).toBe(false);
        expect(small.verifyVote(org.client.certificate, voteMessage(HASH, true), der(r, s))).toBe(true);
      }
    }
  });
});

describe('the core’s rules give the same verdict with either verifier', () => {
  function vote(signature: string, certificate = orgs[0].client.certificate, hash = HASH): Question {
    return (v) => {
      assertVoteSignature({ hash, approve: true, signature, certificate }, v);
    };
  }
  function member(certificate: string, caCertificate = orgs[0].caCertificate): Question {
    return (v) => checkMemberCertificate({ certificate, mspId: 'Org1MSP', caCertificate, atMs: AT }, v);
  }
  const valid = (): string => signature(orgs[0].client);

  const signatureCases: [string, () => Question, RegExp | 'ok'][] = [
    ['a valid vote', () => vote(valid()), 'ok'],
    ['another key (a certificate of another member)', () => vote(valid(), orgs[1].client.certificate), /^MGMT_BAD_SIGNATURE: signature does not verify/],
    ['another hash', () => vote(valid(), orgs[0].client.certificate, 'ab'.repeat(32)), /^MGMT_BAD_SIGNATURE: signature does not verify/],
    ['a rejection passed off as an approval', () => vote(signature(orgs[0].client, HASH, false)), /^MGMT_BAD_SIGNATURE: signature does not verify/],
    ['high S', () => vote(highS(valid())), /^MGMT_BAD_SIGNATURE: signature has a high S value$/],
    ['non-canonical DER (a padded r)', () => vote(padR(valid())), /^MGMT_BAD_SIGNATURE: signature (is not DER|DER is not canonical)/],
    ['a trailing byte after the DER', () => vote(b64(Buffer.concat([Buffer.from(valid(), 'base64'), Buffer.from([0])]))), /^MGMT_BAD_SIGNATURE: signature (is not DER|DER is not canonical)/],
    ['r = 0', () => vote(b64(Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01]))), /^MGMT_BAD_SIGNATURE: signature is not DER/],
    ['s = n', () => vote(b64(Buffer.concat([Buffer.from([0x30, 0x26, 0x02, 0x01, 0x01, 0x02, 0x21, 0x00]), Buffer.from(N.toString(16), 'hex')]))), /^MGMT_BAD_SIGNATURE: signature is not DER/],
    ['non-canonical base64', () => vote(`${valid()}\n`), /^MGMT_BAD_SIGNATURE: signature is not canonical base64$/],
    ['not DER at all', () => vote(b64(Buffer.from('hello world!'))), /^MGMT_BAD_SIGNATURE: signature is not DER/],
    ['a P-384 signer certificate', () => vote(valid(), p384.certificate), /^MGMT_BAD_CERTIFICATE: certificate key is not ECDSA P-256$/],
    ['a certificate that does not parse', () => vote(valid(), UNPARSEABLE), /^MGMT_BAD_CERTIFICATE: certificate does not parse/],
    ['text that is not a certificate', () => vote(valid(), 'hello'), /^MGMT_BAD_CERTIFICATE: certificate is not a PEM certificate$/],
  ];
  it.each(signatureCases)('assertVoteSignature: %s', (_name, make, expected) => {
    expectAgreement(make(), expected);
  });

  const certificateCases: [string, () => Question, RegExp | 'ok'][] = [
    ['a client certificate of the member CA', () => member(orgs[0].client.certificate), 'ok'],
    ['an admin certificate of the member CA', () => member(orgs[0].admin.certificate), 'ok'],
    ['a certificate of another member', () => member(orgs[1].client.certificate), /^MGMT_BAD_CERTIFICATE: certificate is not issued by the Org1MSP CA/],
    ['a certificate of a CA with the same name and another key', () => member(impostor.client.certificate), /^MGMT_BAD_CERTIFICATE: certificate is not issued by the Org1MSP CA/],
    ['a certificate whose CA signature is forged', () => member(forged(orgs[0].client.certificate)), /^MGMT_BAD_CERTIFICATE: certificate is not issued by the Org1MSP CA/],
    ['the CA certificate itself', () => member(orgs[0].caCertificate), /^MGMT_BAD_CERTIFICATE: certificate of Org1MSP is a CA certificate$/],
    ['a peer certificate', () => member(orgs[0].peer.certificate), /^MGMT_BAD_CERTIFICATE: certificate of Org1MSP is a peer or orderer identity$/],
    ['an expired certificate', () => member(expiring.certificate), /^MGMT_BAD_CERTIFICATE: certificate of Org1MSP \(valid .*\) is not valid at 2026-01-01T00:00:00.000Z$/],
    ['a P-384 certificate', () => member(p384.certificate), /^MGMT_BAD_CERTIFICATE: certificate key is not ECDSA P-256$/],
    ['a CA certificate that does not parse', () => member(orgs[0].client.certificate, UNPARSEABLE), /^MGMT_BAD_CERTIFICATE: CA certificate of Org1MSP does not parse/],
  ];
  it.each(certificateCases)('checkMemberCertificate: %s', (_name, make, expected) => {
    expectAgreement(make(), expected);
  });
});

describe('verifyBlock gives the same verdict with either verifier', () => {
  let params: GenesisParams;

  beforeAll(() => {
    params = {
      members: orgs.map((o) => ({ mspId: o.mspId, caCertificate: o.caCertificate })),
      cbiSeconds: 30,
      cycleTimeoutSeconds: 10,
      clockToleranceSeconds: 5,
      configSchema: { type: 'object' },
    };
  });

  type Entry = { mspId: string; certificate: string; signature: string };
  /** Genesis approved by Org1..Org3, then block 1 approved by Org2..Org4, with `edit` applied to block 1's proof. */
  function chainWith(edit: (proof: Entry[], hash: string) => unknown[]): [ConfigBlock, unknown] {
    const approve = (voters: readonly TestOrg[], hash: string): Entry[] =>
      voters.map((o) => ({ mspId: o.mspId, certificate: o.client.certificate, signature: signature(o.client, hash) }));
    const genesisHeader: ConfigBlockHeader = { height: 0, prevHash: '', proposer: 'Org1MSP', cycle: 0, timestamp: toIsoMillis(AT), config: {}, params };
    const genesisHash = hashHeader(genesisHeader);
    const genesis: ConfigBlock = { ...genesisHeader, hash: genesisHash, proof: approve(orgs.slice(0, 3), genesisHash) };
    const window = cycleWindow(scheduleAfter(AT, params), 0);
    const header: ConfigBlockHeader = {
      height: 1,
      prevHash: genesisHash,
      proposer: expectedProposer(params.members, genesisHash, 0),
      cycle: 0,
      timestamp: toIsoMillis(window.startsAtMs + 1000),
      config: { round: 1 },
    };
    const hash = hashHeader(header);
    return [genesis, { ...header, hash, proof: edit(approve(orgs.slice(1), hash), hash) }];
  }
  /** Edits the first entry of the proof. */
  function first(edit: (e: Entry, hash: string) => Record<string, unknown>): (proof: Entry[], hash: string) => unknown[] {
    return (proof, hash) => proof.map((e, i) => (i === 0 ? edit(e, hash) : e));
  }

  const cases: [string, (proof: Entry[], hash: string) => unknown[], RegExp | 'ok'][] = [
    ['a valid proof', (p) => p, 'ok'],
    ['a vote by another key', first((e, hash) => ({ ...e, signature: signature(orgs[0].client, hash) })), /^MGMT_INVALID_BLOCK: height 1: proof\[0\] \(Org2MSP\): MGMT_BAD_SIGNATURE: signature does not verify/],
    ['a high-S vote', first((e) => ({ ...e, signature: highS(e.signature) })), /proof\[0\] \(Org2MSP\): MGMT_BAD_SIGNATURE: signature has a high S value$/],
    ['a vote in non-canonical DER', first((e) => ({ ...e, signature: padR(e.signature) })), /proof\[0\] \(Org2MSP\): MGMT_BAD_SIGNATURE: signature (is not DER|DER is not canonical)/],
    ['a certificate not issued by the member CA', first((e) => ({ ...e, certificate: orgs[0].client.certificate })), /proof\[0\] \(Org2MSP\): MGMT_BAD_CERTIFICATE: certificate is not issued by the Org2MSP CA/],
    ['a certificate with a forged CA signature', first((e) => ({ ...e, certificate: forged(e.certificate) })), /proof\[0\] \(Org2MSP\): MGMT_BAD_CERTIFICATE: certificate is not issued by the Org2MSP CA/],
    ['a peer certificate', first((e) => ({ ...e, certificate: orgs[1].peer.certificate })), /proof\[0\] \(Org2MSP\): MGMT_BAD_CERTIFICATE: certificate of Org2MSP is a peer or orderer identity$/],
    ['below quorum', (p) => p.slice(1), /proof has 2 approvals, quorum is 3$/],
  ];

  it.each(cases)('%s', (_name, edit, expected) => {
    const [genesis, block] = chainWith(edit);
    expectAgreement((verifier) => {
      const previous = verifyBlock(genesis, { verifier });
      return verifyBlock(block, { previous, params, verifier });
    }, expected);
  });
});

/**
 * One OpenSSL verifier kept warm across questions, as `mgmt audit` and the observer keep it across
 * blocks: what it remembers (a certificate by PEM, "issued by" by certificate and CA) never
 * decides a question it does not fit.
 */
describe('a warm verifier’s caches cannot be fooled', () => {
  function memberAt(verifier: CryptoVerifier, certificate: string, caCertificate: string, atMs = AT): string {
    return outcome(() => checkMemberCertificate({ certificate, mspId: 'Org1MSP', caCertificate, atMs }, verifier));
  }

  it('the same certificate against different CAs: each CA gets its own answer, in either order', () => {
    const notIssued = /^MGMT_BAD_CERTIFICATE: certificate is not issued by the Org1MSP CA of the genesis params$/;
    const certificate = orgs[0].client.certificate;
    const warm = createOpenSslVerifier();
    for (let round = 0; round < 2; round++) {
      expect(memberAt(warm, certificate, orgs[0].caCertificate)).toBe('ok');
      expect(memberAt(warm, certificate, orgs[1].caCertificate)).toMatch(notIssued);
      // The same subject name as Org1's CA, another key.
      expect(memberAt(warm, certificate, impostor.caCertificate)).toMatch(notIssued);
      expect(memberAt(warm, impostor.client.certificate, orgs[0].caCertificate)).toMatch(notIssued);
      expect(memberAt(warm, impostor.client.certificate, impostor.caCertificate)).toBe('ok');
    }
    const refusedFirst = createOpenSslVerifier();
    expect(memberAt(refusedFirst, certificate, impostor.caCertificate)).toMatch(notIssued);
    expect(memberAt(refusedFirst, certificate, orgs[0].caCertificate)).toBe('ok');
    expect(memberAt(refusedFirst, forged(certificate), orgs[0].caCertificate)).toMatch(notIssued);
    expect(memberAt(refusedFirst, certificate, orgs[0].caCertificate)).toBe('ok');
  });

  it('a certificate valid at one instant and not at another: refused at the latter after being accepted, and the other way round', () => {
    const notValid = /^MGMT_BAD_CERTIFICATE: certificate of Org1MSP \(valid .*\) is not valid at 2026-01-01T00:00:00.000Z$/;
    const warm = createOpenSslVerifier();
    for (let round = 0; round < 2; round++) {
      expect(memberAt(warm, expiring.certificate, orgs[0].caCertificate, AT - 1000)).toBe('ok');
      expect(memberAt(warm, expiring.certificate, orgs[0].caCertificate, AT)).toMatch(notValid);
    }
  });

  it('a tampered signature under a certificate it has verified before is refused', () => {
    const warm = createOpenSslVerifier();
    const certificate = orgs[0].client.certificate;
    const { r, s } = signLow(orgs[0].client);
    const other = signLow(orgs[0].client, 'ab'.repeat(32));
    // Each canonical DER with low S, so only the ECDSA check can refuse it.
    const tampered = [der(r + 1n, s), der(r, s - 1n), der(other.r, other.s)];
    const primitive = primitives(warm);
    const vote = (bytes: Uint8Array): string =>
      outcome(() => {
        assertVoteSignature({ hash: HASH, approve: true, signature: b64(bytes), certificate }, warm);
      });
    for (const bytes of tampered) {
      expect(primitive.verifyVote(certificate, voteMessage(HASH, true), der(r, s))).toBe(true);
      expect(primitive.verifyVote(certificate, voteMessage(HASH, true), bytes)).toBe(false);
      expect(vote(der(r, s))).toBe('ok');
      expect(vote(bytes)).toMatch(/^MGMT_BAD_SIGNATURE: signature does not verify over "mgmt-cb-v1:approve:c0ffee/);
    }
  });

  describe('along a chain, with one verifier for every block', () => {
    let params: GenesisParams;
    /** Org1's voter of blocks 1 and 2: valid until a second before block 2. */
    let shortLived: TestIdentity;
    let genesis: ConfigBlock;
    let timestamps: [number, number];

    type Entry = { mspId: string; certificate: string; signature: string };
    function seal(header: ConfigBlockHeader, voters: readonly TestIdentity[]): ConfigBlock {
      const hash = hashHeader(header);
      const proof: Entry[] = voters.map((v) => ({ mspId: v.mspId, certificate: v.certificate, signature: signature(v, hash) }));
      return { ...header, hash, proof };
    }
    function after(previous: ConfigBlock, atMs: number, voters: readonly TestIdentity[]): ConfigBlock {
      return seal(
        {
          height: previous.height + 1,
          prevHash: previous.hash,
          proposer: expectedProposer(params.members, previous.hash, 0),
          cycle: 0,
          timestamp: toIsoMillis(atMs),
          config: { round: previous.height + 1 },
        },
        voters,
      );
    }

    beforeAll(async () => {
      params = {
        members: orgs.map((o) => ({ mspId: o.mspId, caCertificate: o.caCertificate })),
        cbiSeconds: 30,
        cycleTimeoutSeconds: 10,
        clockToleranceSeconds: 5,
        configSchema: { type: 'object' },
      };
      genesis = seal({ height: 0, prevHash: '', proposer: 'Org1MSP', cycle: 0, timestamp: toIsoMillis(AT), config: {}, params }, orgs.slice(0, 3).map((o) => o.client));
      const first = cycleWindow(scheduleAfter(AT, params), 0).startsAtMs + 1000;
      const second = cycleWindow(scheduleAfter(first, params), 0).startsAtMs + 1000;
      timestamps = [first, second];
      shortLived = await orgs[0].issue({ notAfter: new Date(second - 1000) });
    });

    it('a certificate valid at one CB’s timestamp and expired at the next is refused at the next', () => {
      const verifier = createOpenSslVerifier();
      const voters = [shortLived, orgs[1].client, orgs[2].client];
      const b1 = after(genesis, timestamps[0], voters);
      const b2 = after(b1, timestamps[1], voters);
      const previous = verifyBlock(genesis, { verifier });
      expect(verifyBlock(b1, { previous, params, verifier })).toBe(b1);
      expect(outcome(() => verifyBlock(b2, { previous: b1, params, verifier }))).toMatch(
        /^MGMT_INVALID_BLOCK: height 2: proof\[0\] \(Org1MSP\): MGMT_BAD_CERTIFICATE: certificate of Org1MSP \(valid .*\) is not valid at /,
      );
      expect(outcome(() => verifyBlock(b2, { previous: b1, params, verifier: pureVerifier }))).toBe(outcome(() => verifyBlock(b2, { previous: b1, params, verifier })));
    });

    it('a block whose signature was tampered with is refused although its certificates are cached', () => {
      const verifier = createOpenSslVerifier();
      const voters = orgs.slice(0, 3).map((o) => o.client);
      const b1 = after(genesis, timestamps[0], voters);
      const b2 = after(b1, timestamps[1], voters);
      const previous = verifyBlock(genesis, { verifier });
      expect(verifyBlock(b1, { previous, params, verifier })).toBe(b1);
      // Org2's approval of block 1 replayed on block 2, then a fresh one with r changed.
      const replayed = { ...b2, proof: b2.proof.map((e, i) => (i === 1 ? b1.proof[1] : e)) };
      const { r, s } = p256.Signature.fromBytes(Buffer.from(b2.proof[1].signature, 'base64'), 'der');
      const bumped = { ...b2, proof: b2.proof.map((e, i) => (i === 1 ? { ...e, signature: b64(der(r + 1n, s)) } : e)) };
      for (const block of [replayed, bumped]) {
        expect(outcome(() => verifyBlock(block, { previous: b1, params, verifier }))).toMatch(
          /^MGMT_INVALID_BLOCK: height 2: proof\[1\] \(Org2MSP\): MGMT_BAD_SIGNATURE: signature does not verify/,
        );
      }
      expect(verifyBlock(b2, { previous: b1, params, verifier })).toBe(b2);
    });
  });
});

/** Random votes and certificates: the core's verdict is the same with either verifier. */
describe('at random', () => {
  it('assertVoteSignature agrees on random signers, certificates, hashes and byte flips', () => {
    const openssl = createOpenSslVerifier();
    const identity = fc.nat({ max: 3 });
    const arbitrary = fc.record({
      signer: identity,
      claimed: identity,
      hash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
      approve: fc.boolean(),
      signedApprove: fc.boolean(),
      edit: fc.oneof(
        fc.constant<{ kind: 'none' }>({ kind: 'none' }),
        fc.constant<{ kind: 'high' }>({ kind: 'high' }),
        fc.record({ kind: fc.constant<'flip'>('flip'), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
      ),
    });
    fc.assert(
      fc.property(arbitrary, (c) => {
        const { r, s } = signLow(orgs[c.signer].client, c.hash, c.signedApprove);
        const bytes = Buffer.from(der(r, c.edit.kind === 'high' ? N - s : s));
        if (c.edit.kind === 'flip') bytes[c.edit.at % bytes.length] ^= 1 << c.edit.bit;
        const check = { hash: c.hash, approve: c.approve, signature: b64(bytes), certificate: orgs[c.claimed].client.certificate };
        const pure = outcome(() => {
          assertVoteSignature(check, pureVerifier);
        });
        expect(
          outcome(() => {
            assertVoteSignature(check, openssl);
          }),
        ).toBe(pure);
        const valid = c.signer === c.claimed && c.approve === c.signedApprove && c.edit.kind === 'none';
        expect(pure === 'ok').toBe(valid);
      }),
      { numRuns: 200 },
    );
  });

  it('checkMemberCertificate agrees on random certificates, CAs and instants, with one warm OpenSSL verifier', () => {
    const openssl = createOpenSslVerifier();
    const certificates = [
      ...orgs.flatMap((o) => [o.client.certificate, o.admin.certificate, o.peer.certificate, o.caCertificate]),
      impostor.client.certificate,
      forged(orgs[1].client.certificate),
      expiring.certificate,
      p384.certificate,
    ];
    const cas = [...orgs.map((o) => o.caCertificate), impostor.caCertificate];
    const instants = [AT, AT - 1000, AT - 999, Date.parse('2019-12-31T23:59:59.999Z'), Date.parse('2040-01-01T00:00:00.000Z'), Date.parse('2040-01-01T00:00:00.001Z')];
    fc.assert(
      fc.property(fc.nat({ max: certificates.length - 1 }), fc.nat({ max: cas.length - 1 }), fc.constantFrom(...instants), (c, ca, atMs) => {
        const check = { certificate: certificates[c], mspId: 'Org1MSP', caCertificate: cas[ca], atMs };
        const pure = outcome(() => checkMemberCertificate(check, pureVerifier));
        expect(outcome(() => checkMemberCertificate(check, openssl))).toBe(pure);
      }),
      { numRuns: 300 },
    );
  });
});
