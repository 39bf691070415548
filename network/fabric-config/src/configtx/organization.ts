/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A member organisation of a channel, as configtxgen writes it from an MSP folder in cryptogen's
 * layout (`configtxgen -printOrg`, internal/configtxgen/encoder NewApplicationOrgGroup and
 * NewOrdererOrgGroup): the JSON shape an operator states an organisation in, the config group it
 * becomes, and a config with it added, replaced (a CA rotation or any other update) or removed.
 * This is fabric-samples' addOrg3 procedure (`configtxgen -printOrg Org3MSP`, then jq into
 * `Application.groups`) as pure functions: the same config and model give byte-identical configs,
 * whatever the order of the model's keys or of its sets (anchor peers, orderer endpoints).
 *
 * A model states the whole organisation: its groups get exactly the values and policies
 * configtxgen writes for it, each with mod_policy Admins, and lose anything else. An element whose
 * meaning does not change keeps its bytes, so writing back what {@link readOrganization} read
 * changes nothing, even in a config another tool wrote.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import { X509Certificate } from 'node:crypto';
import { pemBlocks } from '../msp/pem';
import type { AnchorPeerModel, PoliciesModel } from './channelModel';
import { ConfigtxError } from './errors';
import { fabricMspConfig } from './genesis';
import { ConfigKey } from './keys';
import { policyFromModel, policyModelProblem, policyToModel } from './policyExpression';
import type { PolicyModel } from './policyExpression';
import { configIdProblem } from './profile';

/** The channel groups an organisation can belong to: `/Channel/Application` and `/Channel/Orderer`. */
export type OrganizationGroup = 'application' | 'orderer';

/** Where {@link withOrganization} writes an organisation. */
export interface OrganizationGroups {
  readonly application: boolean;
  readonly orderer: boolean;
}

/**
 * An organisation as configtx.yaml and its MSP folder state it (camelCase JSON). Certificates are
 * PEM text, written byte for byte as configtxgen writes the files; certificate lists keep their
 * order, anchor peers and orderer endpoints are sets (written sorted).
 */
export interface OrganizationModel {
  /** The MSP ID; also the name of the organisation's groups (`Name: Org1MSP` in fabric-samples). */
  readonly mspId: string;
  /** Root CA certificates (msp/cacerts); the first anchors the NodeOUs. */
  readonly rootCerts: readonly string[];
  /** TLS root CA certificates (msp/tlscacerts). */
  readonly tlsRootCerts: readonly string[];
  /** Intermediate CA certificates (msp/intermediatecerts); only without NodeOUs (see `nodeOUs`). */
  readonly intermediateCerts?: readonly string[];
  /** TLS intermediate CA certificates (msp/tlsintermediatecerts). */
  readonly tlsIntermediateCerts?: readonly string[];
  /** Admin certificates (msp/admincerts); required without NodeOUs, where nothing else names an admin. */
  readonly admins?: readonly string[];
  /**
   * cryptogen's config.yaml (default true): the client, peer, admin and orderer OUs, each bound to
   * the organisation's one root; Fabric then accepts identities of that CA only, so an organisation
   * with NodeOUs has no intermediates. With several roots (a CA rotation under way: the new root
   * added beside the old until every node and user of the organisation holds a certificate of the
   * new one) the OUs are bound to no certificate, and identities of every root keep their roles.
   */
  readonly nodeOUs?: boolean;
  /** The organisation's policies, whole; default {@link defaultOrganizationPolicies}. */
  readonly policies?: PoliciesModel;
  /** Anchor peers (a set); only in `/Channel/Application`. */
  readonly anchorPeers?: readonly AnchorPeerModel[];
  /** Orderer endpoints `host:port` (a set); only in `/Channel/Orderer`. */
  readonly ordererEndpoints?: readonly string[];
}

const ADMINS = ConfigKey.admins;
const GROUP_NAMES: Readonly<Record<OrganizationGroup, string>> = { application: ConfigKey.applicationGroup, orderer: ConfigKey.ordererGroup };
const GROUP_KINDS: readonly OrganizationGroup[] = ['application', 'orderer'];
const ORGANIZATION_KEYS = ['mspId', 'rootCerts', 'tlsRootCerts', 'intermediateCerts', 'tlsIntermediateCerts', 'admins', 'nodeOUs', 'policies', 'anchorPeers', 'ordererEndpoints'];
/** Channel capabilities under which an orderer organisation may carry Endpoints (OrgSpecificOrdererEndpoints). */
const ORG_ENDPOINT_CAPABILITIES = ['V1_4_2', 'V1_4_3', 'V2_0', 'V3_0'];
/** The channel capability under which every orderer organisation needs Endpoints (ConsensusTypeBFT). */
const V3_0 = 'V3_0';
const MSP_TYPE_FABRIC = 0;
const ENDPOINT = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/;

function badConfig(message: string): ConfigtxError {
  return new ConfigtxError(message, { code: 'CONFIGTX_BAD_CONFIG' });
}

function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function groupPath(kind: OrganizationGroup, mspId?: string): string {
  return `/Channel/${GROUP_NAMES[kind]}${mspId === undefined ? '' : `/${mspId}`}`;
}

