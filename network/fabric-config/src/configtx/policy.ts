/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The policy engine: Fabric's cauthdsl (SignaturePolicyEnvelope) and ImplicitMeta policies, over a
 * channel config tree (common/policies, common/cauthdsl). It decides config updates (mod_policy),
 * Broadcast/Deliver ACLs (/Channel/Writers, /Channel/Readers) and chaincode endorsement policies.
 */
import { common, msp } from '@hyperledger/fabric-protos';
import type { Identity, MspRegistry, MspRole } from '../msp';
import { ConfigKey } from './keys';

/** One signature to check against a policy: Fabric's protoutil.SignedData. */
export interface SignedData {
  /** A serialized msp.SerializedIdentity of the signer. */
  readonly identity: Uint8Array;
  /** The exact signed bytes, as received (never re-encoded). */
  readonly data: Uint8Array;
  /** The DER ECDSA signature over `data`. */
  readonly signature: Uint8Array;
}

/** A policy verdict; the reason is Fabric's wording, for BroadcastResponse.info or logs. */
export type PolicyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** ImplicitMeta rules, as in configtx.yaml (`ANY Readers`, `MAJORITY Admins`). */
export type ImplicitMetaRule = 'ANY' | 'ALL' | 'MAJORITY';

/** A principal of a signature policy: a role within one MSP (`'Org1MSP.admin'` in policydsl). */
export interface RolePrincipal {
  readonly mspId: string;
  readonly role: MspRole;
}

const OK: PolicyResult = { ok: true };
const PATH_SEPARATOR = '/';

/** MSP role names to their proto values (policydsl's role names). */
export const ROLE_TO_PROTO: Readonly<Record<MspRole, msp.MSPRole.MSPRoleTypeMap[keyof msp.MSPRole.MSPRoleTypeMap]>> = {
  member: msp.MSPRole.MSPRoleType.MEMBER,
  admin: msp.MSPRole.MSPRoleType.ADMIN,
  client: msp.MSPRole.MSPRoleType.CLIENT,
  peer: msp.MSPRole.MSPRoleType.PEER,
  orderer: msp.MSPRole.MSPRoleType.ORDERER,
};

/** Proto role values to their names. */
export const PROTO_TO_ROLE: ReadonlyMap<number, MspRole> = new Map(
  (Object.entries(ROLE_TO_PROTO) as [MspRole, number][]).map(([role, value]) => [value, role]),
);

const IMPLICIT_META_RULES: Readonly<Record<ImplicitMetaRule, common.ImplicitMetaPolicy.RuleMap[keyof common.ImplicitMetaPolicy.RuleMap]>> = {
  ANY: common.ImplicitMetaPolicy.Rule.ANY,
  ALL: common.ImplicitMetaPolicy.Rule.ALL,
  MAJORITY: common.ImplicitMetaPolicy.Rule.MAJORITY,
};

// ---------------------------------------------------------------------------------------------
// Builders

/**
 * A SignaturePolicyEnvelope requiring `n` of the given principals, each satisfied by a distinct
 * signer: policydsl's `OutOf(n, 'Org1MSP.peer', ...)`; `n = 1` is `OR(...)`, `n = length` is `AND(...)`.
 *
 * @param n - how many principals must be satisfied.
 * @param principals - the principals, in order.
 * @returns the envelope.
 * @throws RangeError if `n` is not an integer in [0, principals.length].
 */
export function nOutOf(n: number, principals: readonly RolePrincipal[]): common.SignaturePolicyEnvelope {
  if (!Number.isInteger(n) || n < 0 || n > principals.length) {
    throw new RangeError(`n must be an integer between 0 and ${principals.length}, got ${n}`);
  }
  const envelope = new common.SignaturePolicyEnvelope();
  envelope.setVersion(0);
  envelope.setIdentitiesList(
    principals.map(({ mspId, role }) => {
      const mspRole = new msp.MSPRole();
      mspRole.setMspIdentifier(mspId);
      mspRole.setRole(ROLE_TO_PROTO[role]);
      const principal = new msp.MSPPrincipal();
      principal.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
      principal.setPrincipal(mspRole.serializeBinary());
      return principal;
    }),
  );
  const outOf = new common.SignaturePolicy.NOutOf();
  outOf.setN(n);
  outOf.setRulesList(
    principals.map((_, index) => {
      const signedBy = new common.SignaturePolicy();
      signedBy.setSignedBy(index);
      return signedBy;
    }),
  );
  const rule = new common.SignaturePolicy();
  rule.setNOutOf(outOf);
  envelope.setRule(rule);
  return envelope;
}

