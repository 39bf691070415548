/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The ExpirationCheck auth filter with its per-creator memory of certificate expiry: the clock is
 * compared on every proposal, and each creator is judged by its own certificate.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { msp } from '@hyperledger/fabric-protos';
import { chaincodeProposal } from 'fabric-config/configtx';
import type { ProposalSigner } from 'fabric-config/configtx';
import type { OrgCrypto, SigningIdentity } from 'fabric-config/msp';
import { generateTestOrgs, signerOf } from 'fabric-config/testing';
import { authFilterRefusal } from './authFilters';

let root: string;
let orgs: OrgCrypto[];
let user: SigningIdentity;
let admin: SigningIdentity;

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('devnet-auth-expiry', 1));
  user = signerOf(orgs, '1.user');
  admin = signerOf(orgs, '1.admin');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const proposalOf = (signer: ProposalSigner) => chaincodeProposal(signer, 'primary', 'assets', ['Put', 'k', 'v']).signed;
const notAfter = (signer: SigningIdentity): number => Date.parse(new X509Certificate(signer.certificatePem).validTo);

describe('ExpirationCheck', () => {
  it('lets a creator through while its certificate is valid, and refuses it once the clock passes its expiry', () => {
    expect(authFilterRefusal(proposalOf(user))).toBeUndefined();
    expect(authFilterRefusal(proposalOf(user))).toBeUndefined();
    expect(authFilterRefusal(proposalOf(user), notAfter(user) + 1000)).toBe('proposal client identity expired');
  });

  it("judges each creator by its own certificate, not by one seen before", () => {
    expect(authFilterRefusal(proposalOf(user))).toBeUndefined();
    const later = Math.min(notAfter(user), notAfter(admin)) + 1000;
    expect(authFilterRefusal(proposalOf(admin), later)).toBe('proposal client identity expired');
    // A creator of the same MSP whose id bytes are no certificate is left to the endorser.
    const notACertificate = new msp.SerializedIdentity();
    notACertificate.setMspid(user.mspId);
    notACertificate.setIdBytes(Buffer.from('not a certificate'));
    const garbage = proposalOf({ serialize: () => notACertificate.serializeBinary(), sign: (m) => user.sign(m) });
    expect(authFilterRefusal(garbage)).toBeUndefined();
    expect(authFilterRefusal(garbage, later)).not.toBe('proposal client identity expired');
  });
});