/**
 * fabric-samples' organisation policies, as configtxgen's test network writes them: for an
 * application organisation Readers admin/peer/client, Writers admin/client, Admins admin and
 * Endorsement peer; for an orderer organisation Readers and Writers any member (the orderer node
 * signs blocks, and BlockValidation is ANY Writers), Admins admin.
 *
 * @param mspId - the organisation.
 * @param group - where the organisation is written.
 * @returns the policies by name.
 */
export function defaultOrganizationPolicies(mspId: string, group: OrganizationGroup): Record<string, PolicyModel> {
  const anyOf = (...roles: string[]): PolicyModel => ({ type: 'Signature', rule: `OR(${roles.map((role) => `'${mspId}.${role}'`).join(', ')})` });
  return group === 'application'
    ? { Readers: anyOf('admin', 'peer', 'client'), Writers: anyOf('admin', 'client'), Admins: anyOf('admin'), Endorsement: anyOf('peer') }
    : { Readers: anyOf('member'), Writers: anyOf('member'), Admins: anyOf('admin') };
}

// ---------------------------------------------------------------------------------------------
// Validation: every problem, each naming its field

class Problems {
  readonly list: string[] = [];
  add(field: string, problem: string): void {
    this.list.push(`${field}: ${problem}`);
  }
}

/** A certificate as the model gives it, parsed once. */
interface ParsedCertificate {
  readonly field: string;
  readonly certificate: X509Certificate;
}

function parseCertificate(value: unknown, field: string, problems: Problems): X509Certificate | undefined {
  if (typeof value !== 'string') {
    problems.add(field, 'must be a PEM certificate');
    return undefined;
  }
  const blocks = pemBlocks(value, 'CERTIFICATE');
  // Fabric reads the first PEM block of a file and ignores the rest; the model allows no rest to ignore.
  if (blocks.length !== 1 || blocks[0].trim() !== value.trim()) {
    problems.add(field, `must be exactly one PEM CERTIFICATE block, got ${blocks.length === 0 ? 'none' : `${blocks.length} blocks or other text`}`);
    return undefined;
  }
  try {
    return new X509Certificate(value);
  } catch (err) {
    problems.add(field, `does not parse as an X.509 certificate: ${(err as Error).message}`);
    return undefined;
  }
}

function hasSubjectKeyIdentifier(pem: string): boolean {
  try {
    return new x509.X509Certificate(pem).getExtension(x509.SubjectKeyIdentifierExtension) !== null;
  } catch {
    return false;
  }
}

/** Fabric's CA checks (msp finalizeSetupCAs, setupTLSCAs): the CA flag and a SubjectKeyIdentifier. */
function checkCa(certificate: X509Certificate, field: string, problems: Problems): boolean {
  if (!certificate.ca) {
    problems.add(field, 'is not a CA certificate (Fabric: CA Certificate did not have the CA attribute)');
    return false;
  }
  if (!hasSubjectKeyIdentifier(certificate.toString())) {
    problems.add(field, 'has no SubjectKeyIdentifier extension, which Fabric requires of a CA certificate');
    return false;
  }
  return true;
}

function issuedBy(certificate: X509Certificate, issuers: readonly X509Certificate[]): boolean {
  return issuers.some((issuer) => {
    try {
      return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
    } catch {
      return false;
    }
  });
}

/** A list of certificates: an array, each entry parsed, none listed twice. */
function certificateList(value: unknown, field: string, problems: Problems, required: boolean): ParsedCertificate[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value)) {
    problems.add(field, 'must be an array of PEM certificates');
    return [];
  }
  if (required && value.length === 0) problems.add(field, 'must list at least one certificate (Fabric: expected at least one CA certificate)');
  const parsed: ParsedCertificate[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, i) => {
    const at = `${field}[${i}]`;
    const certificate = parseCertificate(entry, at, problems);
    if (certificate === undefined) return;
    if (seen.has(certificate.fingerprint256)) {
      problems.add(at, 'lists a certificate twice');
      return;
    }
    seen.add(certificate.fingerprint256);
    parsed.push({ field: at, certificate });
  });
  return parsed;
}

/** Intermediates that chain to the roots, in any order; the others are problems. */
function chainedIntermediates(roots: readonly X509Certificate[], intermediates: readonly ParsedCertificate[], rootsField: string, problems: Problems): X509Certificate[] {
  const trusted = [...roots];
  let pending = [...intermediates];
  for (let progress = true; progress && pending.length > 0; ) {
    const before = pending.length;
    pending = pending.filter((p) => {
      if (!issuedBy(p.certificate, trusted)) return true;
      trusted.push(p.certificate);
      return false;
    });
    progress = pending.length < before;
  }
  for (const p of pending) problems.add(p.field, `is not issued by any certificate of ${rootsField} or another intermediate`);
  return trusted;
}

function organizationalUnits(certificate: X509Certificate): string[] {
  // node:crypto prints one attribute per line ("OU=admin").
  return certificate.subject
    .split('\n')
    .filter((line) => line.startsWith('OU='))
    .map((line) => line.slice(3));
}

function checkStringSet(value: unknown, field: string, problems: Problems, each: (entry: unknown, at: string) => string | undefined): void {
  if (!Array.isArray(value)) {
    problems.add(field, 'must be an array');
    return;
  }
  const seen = new Set<string>();
  value.forEach((entry: unknown, i) => {
    const at = `${field}[${i}]`;
    const id = each(entry, at);
    if (id === undefined) return;
    if (seen.has(id)) problems.add(at, `${id} is listed twice`);
    seen.add(id);
  });
}

