/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Which policy guards a peer resource: the channel's ACLs value, else Fabric's default.
 */
import { describe, expect, it } from '@jest/globals';
import { common, peer } from '@hyperledger/fabric-protos';
import { aclPolicyFor, applicationAllowsAcls, configuredAcls } from './aclDefaults';

function configWithAcls(entries: Record<string, string> | undefined): common.Config {
  const application = new common.ConfigGroup();
  if (entries !== undefined) {
    const acls = new peer.ACLs();
    for (const [resource, ref] of Object.entries(entries)) {
      const api = new peer.APIResource();
      api.setPolicyRef(ref);
      acls.getAclsMap().set(resource, api);
    }
    const value = new common.ConfigValue();
    value.setValue(acls.serializeBinary());
    application.getValuesMap().set('ACLs', value);
  }
  const root = new common.ConfigGroup();
  root.getGroupsMap().set('Application', application);
  const config = new common.Config();
  config.setChannelGroup(root);
  return config;
}

describe('ACL policies', () => {
  it('resolves configured references as Fabric does and skips empty ones', () => {
    const acls = configuredAcls(configWithAcls({ 'peer/Propose': 'OnlyOrg1Admin', 'event/Block': '/Channel/Readers', 'event/FilteredBlock': '' }));
    expect([...acls.entries()].sort()).toEqual([
      ['event/Block', '/Channel/Readers'],
      ['peer/Propose', '/Channel/Application/OnlyOrg1Admin'],
    ]);
    expect(aclPolicyFor(acls, 'peer/Propose')).toEqual({ policy: '/Channel/Application/OnlyOrg1Admin', source: 'config' });
    expect(aclPolicyFor(acls, 'event/FilteredBlock')).toEqual({ policy: '/Channel/Application/Readers', source: 'default' });
  });

  it('gives Fabric\'s defaults, none for peer-wide or unknown resources', () => {
    const none = configuredAcls(configWithAcls(undefined));
    expect(none.size).toBe(0);
    expect(aclPolicyFor(none, 'peer/Propose')).toEqual({ policy: '/Channel/Application/Writers', source: 'default' });
    expect(aclPolicyFor(none, 'gateway/CommitStatus')).toEqual({ policy: '/Channel/Application/Readers', source: 'default' });
    expect(aclPolicyFor(new Map([['cscc/JoinChain', '/Channel/Application/Readers']]), 'cscc/JoinChain')).toBeUndefined();
    expect(aclPolicyFor(none, 'toString')).toBeUndefined();
  });

  it('allows ACLs from the V1_2 application capability on', () => {
    expect(applicationAllowsAcls(['V1_1'])).toBe(false);
    expect(applicationAllowsAcls([])).toBe(false);
    expect(applicationAllowsAcls(['V1_2'])).toBe(true);
    expect(applicationAllowsAcls(['V2_0', 'V2_5'])).toBe(true);
  });
});
