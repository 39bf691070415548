/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Principal sets of signature policies and the conversion of ImplicitMeta policies, as Fabric's
 * discovery inquires them.
 */
import { describe, expect, it } from '@jest/globals';
import { common, msp } from '@hyperledger/fabric-protos';
import { implicitMetaPolicy, nOutOf, signaturePolicy } from 'fabric-config/configtx';
import type { RolePrincipal } from 'fabric-config/configtx';
import { combinations, convertPolicy, PolicyInquiryError, satisfiedBy } from './principalSets';

const org = (i: number): RolePrincipal => ({ mspId: `Org${i}MSP`, role: 'peer' });

/** `OutOf(n, ...)` over sub-rules given as envelopes, their principals merged as policydsl does. */
function outOf(n: number, ...subs: common.SignaturePolicyEnvelope[]): common.SignaturePolicyEnvelope {
  const identities: msp.MSPPrincipal[] = [];
  const keyOf = (p: msp.MSPPrincipal): string => Buffer.from(p.serializeBinary()).toString('base64');
  const rules = subs.map((sub) => {
    const remap = sub.getIdentitiesList().map((p) => {
      const found = identities.findIndex((q) => keyOf(q) === keyOf(p));
      if (found >= 0) return found;
      identities.push(p);
      return identities.length - 1;
    });
    const rewrite = (rule: common.SignaturePolicy): common.SignaturePolicy => {
      const out = new common.SignaturePolicy();
      if (rule.getTypeCase() === common.SignaturePolicy.TypeCase.SIGNED_BY) out.setSignedBy(remap[rule.getSignedBy()]);
      else {
        const o = new common.SignaturePolicy.NOutOf();
        o.setN(rule.getNOutOf()?.getN() ?? 0);
        o.setRulesList((rule.getNOutOf()?.getRulesList() ?? []).map(rewrite));
        out.setNOutOf(o);
      }
      return out;
    };
    return rewrite(sub.getRule() as common.SignaturePolicy);
  });
  const envelope = new common.SignaturePolicyEnvelope();
  envelope.setIdentitiesList(identities);
  const o = new common.SignaturePolicy.NOutOf();
  o.setN(n);
  o.setRulesList(rules);
  const rule = new common.SignaturePolicy();
  rule.setNOutOf(o);
  envelope.setRule(rule);
  return envelope;
}

const signedBy = (i: number): common.SignaturePolicyEnvelope => {
  const e = nOutOf(1, [org(i)]);
  // A bare SignedBy rule, as policydsl gives a lone principal inside AND/OR.
  const rule = new common.SignaturePolicy();
  rule.setSignedBy(0);
  e.setRule(rule);
  return e;
};

/** Each set as sorted MSP IDs, the sets sorted: what a layout depends on. */
function names(sets: msp.MSPPrincipal[][]): string[] {
  return sets.map((set) => set.map((p) => msp.MSPRole.deserializeBinary(p.getPrincipal_asU8()).getMspIdentifier()).sort().join('+')).sort();
}

/** A config with an Application group of `count` orgs, each with an `Endorsement` policy OR('OrgN.peer'), and `policies` on Application. */
function configWith(count: number, policies: Record<string, common.Policy>, missingIn: number[] = []): common.Config {
  const application = new common.ConfigGroup();
  for (let i = 1; i <= count; i++) {
    const group = new common.ConfigGroup();
    if (!missingIn.includes(i)) {
      const policy = new common.ConfigPolicy();
      policy.setPolicy(signaturePolicy(nOutOf(1, [org(i)])));
      group.getPoliciesMap().set('Endorsement', policy);
    }
    application.getGroupsMap().set(`Org${i}MSP`, group);
  }
  for (const [name, p] of Object.entries(policies)) {
    const policy = new common.ConfigPolicy();
    policy.setPolicy(p);
    application.getPoliciesMap().set(name, policy);
  }
  const channel = new common.ConfigGroup();
  channel.getGroupsMap().set('Application', application);
  const config = new common.Config();
  config.setChannelGroup(channel);
  return config;
}