function checkAnchorPeers(value: unknown, field: string, problems: Problems): void {
  checkStringSet(value, field, problems, (p, at) => {
    if (!isRecord(p)) {
      problems.add(at, 'must be an object {host, port}');
      return undefined;
    }
    for (const key of Object.keys(p)) if (key !== 'host' && key !== 'port') problems.add(`${at}.${key}`, 'unknown field (allowed: host, port)');
    if (typeof p.host !== 'string' || p.host.length === 0 || /\s/.test(p.host)) problems.add(`${at}.host`, 'must be a host name without spaces');
    if (typeof p.port !== 'number' || !Number.isSafeInteger(p.port) || p.port < 1 || p.port > 65535) {
      problems.add(`${at}.port`, `must be an integer from 1 to 65535, got ${JSON.stringify(p.port)}`);
    }
    return `${String(p.host)}:${String(p.port)}`;
  });
}

function checkEndpoints(value: unknown, field: string, problems: Problems): void {
  checkStringSet(value, field, problems, (endpoint, at) => {
    const match = typeof endpoint === 'string' ? ENDPOINT.exec(endpoint) : null;
    const port = Number(match?.[1] ?? 0);
    if (match === null || port < 1 || port > 65535) {
      problems.add(at, `must be host:port with a port from 1 to 65535, got ${JSON.stringify(endpoint)}`);
      return undefined;
    }
    return endpoint as string;
  });
}

function checkPolicies(value: unknown, field: string, problems: Problems): void {
  if (!isRecord(value)) {
    problems.add(field, 'must be an object of policies by name');
    return;
  }
  for (const [name, policy] of Object.entries(value)) {
    const badName = configIdProblem(name);
    if (badName !== undefined) problems.add(`${field}.${name}`, badName);
    const bad = policyModelProblem(policy);
    if (bad !== undefined) problems.add(`${field}.${name}`, bad);
  }
  // Every element of the organisation's groups has mod_policy Admins: without it nobody could change them.
  if (!Object.hasOwn(value, ADMINS)) problems.add(field, `must define ${ADMINS}, the mod_policy of every element of the organisation`);
}

function checkCertificates(value: Record<string, unknown>, at: string, problems: Problems): void {
  const nodeOUs = value.nodeOUs !== false;
  const roots = certificateList(value.rootCerts, `${at}.rootCerts`, problems, true).filter((p) => checkCa(p.certificate, p.field, problems));
  const intermediates = certificateList(value.intermediateCerts, `${at}.intermediateCerts`, problems, false).filter((p) => checkCa(p.certificate, p.field, problems));
  const issuers = chainedIntermediates(roots.map((p) => p.certificate), intermediates, `${at}.rootCerts`, problems);
  const tlsRoots = certificateList(value.tlsRootCerts, `${at}.tlsRootCerts`, problems, false).filter((p) => checkCa(p.certificate, p.field, problems));
  const tlsIntermediates = certificateList(value.tlsIntermediateCerts, `${at}.tlsIntermediateCerts`, problems, false).filter((p) => checkCa(p.certificate, p.field, problems));
  chainedIntermediates(tlsRoots.map((p) => p.certificate), tlsIntermediates, `${at}.tlsRootCerts`, problems);
  if (nodeOUs && Array.isArray(value.intermediateCerts) && value.intermediateCerts.length > 0) {
    problems.add(`${at}.intermediateCerts`, "must be empty with nodeOUs: cryptogen's NodeOUs bind every role to the root, and Fabric refuses identities issued by an intermediate");
  }
  const admins = certificateList(value.admins, `${at}.admins`, problems, false);
  for (const admin of admins) {
    if (admin.certificate.ca) {
      problems.add(admin.field, 'is a CA certificate, which Fabric refuses as an identity');
    } else if (!issuedBy(admin.certificate, issuers)) {
      problems.add(admin.field, `is not issued by the organisation's CAs (${at}.rootCerts, ${at}.intermediateCerts)`);
    } else if (nodeOUs && !organizationalUnits(admin.certificate).some((ou) => ou === 'admin' || ou === 'client')) {
      problems.add(admin.field, 'has neither the admin nor the client OU, which Fabric requires of an admin with NodeOUs');
    }
  }
  if (!nodeOUs && (!Array.isArray(value.admins) || value.admins.length === 0)) {
    problems.add(`${at}.admins`, 'must list at least one certificate without nodeOUs (Fabric: administrators must be declared when no admin ou classification is set)');
  }
}

