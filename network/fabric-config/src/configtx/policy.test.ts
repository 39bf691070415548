import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import { MspRegistry, SigningIdentity } from '../msp';
import type { OrgCrypto } from '../msp';
import { generateTestOrgs, testChannelProfile } from '../testing/orgs';
import { readConfigBlock, readMsps } from './decode';
import { buildGenesisBlock } from './genesis';
import {
  describeSignaturePolicy,
  envelopeSignedData,
  evaluatePolicy,
  evaluateSignaturePolicy,
  implicitMetaPolicy,
  nOutOf,
  nOutOfPeers,
  resolvePolicyPath,
  signaturePolicy,
} from './policy';
import type { SignedData } from './policy';
import type { ChannelProfile } from './profile';

type Who = 'admin' | 'user' | 'peer' | 'orderer';

let root: string;
let orgs: OrgCrypto[];
let outsider: OrgCrypto;
let config: common.Config;
let msps: MspRegistry;
const MESSAGE = Buffer.from('the exact signed bytes');

beforeAll(async () => {
  let all: OrgCrypto[];
  ({ root, orgs: all } = await generateTestOrgs('configtx-policy', 5));
  orgs = all.slice(0, 4);
  outsider = all[4]!;
  config = readConfigBlock(buildGenesisBlock(profile())).config;
  msps = new MspRegistry(readMsps(config));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function profile(): ChannelProfile {
  return testChannelProfile(orgs);
}

function signer(org: OrgCrypto, who: Who): SigningIdentity {
  switch (who) {
    case 'admin':
      return new SigningIdentity(org.mspId, org.admin.certPem, org.admin.privateKeyPem);
    case 'user':
      return new SigningIdentity(org.mspId, org.user.certPem, org.user.privateKeyPem);
    case 'peer':
      return new SigningIdentity(org.mspId, org.peer.signCertPem, org.peer.privateKeyPem);
    case 'orderer':
      return new SigningIdentity(org.mspId, org.orderer.signCertPem, org.orderer.privateKeyPem);
  }
}

/** `'2.peer'` is Org2's peer; `'5.admin'` the outsider's admin; a `!` suffix spoils the signature. */
function signed(spec: string): SignedData {
  const [index, rest] = spec.split('.') as [string, string];
  const who = rest.replace('!', '') as Who;
  const org = index === '5' ? outsider : orgs[Number(index) - 1];
  const identity = signer(org, who);
  const signature = identity.sign(MESSAGE);
  if (rest.endsWith('!')) signature[signature.length - 1] ^= 1;
  return { identity: identity.serialize(), data: MESSAGE, signature };
}

const ALL_ORGS = ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'];

describe('evaluateSignaturePolicy', () => {
  it.each<[string, () => common.SignaturePolicyEnvelope, string[], boolean]>([
    ['3 of 4 peers: three peers sign', () => nOutOfPeers(3, ALL_ORGS), ['1.peer', '2.peer', '3.peer'], true],
    ['3 of 4 peers: all four sign', () => nOutOfPeers(3, ALL_ORGS), ['1.peer', '2.peer', '3.peer', '4.peer'], true],
    ['3 of 4 peers: two peers sign', () => nOutOfPeers(3, ALL_ORGS), ['1.peer', '2.peer'], false],
    ['3 of 4 peers: one peer signs twice', () => nOutOfPeers(3, ALL_ORGS), ['1.peer', '2.peer', '2.peer'], false],
    ['3 of 4 peers: an admin is not a peer', () => nOutOfPeers(3, ALL_ORGS), ['1.peer', '2.peer', '3.admin'], false],
    ['3 of 4 peers: a spoiled signature does not count', () => nOutOfPeers(3, ALL_ORGS), ['1.peer', '2.peer', '3.peer!'], false],
    ['3 of 4 peers: an outsider does not count', () => nOutOfPeers(3, ALL_ORGS), ['1.peer', '2.peer', '5.peer'], false],
    ['member: a client is a member', () => nOutOf(1, [{ mspId: 'Org1MSP', role: 'member' }]), ['1.user'], true],
    ['member: another org is not', () => nOutOf(1, [{ mspId: 'Org1MSP', role: 'member' }]), ['2.admin'], false],
    ['client: an admin is not a client', () => nOutOf(1, [{ mspId: 'Org1MSP', role: 'client' }]), ['1.admin'], false],
    ['orderer role', () => nOutOf(1, [{ mspId: 'Org4MSP', role: 'orderer' }]), ['4.orderer'], true],
    ['one signature per principal: admin alone for member AND admin', () => nOutOf(2, [{ mspId: 'Org1MSP', role: 'member' }, { mspId: 'Org1MSP', role: 'admin' }]), ['1.admin'], false],
    ['one signature per principal: user and admin for member AND admin', () => nOutOf(2, [{ mspId: 'Org1MSP', role: 'member' }, { mspId: 'Org1MSP', role: 'admin' }]), ['1.user', '1.admin'], true],
    // Fabric's cauthdsl is greedy: 'member' takes the first signer (the admin), leaving only the user for 'admin'.
    ['greedy as Fabric: admin then user for member AND admin', () => nOutOf(2, [{ mspId: 'Org1MSP', role: 'member' }, { mspId: 'Org1MSP', role: 'admin' }]), ['1.admin', '1.user'], false],
    ['0 of n is always met', () => nOutOfPeers(0, ALL_ORGS), [], true],
  ])('%s', (_, policy, signers, ok) => {
    expect(evaluateSignaturePolicy(policy(), signers.map(signed), msps).ok).toBe(ok);
  });

  it('refuses garbage identities without throwing', () => {
    const garbage: SignedData = { identity: Buffer.from('not a serialized identity'), data: MESSAGE, signature: Buffer.alloc(70) };
    expect(evaluateSignaturePolicy(nOutOfPeers(1, ALL_ORGS), [garbage], msps)).toEqual({ ok: false, reason: 'signature set did not satisfy policy' });
  });

  it('refuses a policy whose SignedBy index is out of range', () => {
    const envelope = nOutOfPeers(1, ['Org1MSP']);
    envelope.getRule()!.getNOutOf()!.getRulesList()[0].setSignedBy(5);
    expect(evaluateSignaturePolicy(envelope, [signed('1.peer')], msps)).toEqual({
      ok: false,
      reason: 'identity index out of range, requested 5, but identities length is 1',
    });
  });

  it('evaluates nested rules: AND(OR(Org1 admin, Org2 admin), Org3 member)', () => {
    const envelope = nOutOf(2, [
      { mspId: 'Org1MSP', role: 'admin' },
      { mspId: 'Org2MSP', role: 'admin' },
      { mspId: 'Org3MSP', role: 'member' },
    ]);
    const or = new common.SignaturePolicy.NOutOf();
    or.setN(1);
    const [a, b, c] = envelope.getRule()!.getNOutOf()!.getRulesList() as [common.SignaturePolicy, common.SignaturePolicy, common.SignaturePolicy];
    or.setRulesList([a, b]);
    const orRule = new common.SignaturePolicy();
    orRule.setNOutOf(or);
    envelope.getRule()!.getNOutOf()!.setRulesList([orRule, c]);
    expect(describeSignaturePolicy(envelope)).toBe("AND(OR('Org1MSP.admin', 'Org2MSP.admin'), 'Org3MSP.member')");
    expect(evaluateSignaturePolicy(envelope, ['2.admin', '3.peer'].map(signed), msps).ok).toBe(true);
    expect(evaluateSignaturePolicy(envelope, ['1.admin', '2.admin'].map(signed), msps).ok).toBe(false);
    expect(evaluateSignaturePolicy(envelope, ['3.peer'].map(signed), msps).ok).toBe(false);
  });
});

describe('evaluatePolicy on the channel config', () => {
  it.each<[string, string, string[], boolean]>([
    ['MAJORITY Admins: 3 of 4 admins', '/Channel/Orderer/Admins', ['1.admin', '2.admin', '3.admin'], true],
    ['MAJORITY Admins: 4 of 4 admins', '/Channel/Application/Admins', ['1.admin', '2.admin', '3.admin', '4.admin'], true],
    ['MAJORITY Admins: 2 of 4 admins', '/Channel/Orderer/Admins', ['1.admin', '2.admin'], false],
    ['MAJORITY Admins: 2 admins and a client', '/Channel/Orderer/Admins', ['1.admin', '2.admin', '3.user'], false],
    ['MAJORITY Admins: 2 admins and an outsider admin', '/Channel/Orderer/Admins', ['1.admin', '2.admin', '5.admin'], false],
    ['MAJORITY of MAJORITY: /Channel/Admins with 3 admins', '/Channel/Admins', ['1.admin', '2.admin', '3.admin'], true],
    ['ANY Readers: one client', '/Channel/Readers', ['4.user'], true],
    ['ANY Readers: an outsider', '/Channel/Readers', ['5.user'], false],
    ['ANY Writers: an application client', '/Channel/Application/Writers', ['1.user'], true],
    ['ANY Writers: a peer is no application writer', '/Channel/Application/Writers', ['1.peer'], false],
    ['ANY Writers: the orderer node is an orderer writer', '/Channel/Orderer/Writers', ['2.orderer'], true],
    ['BlockValidation: the orderer node', '/Channel/Orderer/BlockValidation', ['3.orderer'], true],
    ['MAJORITY Endorsement: 3 peers', '/Channel/Application/Endorsement', ['1.peer', '2.peer', '4.peer'], true],
    ['MAJORITY Endorsement: 2 peers and an admin', '/Channel/Application/Endorsement', ['1.peer', '2.peer', '4.admin'], false],
    ['org policy by absolute path', '/Channel/Application/Org2MSP/Admins', ['2.admin'], true],
    ['org policy by absolute path, wrong org', '/Channel/Application/Org2MSP/Admins', ['1.admin'], false],
  ])('%s', (_, path, signers, ok) => {
    expect(evaluatePolicy(config, path, signers.map(signed), msps).ok).toBe(ok);
  });

  it("explains an unmet MAJORITY in Fabric's words", () => {
    expect(evaluatePolicy(config, '/Channel/Orderer/Admins', ['1.admin', '2.admin'].map(signed), msps)).toEqual({
      ok: false,
      reason: "implicit policy evaluation failed - 2 sub-policies were satisfied, but this policy requires 3 of the 'Admins' sub-policies to be satisfied",
    });
  });

  it('refuses a missing policy', () => {
    expect(evaluatePolicy(config, '/Channel/Orderer/Nope', [signed('1.admin')], msps)).toEqual({ ok: false, reason: "no such policy: '/Channel/Orderer/Nope'" });
    expect(evaluatePolicy(config, '/Other/Admins', [signed('1.admin')], msps).ok).toBe(false);
  });

  it('evaluates ALL over the sub-groups', () => {
    const copy = config.cloneMessage();
    copy.getChannelGroup()!.getGroupsMap().get('Application')!.getPoliciesMap().get('Endorsement')!.setPolicy(implicitMetaPolicy('ALL', 'Endorsement'));
    expect(evaluatePolicy(copy, '/Channel/Application/Endorsement', ['1.peer', '2.peer', '3.peer', '4.peer'].map(signed), msps).ok).toBe(true);
    expect(evaluatePolicy(copy, '/Channel/Application/Endorsement', ['1.peer', '2.peer', '3.peer'].map(signed), msps)).toEqual({
      ok: false,
      reason: "implicit policy evaluation failed - 3 sub-policies were satisfied, but this policy requires 4 of the 'Endorsement' sub-policies to be satisfied",
    });
  });

  it('counts a sub-group without the named policy as unsatisfied', () => {
    const copy = config.cloneMessage();
    copy.getChannelGroup()!.getGroupsMap().get('Orderer')!.getGroupsMap().get('Org1MSP')!.getPoliciesMap().del('Admins');
    expect(evaluatePolicy(copy, '/Channel/Orderer/Admins', ['1.admin', '2.admin', '3.admin'].map(signed), msps).ok).toBe(false);
    expect(evaluatePolicy(copy, '/Channel/Orderer/Admins', ['2.admin', '3.admin', '4.admin'].map(signed), msps).ok).toBe(true);
  });

  it('decides by the policy of the config it is given, not by one decoded for another config', () => {
    const path = '/Channel/Application/Org2MSP/Admins';
    expect(evaluatePolicy(config, path, [signed('2.admin')], msps).ok).toBe(true);
    const copy = config.cloneMessage();
    const org2 = copy.getChannelGroup()!.getGroupsMap().get('Application')!.getGroupsMap().get('Org2MSP')!;
    org2.getPoliciesMap().get('Admins')!.setPolicy(signaturePolicy(nOutOf(1, [{ mspId: 'Org1MSP', role: 'admin' }])));
    expect(evaluatePolicy(copy, path, [signed('2.admin')], msps).ok).toBe(false);
    expect(evaluatePolicy(copy, path, [signed('1.admin')], msps).ok).toBe(true);
    expect(evaluatePolicy(config, path, [signed('2.admin')], msps).ok).toBe(true);
    expect(evaluatePolicy(config, path, [signed('1.admin')], msps).ok).toBe(false);
  });

  it('refuses a policy that does not decode every time it is asked', () => {
    const copy = config.cloneMessage();
    const broken = new common.Policy();
    broken.setType(common.Policy.PolicyType.SIGNATURE);
    broken.setValue(Uint8Array.from([0xff, 0xff, 0xff]));
    copy.getChannelGroup()!.getGroupsMap().get('Application')!.getGroupsMap().get('Org2MSP')!.getPoliciesMap().get('Admins')!.setPolicy(broken);
    for (let i = 0; i < 2; i++) {
      const result = evaluatePolicy(copy, '/Channel/Application/Org2MSP/Admins', [signed('2.admin')], msps);
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.reason).toMatch(/is not a SignaturePolicyEnvelope/);
    }
  });

  it("checks an envelope's own signature over its exact payload", () => {
    const identity = signer(orgs[0], 'user');
    const header = new common.SignatureHeader();
    header.setCreator(identity.serialize());
    const h = new common.Header();
    h.setSignatureHeader(header.serializeBinary());
    const payload = new common.Payload();
    payload.setHeader(h);
    const envelope = new common.Envelope();
    envelope.setPayload(payload.serializeBinary());
    envelope.setSignature(identity.sign(envelope.getPayload_asU8()));
    expect(evaluatePolicy(config, '/Channel/Writers', [envelopeSignedData(envelope)], msps).ok).toBe(true);
  });
});

describe('resolvePolicyPath', () => {
  it.each<[string[], string, string]>([
    [['Channel', 'Orderer'], 'Admins', '/Channel/Orderer/Admins'],
    [['Channel'], 'Admins', '/Channel/Admins'],
    [['Channel', 'Application', 'Org1MSP'], 'Admins', '/Channel/Application/Org1MSP/Admins'],
    [['Channel'], 'Orderer/Admins', '/Channel/Orderer/Admins'],
    [['Channel', 'Application'], '/Channel/Orderer/Admins', '/Channel/Orderer/Admins'],
  ])('%p + %s → %s', (group, name, path) => {
    expect(resolvePolicyPath(group, name)).toBe(path);
  });
});