describe('satisfiedBy', () => {
  it('gives one set per choice of N out of the principals (OutOf)', () => {
    expect(names(satisfiedBy(nOutOf(2, [org(1), org(2), org(3)])))).toEqual(['Org1MSP+Org2MSP', 'Org1MSP+Org3MSP', 'Org2MSP+Org3MSP']);
  });

  it('gives one set of all principals for AND and one set per principal for OR', () => {
    expect(names(satisfiedBy(nOutOf(4, [org(1), org(2), org(3), org(4)])))).toEqual(['Org1MSP+Org2MSP+Org3MSP+Org4MSP']);
    expect(names(satisfiedBy(nOutOf(1, [org(1), org(2), org(3), org(4)])))).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
  });

  it('expands nested rules as the product of the chosen children, keeping repetitions', () => {
    const policy = outOf(2, signedBy(1), outOf(1, signedBy(2), signedBy(3)));
    expect(names(satisfiedBy(policy))).toEqual(['Org1MSP+Org2MSP', 'Org1MSP+Org3MSP']);
    const twice = outOf(2, outOf(1, signedBy(1), signedBy(2)), outOf(1, signedBy(1), signedBy(2)));
    expect(names(satisfiedBy(twice))).toEqual(['Org1MSP+Org1MSP', 'Org1MSP+Org2MSP', 'Org1MSP+Org2MSP', 'Org2MSP+Org2MSP']);
  });

  it('gives nothing for an unsatisfiable or malformed policy', () => {
    const tooMany = nOutOf(2, [org(1), org(2)]);
    tooMany.getRule()?.getNOutOf()?.setN(3);
    expect(satisfiedBy(tooMany)).toEqual([]);
    expect(satisfiedBy(nOutOf(0, [org(1)]))).toEqual([]);
    const outOfRange = nOutOf(1, [org(1)]);
    outOfRange.getRule()?.getNOutOf()?.getRulesList()[0].setSignedBy(5);
    expect(satisfiedBy(outOfRange)).toEqual([]);
  });

  it('chooses children in Fabric order', () => {
    expect(combinations(4, 2)).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    expect(combinations(2, 3)).toEqual([]);
  });
});

describe('convertPolicy', () => {
  it('converts ImplicitMeta MAJORITY over 4 orgs to 3 out of the orgs\' policies', () => {
    const config = configWith(4, { Endorsement: implicitMetaPolicy('MAJORITY', 'Endorsement') });
    const envelope = convertPolicy(config, '/Channel/Application/Endorsement');
    expect(envelope.getRule()?.getNOutOf()?.getN()).toBe(3);
    expect(envelope.getIdentitiesList()).toHaveLength(4);
    const sets = names(satisfiedBy(envelope));
    expect(sets).toEqual(['Org1MSP+Org2MSP+Org3MSP', 'Org1MSP+Org2MSP+Org4MSP', 'Org1MSP+Org3MSP+Org4MSP', 'Org2MSP+Org3MSP+Org4MSP']);
  });

  it('converts ANY and ALL', () => {
    const config = configWith(4, { Any: implicitMetaPolicy('ANY', 'Endorsement'), All: implicitMetaPolicy('ALL', 'Endorsement') });
    expect(names(satisfiedBy(convertPolicy(config, '/Channel/Application/Any')))).toHaveLength(4);
    expect(names(satisfiedBy(convertPolicy(config, '/Channel/Application/All')))).toEqual(['Org1MSP+Org2MSP+Org3MSP+Org4MSP']);
  });

  it('keeps a signature policy as it is', () => {
    const config = configWith(2, { Custom: signaturePolicy(nOutOf(2, [org(1), org(2)])) });
    expect(names(satisfiedBy(convertPolicy(config, '/Channel/Application/Custom')))).toEqual(['Org1MSP+Org2MSP']);
  });

  it('refuses a missing policy and a sub-group without the sub-policy', () => {
    const config = configWith(3, { Endorsement: implicitMetaPolicy('MAJORITY', 'Endorsement') }, [2]);
    expect(() => convertPolicy(config, '/Channel/Application/Nope')).toThrow(PolicyInquiryError);
    expect(() => convertPolicy(config, '/Channel/Application/Endorsement')).toThrow(/failed to convert subpolicy number 1 of policy Endorsement/);
  });
});