/** The problems of an organisation, with `extraKeys` allowed beside its own (the channel model's `groups`). */
export function organizationFieldProblems(value: unknown, at: string, extraKeys: readonly string[]): string[] {
  const problems = new Problems();
  if (!isRecord(value)) {
    problems.add(at, 'must be an object');
    return problems.list;
  }
  const allowed = [...ORGANIZATION_KEYS, ...extraKeys];
  for (const key of Object.keys(value)) if (!allowed.includes(key)) problems.add(`${at}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
  const idProblem = typeof value.mspId === 'string' ? configIdProblem(value.mspId) : 'must be a string';
  if (idProblem !== undefined) problems.add(`${at}.mspId`, idProblem);
  checkCertificates(value, at, problems);
  if (value.nodeOUs !== undefined && typeof value.nodeOUs !== 'boolean') problems.add(`${at}.nodeOUs`, `must be true or false, got ${JSON.stringify(value.nodeOUs)}`);
  if (value.policies !== undefined) checkPolicies(value.policies, `${at}.policies`, problems);
  if (value.anchorPeers !== undefined) checkAnchorPeers(value.anchorPeers, `${at}.anchorPeers`, problems);
  if (value.ordererEndpoints !== undefined) checkEndpoints(value.ordererEndpoints, `${at}.ordererEndpoints`, problems);
  return problems.list;
}

/**
 * Every reason `value` is not an organisation model, independent of any channel: the MSP ID as
 * Fabric names config elements; certificates that parse, one PEM block each, none twice; root,
 * intermediate and TLS CA certificates with the CA flag and a SubjectKeyIdentifier, intermediates
 * issued by the roots; admins issued by them, not CAs, with the admin or client OU under NodeOUs
 * and required without; NodeOUs with a single root and no intermediates; policies that parse and
 * define Admins; anchor peers and endpoints with ports from 1 to 65535, none twice.
 *
 * @param value - a parsed JSON value.
 * @param at - the field the value sits in, prefixing each problem.
 * @returns the problems, each `field: problem` (empty when valid).
 */
export function organizationProblems(value: unknown, at = 'organization'): string[] {
  return organizationFieldProblems(value, at, []);
}

/**
 * `value` as an organisation model.
 *
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) listing every problem of {@link organizationProblems}.
 */
export function parseOrganization(value: unknown): OrganizationModel {
  const problems = organizationProblems(value);
  if (problems.length > 0) throw badConfig(`invalid organisation: ${problems.join('; ')}`);
  return value as OrganizationModel;
}

// ---------------------------------------------------------------------------------------------
// The group configtxgen writes

function configValue(message: { serializeBinary(): Uint8Array }): common.ConfigValue {
  const value = new common.ConfigValue();
  value.setValue(message.serializeBinary());
  value.setModPolicy(ADMINS);
  return value;
}

function sortedPeers(peers: readonly AnchorPeerModel[]): AnchorPeerModel[] {
  return [...peers].sort((a, b) => (a.host === b.host ? a.port - b.port : byCodeUnit(a.host, b.host)));
}

/**
 * The group configtxgen writes for an organisation (`configtxgen -printOrg`): mod_policy Admins on
 * the group and on each element; its policies; the MSP value; AnchorPeers in an application group
 * and Endpoints in an orderer group, each when there are any. Every version is 0.
 *
 * @param org - the organisation.
 * @param group - where it is written.
 * @returns the group.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) listing every problem of {@link organizationProblems}.
 */
export function organizationGroup(org: OrganizationModel, group: OrganizationGroup): common.ConfigGroup {
  parseOrganization(org);
  return buildGroup(org, group);
}

function buildGroup(org: OrganizationModel, kind: OrganizationGroup): common.ConfigGroup {
  const group = new common.ConfigGroup();
  group.setModPolicy(ADMINS);
  const policies = org.policies ?? defaultOrganizationPolicies(org.mspId, kind);
  for (const name of Object.keys(policies).sort(byCodeUnit)) {
    const configPolicy = new common.ConfigPolicy();
    configPolicy.setPolicy(policyFromModel(policies[name]));
    configPolicy.setModPolicy(ADMINS);
    group.getPoliciesMap().set(name, configPolicy);
  }
  group.getValuesMap().set(ConfigKey.msp, configValue(fabricMspConfig(org)));
  const anchorPeers = org.anchorPeers ?? [];
  if (kind === 'application' && anchorPeers.length > 0) {
    const anchors = new peer.AnchorPeers();
    anchors.setAnchorPeersList(
      sortedPeers(anchorPeers).map((p) => {
        const anchor = new peer.AnchorPeer();
        anchor.setHost(p.host);
        anchor.setPort(p.port);
        return anchor;
      }),
    );
    group.getValuesMap().set(ConfigKey.anchorPeers, configValue(anchors));
  }
  const endpoints = org.ordererEndpoints ?? [];
  if (kind === 'orderer' && endpoints.length > 0) {
    const addresses = new common.OrdererAddresses();
    addresses.setAddressesList([...endpoints].sort(byCodeUnit));
    group.getValuesMap().set(ConfigKey.endpoints, configValue(addresses));
  }
  return group;
}

// ---------------------------------------------------------------------------------------------
// Writing a group over the one a config has: what differs in meaning is rewritten

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function fabricMspOf(bytes: Uint8Array): msp.FabricMSPConfig | undefined {
  try {
    const config = msp.MSPConfig.deserializeBinary(bytes);
    return config.getType() === MSP_TYPE_FABRIC ? msp.FabricMSPConfig.deserializeBinary(config.getConfig_asU8()) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether two values mean the same: an MSP re-encoded, anchor peers and endpoints as sets, else bytes. */
function sameValue(name: string, a: Uint8Array, b: Uint8Array): boolean {
  if (sameBytes(a, b)) return true;
  try {
    if (name === ConfigKey.msp) {
      const [ma, mb] = [fabricMspOf(a), fabricMspOf(b)];
      return ma !== undefined && mb !== undefined && sameBytes(ma.serializeBinary(), mb.serializeBinary());
    }
    if (name === ConfigKey.anchorPeers) {
      const peers = (bytes: Uint8Array): string => JSON.stringify(sortedPeers(readAnchorPeers(bytes)));
      return peers(a) === peers(b);
    }
    if (name === ConfigKey.endpoints) {
      const endpoints = (bytes: Uint8Array): string => JSON.stringify(common.OrdererAddresses.deserializeBinary(bytes).getAddressesList().sort(byCodeUnit));
      return endpoints(a) === endpoints(b);
    }
  } catch {
    // Bytes that do not decode mean something else than ones that do.
  }
  return false;
}

function samePolicy(a: common.Policy | undefined, b: common.Policy | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.getType() !== b.getType()) return false;
  if (sameBytes(a.getValue_asU8(), b.getValue_asU8())) return true;
  try {
    return policyToModel(a).rule === policyToModel(b).rule;
  } catch {
    return false;
  }
}

/**
 * Writes `desired` over `existing` in place: mod_policies, values and policies that differ in
 * meaning are rewritten (versions kept: computeUpdate raises them), missing ones added, others
 * removed. Fabric refuses sub-groups in an organisation, so those go too.
 *
 * @returns what changed, by element, empty when nothing did.
 */
function writeGroup(existing: common.ConfigGroup, desired: common.ConfigGroup): string[] {
  const changes: string[] = [];
  if (existing.getModPolicy() !== desired.getModPolicy()) {
    existing.setModPolicy(desired.getModPolicy());
    changes.push('its mod_policy');
  }
  for (const name of [...existing.getGroupsMap().keys()]) {
    existing.getGroupsMap().del(name);
    changes.push(`group ${name}`);
  }
  const values = existing.getValuesMap();
  const wantValues = desired.getValuesMap();
  for (const name of [...values.keys()]) {
    if (wantValues.has(name)) continue;
    values.del(name);
    changes.push(`value ${name}`);
  }
  for (const [name, want] of wantValues.entries()) {
    const have = values.get(name);
    if (have === undefined) {
      values.set(name, want);
      changes.push(`value ${name}`);
      continue;
    }
    if (have.getModPolicy() !== want.getModPolicy()) {
      have.setModPolicy(want.getModPolicy());
      changes.push(`value ${name}'s mod_policy`);
    }
    if (!sameValue(name, have.getValue_asU8(), want.getValue_asU8())) {
      have.setValue(want.getValue_asU8());
      changes.push(`value ${name}`);
    }
  }
  const policies = existing.getPoliciesMap();
  const wantPolicies = desired.getPoliciesMap();
  for (const name of [...policies.keys()]) {
    if (wantPolicies.has(name)) continue;
    policies.del(name);
    changes.push(`policy ${name}`);
  }
  for (const [name, want] of wantPolicies.entries()) {
    const have = policies.get(name);
    if (have === undefined) {
      policies.set(name, want);
      changes.push(`policy ${name}`);
      continue;
    }
    if (have.getModPolicy() !== want.getModPolicy()) {
      have.setModPolicy(want.getModPolicy());
      changes.push(`policy ${name}'s mod_policy`);
    }
    if (!samePolicy(have.getPolicy(), want.getPolicy())) {
      const policy = want.getPolicy();
      if (policy !== undefined) have.setPolicy(policy);
      changes.push(`policy ${name}`);
    }
  }
  return changes;
}

