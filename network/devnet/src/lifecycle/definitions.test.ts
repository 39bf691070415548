/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Definitions and approvals in the `_lifecycle` namespace: Fabric's defaults, the fields that
 * must match, the stored form, and who must endorse a write.
 */
import { describe, expect, it } from '@jest/globals';
import { peer } from '@hyperledger/fabric-protos';
import { nOutOfPeers } from 'fabric-config/configtx';
import {
  approvalKey,
  decodeApproval,
  decodeDefinition,
  definitionKey,
  encodeApproval,
  encodeDefinition,
  endorsementPolicyOf,
  lifecycleWriteOwners,
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

  it('stores approvals with their package and definitions without one', () => {
    const d = withDefaults(base);
    const approval = decodeApproval(encodeApproval({ ...d, packageId: 'basic_1:ab' }));
    expect(approval.packageId).toBe('basic_1:ab');
    expect(mismatches(approval, d)).toEqual([]);
    expect(decodeDefinition(encodeDefinition(d)).sequence).toBe(1);
    expect(() => decodeDefinition(Buffer.from('{"v":99}'))).toThrow('not a _lifecycle value');
  });

  it('requires each written approval to be its organisation’s and a definition to meet LifecycleEndorsement', () => {
    expect(lifecycleWriteOwners([approvalKey('Org1MSP', 'basic', 1)])).toEqual({ orgs: ['Org1MSP'], definition: false });
    expect(lifecycleWriteOwners([definitionKey('basic'), approvalKey('Org2MSP', 'basic', 2)])).toEqual({ orgs: ['Org2MSP'], definition: true });
    expect(lifecycleWriteOwners(['something/else'])).toBeUndefined();
    expect(lifecycleWriteOwners(['approvals//basic#1'])).toBeUndefined();
  });
});