/**
 * An endorsement policy: `n` of the given organisations' peers (e.g. MAJORITY of members is
 * `nOutOfPeers(3, ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'])`).
 *
 * @param n - how many organisations' peers must endorse.
 * @param mspIds - the organisations.
 * @returns the envelope.
 * @throws RangeError if `n` is not an integer in [0, mspIds.length].
 */
export function nOutOfPeers(n: number, mspIds: readonly string[]): common.SignaturePolicyEnvelope {
  return nOutOf(
    n,
    mspIds.map((mspId) => ({ mspId, role: 'peer' })),
  );
}

/**
 * Wraps a SignaturePolicyEnvelope as a config Policy (type SIGNATURE).
 *
 * @param envelope - the signature policy.
 * @returns the Policy message.
 */
export function signaturePolicy(envelope: common.SignaturePolicyEnvelope): common.Policy {
  const policy = new common.Policy();
  policy.setType(common.Policy.PolicyType.SIGNATURE);
  policy.setValue(envelope.serializeBinary());
  return policy;
}

/**
 * An ImplicitMeta config Policy, e.g. `implicitMetaPolicy('MAJORITY', 'Admins')`.
 *
 * @param rule - ANY, ALL or MAJORITY of the sub-groups.
 * @param subPolicy - the policy name looked up in each sub-group.
 * @returns the Policy message.
 */
export function implicitMetaPolicy(rule: ImplicitMetaRule, subPolicy: string): common.Policy {
  const meta = new common.ImplicitMetaPolicy();
  meta.setRule(IMPLICIT_META_RULES[rule]);
  meta.setSubPolicy(subPolicy);
  const policy = new common.Policy();
  policy.setType(common.Policy.PolicyType.IMPLICIT_META);
  policy.setValue(meta.serializeBinary());
  return policy;
}

// ---------------------------------------------------------------------------------------------
// Paths

/**
 * Resolves a policy name to an absolute path. Fabric resolves a relative mod_policy inside the
 * element's own group (for a group, the group itself), so `Admins` on
 * `/Channel/Orderer/BatchTimeout` is `/Channel/Orderer/Admins`; names starting with `/` are absolute.
 *
 * @param groupPath - the group the name is relative to, from the root, e.g. `['Channel', 'Orderer']`.
 * @param policyName - a relative (`Admins`, `Orderer/Admins`) or absolute (`/Channel/Admins`) name.
 * @returns the absolute path.
 */
export function resolvePolicyPath(groupPath: readonly string[], policyName: string): string {
  if (policyName.startsWith(PATH_SEPARATOR)) return policyName;
  return PATH_SEPARATOR + [...groupPath, policyName].join(PATH_SEPARATOR);
}

interface LocatedPolicy {
  readonly policy: common.Policy;
  /** The group holding the policy, and its path from the root. */
  readonly group: common.ConfigGroup;
  readonly groupPath: readonly string[];
}

/** Looks a policy up by name relative to a group; the name may descend (`Orderer/Admins`). */
function findPolicyIn(group: common.ConfigGroup, groupPath: readonly string[], name: string): LocatedPolicy | undefined {
  const segments = name.split(PATH_SEPARATOR);
  const policyName = segments.pop();
  if (policyName === undefined || policyName === '') return undefined;
  let current = group;
  const path = [...groupPath];
  for (const segment of segments) {
    const next = current.getGroupsMap().get(segment);
    if (next === undefined) return undefined;
    current = next;
    path.push(segment);
  }
  const policy = current.getPoliciesMap().get(policyName)?.getPolicy();
  return policy === undefined ? undefined : { policy, group: current, groupPath: path };
}

/** Looks an absolute policy path up in a config; only `/Channel/...` paths exist, as in Fabric. */
function findPolicy(config: common.Config, policyPath: string): LocatedPolicy | undefined {
  const root = config.getChannelGroup();
  const prefix = PATH_SEPARATOR + ConfigKey.channelGroup + PATH_SEPARATOR;
  if (root === undefined || !policyPath.startsWith(prefix)) return undefined;
  return findPolicyIn(root, [ConfigKey.channelGroup], policyPath.slice(prefix.length));
}