// ---------------------------------------------------------------------------------------------
// Reading a config

function sectionOf(config: common.Config, kind: OrganizationGroup): common.ConfigGroup | undefined {
  return config.getChannelGroup()?.getGroupsMap().get(GROUP_NAMES[kind]);
}

/**
 * The groups of a channel that hold an organisation (a group named by its MSP ID), in the order
 * application, orderer.
 *
 * @param config - the channel config.
 * @param mspId - the organisation.
 * @returns the groups; empty when the channel does not have the organisation.
 */
export function organizationGroupsOf(config: common.Config, mspId: string): OrganizationGroup[] {
  return GROUP_KINDS.filter((kind) => sectionOf(config, kind)?.getGroupsMap().has(mspId) === true);
}

function mspNameOf(group: common.ConfigGroup): string | undefined {
  const bytes = group.getValuesMap().get(ConfigKey.msp)?.getValue_asU8();
  return bytes === undefined ? undefined : fabricMspOf(bytes)?.getName();
}

function readAnchorPeers(bytes: Uint8Array): AnchorPeerModel[] {
  return peer.AnchorPeers.deserializeBinary(bytes).getAnchorPeersList().map((a) => ({ host: a.getHost(), port: a.getPort() }));
}

function channelCapabilities(config: common.Config): string[] {
  const bytes = config.getChannelGroup()?.getValuesMap().get(ConfigKey.capabilities)?.getValue_asU8();
  return bytes === undefined ? [] : [...common.Capabilities.deserializeBinary(bytes).getCapabilitiesMap().keys()];
}

