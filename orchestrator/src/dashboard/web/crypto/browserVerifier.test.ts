/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The browser verifier against Node's X509Certificate and the CLI's verdict: the same fields,
 * the same answers, the same fault at the same height with the same reason.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { pureVerifier } from 'mgmt-chaincode/dist/protocol';
import { auditEvidence, buildExport, serializeExport } from '../../../audit';
import { createTestChain } from '../../testing/chain';
import type { TestChain } from '../../testing/chain';
import { checkProofEntries, extendVerdict, verifyChainWith, verifyExportText } from '../verify/chain';
import { createBrowserVerifier } from './browserVerifier';
import { BrowserCertificate } from './certificate';

let fx: TestChain;

beforeAll(async () => {
  fx = await createTestChain(6);
});

describe('BrowserCertificate', () => {
  it('reads what Node reads, spelled as Node spells it', () => {
    for (const org of fx.orgs) {
      for (const pem of [org.caCertificate, org.client.certificate, org.peer.certificate]) {
        const node = new X509Certificate(pem);
        const browser = new BrowserCertificate(pem);
        expect(browser.subject).toBe(node.subject);
        expect(browser.issuer).toBe(node.issuer);
        expect(browser.validFrom).toBe(node.validFrom);
        expect(browser.validTo).toBe(node.validTo);
        expect(browser.ca).toBe(node.ca);
        expect(browser.fingerprint256).toBe(node.fingerprint256);
        expect(browser.publicKey.asymmetricKeyType).toBe(node.publicKey.asymmetricKeyType);
        expect(browser.publicKey.asymmetricKeyDetails.namedCurve).toBe(node.publicKey.asymmetricKeyDetails?.namedCurve);
        expect(browser.publicKey.export({ format: 'jwk' })).toEqual(node.publicKey.export({ format: 'jwk' }));
      }
    }
  });

  it('refuses text that is not a PEM certificate', () => {
    expect(() => new BrowserCertificate('not a certificate')).toThrow('no PEM certificate block');
  });
});

describe('createBrowserVerifier', () => {
  it('answers "issued by" as the pure verifier does, across organisations', () => {
    const browser = createBrowserVerifier();
    for (const org of fx.orgs) {
      for (const ca of fx.orgs) {
        const expected = pureVerifier.issuedBy(pureVerifier.certificate(org.client.certificate), pureVerifier.certificate(ca.caCertificate));
        expect(browser.issuedBy(browser.certificate(org.client.certificate), browser.certificate(ca.caCertificate))).toBe(expected);
        expect(expected).toBe(org === ca);
      }
    }
  });

  it('verifies the chain as the core does with its own verifier', () => {
    const verdict = verifyChainWith(fx.chain, createBrowserVerifier());
    expect(verdict.fault).toBeUndefined();
    expect(verdict.verified).toHaveLength(fx.chain.length);
    expect(verdict.paramsAt[3].members).toHaveLength(4);
  });

  it('finds a tampered CB at the height and with the reason the CLI gives', () => {
    const tampered = JSON.parse(JSON.stringify(fx.chain)) as typeof fx.chain;
    (tampered[3].config as Record<string, number>).maxMessageCount = 999;
    const browser = verifyChainWith(tampered, createBrowserVerifier());
    const cli = auditEvidence({ ...fx.evidence, managementChain: tampered as never }).faults.find((f) => f.code === 'AUDIT_CB_INVALID');
    expect(browser.fault).toEqual({ height: 3, reason: cli?.reason });
    expect(browser.fault?.reason).toMatch(/hash/);
  });

  it('names the proof entry whose signature was swapped', () => {
    const block = JSON.parse(JSON.stringify(fx.chain[2])) as (typeof fx.chain)[number];
    const proof = block.proof.map((e) => ({ ...e }));
    proof[0] = { ...proof[0], signature: proof[1].signature };
    const checks = checkProofEntries({ ...block, proof }, fx.params, createBrowserVerifier());
    expect(checks.map((c) => c.verified)).toEqual([false, true, true]);
    expect(checks[0].reason).toMatch(/signature does not verify/);
    expect(checks[1].subject).toMatch(/OU=client/);
  });
});

describe('verifyExportText', () => {
  it('passes an export of a good chain and fails a tampered one at its height', () => {
    const good = serializeExport(buildExport(fx.evidence, auditEvidence(fx.evidence)));
    expect(verifyExportText(good, createBrowserVerifier())).toMatchObject({ ok: true, verifiedHeight: 5, blockCount: 6, anchoring: [] });
    const doc = JSON.parse(good) as { managementChain: { cycle: number }[] };
    doc.managementChain[4].cycle = 7;
    const tampered = JSON.stringify(doc);
    const verdict = verifyExportText(tampered, createBrowserVerifier());
    expect(verdict).toMatchObject({ ok: false, verifiedHeight: 3, fault: { height: 4 } });
  });

  it('says why a file is not an export', () => {
    expect(verifyExportText('{"format":"other"}', createBrowserVerifier()).unreadable).toMatch(/not an audit export/);
    expect(verifyExportText('{"a":1,"a":2}', createBrowserVerifier()).unreadable).toMatch(/not strict JSON/);
  });
});

describe('extendVerdict', () => {
  it('verifies only the new blocks of an unchanged chain, with the verdict of a whole verification', () => {
    const verifier = createBrowserVerifier();
    const first = verifyChainWith(fx.chain.slice(0, 3), verifier);
    const extended = extendVerdict({ blocks: fx.chain.slice(0, 3), verdict: first }, fx.chain, verifier);
    expect(extended).toEqual(verifyChainWith(fx.chain, createBrowserVerifier()));
    expect(extended.verified.slice(0, 3)).toEqual(first.verified);
  });

  it('verifies from genesis again when an earlier block changed, even outside its hashed header', () => {
    const verifier = createBrowserVerifier();
    const first = verifyChainWith(fx.chain.slice(0, 3), verifier);
    const swapped = JSON.parse(JSON.stringify(fx.chain)) as typeof fx.chain;
    const proof = swapped[1].proof.map((e) => ({ ...e }));
    proof[0] = { ...proof[0], signature: proof[1].signature };
    swapped[1] = { ...swapped[1], proof };
    const verdict = extendVerdict({ blocks: fx.chain.slice(0, 3), verdict: first }, swapped, verifier);
    expect(verdict.fault?.height).toBe(1);
    expect(verdict.fault?.reason).toMatch(/signature does not verify/);
  });
});