/**
 * The organisations whose signatures can count towards a policy: the MSP IDs of a signature
 * policy's role principals, or, for an implicit-meta policy, those of the sub-groups' policies
 * of that name. It is whom to ask for a signature, not whether they suffice.
 *
 * @param config - the channel config.
 * @param policyPath - an absolute policy path, e.g. `/Channel/Orderer/Admins`.
 * @returns the MSP IDs, sorted; empty for a missing policy.
 */
export function policySignerMspIds(config: common.Config, policyPath: string): string[] {
  const found = new Set<string>();
  const visit = (located: LocatedPolicy | undefined, depth: number): void => {
    if (located === undefined || depth > 16) return;
    const { policy } = located;
    if (policy.getType() === common.Policy.PolicyType.SIGNATURE) {
      for (const principal of common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8()).getIdentitiesList()) {
        if (principal.getPrincipalClassification() === msp.MSPPrincipal.Classification.ROLE) {
          found.add(msp.MSPRole.deserializeBinary(principal.getPrincipal_asU8()).getMspIdentifier());
        } else if (principal.getPrincipalClassification() === msp.MSPPrincipal.Classification.IDENTITY) {
          found.add(msp.SerializedIdentity.deserializeBinary(principal.getPrincipal_asU8()).getMspid());
        }
      }
    } else if (policy.getType() === common.Policy.PolicyType.IMPLICIT_META) {
      const subPolicy = common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8()).getSubPolicy();
      for (const [name, subGroup] of located.group.getGroupsMap().entries() as Iterable<[string, common.ConfigGroup]>) {
        visit(findPolicyIn(subGroup, [...located.groupPath, name], subPolicy), depth + 1);
      }
    }
  };
  visit(findPolicy(config, policyPath), 0);
  return [...found].sort();
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/**
 * The identities whose signatures verify, de-duplicated: Fabric's SignatureSetToValidIdentities.
 * An identity that does not deserialize, or a signature that does not verify, is skipped (it just
 * does not count); an identity seen before is skipped before its signature is checked, so one
 * signer cannot be counted twice nor make the validator verify the same signature over and over.
 *
 * @param signedData - the signatures.
 * @param msps - the channel's MSPs.
 * @returns the valid, distinct signers, in order.
 */
export function validIdentities(signedData: readonly SignedData[], msps: MspRegistry): Identity[] {
  const seen = new Set<string>();
  const identities: Identity[] = [];
  for (const item of signedData) {
    let identity: Identity;
    try {
      identity = msps.deserialize(item.identity);
    } catch {
      continue;
    }
    const key = identityKey(identity);
    if (seen.has(key)) continue;
    if (!msps.verify(identity, item.data, item.signature)) continue;
    seen.add(key);
    identities.push(identity);
  }
  return identities;
}

function identityKey(identity: Identity): string {
  return `${identity.mspId}\u0000${normalizePem(identity.certificatePem)}`;
}

function normalizePem(pem: string): string {
  return pem.replace(/\s+/g, '');
}

/*
 * Decoded policies and principals, per byte array of the config they come from. A channel
 * evaluates the same few policies on every proposal, transaction and request (each ImplicitMeta
 * policy decodes every org's signature policy and each of its principals), and decoding them
 * again each time was a measurable share of a busy devnet. The key is the exact Uint8Array a
 * config message holds, so a config in force decodes once and a new config (new arrays) decodes
 * afresh; entries go with their config. The decoded messages are only read.
 */
const decodedEnvelopes = new WeakMap<Uint8Array, common.SignaturePolicyEnvelope>();
const decodedMetas = new WeakMap<Uint8Array, common.ImplicitMetaPolicy>();
const decodedRoles = new WeakMap<Uint8Array, msp.MSPRole>();

/** `decode(bytes)`, remembered for these very bytes; a failure is not remembered (it throws each time). */
function decodedOnce<T>(bytes: Uint8Array, cache: WeakMap<Uint8Array, T>, decode: (bytes: Uint8Array) => T): T {
  const known = cache.get(bytes);
  if (known !== undefined) return known;
  const decoded = decode(bytes);
  cache.set(bytes, decoded);
  return decoded;
}

