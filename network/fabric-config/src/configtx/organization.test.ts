/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Organisations added, replaced and removed as configtxgen and fabric-samples' addOrg3 would:
 * the groups byte for byte as genesis (and, with Fabric's binaries, `configtxgen -printOrg`)
 * writes them, the updates authorised as the orderer decides, identities of a rotated CA accepted
 * and the old refused, every refusal naming its field.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, msp } from '@hyperledger/fabric-protos';
import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { generateOrgCrypto, MspRegistry } from '../msp';
import type { OrgCrypto } from '../msp';
import { signedEnvelope } from '../testing/configEdits';
import { acceptConfigUpdate } from '../testing/configUpdates';
import { generateTestOrgs, testChannelProfile } from '../testing/orgs';
import { updateRequirements } from './authorisation';
import type { ChannelModel, OrganizationEntryModel } from './channelModel';
import { channelModelDifferences, channelModelProblems, channelModelUpdate, modelLeaves, readChannelModel, withChannelModel } from './channelModel';
import { diffConfigs } from './configDiff';
import { readConfigBlock, readMsps } from './decode';
import { buildGenesisBlock } from './genesis';
import type { OrganizationModel } from './organization';
import {
  defaultOrganizationPolicies,
  organizationGroup,
  organizationGroupsOf,
  organizationProblems,
  readOrganization,
  withOrganization,
  withoutOrganization,
} from './organization';
import { policyFromModel } from './policyExpression';
import type { ChannelProfile } from './profile';
import { computeUpdate } from './update';

const FIXED = { timestamp: new Date('2026-01-01T00:00:00Z'), nonce: new Uint8Array(24).fill(5) };
const BOTH = { application: true, orderer: true };

let root: string;
let orgs: OrgCrypto[];
/** Org2 again, under a new CA: its rotation. */
let newOrg2: OrgCrypto;
let rotationRoot: string;
/** A CA certificate without a SubjectKeyIdentifier; a root, an intermediate it issued and an admin under that. */
let pki: { noSki: string; root: string; intermediate: string; admin: string };

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('configtx-organization', 6));
  rotationRoot = mkdtempSync(join(tmpdir(), 'configtx-organization-rotation-'));
  newOrg2 = await generateOrgCrypto(rotationRoot, { mspId: 'Org2MSP', domain: 'org2.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  pki = await testPki();
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(rotationRoot, { recursive: true, force: true });
});

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' };
const ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' };

async function testPki(): Promise<typeof pki> {
  const keys = (): Promise<webcrypto.CryptoKeyPair> => webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const [noSkiKeys, rootKeys, intermediateKeys, adminKeys] = await Promise.all([keys(), keys(), keys(), keys()]);
  const validity = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) };
  const ca = (): x509.Extension[] => [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)];
  const ski = async (key: webcrypto.CryptoKey): Promise<x509.Extension> => x509.SubjectKeyIdentifierExtension.create(key, false, webcrypto);
  const noSki = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: 'CN=no-ski', ...validity, keys: noSkiKeys, signingAlgorithm: ALGORITHM, extensions: ca() }, webcrypto);
  const rootCert = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: '02', name: 'O=Org7,CN=root.org7', ...validity, keys: rootKeys, signingAlgorithm: ALGORITHM, extensions: [...ca(), await ski(rootKeys.publicKey)] },
    webcrypto,
  );
  const intermediate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: '03',
      subject: 'O=Org7,CN=intermediate.org7',
      issuer: rootCert.subject,
      ...validity,
      publicKey: intermediateKeys.publicKey,
      signingKey: rootKeys.privateKey,
      signingAlgorithm: ALGORITHM,
      extensions: [...ca(), await ski(intermediateKeys.publicKey), await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey, false, webcrypto)],
    },
    webcrypto,
  );
  const admin = await x509.X509CertificateGenerator.create(
    {
      serialNumber: '04',
      subject: 'O=Org7,CN=Admin@org7',
      issuer: intermediate.subject,
      ...validity,
      publicKey: adminKeys.publicKey,
      signingKey: intermediateKeys.privateKey,
      signingAlgorithm: ALGORITHM,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), await x509.AuthorityKeyIdentifierExtension.create(intermediateKeys.publicKey, false, webcrypto)],
    },
    webcrypto,
  );
  const pem = (cert: x509.X509Certificate): string => `${cert.toString('pem')}\n`;
  return { noSki: pem(noSki), root: pem(rootCert), intermediate: pem(intermediate), admin: pem(admin) };
}

function profileOf(count: number, overrides: Partial<ChannelProfile> = {}): ChannelProfile {
  return testChannelProfile(orgs.slice(0, count), overrides);
}

/** A channel's config as a member reads it: its own decode of the genesis block bytes. */
function channelOf(profile: ChannelProfile): common.Config {
  return readConfigBlock(common.Block.deserializeBinary(buildGenesisBlock(profile, FIXED).serializeBinary())).config;
}

/** {@link modelOf} for the application group alone. */
function applicationModel(index: number): OrganizationModel {
  return { ...modelOf(index), ordererEndpoints: [] };
}

/** The organisation `testChannelProfile` makes of orgs[index] (its anchor peer and endpoint). */
function modelOf(index: number, org: OrgCrypto = orgs[index]): OrganizationModel {
  const profile = testChannelProfile(orgs).orgs[index];
  return {
    mspId: org.mspId,
    rootCerts: [org.caCertPem],
    tlsRootCerts: [org.tlsCaCertPem],
    anchorPeers: profile.anchorPeer === undefined ? [] : [profile.anchorPeer],
    ordererEndpoints: profile.ordererEndpoint === undefined ? [] : [profile.ordererEndpoint],
  };
}

function groupOf(config: common.Config, section: 'Application' | 'Orderer', mspId: string): common.ConfigGroup | undefined {
  return config.getChannelGroup()?.getGroupsMap().get(section)?.getGroupsMap().get(mspId);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Signers `'<n>.admin'` over `crypto` (1-based), the update accepted as an orderer would. */
function submit(config: common.Config, update: common.ConfigUpdate, signers: string[], crypto: readonly OrgCrypto[] = orgs): common.Config {
  const envelope = signedEnvelope(crypto, update.serializeBinary(), signers);
  return acceptConfigUpdate('primary', config, envelope, new MspRegistry(readMsps(config))).config;
}

/** Every object's keys and every list in reverse order, then through JSON. */
function reversed<T>(value: T): T {
  const flip = (v: unknown): unknown => {
    if (Array.isArray(v)) return [...v].reverse().map(flip);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, flip(x)]));
    return v;
  };
  return JSON.parse(JSON.stringify(flip(value))) as T;
}

