/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What a channel's config in force decides for its peers: the ACL of each resource (configured or
 * Fabric's default, with Fabric's refusal texts), the lifecycle capability and the consensus state.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import { buildGenesisBlock, readConfigBlock, signaturePolicy, nOutOf } from 'fabric-config/configtx';
import type { SignedData } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { generateTestOrgs, signerOf, testChannelProfile } from 'fabric-config/testing';
import { Channel } from './channel';

let root: string;
let orgs: OrgCrypto[];
let genesis: common.Config;

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('devnet-channel', 4));
  genesis = readConfigBlock(buildGenesisBlock(testChannelProfile(orgs))).config;
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function signedBy(signer: SigningIdentity): SignedData[] {
  const data = Buffer.from('a proposal');
  return [{ identity: signer.serialize(), data, signature: signer.sign(data) }];
}

function application(config: common.Config): common.ConfigGroup {
  return config.getChannelGroup()!.getGroupsMap().get('Application')!;
}

/** The genesis config with ACLs and an application policy only Org1's admin satisfies. */
function withAcls(entries: Record<string, string>, capabilities: string[] = ['V2_5']): common.Config {
  const config = genesis.cloneMessage();
  const app = application(config);
  const only = new common.ConfigPolicy();
  only.setModPolicy('Admins');
  only.setPolicy(signaturePolicy(nOutOf(1, [{ mspId: 'Org1MSP', role: 'admin' }])));
  app.getPoliciesMap().set('OnlyOrg1Admin', only);
  const message = new peer.ACLs();
  for (const [resource, ref] of Object.entries(entries)) {
    const api = new peer.APIResource();
    api.setPolicyRef(ref);
    message.getAclsMap().set(resource, api);
  }
  const value = new common.ConfigValue();
  value.setModPolicy('Admins');
  value.setValue(message.serializeBinary());
  app.getValuesMap().set('ACLs', value);
  const names = new common.Capabilities();
  for (const name of capabilities) names.getCapabilitiesMap().set(name, new common.Capability());
  app.getValuesMap().get('Capabilities')!.setValue(names.serializeBinary());
  return config;
}

describe('Channel.checkAcl', () => {
  it('applies Fabric\'s default policy to a resource the channel\'s ACLs do not name', () => {
    const channel = new Channel('primary', genesis, 0);
    expect(channel.checkAcl('peer/Propose', signedBy(signerOf(orgs, '2.user')))).toEqual({ ok: true });
    expect(channel.checkAcl('event/Block', signedBy(signerOf(orgs, '3.admin')))).toEqual({ ok: true });
    const peerIdentity = new SigningIdentity('Org2MSP', orgs[1].peer.signCertPem, orgs[1].peer.privateKeyPem);
    expect(channel.checkAcl('peer/Propose', signedBy(peerIdentity))).toEqual({
      ok: false,
      reason:
        "Failed evaluating policy on signed data during check policy on channel [primary] with policy [/Channel/Application/Writers]: [implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied]",
    });
    // Readers include peers, so a peer may receive blocks.
    expect(channel.checkAcl('event/Block', signedBy(peerIdentity))).toEqual({ ok: true });
  });

  it('evaluates the policy the ACLs name, relative ones under /Channel/Application', () => {
    const channel = new Channel('primary', withAcls({ 'peer/Propose': 'OnlyOrg1Admin', 'event/FilteredBlock': '/Channel/Application/OnlyOrg1Admin' }), 1);
    expect(channel.checkAcl('peer/Propose', signedBy(signerOf(orgs, '1.admin')))).toEqual({ ok: true });
    expect(channel.checkAcl('peer/Propose', signedBy(signerOf(orgs, '2.user')))).toEqual({
      ok: false,
      reason: 'failed evaluating policy on signed data during check policy [/Channel/Application/OnlyOrg1Admin]: [signature set did not satisfy policy]',
    });
    expect(channel.checkAcl('event/FilteredBlock', signedBy(signerOf(orgs, '1.user'))).ok).toBe(false);
    // Not named: still the default.
    expect(channel.checkAcl('event/Block', signedBy(signerOf(orgs, '2.user')))).toEqual({ ok: true });
  });

  it('refuses a named policy the config does not have, and falls back to the default for an empty reference', () => {
    const channel = new Channel('primary', withAcls({ 'peer/Propose': 'Nope', 'event/Block': '' }), 1);
    expect(channel.checkAcl('peer/Propose', signedBy(signerOf(orgs, '1.admin')))).toEqual({
      ok: false,
      reason: 'failed evaluating policy on signed data during check policy [/Channel/Application/Nope]: [policy /Channel/Application/Nope not found]',
    });
    expect(channel.checkAcl('event/Block', signedBy(signerOf(orgs, '4.user')))).toEqual({ ok: true });
    expect(channel.checkAcl('no/Such', signedBy(signerOf(orgs, '1.admin')))).toEqual({ ok: false, reason: 'Unmapped policy for no/Such' });
  });

  it('follows the config it is given: a later config takes the ACLs away', () => {
    const channel = new Channel('primary', withAcls({ 'peer/Propose': 'OnlyOrg1Admin' }), 1);
    expect(channel.checkAcl('peer/Propose', signedBy(signerOf(orgs, '2.user'))).ok).toBe(false);
    const next = genesis.cloneMessage();
    next.setSequence(2);
    channel.setConfig(next, 2);
    expect(channel.sequence).toBe(2);
    expect(channel.checkAcl('peer/Propose', signedBy(signerOf(orgs, '2.user')))).toEqual({ ok: true });
  });
});

describe('Channel capabilities and consensus state', () => {
  it('reads the v2 lifecycle from the Application capabilities', () => {
    expect(new Channel('primary', genesis, 0).lifecycleV20).toBe(true);
    expect(new Channel('primary', withAcls({}, ['V1_3']), 1).lifecycleV20).toBe(false);
  });

  it('reads maintenance mode from ConsensusType.State', () => {
    expect(new Channel('primary', genesis, 0).inMaintenance).toBe(false);
    const config = genesis.cloneMessage();
    const value = config.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('ConsensusType')!;
    const type = orderer.ConsensusType.deserializeBinary(value.getValue_asU8());
    type.setState(orderer.ConsensusType.State.STATE_MAINTENANCE);
    value.setValue(type.serializeBinary());
    expect(new Channel('primary', config, 1).inMaintenance).toBe(true);
  });
});
