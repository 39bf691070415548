/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What a channel's config in force decides for its peers: the ACL of each resource (configured or
 * Fabric's default, with Fabric's refusal texts), the lifecycle capability and the consensus state.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import { buildGenesisBlock, readConfigBlock, signaturePolicy, nOutOf } from 'fabric-config/configtx';
import type { SignedData } from 'fabric-config/configtx';
import { MspRegistry, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { generateTestOrgs, signerOf, testChannelProfile } from 'fabric-config/testing';
import { Channel, DEFAULT_ENDORSEMENT_POLICY } from './channel';

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

describe('Channel.endorsementPolicyAccumulator', () => {
  const peerOf = (i: number): SigningIdentity => new SigningIdentity(`Org${i + 1}MSP`, orgs[i].peer.signCertPem, orgs[i].peer.privateKeyPem);
  const payload = Buffer.from('a proposal response payload');
  const endorsedBy = (signer: SigningIdentity, data: Buffer = payload): SignedData => {
    const identity = signer.serialize();
    return { identity, data: Buffer.concat([data, identity]), signature: signer.sign(Buffer.concat([data, identity])) };
  };
  const channelWithAssets = (): Channel => {
    const channel = new Channel('primary', genesis, 0);
    channel.defineChaincode({ channel: 'primary', name: 'assets', version: '1', ccid: 'assets:0', folder: '/x', address: '127.0.0.1:1', endorsementPolicy: DEFAULT_ENDORSEMENT_POLICY });
    return channel;
  };

  it('answers after each endorsement what checkEndorsementPolicy answers for the set so far', () => {
    const channel = channelWithAssets();
    const add = channel.endorsementPolicyAccumulator('assets');
    const all = [0, 1, 2, 3].map((i) => endorsedBy(peerOf(i)));
    all.forEach((e, i) => {
      expect(add(e)).toEqual(channel.checkEndorsementPolicy('assets', all.slice(0, i + 1)));
    });
    // MAJORITY of 4 organisations: the third endorsement is the first that suffices.
    const fresh = channel.endorsementPolicyAccumulator('assets');
    expect(all.map((e) => fresh(e).ok)).toEqual([false, false, true, true]);
  });

  it('verifies each signature once, however many times the policy is evaluated', () => {
    const channel = channelWithAssets();
    const add = channel.endorsementPolicyAccumulator('assets');
    const verify = jest.spyOn(MspRegistry.prototype, 'verify');
    try {
      for (let i = 0; i < 4; i++) add(endorsedBy(peerOf(i)));
      expect(verify).toHaveBeenCalledTimes(4);
    } finally {
      verify.mockRestore();
    }
  });

  it('counts neither a bad signature nor a signer twice, and lets a bad signer count once it signs properly', () => {
    const channel = channelWithAssets();
    const add = channel.endorsementPolicyAccumulator('assets');
    const forged = { ...endorsedBy(peerOf(0)), data: Buffer.from('other bytes') };
    expect(add(forged).ok).toBe(false);
    expect(add(endorsedBy(peerOf(1))).ok).toBe(false);
    expect(add(endorsedBy(peerOf(1), Buffer.from('again'))).ok).toBe(false);
    expect(add({ identity: Buffer.from('not an identity'), data: payload, signature: Buffer.alloc(8) }).ok).toBe(false);
    expect(add(endorsedBy(peerOf(0))).ok).toBe(false);
    expect(add(endorsedBy(peerOf(2))).ok).toBe(true);
  });

  it('refuses a chaincode the channel does not define, as checkEndorsementPolicy does', () => {
    const channel = channelWithAssets();
    const e = endorsedBy(peerOf(0));
    expect(channel.endorsementPolicyAccumulator('nope')(e)).toEqual(channel.checkEndorsementPolicy('nope', [e]));
  });
});
