/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Which sets of principals satisfy an endorsement policy, as Fabric's discovery asks its policies
 * (common/policies/inquire): a signature policy's NOutOf tree is expanded into every choice of N
 * children at every node, and an ImplicitMeta policy is first converted into the signature policy
 * it stands for (common/policies ImplicitMetaPolicy.Convert), as _lifecycle does for a chaincode
 * whose endorsement policy is a channel config policy reference.
 */
import { common, msp } from '@hyperledger/fabric-protos';

/** Fabric's bound on the combinations of one node's children (inquire.combinationsUpperBound). */
export const COMBINATIONS_UPPER_BOUND = 10_000;

/** A policy that cannot be converted or inquired; the message is Fabric's where Fabric has one. */
export class PolicyInquiryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyInquiryError';
  }
}

const SEPARATOR = '/';

/**
 * The signature policy an absolute config policy path stands for: a SIGNATURE policy as it is, an
 * IMPLICIT_META policy as NOutOf(threshold) over its sub-groups' policies of that name, converted
 * in turn, with their principals de-duplicated. Fabric converts sub-groups in Go map order; this
 * takes them in name order, which changes only the order of identities and rules.
 *
 * @param config - the channel config in force.
 * @param policyPath - e.g. `/Channel/Application/Endorsement`.
 * @throws PolicyInquiryError if the path names no policy, a policy does not decode, or a sub-group
 *   lacks the sub-policy (Fabric's reject policy, which cannot be converted).
 */
export function convertPolicy(config: common.Config, policyPath: string): common.SignaturePolicyEnvelope {
  const root = config.getChannelGroup();
  const segments = policyPath.split(SEPARATOR);
  if (root === undefined || segments[0] !== '' || segments[1] !== 'Channel' || segments.length < 3) {
    throw new PolicyInquiryError(`no such policy: '${policyPath}'`);
  }
  let group = root;
  for (const name of segments.slice(2, -1)) {
    const next = group.getGroupsMap().get(name);
    if (next === undefined) throw new PolicyInquiryError(`no such policy: '${policyPath}'`);
    group = next;
  }
  return convertInGroup(group, segments[segments.length - 1], policyPath, 0);
}

function convertInGroup(group: common.ConfigGroup, name: string, path: string, depth: number): common.SignaturePolicyEnvelope {
  const policy = group.getPoliciesMap().get(name)?.getPolicy();
  if (policy === undefined) throw new PolicyInquiryError(`no such policy: '${path}'`);
  if (depth > 16) throw new PolicyInquiryError(`policy ${path} nests too deeply`);
  try {
    if (policy.getType() === common.Policy.PolicyType.SIGNATURE) {
      return common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8());
    }
    if (policy.getType() === common.Policy.PolicyType.IMPLICIT_META) {
      const meta = common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
      const subGroups = ([...group.getGroupsMap().entries()] as [string, common.ConfigGroup][]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const converted = new common.SignaturePolicyEnvelope();
      converted.setVersion(0);
      const outOf = new common.SignaturePolicy.NOutOf();
      outOf.setN(implicitMetaThreshold(meta.getRule(), subGroups.length));
      const rule = new common.SignaturePolicy();
      rule.setNOutOf(outOf);
      converted.setRule(rule);
      subGroups.forEach(([subName, subGroup], i) => {
        const subPath = `${path.slice(0, path.lastIndexOf(SEPARATOR))}/${subName}/${meta.getSubPolicy()}`;
        let sub: common.SignaturePolicyEnvelope;
        try {
          sub = convertInGroup(subGroup, meta.getSubPolicy(), subPath, depth + 1);
        } catch (err) {
          throw new PolicyInquiryError(`failed to convert subpolicy number ${i} of policy ${meta.getSubPolicy()}: ${(err as Error).message}`);
        }
        merge(converted, sub);
      });
      return converted;
    }
  } catch (err) {
    if (err instanceof PolicyInquiryError) throw err;
    throw new PolicyInquiryError(`policy ${path} does not decode: ${(err as Error).message}`);
  }
  throw new PolicyInquiryError(`policy ${path} of type ${policy.getType()} is not convertible to SignaturePolicyEnvelope`);
}

/** Fabric's thresholds; an unknown rule leaves 0, as Fabric's switch does. */
function implicitMetaThreshold(rule: number, subGroups: number): number {
  if (subGroups === 0) return 0;
  switch (rule) {
    case common.ImplicitMetaPolicy.Rule.ANY:
      return 1;
    case common.ImplicitMetaPolicy.Rule.ALL:
      return subGroups;
    case common.ImplicitMetaPolicy.Rule.MAJORITY:
      return Math.floor(subGroups / 2) + 1;
    default:
      return 0;
  }
}

