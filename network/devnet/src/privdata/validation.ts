/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The checks `_lifecycle` makes of a definition's collection configuration on approve and
 * commit (core/chaincode/lifecycle/scc.go validateCollectionConfigs and
 * validateCollConfigsAgainstCommittedDef), with Fabric's messages.
 */
import { common, msp } from '@hyperledger/fabric-protos';
import { staticCollections } from './collections';

/** Fabric's collectionNameRegExp: no leading '_', so no `_implicit_org_` name either. */
const COLLECTION_NAME = /^[A-Za-z0-9-]+([A-Za-z0-9_-]+)*$/;

/**
 * @param pkg - the proposed serialized CollectionConfigPackage (empty: none).
 * @param channelMspIds - the MSP IDs of the channel's organisations.
 * @param committed - the committed definition's package, when there is one.
 * @throws Error with Fabric's reason for the first problem found.
 */
export function validateCollectionConfigs(pkg: Uint8Array, channelMspIds: ReadonlySet<string>, committed?: Uint8Array): void {
  const proposed = staticCollections(pkg);
  const names = new Set<string>();
  for (const c of proposed) {
    const name = c.getName();
    if (!COLLECTION_NAME.test(name)) {
      throw new Error(`invalid collection name '${name}'. Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'`);
    }
    if (names.has(name)) throw new Error(`collection-name: ${name} -- found duplicate in collection configuration`);
    names.add(name);
    if (c.getMaximumPeerCount() < c.getRequiredPeerCount()) {
      throw new Error(`collection-name: ${name} -- maximum peer count (${c.getMaximumPeerCount()}) cannot be less than the required peer count (${c.getRequiredPeerCount()})`);
    }
    if (c.getRequiredPeerCount() < 0) throw new Error(`collection-name: ${name} -- requiredPeerCount (${c.getRequiredPeerCount()}) cannot be less than zero`);
    const policy = c.getMemberOrgsPolicy();
    if (!policy) throw new Error(`collection member policy is not set for collection '${name}'`);
    const envelope = policy.getSignaturePolicy();
    if (!envelope) throw new Error(`collection member org policy is empty for collection '${name}'`);
    const orConcat = orConcatProblem(envelope.getRule());
    if (orConcat) throw new Error(`collection-name: ${name} -- error in member org policy: ${orConcat}`);
    for (const principal of envelope.getIdentitiesList()) checkPrincipal(name, principal, channelMspIds);
  }
  if (committed === undefined) return;
  const previous = staticCollections(committed);
  if (previous.length === 0) return;
  if (proposed.length === 0) throw new Error('the proposed collection config does not contain previously defined collections');
  const byName = new Map(proposed.map((c) => [c.getName(), c]));
  for (const old of previous) {
    const next = byName.get(old.getName());
    if (!next) throw new Error(`existing collection [${old.getName()}] missing in the proposed collection configuration`);
    if (next.getBlockToLive() !== old.getBlockToLive()) {
      throw new Error(`the BlockToLive in an existing collection [${old.getName()}] modified. Existing value [${old.getBlockToLive()}]`);
    }
  }
}

/** Fabric's validateSpOrConcat: a member policy may only be an OR of principals. */
function orConcatProblem(rule: common.SignaturePolicy | undefined): string | undefined {
  const outOf = rule?.getNOutOf();
  if (!outOf) return undefined;
  if (outOf.getN() !== 1) return `signature policy is not an OR concatenation, NOutOf ${outOf.getN()}`;
  for (const sub of outOf.getRulesList()) {
    const problem = orConcatProblem(sub);
    if (problem) return problem;
  }
  return undefined;
}

function checkPrincipal(name: string, principal: msp.MSPPrincipal, channelMspIds: ReadonlySet<string>): void {
  const notInChannel = (org: string): Error => new Error(`collection-name: ${name} -- collection member '${org}' is not part of the channel`);
  const bytes = principal.getPrincipal_asU8();
  switch (principal.getPrincipalClassification()) {
    case msp.MSPPrincipal.Classification.ROLE: {
      const org = decodeOr(() => msp.MSPRole.deserializeBinary(bytes).getMspIdentifier(), `collection-name: ${name} -- cannot unmarshal identity bytes into MSPRole`);
      if (!channelMspIds.has(org)) throw notInChannel(org);
      return;
    }
    case msp.MSPPrincipal.Classification.ORGANIZATION_UNIT: {
      const org = decodeOr(() => msp.OrganizationUnit.deserializeBinary(bytes).getMspIdentifier(), `collection-name: ${name} -- cannot unmarshal identity bytes into OrganizationUnit`);
      if (!channelMspIds.has(org)) throw notInChannel(org);
      return;
    }
    case msp.MSPPrincipal.Classification.IDENTITY: {
      const org = decodeOr(() => msp.SerializedIdentity.deserializeBinary(bytes).getMspid(), `collection-name: ${name} -- contains an identity that is not part of the channel`);
      if (!channelMspIds.has(org)) throw new Error(`collection-name: ${name} -- contains an identity that is not part of the channel`);
      return;
    }
    default:
      throw new Error(`collection-name: ${name} -- principal type ${principal.getPrincipalClassification()} is not supported`);
  }
}

function decodeOr(fn: () => string, message: string): string {
  try {
    return fn();
  } catch {
    throw new Error(message);
  }
}
