/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The collection configuration checks `_lifecycle` makes on approve and commit, each with Fabric's message.
 */
import { describe, expect, it } from '@jest/globals';
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { nOutOf } from 'fabric-config/configtx';
import { validateCollectionConfigs } from './validation';

const CHANNEL = new Set(['Org1MSP', 'Org2MSP', 'Org3MSP']);

interface Spec {
  name: string;
  members?: string[];
  policy?: common.SignaturePolicyEnvelope | null;
  required?: number;
  maximum?: number;
  btl?: number;
}

function pkg(specs: Spec[]): Uint8Array {
  const out = new peer.CollectionConfigPackage();
  out.setConfigList(
    specs.map((s) => {
      const c = new peer.StaticCollectionConfig();
      c.setName(s.name);
      if (s.policy !== null) {
        const policy = new peer.CollectionPolicyConfig();
        policy.setSignaturePolicy(s.policy ?? nOutOf(1, (s.members ?? ['Org1MSP', 'Org2MSP']).map((mspId) => ({ mspId, role: 'member' as const }))));
        c.setMemberOrgsPolicy(policy);
      }
      c.setRequiredPeerCount(s.required ?? 0);
      c.setMaximumPeerCount(s.maximum ?? 1);
      c.setBlockToLive(s.btl ?? 0);
      const config = new peer.CollectionConfig();
      config.setStaticCollectionConfig(c);
      return config;
    }),
  );
  return out.serializeBinary();
}

function identityPrincipal(mspId: string): common.SignaturePolicyEnvelope {
  const id = new msp.SerializedIdentity();
  id.setMspid(mspId);
  id.setIdBytes(Buffer.from('a certificate'));
  const principal = new msp.MSPPrincipal();
  principal.setPrincipalClassification(msp.MSPPrincipal.Classification.IDENTITY);
  principal.setPrincipal(id.serializeBinary());
  const envelope = new common.SignaturePolicyEnvelope();
  envelope.setIdentitiesList([principal]);
  const rule = new common.SignaturePolicy();
  rule.setSignedBy(0);
  envelope.setRule(rule);
  return envelope;
}

describe('validateCollectionConfigs', () => {
  it('accepts no collections, and well-formed collections of channel members', () => {
    expect(() => { validateCollectionConfigs(new Uint8Array(0), CHANNEL); }).not.toThrow();
    expect(() => { validateCollectionConfigs(pkg([{ name: 'assetCollection' }, { name: 'Org3-only_1', members: ['Org3MSP'] }]), CHANNEL); }).not.toThrow();
  });

  it.each([
    ['an implicit collection name', [{ name: '_implicit_org_Org1MSP' }], "invalid collection name '_implicit_org_Org1MSP'. Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'"],
    ['a name with a dollar', [{ name: 'a$$b' }], "invalid collection name 'a$$b'. Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'"],
    ['a duplicate name', [{ name: 'c1' }, { name: 'c1' }], 'collection-name: c1 -- found duplicate in collection configuration'],
    ['maximum below required', [{ name: 'c1', required: 2, maximum: 1 }], 'collection-name: c1 -- maximum peer count (1) cannot be less than the required peer count (2)'],
    ['a negative required count', [{ name: 'c1', required: -1, maximum: -1 }], 'collection-name: c1 -- requiredPeerCount (-1) cannot be less than zero'],
    ['no member policy', [{ name: 'c1', policy: null }], "collection member policy is not set for collection 'c1'"],
    ['a member outside the channel', [{ name: 'c1', members: ['Org1MSP', 'Org9MSP'] }], "collection-name: c1 -- collection member 'Org9MSP' is not part of the channel"],
    [
      'a member policy that is not an OR',
      [{ name: 'c1', policy: nOutOf(2, [{ mspId: 'Org1MSP', role: 'member' }, { mspId: 'Org2MSP', role: 'member' }]) }],
      'collection-name: c1 -- error in member org policy: signature policy is not an OR concatenation, NOutOf 2',
    ],
    ['an identity of another channel', [{ name: 'c1', policy: identityPrincipal('Org9MSP') }], 'collection-name: c1 -- contains an identity that is not part of the channel'],
  ])('refuses %s', (_label, specs, message) => {
    expect(() => { validateCollectionConfigs(pkg(specs), CHANNEL); }).toThrow(message);
  });

  it('keeps the committed collections: none may go, none may change its block-to-live; new ones may come', () => {
    const committed = pkg([{ name: 'c1', btl: 10 }, { name: 'c2' }]);
    expect(() => { validateCollectionConfigs(pkg([{ name: 'c1', btl: 10 }, { name: 'c2', members: ['Org3MSP'] }, { name: 'c3' }]), CHANNEL, committed); }).not.toThrow();
    expect(() => { validateCollectionConfigs(new Uint8Array(0), CHANNEL, committed); }).toThrow('the proposed collection config does not contain previously defined collections');
    expect(() => { validateCollectionConfigs(pkg([{ name: 'c1', btl: 10 }]), CHANNEL, committed); }).toThrow('existing collection [c2] missing in the proposed collection configuration');
    expect(() => { validateCollectionConfigs(pkg([{ name: 'c1', btl: 11 }, { name: 'c2' }]), CHANNEL, committed); }).toThrow(
      'the BlockToLive in an existing collection [c1] modified. Existing value [10]',
    );
  });
});
