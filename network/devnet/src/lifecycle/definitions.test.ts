/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Definitions and approvals in the `_lifecycle` namespace: Fabric's defaults, the fields that
 * must match, and who must endorse a write (the stored form: ./stateLayout.test.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { peer } from '@hyperledger/fabric-protos';
import { nOutOfPeers } from 'fabric-config/configtx';
import {
  endorsementPolicyOf,
  lifecycleWriteRule,
  mismatches,
  withDefaults,
} from './definitions';
import type { DefinitionParams } from './definitions';

const base: DefinitionParams = {
  name: 'basic', sequence: 1, version: '1.0', endorsementPlugin: '', validationPlugin: '',
  validationParameter: new Uint8Array(), initRequired: false, collections: new Uint8Array(),
};

describe('_lifecycle definitions', () => {
  it("fills Fabric's defaults: escc, vscc and the channel's Endorsement policy", () => {
    const d = withDefaults(base);
    expect([d.endorsementPlugin, d.validationPlugin]).toEqual(['escc', 'vscc']);
    expect(endorsementPolicyOf(d.validationParameter)).toEqual({ ref: '/Channel/Application/Endorsement' });
  });

  it('reads an explicit signature policy', () => {
    const policy = new peer.ApplicationPolicy();
    policy.setSignaturePolicy(nOutOfPeers(1, ['Org1MSP']));
    const read = endorsementPolicyOf(policy.serializeBinary());
    expect('signature' in read && read.signature.getIdentitiesList()).toHaveLength(1);
  });

  it('names the fields in which two definitions differ, ignoring the sequence', () => {
    const d = withDefaults(base);
    expect(mismatches(d, { ...d, sequence: 7 })).toEqual([]);
    expect(mismatches(d, { ...d, version: '2.0', initRequired: true })).toEqual(['Version', 'InitRequired']);
  });

  it("requires each implicit collection's policy for an approval and LifecycleEndorsement for public writes", () => {
    expect(lifecycleWriteRule({ publicWrites: false, collections: ['_implicit_org_Org1MSP'] })).toEqual({ orgs: ['Org1MSP'], lifecycleEndorsement: false });
    expect(lifecycleWriteRule({ publicWrites: true, collections: ['_implicit_org_Org2MSP'] })).toEqual({ orgs: ['Org2MSP'], lifecycleEndorsement: true });
    expect(lifecycleWriteRule({ publicWrites: false, collections: [] })).toEqual({ orgs: [], lifecycleEndorsement: true });
    expect(lifecycleWriteRule({ publicWrites: false, collections: ['shared'] })).toBeUndefined();
    expect(lifecycleWriteRule({ publicWrites: false, collections: ['_implicit_org_'] })).toBeUndefined();
  });
});