/** Whether one identity satisfies one MSPPrincipal (Fabric's identity.SatisfiesPrincipal). */
function satisfiesPrincipal(identity: Identity, principal: msp.MSPPrincipal, msps: MspRegistry): boolean {
  switch (principal.getPrincipalClassification()) {
    case msp.MSPPrincipal.Classification.ROLE: {
      const role = decodedOnce(principal.getPrincipal_asU8(), decodedRoles, (b) => msp.MSPRole.deserializeBinary(b));
      const roleName = PROTO_TO_ROLE.get(role.getRole());
      return roleName !== undefined && msps.satisfiesRole(identity, role.getMspIdentifier(), roleName);
    }
    case msp.MSPPrincipal.Classification.IDENTITY: {
      // Used by BFT BlockValidation policies: the principal is one exact serialized identity.
      const wanted = msp.SerializedIdentity.deserializeBinary(principal.getPrincipal_asU8());
      return (
        wanted.getMspid() === identity.mspId &&
        normalizePem(Buffer.from(wanted.getIdBytes_asU8()).toString('utf8')) === normalizePem(identity.certificatePem)
      );
    }
    default:
      // OU, anonymity and combined principals are not used by this project's configs.
      return false;
  }
}

/** The principal a SignedBy names; undefined when the (untrusted) index is out of range. */
function principalAt(principals: readonly msp.MSPPrincipal[], index: number): msp.MSPPrincipal | undefined {
  return index >= 0 ? principals.at(index) : undefined;
}