describe('withOrganization: adding an organisation', () => {
  it('writes Org5 as configtxgen does: the channel is byte for byte the genesis of the five', () => {
    const added = withOrganization(channelOf(profileOf(4)), modelOf(4), BOTH);
    const genesis = channelOf(profileOf(5));
    for (const section of ['Application', 'Orderer'] as const) {
      const ours = groupOf(added, section, 'Org5MSP');
      expect(ours).toBeDefined();
      expect(hex(ours!.serializeBinary())).toBe(hex(groupOf(genesis, section, 'Org5MSP')!.serializeBinary()));
    }
    expect(groupOf(added, 'Application', 'Org5MSP')!.getValuesMap().has('Endpoints')).toBe(false);
    expect(groupOf(added, 'Orderer', 'Org5MSP')!.getValuesMap().has('AnchorPeers')).toBe(false);
    expect(hex(added.getChannelGroup()!.serializeBinary())).toBe(hex(genesis.getChannelGroup()!.serializeBinary()));
    expect(hex(organizationGroup(modelOf(4), 'application').serializeBinary())).toBe(hex(groupOf(genesis, 'Application', 'Org5MSP')!.serializeBinary()));
  });

  it('needs MAJORITY of the admins of each group it joins: refused with 2 of 4, accepted with 3', () => {
    const config = channelOf(profileOf(4));
    const update = computeUpdate('primary', config, withOrganization(config, modelOf(4), BOTH));
    expect(updateRequirements(config, update).map((r) => r.policy)).toEqual(['/Channel/Application/Admins', '/Channel/Orderer/Admins']);
    expect(() => submit(config, update, ['1.admin', '2.admin'])).toThrow(/policy/);
    const after = submit(config, update, ['1.admin', '2.admin', '4.admin']);
    expect(organizationGroupsOf(after, 'Org5MSP')).toEqual(['application', 'orderer']);
    expect(readMsps(after).map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP', 'Org5MSP']);
    expect(readOrganization(after, 'Org5MSP')).toEqual({ ...modelOf(4), nodeOUs: true });

    const applicationOnly = computeUpdate('primary', config, withOrganization(config, applicationModel(4), { application: true, orderer: false }));
    expect(updateRequirements(config, applicationOnly).map((r) => r.policy)).toEqual(['/Channel/Application/Admins']);
  });

  it("counts Org5's admin afterwards: MAJORITY of five is three, and Org5 makes the third", () => {
    const config = channelOf(profileOf(4));
    const after = submit(config, computeUpdate('primary', config, withOrganization(config, modelOf(4), BOTH)), ['1.admin', '2.admin', '3.admin']);
    const acl: ChannelModel = { version: 2, application: { acls: { 'qscc/GetChainInfo': '/Channel/Application/Writers' } } };
    const update = channelModelUpdate('primary', after, acl);
    expect(updateRequirements(after, update)[0]).toMatchObject({ policy: '/Channel/Application/Admins', mspIds: ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP', 'Org5MSP'] });
    expect(() => submit(after, update, ['1.admin', '2.admin'])).toThrow(/policy/);
    // Org6 is no member: its admin's signature counts for nothing.
    expect(() => submit(after, update, ['1.admin', '2.admin', '6.admin'])).toThrow(/policy/);
    expect(channelModelDifferences(acl, submit(after, update, ['1.admin', '2.admin', '5.admin']))).toEqual([]);
  });

  it('gives byte-identical updates from differently ordered inputs', () => {
    const config = channelOf(profileOf(4));
    const org: OrganizationModel = {
      ...modelOf(4),
      anchorPeers: [{ host: 'peer1.org5.example.com', port: 11051 }, { host: 'peer0.org5.example.com', port: 11051 }, { host: 'peer0.org5.example.com', port: 9051 }],
      ordererEndpoints: ['orderer1.org5.example.com:11050', 'orderer0.org5.example.com:11050'],
      policies: { ...defaultOrganizationPolicies('Org5MSP', 'application'), Auditors: { type: 'Signature', rule: "OR('Org5MSP.admin', 'Org1MSP.admin')" } },
    };
    const updates = [org, reversed(org), { ...org }].map((o) => hex(computeUpdate('primary', config, withOrganization(config, o, BOTH)).serializeBinary()));
    expect(new Set(updates).size).toBe(1);
    const anchors = readOrganization(withOrganization(config, reversed(org), BOTH), 'Org5MSP').anchorPeers;
    expect(anchors).toEqual([{ host: 'peer0.org5.example.com', port: 9051 }, { host: 'peer0.org5.example.com', port: 11051 }, { host: 'peer1.org5.example.com', port: 11051 }]);
  });
});

describe('withoutOrganization', () => {
  it('removes Org4 from both groups with 3 of 4 admins; its admin counts for nothing afterwards', () => {
    const config = channelOf(profileOf(4));
    const update = computeUpdate('primary', config, withoutOrganization(config, 'Org4MSP'));
    expect(updateRequirements(config, update).map((r) => r.policy)).toEqual(['/Channel/Application/Admins', '/Channel/Orderer/Admins']);
    expect(() => submit(config, update, ['1.admin', '4.admin'])).toThrow(/policy/);
    const after = submit(config, update, ['1.admin', '2.admin', '4.admin']);
    expect(organizationGroupsOf(after, 'Org4MSP')).toEqual([]);
    expect(readMsps(after).map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    const next = channelModelUpdate('primary', after, { version: 2, application: { acls: { 'qscc/GetChainInfo': '/Channel/Application/Writers' } } });
    expect(() => submit(after, next, ['1.admin', '4.admin'])).toThrow(/policy/);
    expect(() => submit(after, next, ['1.admin', '2.admin'])).not.toThrow();
  });

  it('refuses to remove the last organisation of a group, naming the group, or one the channel lacks', () => {
    const single = channelOf(profileOf(1));
    expect(() => withoutOrganization(single, 'Org1MSP')).toThrow(/cannot remove Org1MSP, the last organisation of \/Channel\/Application; .*cannot remove Org1MSP, the last organisation of \/Channel\/Orderer/);
    expect(() => withoutOrganization(single, 'Org1MSP')).toThrow(expect.objectContaining({ code: 'CONFIGTX_BAD_CONFIG' }));
    const applicationOnly = withOrganization(single, applicationModel(1), { application: true, orderer: false });
    expect(() => withoutOrganization(applicationOnly, 'Org1MSP')).toThrow(/^(?!.*\/Channel\/Application).*the last organisation of \/Channel\/Orderer/);
    expect(() => withoutOrganization(single, 'Org9MSP')).toThrow(/the channel has no organisation Org9MSP/);
  });
});

describe('a CA rotation', () => {
  it("is Org2's own decision, and afterwards an identity of the new CA is accepted and the old refused", () => {
    const config = channelOf(profileOf(4));
    const rotated: OrganizationModel = { ...readOrganization(config, 'Org2MSP'), rootCerts: [newOrg2.caCertPem], tlsRootCerts: [newOrg2.tlsCaCertPem] };
    const update = computeUpdate('primary', config, withOrganization(config, rotated));
    expect(updateRequirements(config, update).map((r) => [r.policy, r.mspIds])).toEqual([
      ['/Channel/Application/Org2MSP/Admins', ['Org2MSP']],
      ['/Channel/Orderer/Org2MSP/Admins', ['Org2MSP']],
    ]);
    expect(() => submit(config, update, ['1.admin', '3.admin', '4.admin'])).toThrow(/policy/);
    const after = submit(config, update, ['2.admin']);
    const changed = diffConfigs(config, after).map((c) => c.path);
    expect(changed).toEqual(expect.arrayContaining(['Channel/Application/Org2MSP/MSP/RootCerts', 'Channel/Orderer/Org2MSP/MSP/TLSRootCerts', 'Channel/Application/Org2MSP/MSP/NodeOUs']));
    expect(readMsps(after).find((m) => m.mspId === 'Org2MSP')?.rootCerts).toEqual([newOrg2.caCertPem]);

    const rotatedCrypto = orgs.map((o, i) => (i === 1 ? newOrg2 : o));
    const next = computeUpdate('primary', after, withOrganization(after, { ...rotated, anchorPeers: [{ host: 'peer1.org2.example.com', port: 8051 }] }));
    expect(() => submit(after, next, ['2.admin'])).toThrow(/policy/);
    expect(readOrganization(submit(after, next, ['2.admin'], rotatedCrypto), 'Org2MSP').anchorPeers).toEqual([{ host: 'peer1.org2.example.com', port: 8051 }]);
  });

  it('writes the organisation whole: what else its group holds goes, mod_policies return to Admins', () => {
    const config = channelOf(profileOf(4));
    const group = groupOf(config, 'Application', 'Org3MSP')!;
    group.getValuesMap().set('Extra', group.getValuesMap().get('MSP')!.cloneMessage());
    group.getPoliciesMap().set('Extra', group.getPoliciesMap().get('Admins')!.cloneMessage());
    group.getGroupsMap().set('Sub', new common.ConfigGroup());
    group.getValuesMap().get('MSP')!.setModPolicy('Readers');
    group.setModPolicy('Writers');
    const written = groupOf(withOrganization(config, modelOf(2)), 'Application', 'Org3MSP')!;
    expect(hex(written.serializeBinary())).toBe(hex(organizationGroup(modelOf(2), 'application').serializeBinary()));

    const endorsement = { type: 'Signature', rule: "OR('Org3MSP.peer', 'Org3MSP.admin')" } as const;
    const policies = { ...defaultOrganizationPolicies('Org3MSP', 'application'), Endorsement: endorsement };
    const fresh = channelOf(profileOf(4));
    const update = computeUpdate('primary', fresh, withOrganization(fresh, { ...applicationModel(2), policies }, { application: true, orderer: false }));
    expect(updateRequirements(fresh, update).map((r) => r.policy)).toEqual(['/Channel/Application/Org3MSP/Admins']);
    const after = submit(fresh, update, ['3.admin']);
    expect(hex(groupOf(after, 'Application', 'Org3MSP')!.getPoliciesMap().get('Endorsement')!.getPolicy()!.serializeBinary())).toBe(hex(policyFromModel(endorsement).serializeBinary()));
    expect(groupOf(after, 'Application', 'Org3MSP')!.getPoliciesMap().get('Endorsement')!.getVersion()).toBe(1);
  });

  it('under way, the new root beside the old: NodeOUs bound to no root, so the admins of both CAs count until the old root goes', () => {
    const config = channelOf(profileOf(4));
    const old = readOrganization(config, 'Org2MSP');
    const both: OrganizationModel = { ...old, rootCerts: [...old.rootCerts, newOrg2.caCertPem] };
    expect(organizationProblems(both)).toEqual([]);
    const during = submit(config, computeUpdate('primary', config, withOrganization(config, both)), ['2.admin']);
    expect(readOrganization(during, 'Org2MSP')).toEqual(both);
    expect(readMsps(during).find((m) => m.mspId === 'Org2MSP')?.nodeOuCertifiers).toBeUndefined();
    const rotatedCrypto = orgs.map((o, i) => (i === 1 ? newOrg2 : o));
    const finish = computeUpdate('primary', during, withOrganization(during, { ...both, rootCerts: [newOrg2.caCertPem] }));
    // Either CA's admin may sign Org2's next change, such as the one that retires the old root.
    const after = submit(during, finish, ['2.admin'], rotatedCrypto);
    expect(submit(during, finish, ['2.admin']).getSequence()).toBe(after.getSequence());
    expect(readOrganization(after, 'Org2MSP').rootCerts).toEqual([newOrg2.caCertPem]);
    // Once retired, the NodeOUs name the new root again and the old admin is no admin at all.
    expect(readMsps(after).find((m) => m.mspId === 'Org2MSP')?.nodeOuCertifiers?.admin).toBe(newOrg2.caCertPem);
    const next = computeUpdate('primary', after, withOrganization(after, { ...readOrganization(after, 'Org2MSP'), anchorPeers: [{ host: 'peer1.org2.example.com', port: 8051 }] }));
    expect(() => submit(after, next, ['2.admin'])).toThrow(/policy/);
  });

  it('with both roots but the NodeOUs still bound to the old one (not a config this model writes), identities of the new root lose their role, as in Fabric', () => {
    const config = channelOf(profileOf(4));
    const old = readOrganization(config, 'Org2MSP');
    const definition = readMsps(config).find((m) => m.mspId === 'Org2MSP');
    expect(definition?.nodeOuCertifiers?.admin).toBe(old.rootCerts[0]);
    const registry = new MspRegistry([{ ...definition!, rootCerts: [...old.rootCerts, newOrg2.caCertPem] }]);
    const serialized = (crypto: OrgCrypto): Uint8Array => {
      const id = new msp.SerializedIdentity();
      id.setMspid('Org2MSP');
      id.setIdBytes(Buffer.from(crypto.admin.certPem));
      return id.serializeBinary();
    };
    expect(registry.deserialize(serialized(orgs[1])).role).toBe('admin');
    expect(() => registry.deserialize(serialized(newOrg2))).toThrow(/certifiersIdentifier does not match: \[admin\], MSP: \[Org2MSP\]/);
    const unbound = new MspRegistry([{ mspId: 'Org2MSP', rootCerts: [...old.rootCerts, newOrg2.caCertPem], tlsRootCerts: old.tlsRootCerts.slice() }]);
    expect(unbound.deserialize(serialized(newOrg2)).role).toBe('admin');
  });

  it('is refused in one group only: Fabric refuses two versions of one MSP', () => {
    const config = channelOf(profileOf(4));
    const rotated: OrganizationModel = { ...modelOf(1, newOrg2), ordererEndpoints: [] };
    expect(() => withOrganization(config, rotated, { application: true, orderer: false })).toThrow(
      /organization: Org2MSP is also in \/Channel\/Orderer with another MSP definition, and Fabric refuses two versions of one MSP/,
    );
  });
});

describe('readOrganization', () => {
  it('reads every organisation of a genesis, and writing it back changes nothing', () => {
    const config = channelOf(profileOf(4));
    for (let i = 0; i < 4; i++) {
      const model = readOrganization(config, orgs[i].mspId);
      expect(model).toEqual({ ...modelOf(i), nodeOUs: true });
      const written = withOrganization(config, model);
      expect(hex(written.serializeBinary())).toBe(hex(config.serializeBinary()));
      expect(() => computeUpdate('primary', config, written)).toThrow(/no differences detected/);
    }
  });

  it('reads intermediates, admins, custom policies and an organisation without NodeOUs back', () => {
    const config = channelOf(profileOf(4));
    const org7: OrganizationModel = {
      mspId: 'Org7MSP',
      rootCerts: [pki.root],
      intermediateCerts: [pki.intermediate],
      tlsRootCerts: [pki.root],
      tlsIntermediateCerts: [pki.intermediate],
      admins: [pki.admin],
      nodeOUs: false,
      policies: { Admins: { type: 'Signature', rule: "OR('Org7MSP.admin')" }, Readers: { type: 'Signature', rule: "OR('Org7MSP.member')" } },
      anchorPeers: [{ host: 'peer0.org7.example.com', port: 7051 }],
    };
    expect(organizationProblems(org7)).toEqual([]);
    const added = withOrganization(config, org7, { application: true, orderer: false });
    expect(readOrganization(added, 'Org7MSP')).toEqual(org7);
    expect(() => computeUpdate('primary', added, withOrganization(added, readOrganization(added, 'Org7MSP')))).toThrow(/no differences detected/);
    const leaves = diffConfigs(config, added);
    expect(leaves.find((c) => c.path === 'Channel/Application/Org7MSP/MSP/NodeOUs')?.after).toBe('');
    expect(leaves.find((c) => c.path === 'Channel/Application/Org7MSP/MSP/Admins')?.after).toEqual([expect.stringMatching(/^sha256:[0-9a-f]{64}$/)]);
  });

  it('keeps the bytes of anchor peers another tool wrote in another order', () => {
    const config = channelOf(profileOf(4));
    const two = withOrganization(config, { ...modelOf(0), anchorPeers: [{ host: 'a.org1', port: 1 }, { host: 'b.org1', port: 1 }] });
    const anchors = groupOf(two, 'Application', 'Org1MSP')!.getValuesMap().get('AnchorPeers')!;
    const bytes = anchors.getValue_asU8();
    // The same two peers, b before a: what configtxgen writes from a configtx.yaml listing them so.
    const swapped = common.Config.deserializeBinary(two.serializeBinary());
    // Two repeated fields of equal length: swapping the halves swaps the peers.
    const reordered = Buffer.concat([Buffer.from(bytes).subarray(bytes.length / 2), Buffer.from(bytes).subarray(0, bytes.length / 2)]);
    groupOf(swapped, 'Application', 'Org1MSP')!.getValuesMap().get('AnchorPeers')!.setValue(reordered);
    expect(readOrganization(swapped, 'Org1MSP').anchorPeers).toEqual([{ host: 'a.org1', port: 1 }, { host: 'b.org1', port: 1 }]);
    expect(() => computeUpdate('primary', swapped, withOrganization(swapped, readOrganization(swapped, 'Org1MSP')))).toThrow(/no differences detected/);
  });

  it.each([
    ['an extra value', (g: common.ConfigGroup) => g.getValuesMap().set('Capabilities', g.getValuesMap().get('MSP')!), /configtxgen would write value Capabilities/],
    [
      'another mod_policy',
      (g: common.ConfigGroup) => {
        g.getValuesMap().get('MSP')!.setModPolicy('/Channel/Orderer/Admins');
      },
      /value MSP's mod_policy/,
    ],
    ['a sub-group', (g: common.ConfigGroup) => g.getGroupsMap().set('Sub', new common.ConfigGroup()), /group Sub/],
    ['no MSP', (g: common.ConfigGroup) => g.getValuesMap().del('MSP'), /has no MSP value/],
  ] as [string, (g: common.ConfigGroup) => void, RegExp][])('refuses to read short an organisation with %s', (_, edit, message) => {
    const config = channelOf(profileOf(4));
    edit(groupOf(config, 'Application', 'Org3MSP')!);
    expect(() => readOrganization(config, 'Org3MSP')).toThrow(message);
  });

  it('refuses an organisation the channel does not have, or whose groups disagree on custom policies', () => {
    const config = channelOf(profileOf(4));
    expect(() => readOrganization(config, 'Org9MSP')).toThrow(/the channel has no organisation Org9MSP/);
    groupOf(config, 'Orderer', 'Org3MSP')!.getPoliciesMap().del('Writers');
    expect(() => readOrganization(config, 'Org3MSP')).toThrow(/groups \/Channel\/Application\/Org3MSP and \/Channel\/Orderer\/Org3MSP have different policies/);
  });
});

describe('organizationProblems', () => {
  const base = (): Record<string, unknown> => ({ ...modelOf(4) });
  const cases: [string, (o: Record<string, unknown>) => unknown, RegExp][] = [
    ['not an object', () => [], /organization: must be an object/],
    ['an unknown field', (o) => ({ ...o, anchorPeer: {} }), /organization\.anchorPeer: unknown field/],
    ['an MSP ID with a space', (o) => ({ ...o, mspId: 'Org 5' }), /organization\.mspId: config ID 'Org 5' contains illegal characters/],
    ['an empty MSP ID', (o) => ({ ...o, mspId: '' }), /organization\.mspId: config ID illegal, cannot be empty/],
    ['no root certificate', (o) => ({ ...o, rootCerts: [] }), /organization\.rootCerts: must list at least one certificate/],
    ['root certificates not a list', (o) => ({ ...o, rootCerts: orgs[4].caCertPem }), /organization\.rootCerts: must be an array of PEM certificates/],
    ['text that is no PEM', (o) => ({ ...o, rootCerts: ['hello'] }), /organization\.rootCerts\[0\]: must be exactly one PEM CERTIFICATE block, got none/],
    ['two certificates in one entry', (o) => ({ ...o, rootCerts: [orgs[4].caCertPem + orgs[5].caCertPem] }), /rootCerts\[0\]: must be exactly one PEM CERTIFICATE block, got 2 blocks/],
    ['a PEM that does not parse', (o) => ({ ...o, rootCerts: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'] }), /rootCerts\[0\]: does not parse as an X\.509 certificate/],
    ['a root that is no CA', (o) => ({ ...o, rootCerts: [orgs[4].admin.certPem] }), /rootCerts\[0\]: is not a CA certificate/],
    ['a CA without SubjectKeyIdentifier', (o) => ({ ...o, rootCerts: [pki.noSki] }), /rootCerts\[0\]: has no SubjectKeyIdentifier extension/],
    ['a root listed twice', (o) => ({ ...o, nodeOUs: false, admins: [orgs[4].admin.certPem], rootCerts: [orgs[4].caCertPem, orgs[4].caCertPem] }), /rootCerts\[1\]: lists a certificate twice/],
    ['intermediates with NodeOUs', (o) => ({ ...o, intermediateCerts: [pki.intermediate] }), /organization\.intermediateCerts: must be empty with nodeOUs/],
    ['an intermediate the roots did not issue', (o) => ({ ...o, nodeOUs: false, admins: [orgs[4].admin.certPem], intermediateCerts: [pki.intermediate] }), /intermediateCerts\[0\]: is not issued by any certificate of organization\.rootCerts/],
    ['a TLS root that is no CA', (o) => ({ ...o, tlsRootCerts: [orgs[4].peer.tlsCertPem] }), /tlsRootCerts\[0\]: is not a CA certificate/],
    ['a TLS intermediate the TLS roots did not issue', (o) => ({ ...o, tlsIntermediateCerts: [pki.intermediate] }), /tlsIntermediateCerts\[0\]: is not issued by any certificate of organization\.tlsRootCerts/],
    ['an admin that is a CA', (o) => ({ ...o, admins: [orgs[4].caCertPem] }), /admins\[0\]: is a CA certificate/],
    ["an admin of another organisation's CA", (o) => ({ ...o, admins: [orgs[5].admin.certPem] }), /admins\[0\]: is not issued by the organisation's CAs/],
    ['a peer as admin under NodeOUs', (o) => ({ ...o, admins: [orgs[4].peer.signCertPem] }), /admins\[0\]: has neither the admin nor the client OU/],
    ['no admins without NodeOUs', (o) => ({ ...o, nodeOUs: false }), /organization\.admins: must list at least one certificate without nodeOUs/],
    ['NodeOUs not a boolean', (o) => ({ ...o, nodeOUs: 'yes' }), /organization\.nodeOUs: must be true or false, got "yes"/],
    ['a policy that does not parse', (o) => ({ ...o, policies: { Admins: { type: 'Signature', rule: "OR('Org5MSP.admin'" } } }), /organization\.policies\.Admins: /],
    ['a policy with a bad name', (o) => ({ ...o, policies: { Admins: { type: 'Signature', rule: "OR('Org5MSP.admin')" }, 'Bad Name': { type: 'Signature', rule: "OR('Org5MSP.admin')" } } }), /policies\.Bad Name: config ID 'Bad Name' contains illegal characters/],
    ['policies without Admins', (o) => ({ ...o, policies: { Readers: { type: 'Signature', rule: "OR('Org5MSP.member')" } } }), /organization\.policies: must define Admins/],
    ['port 0', (o) => ({ ...o, anchorPeers: [{ host: 'peer0.org5', port: 0 }] }), /anchorPeers\[0\]\.port: must be an integer from 1 to 65535, got 0/],
    ['port 65536', (o) => ({ ...o, anchorPeers: [{ host: 'peer0.org5', port: 65536 }] }), /anchorPeers\[0\]\.port: must be an integer from 1 to 65535, got 65536/],
    ['a host with a space', (o) => ({ ...o, anchorPeers: [{ host: 'peer 0', port: 7051 }] }), /anchorPeers\[0\]\.host: must be a host name without spaces/],
    ['an anchor peer twice', (o) => ({ ...o, anchorPeers: [{ host: 'p', port: 1 }, { host: 'p', port: 1 }] }), /anchorPeers\[1\]: p:1 is listed twice/],
    ['an anchor peer field unknown', (o) => ({ ...o, anchorPeers: [{ host: 'p', port: 1, tls: true }] }), /anchorPeers\[0\]\.tls: unknown field/],
    ['an endpoint without port', (o) => ({ ...o, ordererEndpoints: ['orderer0.org5'] }), /ordererEndpoints\[0\]: must be host:port with a port from 1 to 65535, got "orderer0\.org5"/],
    ['an endpoint on port 99999', (o) => ({ ...o, ordererEndpoints: ['orderer0.org5:99999'] }), /ordererEndpoints\[0\]: must be host:port/],
    ['an endpoint twice', (o) => ({ ...o, ordererEndpoints: ['o:1', 'o:1'] }), /ordererEndpoints\[1\]: o:1 is listed twice/],
  ];

  it.each(cases)('refuses %s, naming the field', (_, change, message) => {
    const value = change(base());
    expect(organizationProblems(value).join('; ')).toMatch(message);
    expect(() => withOrganization(channelOf(profileOf(4)), value as OrganizationModel, BOTH)).toThrow(expect.objectContaining({ code: 'CONFIGTX_BAD_CONFIG', message: expect.stringMatching(message) }));
  });

  it('lists every problem at once', () => {
    const problems = organizationProblems({ mspId: 'Org 5', rootCerts: [], tlsRootCerts: ['x'], anchorPeers: [{ host: '', port: 0 }] });
    expect(problems).toHaveLength(5);
    expect(organizationProblems(modelOf(4))).toEqual([]);
  });
});

describe('withOrganization: what the channel cannot take', () => {
  it.each([
    ['no group', () => modelOf(4), { application: false, orderer: false }, /names neither the application nor the orderer group/],
    ['anchor peers outside the application group', () => modelOf(4), { application: false, orderer: true }, /organization\.anchorPeers: only an application organisation has anchor peers/],
    ['endpoints outside the orderer group', () => modelOf(4), { application: true, orderer: false }, /organization\.ordererEndpoints: only an orderer organisation has endpoints/],
    ['an orderer organisation without endpoints under V3_0', () => ({ ...modelOf(4), anchorPeers: [], ordererEndpoints: [] }), { application: false, orderer: true }, /ordererEndpoints: required: with channel capability V3_0/],
    ['a new organisation without groups', () => modelOf(4), undefined, /the channel has no organisation Org5MSP; name the groups to add it to/],
  ] as [string, () => OrganizationModel, { application: boolean; orderer: boolean } | undefined, RegExp][])('refuses %s', (_, org, groups, message) => {
    expect(() => withOrganization(channelOf(profileOf(4)), org(), groups)).toThrow(message);
  });

  it('refuses endpoints before channel capability V1_4_2', () => {
    const old = channelOf(profileOf(4, { capabilities: { channel: ['V1_3'], orderer: ['V1_1'], application: ['V1_3'] } }));
    expect(() => withOrganization(old, modelOf(4), BOTH)).toThrow(/ordererEndpoints: Fabric refuses organisation endpoints before channel capability V1_4_2/);
  });

  it('refuses to change the MSP ID of a group, or to define an MSP twice', () => {
    const config = channelOf(profileOf(4));
    const application = config.getChannelGroup()!.getGroupsMap().get('Application')!;
    application.getGroupsMap().set('Org5MSP', groupOf(config, 'Application', 'Org3MSP')!.cloneMessage());
    expect(() => withOrganization(config, applicationModel(4), { application: true, orderer: false })).toThrow(
      /organization\.mspId: \/Channel\/Application\/Org5MSP holds the MSP Org3MSP; an organisation keeps its MSP ID/,
    );
    expect(() => withOrganization(config, readOrganization(channelOf(profileOf(4)), 'Org3MSP'))).toThrow(/\/Channel\/Application\/Org5MSP already defines MSP Org3MSP/);
  });
});

describe('organisations in the channel model', () => {
  const entry = (index: number, groups: OrganizationEntryModel['groups'] = ['application', 'orderer']): OrganizationEntryModel => ({
    ...(groups.includes('orderer') ? modelOf(index) : applicationModel(index)),
    groups,
  });

  it('adds Org5 with the same update as withOrganization, and governs every path it changes', () => {
    const config = channelOf(profileOf(4));
    const model: ChannelModel = { version: 2, organizations: { Org5MSP: entry(4) } };
    expect(channelModelProblems(model)).toEqual([]);
    const update = channelModelUpdate('primary', config, model);
    expect(hex(update.serializeBinary())).toBe(hex(computeUpdate('primary', config, withOrganization(config, modelOf(4), BOTH)).serializeBinary()));
    expect(hex(channelModelUpdate('primary', config, reversed(model)).serializeBinary())).toBe(hex(update.serializeBinary()));
    expect(channelModelDifferences(model, config).length).toBeGreaterThan(20);
    const after = submit(config, update, ['1.admin', '2.admin', '3.admin']);
    expect(channelModelDifferences(model, after)).toEqual([]);
    const governed = new Set(modelLeaves(model).map((l) => l.path));
    const changed = diffConfigs(config, after).map((c) => c.path);
    expect(changed).toContain('Channel/Application/Org5MSP/MSP/RootCerts');
    expect(changed.filter((path) => !governed.has(path))).toEqual([]);
    const rootCerts = modelLeaves(model).find((l) => l.path === 'Channel/Application/Org5MSP/MSP/RootCerts');
    expect(rootCerts).toEqual({ field: 'organizations.Org5MSP.application.MSP.RootCerts', path: 'Channel/Application/Org5MSP/MSP/RootCerts', value: [expect.stringMatching(/^sha256:[0-9a-f]{64}$/)] });
    expect(readChannelModel(after).organizations).toBeUndefined();
  });

  it('removes Org4 with null, governing its groups, and a removal done is no change', () => {
    const config = channelOf(profileOf(4));
    const model: ChannelModel = { version: 2, organizations: { Org4MSP: null } };
    expect(channelModelDifferences(model, config)).toEqual([
      { field: 'organizations.Org4MSP.application', path: 'Channel/Application/Org4MSP/ModPolicy', want: null, have: 'Admins' },
      { field: 'organizations.Org4MSP.orderer', path: 'Channel/Orderer/Org4MSP/ModPolicy', want: null, have: 'Admins' },
    ]);
    const after = submit(config, channelModelUpdate('primary', config, model), ['1.admin', '2.admin', '3.admin']);
    expect(organizationGroupsOf(after, 'Org4MSP')).toEqual([]);
    expect(channelModelDifferences(model, after)).toEqual([]);
    const governed = new Set(modelLeaves(model).map((l) => l.path));
    expect(diffConfigs(config, after).filter((c) => governed.has(c.path)).map((c) => c.path)).toEqual(['Channel/Application/Org4MSP/ModPolicy', 'Channel/Orderer/Org4MSP/ModPolicy']);
    // Already in force: the update only raises BatchTimeout's version.
    expect(acceptConfigUpdate('primary', after, signedEnvelope(orgs, channelModelUpdate('primary', after, model).serializeBinary(), ['1.admin', '2.admin'])).changedKeys).toEqual([
      '[Value]  /Channel/Orderer/BatchTimeout',
    ]);
  });

  it('replaces the only organisation of a channel in one model: additions before removals', () => {
    const config = channelOf(profileOf(1));
    const model: ChannelModel = { version: 2, organizations: { Org1MSP: null, Org5MSP: entry(4) } };
    const desired = withChannelModel(config, model);
    expect(organizationGroupsOf(desired, 'Org1MSP')).toEqual([]);
    expect(organizationGroupsOf(desired, 'Org5MSP')).toEqual(['application', 'orderer']);
  });

  it('reports what else an organisation entry finds in its groups', () => {
    const config = withOrganization(channelOf(profileOf(4)), { ...applicationModel(2), policies: { ...defaultOrganizationPolicies('Org3MSP', 'application'), Auditors: { type: 'Signature', rule: "OR('Org3MSP.admin')" } } }, { application: true, orderer: false });
    const model: ChannelModel = { version: 2, organizations: { Org3MSP: entry(2, ['application']) } };
    expect(channelModelDifferences(model, config)).toEqual([
      { field: 'organizations.Org3MSP.application.Policies.Auditors.ModPolicy', path: 'Channel/Application/Org3MSP/Policies/Auditors/ModPolicy', want: null, have: 'Admins' },
      { field: 'organizations.Org3MSP.application.Policies.Auditors', path: 'Channel/Application/Org3MSP/Policies/Auditors', want: null, have: "OR('Org3MSP.admin')" },
    ].sort((a, b) => (a.path < b.path ? -1 : 1)));
    expect(channelModelDifferences(model, withChannelModel(config, model))).toEqual([]);
  });

  it.each([
    [() => ({ version: 2, organizations: { Org5MSP: { ...modelOf(4), groups: ['application', 'orderer'], mspId: 'Org6MSP' } } }), /config\.organizations\.Org5MSP\.mspId: must be the entry's key Org5MSP, got "Org6MSP"/],
    [() => ({ version: 2, organizations: { Org5MSP: { ...modelOf(4), groups: [] } } }), /config\.organizations\.Org5MSP\.groups: must list application, orderer or both/],
    [() => ({ version: 2, organizations: { Org5MSP: { ...modelOf(4), groups: ['consortium'] } } }), /config\.organizations\.Org5MSP\.groups/],
    [() => ({ version: 2, organizations: { Org5MSP: modelOf(4) } }), /config\.organizations\.Org5MSP\.groups/],
    [() => ({ version: 2, organizations: { 'Org 5': null } }), /config\.organizations\.Org 5: config ID 'Org 5' contains illegal characters/],
    [() => ({ version: 2, organizations: { Org5MSP: { ...modelOf(4), groups: ['application', 'orderer'], rootCerts: ['x'] } } }), /config\.organizations\.Org5MSP\.rootCerts\[0\]: must be exactly one PEM CERTIFICATE block/],
    [
      () => ({ version: 2, application: { anchorPeers: { Org5MSP: [] } }, organizations: { Org5MSP: { ...modelOf(4), groups: ['application', 'orderer'] } } }),
      /config\.application\.anchorPeers\.Org5MSP: Org5MSP is in config\.organizations too/,
    ],
  ] as [() => unknown, RegExp][])('refuses the model %#, naming the field', (model, message) => {
    expect(channelModelProblems(model()).join('; ')).toMatch(message);
    expect(() => withChannelModel(channelOf(profileOf(4)), model() as ChannelModel)).toThrow(message);
  });

  it('refuses what the channel cannot take, naming the organisation', () => {
    const config = channelOf(profileOf(4));
    const rotation: ChannelModel = { version: 2, organizations: { Org2MSP: { ...modelOf(1, newOrg2), ordererEndpoints: [], groups: ['application'] } } };
    expect(() => channelModelUpdate('primary', config, rotation)).toThrow(/organizations\.Org2MSP: Org2MSP is also in \/Channel\/Orderer with another MSP definition/);
    const last: ChannelModel = { version: 2, organizations: { Org1MSP: null } };
    expect(() => channelModelUpdate('primary', channelOf(profileOf(1)), last)).toThrow(/organizations\.Org1MSP: cannot remove Org1MSP, the last organisation of \/Channel\/Application/);
  });
});

describe('on a BFT channel', () => {
  function bftChannel(): common.Config {
    const base = profileOf(4, { ordererType: 'BFT' });
    return channelOf({
      ...base,
      orgs: base.orgs.map((org, i) => ({
        ...org,
        consenter: { host: `orderer${i}.example.com`, port: 7050, clientTlsCert: orgs[i].orderer.tlsCertPem, serverTlsCert: orgs[i].orderer.tlsCertPem, identityCert: orgs[i].orderer.signCertPem },
      })),
    });
  }

  it('refuses to remove an organisation that runs consenters, or to rotate its CAs under them', () => {
    const config = bftChannel();
    expect(() => withoutOrganization(config, 'Org3MSP')).toThrow(/Org3MSP runs consenters 3 \(orderer2\.example\.com:7050\) of \/Channel\/Orderer\/Orderers; remove them from the consenter set first/);
    expect(() => withOrganization(config, { ...modelOf(1, newOrg2), anchorPeers: readOrganization(config, 'Org2MSP').anchorPeers })).toThrow(
      /organization\.rootCerts: do not issue the identity of consenter 2 .*organization\.tlsRootCerts: do not issue the TLS certificates of consenter 2/,
    );
    const anchors = { ...readOrganization(config, 'Org2MSP'), anchorPeers: [{ host: 'peer1.org2.example.com', port: 8051 }] };
    expect(organizationGroupsOf(withOrganization(config, anchors), 'Org2MSP')).toEqual(['application', 'orderer']);
  });
});

/** A Fabric binary from $FABRIC_BIN or the PATH; the tests above do not need it. */
function findBinary(name: string): string | undefined {
  const dirs = [process.env['FABRIC_BIN'], ...(process.env['PATH'] ?? '').split(delimiter)].filter((d): d is string => d !== undefined && d !== '');
  return dirs.map((dir) => join(dir, name)).find((candidate) => existsSync(candidate));
}

const configtxgen = findBinary('configtxgen');
const configtxlator = findBinary('configtxlator');
const withFabric = configtxgen === undefined || configtxlator === undefined ? it.skip : it;
const skipped = configtxgen === undefined || configtxlator === undefined ? ' (SKIPPED: no configtxgen and configtxlator in $FABRIC_BIN or on the PATH)' : '';

describe('against Fabric', () => {
  /** fabric-samples' addOrg3: `configtxgen -printOrg`, jq into the config's JSON, configtxlator back to protobuf. */
  function addOrgAsFabric(config: common.Config, section: 'Application' | 'Orderer', org: OrgCrypto, yaml: string, dir: string): common.Config {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'configtx.yaml'), yaml);
    const printed = execFileSync(configtxgen as string, ['-printOrg', org.mspId, '-configPath', dir], { stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
    writeFileSync(join(dir, 'config.pb'), config.serializeBinary());
    execFileSync(configtxlator as string, ['proto_decode', '--input', join(dir, 'config.pb'), '--type', 'common.Config', '--output', join(dir, 'config.json')]);
    const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { channel_group: { groups: Record<string, { groups: Record<string, unknown> }> } };
    json.channel_group.groups[section].groups[org.mspId] = JSON.parse(printed) as unknown;
    writeFileSync(join(dir, 'modified.json'), JSON.stringify(json));
    execFileSync(configtxlator as string, ['proto_encode', '--input', join(dir, 'modified.json'), '--type', 'common.Config', '--output', join(dir, 'modified.pb')]);
    return common.Config.deserializeBinary(readFileSync(join(dir, 'modified.pb')));
  }

  const policiesYaml = (rules: Record<string, string>): string =>
    Object.entries(rules)
      .map(([name, rule]) => `      ${name}:\n        Type: Signature\n        Rule: "${rule}"\n`)
      .join('');

  /** Every value's and policy's bytes (Go's encoding, map-free messages) and mod_policy, by name. */
  function elements(group: common.ConfigGroup): Record<string, string> {
    const out: Record<string, string> = { ModPolicy: group.getModPolicy() };
    for (const [name, value] of group.getValuesMap().entries()) out[`value ${name}`] = `${value.getModPolicy()} ${hex(value.getValue_asU8())}`;
    for (const [name, policy] of group.getPoliciesMap().entries()) out[`policy ${name}`] = `${policy.getModPolicy()} ${policy.getPolicy()!.getType()} ${hex(policy.getPolicy()!.getValue_asU8())}`;
    return out;
  }

  withFabric(`withOrganization writes the groups configtxgen -printOrg writes, byte for byte${skipped}`, () => {
    const config = channelOf(profileOf(4));
    const org5 = orgs[4];
    const model = modelOf(4);
    const rules = (group: 'application' | 'orderer'): Record<string, string> =>
      Object.fromEntries(Object.entries(defaultOrganizationPolicies('Org5MSP', group)).map(([name, p]) => [name, p.rule]));
    const organization = `Organizations:\n  - Name: Org5MSP\n    ID: Org5MSP\n    MSPDir: ${org5.mspDir}\n    Policies:\n`;
    const anchor = model.anchorPeers![0];
    const applicationYaml = `${organization}${policiesYaml(rules('application'))}    AnchorPeers:\n      - Host: ${anchor.host}\n        Port: ${anchor.port}\n`;
    const ordererYaml = `${organization}${policiesYaml(rules('orderer'))}    OrdererEndpoints:\n      - ${model.ordererEndpoints![0]}\n`;
    const fabricApplication = addOrgAsFabric(config, 'Application', org5, applicationYaml, join(root, 'fabric-application'));
    const fabric = addOrgAsFabric(fabricApplication, 'Orderer', org5, ordererYaml, join(root, 'fabric-orderer'));
    const ours = withOrganization(config, model, BOTH);
    for (const section of ['Application', 'Orderer'] as const) {
      const theirs = groupOf(fabric, section, 'Org5MSP')!;
      expect(elements(groupOf(ours, section, 'Org5MSP')!)).toEqual(elements(theirs));
      // jspb writes map entries in key order, Go in random order: compared re-encoded.
      expect(hex(groupOf(ours, section, 'Org5MSP')!.serializeBinary())).toBe(hex(common.ConfigGroup.deserializeBinary(theirs.serializeBinary()).serializeBinary()));
    }
    // And the update fabric-samples would sign is the one we compute.
    writeFileSync(join(root, 'original.pb'), config.serializeBinary());
    writeFileSync(join(root, 'fabric.pb'), fabric.serializeBinary());
    execFileSync(configtxlator as string, ['compute_update', '--channel_id', 'primary', '--original', join(root, 'original.pb'), '--updated', join(root, 'fabric.pb'), '--output', join(root, 'fabric-update.pb')]);
    writeFileSync(join(root, 'our-update.pb'), computeUpdate('primary', config, ours).serializeBinary());
    const decode = (file: string): unknown => {
      execFileSync(configtxlator as string, ['proto_decode', '--input', file, '--type', 'common.ConfigUpdate', '--output', `${file}.json`]);
      return JSON.parse(readFileSync(`${file}.json`, 'utf8'));
    };
    expect(decode(join(root, 'our-update.pb'))).toEqual(decode(join(root, 'fabric-update.pb')));
  });
});