/** Appends `that` as one more rule of `into`'s NOutOf, sharing principals already in `into`. */
function merge(into: common.SignaturePolicyEnvelope, that: common.SignaturePolicyEnvelope): void {
  const identities = into.getIdentitiesList();
  const index = new Map(identities.map((p, i) => [principalKey(p), i]));
  const remap = that.getIdentitiesList().map((p) => {
    const key = principalKey(p);
    const existing = index.get(key);
    if (existing !== undefined) return existing;
    index.set(key, identities.length);
    identities.push(p);
    return identities.length - 1;
  });
  into.setIdentitiesList(identities);
  const thatRule = that.getRule();
  if (thatRule === undefined) throw new PolicyInquiryError('nil policy field');
  into.getRule()?.getNOutOf()?.addRules(remapRule(thatRule, remap));
}

function remapRule(rule: common.SignaturePolicy, remap: readonly number[]): common.SignaturePolicy {
  const out = new common.SignaturePolicy();
  if (rule.getTypeCase() === common.SignaturePolicy.TypeCase.SIGNED_BY) {
    const target = remap.at(rule.getSignedBy());
    if (rule.getSignedBy() < 0 || target === undefined) throw new PolicyInquiryError(`identity index out of range, requested ${rule.getSignedBy()}`);
    out.setSignedBy(target);
    return out;
  }
  const outOf = rule.getNOutOf();
  if (outOf === undefined) throw new PolicyInquiryError('invalid policy type');
  const copy = new common.SignaturePolicy.NOutOf();
  copy.setN(outOf.getN());
  copy.setRulesList(outOf.getRulesList().map((r) => remapRule(r, remap)));
  out.setNOutOf(copy);
  return out;
}

/** A principal's identity for de-duplication and grouping: its classification and bytes. */
export function principalKey(principal: msp.MSPPrincipal): string {
  return `${principal.getPrincipalClassification()}:${Buffer.from(principal.getPrincipal_asU8()).toString('base64')}`;
}

/** A leaf that is not a principal (an NOutOf chosen with no children): Fabric then gives up on the whole policy. */
const MALFORMED = Symbol('malformed');
type Expansion = (msp.MSPPrincipal | typeof MALFORMED)[][];

/**
 * Every set of principals (with repetitions) that satisfies a signature policy: Fabric's
 * inquireableSignaturePolicy.SatisfiedBy. A node with more than 10,000 combinations of its
 * children loses children until it has no more (Fabric drops random ones; this drops the last
 * ones, so the answer is the same every time). Empty when the policy cannot be satisfied or is
 * malformed (a SignedBy index out of range, or an NOutOf of 0 that some choice reaches).
 *
 * @param envelope - the signature policy.
 * @returns the principal sets, each in the order of its leaves.
 */
export function satisfiedBy(envelope: common.SignaturePolicyEnvelope): msp.MSPPrincipal[][] {
  const rule = envelope.getRule();
  if (rule === undefined) return [];
  const expansion = expand(rule, envelope.getIdentitiesList());
  if (expansion === undefined) return [];
  const sets: msp.MSPPrincipal[][] = [];
  for (const set of expansion) {
    if (set.length === 0 || set.some((p) => p === MALFORMED)) return [];
    sets.push(set as msp.MSPPrincipal[]);
  }
  return sets;
}

/** The sets of one node; undefined when a SignedBy index is out of range. */
function expand(rule: common.SignaturePolicy, principals: readonly msp.MSPPrincipal[]): Expansion | undefined {
  if (rule.getTypeCase() === common.SignaturePolicy.TypeCase.SIGNED_BY) {
    const principal = rule.getSignedBy() >= 0 ? principals.at(rule.getSignedBy()) : undefined;
    return principal === undefined ? undefined : [[principal]];
  }
  const outOf = rule.getNOutOf();
  if (outOf === undefined) return [[MALFORMED]];
  const n = outOf.getN();
  let children = outOf.getRulesList();
  if (children.length === 0) return [[MALFORMED]];
  while (binomialExceeds(children.length, n, COMBINATIONS_UPPER_BOUND)) children = children.slice(0, -1);
  if (n === 0) return [[MALFORMED]];
  const expanded: Expansion[] = [];
  for (const child of children) {
    const e = expand(child, principals);
    if (e === undefined) return undefined;
    expanded.push(e);
  }
  const result: Expansion = [];
  for (const chosen of combinations(children.length, n)) {
    let product: Expansion = [[]];
    for (const i of chosen) product = product.flatMap((prefix) => expanded[i].map((set) => [...prefix, ...set]));
    result.push(...product);
  }
  return result;
}

/** k-subsets of 0..n-1 in Fabric's order (each index taken before it is skipped). */
export function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const walk = (i: number, current: number[]): void => {
    if (current.length === k) {
      out.push(current);
      return;
    }
    if (k - current.length > n - i) return;
    walk(i + 1, [...current, i]);
    walk(i + 1, current);
  };
  walk(0, []);
  return out;
}

function binomialExceeds(n: number, k: number, bound: number): boolean {
  if (n < k || k < 0) return false;
  let c = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) {
    c = (c * (n - i + 1)) / i;
    if (c > bound) return true;
  }
  return c > bound;
}