/** Fabric compiles a signature policy before use; a malformed one is refused outright. */
function checkRule(rule: common.SignaturePolicy | undefined, principalCount: number): string | undefined {
  if (rule === undefined) return 'Empty policy element';
  switch (rule.getTypeCase()) {
    case common.SignaturePolicy.TypeCase.SIGNED_BY: {
      const index = rule.getSignedBy();
      return index < 0 || index >= principalCount
        ? `identity index out of range, requested ${index}, but identities length is ${principalCount}`
        : undefined;
    }
    case common.SignaturePolicy.TypeCase.N_OUT_OF: {
      for (const child of rule.getNOutOf()?.getRulesList() ?? []) {
        const problem = checkRule(child, principalCount);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    default:
      return 'Empty policy element';
  }
}

/**
 * Fabric's cauthdsl evaluation, greedy as in Fabric: each NOutOf branch works on a copy of the
 * used-flags and commits them only if it succeeds, so one signature serves at most one SignedBy.
 */
function evaluateRule(
  rule: common.SignaturePolicy,
  principals: readonly msp.MSPPrincipal[],
  identities: readonly Identity[],
  used: boolean[],
  msps: MspRegistry,
): boolean {
  if (rule.getTypeCase() === common.SignaturePolicy.TypeCase.SIGNED_BY) {
    const principal = principalAt(principals, rule.getSignedBy());
    if (principal === undefined) return false;
    for (const [i, identity] of identities.entries()) {
      if (used[i]) continue;
      if (satisfiesPrincipal(identity, principal, msps)) {
        used[i] = true;
        return true;
      }
    }
    return false;
  }
  const outOf = rule.getNOutOf();
  if (outOf === undefined) return false;
  let verified = 0;
  for (const child of outOf.getRulesList()) {
    const trial = [...used];
    if (evaluateRule(child, principals, identities, trial, msps)) {
      verified++;
      trial.forEach((flag, i) => (used[i] = flag));
    }
  }
  return verified >= outOf.getN();
}

function evaluateEnvelopeOnIdentities(
  envelope: common.SignaturePolicyEnvelope,
  identities: readonly Identity[],
  msps: MspRegistry,
): PolicyResult {
  const principals = envelope.getIdentitiesList();
  const rule = envelope.getRule();
  const problem = checkRule(rule, principals.length);
  if (problem !== undefined || rule === undefined) return { ok: false, reason: problem ?? 'Empty policy element' };
  const used = identities.map(() => false);
  return evaluateRule(rule, principals, identities, used, msps)
    ? OK
    : { ok: false, reason: 'signature set did not satisfy policy' };
}

function evaluateLocated(located: LocatedPolicy, name: string, identities: readonly Identity[], msps: MspRegistry): PolicyResult {
  const { policy, group, groupPath } = located;
  switch (policy.getType()) {
    case common.Policy.PolicyType.SIGNATURE: {
      let envelope: common.SignaturePolicyEnvelope;
      try {
        envelope = decodedOnce(policy.getValue_asU8(), decodedEnvelopes, (b) => common.SignaturePolicyEnvelope.deserializeBinary(b));
      } catch (error) {
        return { ok: false, reason: `policy ${name} is not a SignaturePolicyEnvelope: ${String(error)}` };
      }
      return evaluateEnvelopeOnIdentities(envelope, identities, msps);
    }
    case common.Policy.PolicyType.IMPLICIT_META: {
      let meta: common.ImplicitMetaPolicy;
      try {
        meta = decodedOnce(policy.getValue_asU8(), decodedMetas, (b) => common.ImplicitMetaPolicy.deserializeBinary(b));
      } catch (error) {
        return { ok: false, reason: `policy ${name} is not an ImplicitMetaPolicy: ${String(error)}` };
      }
      return evaluateImplicitMeta(meta, group, groupPath, identities, msps);
    }
    default:
      return { ok: false, reason: `policy ${name} has unsupported type ${policy.getType()}` };
  }
}

/** MAJORITY is floor(n/2)+1; with no sub-groups every rule is met, as in Fabric. */
function implicitMetaThreshold(rule: number, subGroups: number): number {
  if (subGroups === 0) return 0;
  switch (rule) {
    case common.ImplicitMetaPolicy.Rule.ANY:
      return 1;
    case common.ImplicitMetaPolicy.Rule.ALL:
      return subGroups;
    default:
      return Math.floor(subGroups / 2) + 1;
  }
}

function evaluateImplicitMeta(
  meta: common.ImplicitMetaPolicy,
  group: common.ConfigGroup,
  groupPath: readonly string[],
  identities: readonly Identity[],
  msps: MspRegistry,
): PolicyResult {
  const subPolicy = meta.getSubPolicy();
  const subGroups = [...group.getGroupsMap().entries()] as [string, common.ConfigGroup][];
  const threshold = implicitMetaThreshold(meta.getRule(), subGroups.length);
  let satisfied = 0;
  for (const [name, subGroup] of subGroups) {
    if (satisfied >= threshold) break;
    const subPath = [...groupPath, name];
    // A sub-group lacking the named policy counts as not satisfied (Fabric's reject policy).
    const located = findPolicyIn(subGroup, subPath, subPolicy);
    if (located === undefined) continue;
    const result = evaluateLocated(located, resolvePolicyPath(subPath, subPolicy), identities, msps);
    if (result.ok) satisfied++;
  }
  return satisfied >= threshold
    ? OK
    : {
        ok: false,
        reason: `implicit policy evaluation failed - ${satisfied} sub-policies were satisfied, but this policy requires ${threshold} of the '${subPolicy}' sub-policies to be satisfied`,
      };
}

/**
 * Evaluates a named policy of a channel config against a set of signatures, as Fabric's policy
 * manager does: SignaturePolicyEnvelope (NOutOf/SignedBy over MSP roles) and ImplicitMeta
 * ANY/ALL/MAJORITY over the sub-groups' policy of the same name.
 *
 * @param config - the channel config holding the policy.
 * @param policyPath - the absolute policy path, e.g. `/Channel/Orderer/Admins`.
 * @param signedData - the signatures; invalid identities or signatures just do not count.
 * @param msps - the channel's MSPs (build it from {@link readMsps} of the same config).
 * @returns `{ ok: true }`, or `{ ok: false, reason }` in Fabric's words (a missing policy is
 *   `no such policy: '<path>'`, as Fabric's reject policy says).
 */
export function evaluatePolicy(
  config: common.Config,
  policyPath: string,
  signedData: readonly SignedData[],
  msps: MspRegistry,
): PolicyResult {
  return evaluatePolicyForIdentities(config, policyPath, validIdentities(signedData, msps), msps);
}

/**
 * {@link evaluatePolicy} over identities already checked by {@link validIdentities}, so that a
 * caller evaluating several policies against one signature set verifies each signature once.
 *
 * @param config - the channel config holding the policy.
 * @param policyPath - the absolute policy path.
 * @param identities - valid, de-duplicated signers.
 * @param msps - the channel's MSPs.
 * @returns `{ ok: true }` or `{ ok: false, reason }`.
 */
export function evaluatePolicyForIdentities(
  config: common.Config,
  policyPath: string,
  identities: readonly Identity[],
  msps: MspRegistry,
): PolicyResult {
  const located = findPolicy(config, policyPath);
  if (located === undefined) return { ok: false, reason: `no such policy: '${policyPath}'` };
  return evaluateLocated(located, policyPath, identities, msps);
}

/**
 * Whether a policy path names an existing policy of the config.
 *
 * @param config - the channel config.
 * @param policyPath - the absolute policy path.
 * @returns true if the policy exists.
 */
export function hasPolicy(config: common.Config, policyPath: string): boolean {
  return findPolicy(config, policyPath) !== undefined;
}

/**
 * The SignedData of an envelope's own signature (Fabric's EnvelopeAsSignedData): the creator of
 * its signature header over the exact payload bytes. Used for the `/Channel/Writers` check on
 * Broadcast and `/Channel/Readers` on Deliver.
 *
 * @param envelope - the envelope as received.
 * @returns one SignedData.
 * @throws Error if the payload or its signature header does not decode, or the header is missing.
 */
export function envelopeSignedData(envelope: common.Envelope): SignedData {
  const payloadBytes = envelope.getPayload_asU8();
  const header = common.Payload.deserializeBinary(payloadBytes).getHeader();
  if (header === undefined) throw new Error('Missing Header');
  const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
  return { identity: signatureHeader.getCreator_asU8(), data: payloadBytes, signature: envelope.getSignature_asU8() };
}

/**
 * Evaluates a signature policy given directly (e.g. a chaincode endorsement policy built with
 * {@link nOutOfPeers}) against a set of signatures.
 *
 * @param envelope - the signature policy.
 * @param signedData - the signatures (for endorsements: data = prp bytes || endorser, identity = endorser).
 * @param msps - the channel's MSPs.
 * @returns `{ ok: true }` or `{ ok: false, reason }`.
 */
export function evaluateSignaturePolicy(
  envelope: common.SignaturePolicyEnvelope,
  signedData: readonly SignedData[],
  msps: MspRegistry,
): PolicyResult {
  return evaluateEnvelopeOnIdentities(envelope, validIdentities(signedData, msps), msps);
}

// ---------------------------------------------------------------------------------------------
// Description, for the readable config view

function describePrincipal(principal: msp.MSPPrincipal): string {
  try {
    switch (principal.getPrincipalClassification()) {
      case msp.MSPPrincipal.Classification.ROLE: {
        const role = msp.MSPRole.deserializeBinary(principal.getPrincipal_asU8());
        return `'${role.getMspIdentifier()}.${PROTO_TO_ROLE.get(role.getRole()) ?? `role${role.getRole()}`}'`;
      }
      case msp.MSPPrincipal.Classification.IDENTITY: {
        const identity = msp.SerializedIdentity.deserializeBinary(principal.getPrincipal_asU8());
        return `identity('${identity.getMspid()}')`;
      }
      default:
        return `principal(${principal.getPrincipalClassification()})`;
    }
  } catch {
    return 'principal(undecodable)';
  }
}

function describeRule(rule: common.SignaturePolicy, principals: readonly msp.MSPPrincipal[]): string {
  if (rule.getTypeCase() === common.SignaturePolicy.TypeCase.SIGNED_BY) {
    const principal = principalAt(principals, rule.getSignedBy());
    return principal === undefined ? `signedBy(${rule.getSignedBy()})` : describePrincipal(principal);
  }
  const outOf = rule.getNOutOf();
  if (outOf === undefined) return 'empty';
  const children = outOf.getRulesList().map((child) => describeRule(child, principals));
  if (outOf.getN() === 1 && children.length > 1) return `OR(${children.join(', ')})`;
  if (outOf.getN() === children.length && children.length > 1) return `AND(${children.join(', ')})`;
  if (outOf.getN() === 1 && children.length === 1) return `OR(${children.join(', ')})`;
  return `OutOf(${outOf.getN()}, ${children.join(', ')})`;
}

/**
 * Renders a signature policy in Fabric's policydsl, e.g. `OR('Org1MSP.admin', 'Org1MSP.peer')`
 * or `OutOf(3, 'Org1MSP.peer', ...)`.
 *
 * @param envelope - the signature policy.
 * @returns the policydsl text.
 */
export function describeSignaturePolicy(envelope: common.SignaturePolicyEnvelope): string {
  const rule = envelope.getRule();
  return rule === undefined ? 'empty' : describeRule(rule, envelope.getIdentitiesList());
}

/** Inverse of {@link implicitMetaPolicy}'s rule encoding, for the readable view. */
export function implicitMetaRuleName(rule: number): ImplicitMetaRule | `UNKNOWN(${number})` {
  const entry = (Object.entries(IMPLICIT_META_RULES) as [ImplicitMetaRule, number][]).find(([, value]) => value === rule);
  return entry === undefined ? `UNKNOWN(${rule})` : entry[0];
}
