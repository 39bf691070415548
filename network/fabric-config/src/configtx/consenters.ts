/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The consenter set of a channel (the paper's active validator list) as part of the channel
 * model: etcdraft's `ConfigMetadata.consenters`, BFT's `/Channel/Orderer/Orderers` consenter
 * mapping (with the BlockValidation policy Fabric derives from it), and, on the devnet, which has
 * no consensus between orderers, an etcdraft-shaped list that is stored, validated and returned
 * as Fabric would, with no effect on ordering.
 *
 * Fabric's rules, applied before anything is signed (and by the devnet's orderer):
 * - etcdraft (orderer/consensus/etcdraft: VerifyConfigMetadata, ComputeMembershipChanges): the set
 *   is not empty; each consenter's client and server TLS certificates parse and chain to a TLS
 *   root (or intermediate) of an orderer organisation; no certificate is used twice; a node is
 *   its client TLS certificate, and one update adds at most one node and removes at most one (one
 *   of each is a certificate rotation).
 * - BFT (smartbft's config verifier): the BlockValidation policy is the N-out-of policy over the
 *   consenters' identities that Fabric computes from the mapping; ids are unique; each consenter
 *   names an orderer organisation, its identity is issued by that organisation's CA and its TLS
 *   certificates by its TLS CA; at most one node is added or removed per update.
 *
 * The written order is canonical (host, port, then client certificate), so that every member
 * computes the same bytes whatever the order of the model's list.
 */
import { X509Certificate } from 'node:crypto';
import { common, msp, orderer } from '@hyperledger/fabric-protos';
import { parseGoDurationNanos } from './duration';
import { ConfigKey } from './keys';
import { signaturePolicy } from './policy';
import { DEVNET_CONSENSUS_TYPE } from './profile';

/** One ordering node of the consenter set. */
export interface ConsenterModel {
  readonly host: string;
  readonly port: number;
  /** PEM TLS client certificate: what identifies the node to etcdraft. */
  readonly clientTlsCert: string;
  /** PEM TLS server certificate. */
  readonly serverTlsCert: string;
  /** BFT only: the node's organisation (an orderer organisation of the channel). */
  readonly mspId?: string;
  /** BFT only: PEM enrolment certificate the node signs blocks with. */
  readonly identity?: string;
  /** BFT only: the node's id; assigned (largest + 1) to a node the model adds without one. */
  readonly id?: number;
}

/** Extended key usages Fabric accepts for a consenter's TLS certificates: client or server authentication, or any. */
const TLS_USAGES = ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2', '2.5.29.37.0'];

const CONSENTER_KEYS = ['host', 'port', 'clientTlsCert', 'serverTlsCert', 'mspId', 'identity', 'id'];
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const normalisePem = (pem: string): string => pem.replace(/\r\n/g, '\n').trim() + '\n';

function certificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function consensusValue(ordererGroup: common.ConfigGroup): orderer.ConsensusType | undefined {
  const bytes = ordererGroup.getValuesMap().get(ConfigKey.consensusType)?.getValue_asU8();
  return bytes === undefined ? undefined : orderer.ConsensusType.deserializeBinary(bytes);
}

/** Whether the channel's consenters are an etcdraft-shaped list (etcdraft, or a devnet channel that stores one). */
function raftShaped(type: orderer.ConsensusType): boolean {
  return type.getType() === 'etcdraft' || (type.getType() === DEVNET_CONSENSUS_TYPE && type.getMetadata_asU8().length > 0);
}

/**
 * Why Fabric's etcdraft would refuse a channel's etcdraft metadata options (VerifyConfigMetadata:
 * options present, no zero tick count, ElectionTick above HeartbeatTick, a positive TickInterval).
 * The consenters are judged by {@link consenterChangeProblems}.
 *
 * @param metadata - the ConsensusType metadata of an `etcdraft` channel.
 * @returns the problem in Fabric's words, or undefined.
 */
export function etcdraftOptionsProblem(metadata: orderer.etcdraft.ConfigMetadata): string | undefined {
  const options = metadata.getOptions();
  if (options === undefined) return 'nil Raft config metadata options';
  const heartbeat = options.getHeartbeatTick();
  const election = options.getElectionTick();
  const inflight = options.getMaxInflightBlocks();
  if (heartbeat === 0 || election === 0 || inflight === 0) {
    return `none of HeartbeatTick (${heartbeat}), ElectionTick (${election}) and MaxInflightBlocks (${inflight}) can be zero`;
  }
  if (election <= heartbeat) return `ElectionTick (${election}) must be greater than HeartbeatTick (${heartbeat})`;
  const tick = options.getTickInterval();
  let nanos: bigint;
  try {
    nanos = parseGoDurationNanos(tick);
  } catch (error) {
    return `failed to parse TickInterval (${tick}) to time duration: ${(error as Error).message}`;
  }
  return nanos === 0n ? 'TickInterval cannot be zero' : undefined;
}

/**
 * The consenter set of a channel's orderer group, or undefined when the channel has none the
 * model governs (a devnet channel made without one, or an unknown consensus type).
 */
export function readConsenters(ordererGroup: common.ConfigGroup): ConsenterModel[] | undefined {
  const type = consensusValue(ordererGroup);
  if (type === undefined) return undefined;
  if (raftShaped(type)) {
    return orderer.etcdraft.ConfigMetadata.deserializeBinary(type.getMetadata_asU8())
      .getConsentersList()
      .map((c) => ({ host: c.getHost(), port: c.getPort(), clientTlsCert: text(c.getClientTlsCert_asU8()), serverTlsCert: text(c.getServerTlsCert_asU8()) }));
  }
  if (type.getType() === 'BFT') {
    const bytes = ordererGroup.getValuesMap().get(ConfigKey.orderers)?.getValue_asU8();
    if (bytes === undefined) return undefined;
    return common.Orderers.deserializeBinary(bytes)
      .getConsenterMappingList()
      .map((c) => ({
        id: c.getId(),
        mspId: c.getMspId(),
        host: c.getHost(),
        port: c.getPort(),
        identity: text(c.getIdentity_asU8()),
        clientTlsCert: text(c.getClientTlsCert_asU8()),
        serverTlsCert: text(c.getServerTlsCert_asU8()),
      }));
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Shape problems of one consenter entry. */
function consenterShapeProblems(c: unknown, where: string): string[] {
  const problems: string[] = [];
  if (!isRecord(c)) {
    return [`${where}: must be an object`];
  }
  for (const key of Object.keys(c)) if (!CONSENTER_KEYS.includes(key)) problems.push(`${where}.${key}: unknown field (expected ${CONSENTER_KEYS.join(', ')})`);
  if (typeof c.host !== 'string' || c.host === '') problems.push(`${where}.host: must be a non-empty string`);
  if (typeof c.port !== 'number' || !Number.isInteger(c.port) || c.port < 1 || c.port > 65535) problems.push(`${where}.port: must be an integer from 1 to 65535`);
  for (const key of ['clientTlsCert', 'serverTlsCert'] as const) {
    if (typeof c[key] !== 'string' || certificate(c[key]) === undefined) problems.push(`${where}.${key}: must be a PEM X.509 certificate`);
  }
  return [...problems, ...bftFieldProblems(c, where)];
}

/** The BFT fields of a consenter entry: all or none, each well formed. */
function bftFieldProblems(c: Record<string, unknown>, where: string): string[] {
  const problems: string[] = [];
  if (c.identity !== undefined && (typeof c.identity !== 'string' || certificate(c.identity) === undefined)) problems.push(`${where}.identity: must be a PEM X.509 certificate`);
  if (c.mspId !== undefined && (typeof c.mspId !== 'string' || c.mspId === '')) problems.push(`${where}.mspId: must be a non-empty string`);
  if (c.id !== undefined && (typeof c.id !== 'number' || !Number.isInteger(c.id) || c.id < 1)) problems.push(`${where}.id: must be a positive integer`);
  // A BFT node is named by its id in the config; a model that left it out could never read as in force.
  if ((c.mspId !== undefined || c.identity !== undefined) && c.id === undefined) problems.push(`${where}.id: a BFT consenter (with mspId and identity) needs its id; a new node takes the largest id in force + 1`);
  return problems;
}

/**
 * Shape problems of a model's `orderer.consenters`, independent of any channel.
 * @returns `field: problem` strings.
 */
export function consentersShapeProblems(value: unknown, at: string): string[] {
  if (!Array.isArray(value)) return [`${at}: must be an array of consenters`];
  const problems: string[] = [];
  if (value.length === 0) problems.push(`${at}: must not be empty (Fabric refuses an empty consenter set)`);
  value.forEach((c: unknown, i) => {
    problems.push(...consenterShapeProblems(c, `${at}[${i}]`));
  });
  return problems;
}

/** A consenter as the diff and the model's leaves show it. */
export function consenterText(c: ConsenterModel, shortHash: (bytes: Uint8Array) => string): string {
  const head = c.id === undefined ? '' : `id=${c.id} ${c.mspId ?? ''} `;
  const identity = c.identity === undefined ? '' : ` identity=${shortHash(utf8(c.identity))}`;
  return `${head}${c.host}:${c.port}${identity} client=${shortHash(utf8(c.clientTlsCert))} server=${shortHash(utf8(c.serverTlsCert))}`;
}

const canonicalOrder = (a: ConsenterModel, b: ConsenterModel): number =>
  a.host < b.host ? -1 : a.host > b.host ? 1 : a.port !== b.port ? a.port - b.port : a.clientTlsCert < b.clientTlsCert ? -1 : a.clientTlsCert > b.clientTlsCert ? 1 : 0;

/** The consenters in the order they are written (see the top of this file). */
export function canonicalConsenters(consenters: readonly ConsenterModel[]): ConsenterModel[] {
  return consenters.map((c) => ({ ...c, clientTlsCert: normalisePem(c.clientTlsCert), serverTlsCert: normalisePem(c.serverTlsCert), ...(c.identity === undefined ? {} : { identity: normalisePem(c.identity) }) })).sort(canonicalOrder);
}

interface OrdererOrgCas {
  readonly mspId: string;
  readonly cas: readonly X509Certificate[];
  readonly tlsCas: readonly X509Certificate[];
}

function ordererOrgCas(ordererGroup: common.ConfigGroup): OrdererOrgCas[] {
  const orgs: OrdererOrgCas[] = [];
  ordererGroup.getGroupsMap().forEach((group: common.ConfigGroup, name: string) => {
    const bytes = group.getValuesMap().get(ConfigKey.msp)?.getValue_asU8();
    if (bytes === undefined) return;
    const fabric = msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(bytes).getConfig_asU8());
    const parse = (list: Uint8Array[]): X509Certificate[] => list.flatMap((b) => certificate(text(b)) ?? []);
    orgs.push({
      mspId: fabric.getName() || name,
      cas: parse([...fabric.getRootCertsList_asU8(), ...fabric.getIntermediateCertsList_asU8()]),
      tlsCas: parse([...fabric.getTlsRootCertsList_asU8(), ...fabric.getTlsIntermediateCertsList_asU8()]),
    });
  });
  return orgs;
}

/**
 * The consenters whose TLS certificates an orderer organisation of the group still issues: what
 * is left of the set once an organisation has been removed from the group.
 */
export function consentersOfRemainingOrgs(ordererGroup: common.ConfigGroup): ConsenterModel[] | undefined {
  const consenters = readConsenters(ordererGroup);
  if (consenters === undefined) return undefined;
  const tlsCas = ordererOrgCas(ordererGroup).flatMap((o) => o.tlsCas);
  return consenters.filter((c) => [c.clientTlsCert, c.serverTlsCert].every((pem) => {
    const cert = certificate(pem);
    return cert !== undefined && chains(cert, tlsCas);
  }));
}

/** Issued by one of `cas` (expiry ignored, as Fabric ignores it for consenters already in the set). */
function chains(cert: X509Certificate, cas: readonly X509Certificate[]): boolean {
  return cas.some((ca) => {
    try {
      return cert.checkIssued(ca) && cert.verify(ca.publicKey);
    } catch {
      return false;
    }
  });
}

/** Who joins and who leaves, by client TLS certificate (a node's identity to etcdraft). */
function membershipChanges(before: readonly ConsenterModel[], after: readonly ConsenterModel[]): { added: ConsenterModel[]; removed: ConsenterModel[] } {
  const key = (c: ConsenterModel): string => normalisePem(c.clientTlsCert);
  const old = new Set(before.map(key));
  const next = new Set(after.map(key));
  return { added: after.filter((c) => !old.has(key(c))), removed: before.filter((c) => !next.has(key(c))) };
}

/**
 * Why Fabric would refuse `after` as the consenter set following `before`, in a channel whose
 * orderer group is `ordererGroup` (its organisations' CAs judge the certificates).
 *
 * @returns the problems (empty when Fabric accepts the change).
 */
export function consenterChangeProblems(ordererGroup: common.ConfigGroup, before: readonly ConsenterModel[], after: readonly ConsenterModel[], at: string): string[] {
  const type = consensusValue(ordererGroup);
  const bft = type?.getType() === 'BFT';
  const problems: string[] = [];
  if (after.length === 0) return [`${at}: empty consenter set`];
  const orgs = ordererOrgCas(ordererGroup);
  const tlsCas = orgs.flatMap((o) => o.tlsCas);
  const seen = new Set<string>();
  after.forEach((c, i) => {
    const where = `${at}[${i}] (${c.host}:${c.port})`;
    for (const [kind, pem] of [['client', c.clientTlsCert], ['server', c.serverTlsCert]] as const) {
      const cert = certificate(pem);
      if (cert === undefined) problems.push(`${where}: the TLS ${kind} certificate does not parse`);
      else if (!chains(cert, bft ? (orgs.find((o) => o.mspId === c.mspId)?.tlsCas ?? []) : tlsCas)) {
        problems.push(`${where}: the TLS ${kind} certificate is not issued by a TLS CA of ${bft ? `its organisation ${c.mspId ?? '(none)'}` : 'an orderer organisation'} of the channel`);
      }
    }
    // Against the other consenters only (MetadataHasDuplication): a node commonly uses one
    // certificate as both its client and its server certificate.
    const own = [normalisePem(c.clientTlsCert), normalisePem(c.serverTlsCert)];
    if (own.some((key) => seen.has(key))) problems.push(`${where}: duplicate consenter: a TLS certificate of another consenter`);
    for (const key of own) seen.add(key);
    if (bft) {
      const org = orgs.find((o) => o.mspId === c.mspId);
      if (org === undefined) problems.push(`${where}.mspId: ${c.mspId ?? '(none)'} is not an orderer organisation of the channel`);
      const identity = c.identity === undefined ? undefined : certificate(c.identity);
      if (identity === undefined) problems.push(`${where}.identity: a BFT consenter needs its enrolment certificate`);
      else if (org !== undefined && !chains(identity, org.cas)) problems.push(`${where}.identity: not issued by a CA of ${org.mspId}`);
    }
  });
  if (bft) {
    const ids = after.map((c) => c.id).filter((id): id is number => id !== undefined);
    if (new Set(ids).size !== ids.length) problems.push(`${at}: two consenters have the same id`);
  }
  const { added, removed } = membershipChanges(before, after);
  // Fabric checks a node it adds more strictly: its certificates must be valid now (expiry is
  // ignored only for nodes already in the set) and allowed for TLS client or server use.
  const now = Date.now();
  for (const c of added) {
    for (const [kind, pem] of [['client', c.clientTlsCert], ['server', c.serverTlsCert]] as const) {
      const cert = certificate(pem);
      if (cert === undefined) continue;
      if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) problems.push(`${at} (${c.host}:${c.port}): the TLS ${kind} certificate of a node added is not valid now (${cert.validFrom} to ${cert.validTo})`);
      const usages = cert.keyUsage;
      if (usages !== undefined && !usages.some((oid) => TLS_USAGES.includes(oid))) problems.push(`${at} (${c.host}:${c.port}): the TLS ${kind} certificate of a node added is not allowed for TLS client or server authentication (extended key usage)`);
    }
  }
  if (added.length > 1 || removed.length > 1) {
    problems.push(`${at}: update of more than one consenter at a time is not supported, requested changes: add ${added.length} node(s), remove ${removed.length} node(s)`);
  }
  return problems;
}

/** BFT ids: the model's, else the current node's (same client certificate), else the largest + 1. */
function withBftIds(before: readonly ConsenterModel[], after: readonly ConsenterModel[]): ConsenterModel[] {
  const byCert = new Map(before.map((c) => [normalisePem(c.clientTlsCert), c.id]));
  let next = Math.max(0, ...before.map((c) => c.id ?? 0), ...after.map((c) => c.id ?? 0)) + 1;
  return after.map((c) => ({ ...c, id: c.id ?? byCert.get(normalisePem(c.clientTlsCert)) ?? next++ }));
}

/** Fabric's BFT BlockValidation policy for a consenter mapping (policies.EncodeBFTBlockVerificationPolicy). */
export function bftBlockValidationPolicy(mapping: readonly common.Consenter[]): common.Policy {
  const n = mapping.length;
  const f = Math.floor((n - 1) / 3);
  const quorum = Math.ceil((n + f + 1) / 2);
  const envelope = new common.SignaturePolicyEnvelope();
  envelope.setIdentitiesList(
    mapping.map((c) => {
      const identity = new msp.SerializedIdentity();
      identity.setMspid(c.getMspId());
      identity.setIdBytes(c.getIdentity_asU8());
      const principal = new msp.MSPPrincipal();
      principal.setPrincipalClassification(msp.MSPPrincipal.Classification.IDENTITY);
      principal.setPrincipal(identity.serializeBinary());
      return principal;
    }),
  );
  const outOf = new common.SignaturePolicy.NOutOf();
  outOf.setN(quorum);
  outOf.setRulesList(
    mapping.map((_, i) => {
      const rule = new common.SignaturePolicy();
      rule.setSignedBy(i);
      return rule;
    }),
  );
  const rule = new common.SignaturePolicy();
  rule.setNOutOf(outOf);
  envelope.setRule(rule);
  return signaturePolicy(envelope);
}

function sameSet(a: readonly ConsenterModel[], b: readonly ConsenterModel[]): boolean {
  const text = (list: readonly ConsenterModel[]): string => JSON.stringify(canonicalConsenters(list).map((c) => [c.host, c.port, c.clientTlsCert, c.serverTlsCert, c.mspId ?? null, c.identity ?? null]));
  return text(a) === text(b);
}

/**
 * Writes a consenter set into an orderer group (a copy the caller owns), after Fabric's checks.
 *
 * @returns the problems that keep Fabric from accepting it (nothing is written then), or an
 *   empty list; nothing is written either when the channel already has that set.
 */
export function writeConsenters(ordererGroup: common.ConfigGroup, desired: readonly ConsenterModel[], at: string): string[] {
  const type = consensusValue(ordererGroup);
  const before = readConsenters(ordererGroup);
  if (type === undefined || before === undefined) return [`${at}: the channel's consensus type ${type?.getType() ?? '(none)'} has no consenter set this model governs`];
  const bft = type.getType() === 'BFT';
  // Fields of the other consensus shape would be dropped silently, and the CB would never read as in force.
  if (!bft && desired.some((c) => c.id !== undefined || c.mspId !== undefined || c.identity !== undefined)) {
    return [`${at}: id, mspId and identity are BFT consenter fields; the channel's consensus type is ${type.getType()}`];
  }
  if (bft) {
    // A BFT node keeps its id: the same client certificate under another id would be another node to Fabric's view of the mapping.
    const ids = new Map(before.map((c) => [normalisePem(c.clientTlsCert), c.id]));
    const changed = desired.filter((c) => c.id !== undefined && ids.has(normalisePem(c.clientTlsCert)) && ids.get(normalisePem(c.clientTlsCert)) !== c.id);
    if (changed.length > 0) return changed.map((c) => `${at} (${c.host}:${c.port}): a consenter keeps its id (${String(ids.get(normalisePem(c.clientTlsCert)))}), got ${String(c.id)}`);
  }
  // A certificate already in the set keeps its exact bytes: etcdraft knows a node by them, and a
  // PEM re-wrapped would read as another node.
  const raw = new Map(before.flatMap((c) => [c.clientTlsCert, c.serverTlsCert, ...(c.identity === undefined ? [] : [c.identity])]).map((pem) => [normalisePem(pem), pem]));
  const keep = (pem: string): string => raw.get(normalisePem(pem)) ?? normalisePem(pem);
  const after = canonicalConsenters(bft ? withBftIds(before, desired) : desired.map((c) => ({ host: c.host, port: c.port, clientTlsCert: c.clientTlsCert, serverTlsCert: c.serverTlsCert }))).map((c) => ({
    ...c,
    clientTlsCert: keep(c.clientTlsCert),
    serverTlsCert: keep(c.serverTlsCert),
    ...(c.identity === undefined ? {} : { identity: keep(c.identity) }),
  }));
  if (sameSet(before, after)) return [];
  const problems = consenterChangeProblems(ordererGroup, before, after, at);
  if (problems.length > 0) return problems;
  const values = ordererGroup.getValuesMap();
  if (bft) {
    const mapping = after.map((c) => {
      const consenter = new common.Consenter();
      consenter.setId(c.id ?? 0);
      consenter.setHost(c.host);
      consenter.setPort(c.port);
      consenter.setMspId(c.mspId ?? '');
      consenter.setIdentity(utf8(c.identity ?? ''));
      consenter.setClientTlsCert(utf8(c.clientTlsCert));
      consenter.setServerTlsCert(utf8(c.serverTlsCert));
      return consenter;
    });
    const orderers = new common.Orderers();
    orderers.setConsenterMappingList(mapping);
    const value = values.get(ConfigKey.orderers) ?? new common.ConfigValue();
    value.setValue(orderers.serializeBinary());
    values.set(ConfigKey.orderers, value);
    const policy = ordererGroup.getPoliciesMap().get(ConfigKey.blockValidation) ?? new common.ConfigPolicy();
    policy.setPolicy(bftBlockValidationPolicy(mapping));
    ordererGroup.getPoliciesMap().set(ConfigKey.blockValidation, policy);
    return [];
  }
  const metadata = orderer.etcdraft.ConfigMetadata.deserializeBinary(type.getMetadata_asU8());
  metadata.setConsentersList(
    after.map((c) => {
      const consenter = new orderer.etcdraft.Consenter();
      consenter.setHost(c.host);
      consenter.setPort(c.port);
      consenter.setClientTlsCert(utf8(c.clientTlsCert));
      consenter.setServerTlsCert(utf8(c.serverTlsCert));
      return consenter;
    }),
  );
  type.setMetadata(metadata.serializeBinary());
  const value = values.get(ConfigKey.consensusType) ?? new common.ConfigValue();
  value.setValue(type.serializeBinary());
  values.set(ConfigKey.consensusType, value);
  return [];
}