/** A BFT channel's consenters (`/Channel/Orderer/Orderers`) of one organisation; none on other consensus types. */
function bftConsenters(config: common.Config, mspId: string): common.Consenter[] {
  const ordererGroup = sectionOf(config, 'orderer');
  const type = ordererGroup?.getValuesMap().get(ConfigKey.consensusType)?.getValue_asU8();
  const orderers = ordererGroup?.getValuesMap().get(ConfigKey.orderers)?.getValue_asU8();
  if (type === undefined || orderers === undefined || orderer.ConsensusType.deserializeBinary(type).getType() !== 'BFT') return [];
  return common.Orderers.deserializeBinary(orderers)
    .getConsenterMappingList()
    .filter((c) => c.getMspId() === mspId);
}

function certificateOf(bytes: Uint8Array): X509Certificate | undefined {
  try {
    return new X509Certificate(Buffer.from(bytes));
  } catch {
    return undefined;
  }
}

/** BFT checks a consenter's identity against its MSP and its TLS certificates against the MSP's TLS CAs. */
function consenterProblems(config: common.Config, org: OrganizationModel, at: string): string[] {
  const parse = (pems: readonly string[] | undefined): X509Certificate[] => (pems ?? []).flatMap((pem) => certificateOf(utf8(pem)) ?? []);
  const cas = parse([...org.rootCerts, ...(org.intermediateCerts ?? [])]);
  const tlsCas = parse([...org.tlsRootCerts, ...(org.tlsIntermediateCerts ?? [])]);
  const problems: string[] = [];
  for (const consenter of bftConsenters(config, org.mspId)) {
    const name = `consenter ${consenter.getId()} (${consenter.getHost()}:${consenter.getPort()}) of /Channel/Orderer/Orderers`;
    const identity = certificateOf(consenter.getIdentity_asU8());
    if (identity === undefined || !issuedBy(identity, cas)) problems.push(`${at}.rootCerts: do not issue the identity of ${name}, whose block signatures BFT would then refuse; change the consenter set first`);
    const tls = [consenter.getServerTlsCert_asU8(), consenter.getClientTlsCert_asU8()].map(certificateOf);
    if (tls.some((cert) => cert === undefined || !issuedBy(cert, tlsCas))) problems.push(`${at}.tlsRootCerts: do not issue the TLS certificates of ${name}; change the consenter set first`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Adding, replacing, removing

/** A config and what keeps it from being one Fabric accepts. */
export interface OrganizationWrite {
  readonly config: common.Config;
  readonly problems: readonly string[];
}

function orgSectionProblems(config: common.Config, org: OrganizationModel, kind: OrganizationGroup, at: string): string[] {
  const section = sectionOf(config, kind);
  if (section === undefined) return [`${at}: the channel has no ${groupPath(kind)} group`];
  const problems: string[] = [];
  const existing = section.getGroupsMap().get(org.mspId);
  const existingName = existing === undefined ? undefined : mspNameOf(existing);
  if (existing !== undefined && existingName !== org.mspId) {
    problems.push(
      `${at}.mspId: ${groupPath(kind, org.mspId)} holds the MSP ${existingName === undefined ? '(unreadable)' : existingName}; ` +
        'an organisation keeps its MSP ID (remove it and add the new one)',
    );
  }
  for (const [name, other] of section.getGroupsMap().entries()) {
    if (name !== org.mspId && mspNameOf(other) === org.mspId) problems.push(`${at}.mspId: ${groupPath(kind, name)} already defines MSP ${org.mspId}`);
  }
  if (kind === 'orderer') {
    const capabilities = channelCapabilities(config);
    const endpoints = org.ordererEndpoints ?? [];
    if (endpoints.length === 0 && capabilities.includes(V3_0)) {
      problems.push(`${at}.ordererEndpoints: required: with channel capability ${V3_0} Fabric refuses an orderer organisation without endpoints`);
    }
    if (endpoints.length > 0 && !capabilities.some((c) => ORG_ENDPOINT_CAPABILITIES.includes(c))) {
      problems.push(`${at}.ordererEndpoints: Fabric refuses organisation endpoints before channel capability V1_4_2`);
    }
  }
  return problems;
}

/**
 * {@link withOrganization} without throwing, for callers that gather problems (the channel model).
 *
 * @param at - the field the organisation sits in, prefixing each problem.
 */
export function writeOrganization(config: common.Config, org: OrganizationModel, groups: OrganizationGroups | undefined, at: string): OrganizationWrite {
  const invalid = organizationProblems(org, at);
  if (invalid.length > 0) return { config, problems: invalid };
  const present = organizationGroupsOf(config, org.mspId);
  const wanted = groups === undefined ? present : GROUP_KINDS.filter((kind) => groups[kind]);
  const problems: string[] = [];
  if (wanted.length === 0) {
    problems.push(groups === undefined ? `${at}: the channel has no organisation ${org.mspId}; name the groups to add it to` : `${at}: names neither the application nor the orderer group`);
  }
  if ((org.anchorPeers ?? []).length > 0 && !wanted.includes('application')) {
    problems.push(`${at}.anchorPeers: only an application organisation has anchor peers, and ${org.mspId} is not written to ${groupPath('application')}`);
  }
  if ((org.ordererEndpoints ?? []).length > 0 && !wanted.includes('orderer')) {
    problems.push(`${at}.ordererEndpoints: only an orderer organisation has endpoints, and ${org.mspId} is not written to ${groupPath('orderer')}`);
  }
  for (const kind of wanted) problems.push(...orgSectionProblems(config, org, kind, at));
  // Fabric refuses two versions of one MSP in a channel (channelconfig MSPConfigHandler.ProposeMSP).
  const mspBytes = fabricMspConfig(org).serializeBinary();
  for (const kind of present.filter((k) => !wanted.includes(k))) {
    const bytes = sectionOf(config, kind)?.getGroupsMap().get(org.mspId)?.getValuesMap().get(ConfigKey.msp)?.getValue_asU8();
    if (bytes === undefined || !sameValue(ConfigKey.msp, bytes, mspBytes)) {
      problems.push(`${at}: ${org.mspId} is also in ${groupPath(kind)} with another MSP definition, and Fabric refuses two versions of one MSP; write both groups`);
    }
  }
  if (wanted.includes('orderer') || present.includes('orderer')) problems.push(...consenterProblems(config, org, at));
  if (problems.length > 0) return { config, problems };
  const copy = config.cloneMessage();
  for (const kind of wanted) {
    const section = sectionOf(copy, kind) as common.ConfigGroup;
    const desired = buildGroup(org, kind);
    const existing = section.getGroupsMap().get(org.mspId);
    if (existing === undefined) section.getGroupsMap().set(org.mspId, desired);
    else writeGroup(existing, desired);
  }
  return { config: copy, problems: [] };
}

/**
 * A copy of `config` with the organisation added to the named groups, as configtxgen writes it,
 * or its groups replaced where it is already a member (a CA rotation, new anchor peers or
 * endpoints, new policies). Elements whose meaning does not change keep their bytes, and versions
 * are left to `computeUpdate`. Adding to `/Channel/Application` changes that group's membership, so
 * the update needs its mod_policy (MAJORITY Admins of the application organisations); replacing
 * needs the organisation's own Admins.
 *
 * @param config - the channel's current config.
 * @param org - the organisation; validated here.
 * @param groups - where to write it; default the groups it is in now.
 * @returns the desired config.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) listing every problem: an invalid model, no group
 *   named, a group the channel lacks, a group already holding another MSP ID or another group
 *   holding this one, anchor peers outside the application group or endpoints outside the orderer
 *   group, orderer endpoints missing under channel capability V3_0 or present before V1_4_2, the
 *   organisation left in a group not written with a different MSP (Fabric refuses two versions of
 *   one MSP), BFT consenters of the organisation the new CAs do not issue.
 */
export function withOrganization(config: common.Config, org: OrganizationModel, groups?: OrganizationGroups): common.Config {
  const result = writeOrganization(config, org, groups, 'organization');
  if (result.problems.length > 0) {
    const name = isRecord(org) && typeof org.mspId === 'string' ? ` ${org.mspId}` : '';
    throw badConfig(`the channel cannot take organisation${name}: ${result.problems.join('; ')}`);
  }
  return result.config;
}

/**
 * {@link withoutOrganization} without throwing, for callers that gather problems.
 *
 * @param at - the field naming the organisation, prefixing each problem.
 * @param absentOk - whether an organisation the channel does not have is already removed rather than a problem.
 */
export function removeOrganization(config: common.Config, mspId: string, at: string, absentOk: boolean): OrganizationWrite {
  const present = organizationGroupsOf(config, mspId);
  if (present.length === 0) return { config, problems: absentOk ? [] : [`${at}: the channel has no organisation ${mspId}`] };
  const problems: string[] = [];
  for (const kind of present) {
    if (sectionOf(config, kind)?.getGroupsMap().getLength() === 1) {
      problems.push(`${at}: cannot remove ${mspId}, the last organisation of ${groupPath(kind)}`);
    }
  }
  // SmartBFT looks up every consenter's MSP (smartbft util.go: "no MSP found for MSP with ID").
  const consenters = bftConsenters(config, mspId).map((c) => `${c.getId()} (${c.getHost()}:${c.getPort()})`);
  if (consenters.length > 0) problems.push(`${at}: ${mspId} runs consenters ${consenters.join(', ')} of /Channel/Orderer/Orderers; remove them from the consenter set first`);
  if (problems.length > 0) return { config, problems };
  const copy = config.cloneMessage();
  for (const kind of present) sectionOf(copy, kind)?.getGroupsMap().del(mspId);
  return { config: copy, problems: [] };
}

/**
 * A copy of `config` without the organisation, in both `/Channel/Application` and
 * `/Channel/Orderer`. The update needs the mod_policy of each group it leaves (MAJORITY Admins).
 *
 * @param config - the channel's current config.
 * @param mspId - the organisation.
 * @returns the desired config.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) listing every problem: the channel does not have
 *   the organisation, it is the last organisation of a group (naming the group), or it runs BFT
 *   consenters.
 */
export function withoutOrganization(config: common.Config, mspId: string): common.Config {
  const result = removeOrganization(config, mspId, 'organization', false);
  if (result.problems.length > 0) throw badConfig(`the channel cannot lose organisation ${mspId}: ${result.problems.join('; ')}`);
  return result.config;
}

function policiesOf(group: common.ConfigGroup, where: string): Record<string, PolicyModel> {
  const policies: Record<string, PolicyModel> = {};
  for (const [name, configPolicy] of group.getPoliciesMap().entries()) {
    const policy = configPolicy.getPolicy();
    if (policy === undefined) throw badConfig(`${where}: policy ${name} is empty`);
    try {
      policies[name] = policyToModel(policy);
    } catch (err) {
      throw badConfig(`${where}: policy ${name} cannot be stated as a policy model: ${(err as Error).message}`);
    }
  }
  return policies;
}

/** Policies compared as canonical text, whichever order their names come in. */
function policiesText(policies: Readonly<Record<string, PolicyModel>>): string {
  return JSON.stringify(
    Object.keys(policies)
      .sort(byCodeUnit)
      .map((name) => [name, policyToModel(policyFromModel(policies[name]))]),
  );
}

/**
 * The model of an organisation of a channel (for audits, and for `mgmt org show`): its MSP
 * definition, its anchor peers and endpoints (sorted), and its policies unless they are
 * {@link defaultOrganizationPolicies}. Writing it back with {@link withOrganization} changes
 * nothing: an organisation whose groups hold anything the model cannot state (another
 * mod_policy, a revocation list, NodeOUs other than cryptogen's, different custom policies in its
 * two groups, further values) is refused rather than read short. The model is read as the config
 * has it, not checked: one {@link organizationProblems} refuses (intermediates under NodeOUs, say)
 * must be corrected before it is written back.
 *
 * @param config - the channel config.
 * @param mspId - the organisation (the name of its groups).
 * @returns the model.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) when the channel does not have the organisation,
 *   its MSP is missing, undecodable, not an X.509 (FABRIC) MSP or named otherwise, or the model
 *   cannot state it.
 */
export function readOrganization(config: common.Config, mspId: string): OrganizationModel {
  const present = organizationGroupsOf(config, mspId);
  if (present.length === 0) throw badConfig(`the channel has no organisation ${mspId}`);
  const groups = present.map((kind) => ({ kind, where: groupPath(kind, mspId), group: sectionOf(config, kind)?.getGroupsMap().get(mspId) as common.ConfigGroup }));
  const first = groups[0];
  const mspBytes = first.group.getValuesMap().get(ConfigKey.msp)?.getValue_asU8();
  if (mspBytes === undefined) throw badConfig(`${first.where} has no MSP value`);
  const fabric = fabricMspOf(mspBytes);
  if (fabric === undefined) throw badConfig(`${first.where}: the MSP value is not an X.509 (FABRIC) MSP this model states`);
  if (fabric.getName() !== mspId) throw badConfig(`${first.where} holds the MSP ${fabric.getName()}, not ${mspId}`);
  const pems = (list: Uint8Array[]): string[] => list.map((bytes) => Buffer.from(bytes).toString('utf8'));
  const optional = (key: 'intermediateCerts' | 'tlsIntermediateCerts' | 'admins', list: Uint8Array[]): Partial<OrganizationModel> => (list.length === 0 ? {} : { [key]: pems(list) });

  const policies = groups.map(({ kind, where, group }) => ({ kind, policies: policiesOf(group, where) }));
  const allDefault = policies.every((p) => policiesText(p.policies) === policiesText(defaultOrganizationPolicies(mspId, p.kind)));
  if (!allDefault && new Set(policies.map((p) => policiesText(p.policies))).size > 1) {
    throw badConfig(`${mspId} cannot be stated as an organisation model: its groups ${groups.map((g) => g.where).join(' and ')} have different policies`);
  }
  const anchorBytes = groups.find((g) => g.kind === 'application')?.group.getValuesMap().get(ConfigKey.anchorPeers)?.getValue_asU8();
  const endpointBytes = groups.find((g) => g.kind === 'orderer')?.group.getValuesMap().get(ConfigKey.endpoints)?.getValue_asU8();
  let anchorPeers: AnchorPeerModel[] = [];
  let ordererEndpoints: string[] = [];
  try {
    anchorPeers = anchorBytes === undefined ? [] : sortedPeers(readAnchorPeers(anchorBytes));
    ordererEndpoints = endpointBytes === undefined ? [] : common.OrdererAddresses.deserializeBinary(endpointBytes).getAddressesList().sort(byCodeUnit);
  } catch (err) {
    throw badConfig(`${mspId}: its AnchorPeers or Endpoints value does not decode: ${(err as Error).message}`);
  }
  const model: OrganizationModel = {
    mspId,
    rootCerts: pems(fabric.getRootCertsList_asU8()),
    tlsRootCerts: pems(fabric.getTlsRootCertsList_asU8()),
    ...optional('intermediateCerts', fabric.getIntermediateCertsList_asU8()),
    ...optional('tlsIntermediateCerts', fabric.getTlsIntermediateCertsList_asU8()),
    ...optional('admins', fabric.getAdminsList_asU8()),
    nodeOUs: fabric.getFabricNodeOus() !== undefined,
    ...(allDefault ? {} : { policies: policies[0].policies }),
    ...(anchorPeers.length === 0 ? {} : { anchorPeers }),
    ...(ordererEndpoints.length === 0 ? {} : { ordererEndpoints }),
  };
  // What the model states must be all the groups hold, or writing it back would change them.
  for (const { kind, where, group } of groups) {
    const changes = writeGroup(group.cloneMessage(), buildGroup(model, kind));
    if (changes.length > 0) {
      throw badConfig(`${where} cannot be stated as an organisation model: configtxgen would write ${changes.join(', ')} otherwise`);
    }
  }
  return model;
}
