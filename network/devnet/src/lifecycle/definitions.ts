/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Chaincode definitions and approvals of `_lifecycle`: their parameters, Fabric's defaults, and
 * who must endorse a `_lifecycle` transaction. As in Fabric, committed definitions are public
 * state and each organisation's approvals are private data in its implicit collection
 * (./stateLayout.ts has the keys and serialization), so an organisation approves for itself
 * only (its collection's endorsement policy) and a new approval of a sequence replaces its last.
 */
import { common, peer } from '@hyperledger/fabric-protos';
import { IMPLICIT_COLLECTION_PREFIX } from '../privdata/collections';

export const LIFECYCLE = '_lifecycle';
/** The channel policy a definition without an explicit endorsement policy gets. */
export const DEFAULT_ENDORSEMENT_POLICY_REF = '/Channel/Application/Endorsement';
/** The policy the endorsements of a commit (and the approvals) must satisfy. */
export const LIFECYCLE_ENDORSEMENT_POLICY = '/Channel/Application/LifecycleEndorsement';

/** The parameters every organisation must approve alike (Fabric's ChaincodeParameters). */
export interface DefinitionParams {
  name: string;
  sequence: number;
  version: string;
  endorsementPlugin: string;
  validationPlugin: string;
  /** A serialized peer.ApplicationPolicy. */
  validationParameter: Uint8Array;
  initRequired: boolean;
  /** A serialized peer.CollectionConfigPackage (empty for none). */
  collections: Uint8Array;
}

/** An organisation's approval: the parameters and the package its peers run (empty: none). */
export interface Approval extends DefinitionParams {
  packageId: string;
}

/** Fabric's SetChaincodeDefinitionDefaults: escc, vscc and the channel's Endorsement policy. */
export function withDefaults<T extends DefinitionParams>(params: T): T {
  return {
    ...params,
    endorsementPlugin: params.endorsementPlugin === '' ? 'escc' : params.endorsementPlugin,
    validationPlugin: params.validationPlugin === '' ? 'vscc' : params.validationPlugin,
    validationParameter: params.validationParameter.length === 0 ? defaultApplicationPolicy() : params.validationParameter,
  };
}

function defaultApplicationPolicy(): Uint8Array {
  const policy = new peer.ApplicationPolicy();
  policy.setChannelConfigPolicyReference(DEFAULT_ENDORSEMENT_POLICY_REF);
  return policy.serializeBinary();
}

/** The fields in which an approval differs from a definition, named as Fabric's mismatches are. */
export function mismatches(a: DefinitionParams, b: DefinitionParams): string[] {
  const out: string[] = [];
  if (a.version !== b.version) out.push('Version');
  if (a.endorsementPlugin !== b.endorsementPlugin) out.push('EndorsementPlugin');
  if (a.initRequired !== b.initRequired) out.push('InitRequired');
  if (a.validationPlugin !== b.validationPlugin) out.push('ValidationPlugin');
  if (!Buffer.from(a.validationParameter).equals(Buffer.from(b.validationParameter))) out.push('ValidationParameter');
  if (!Buffer.from(a.collections).equals(Buffer.from(b.collections))) out.push('Collections');
  return out;
}

/**
 * Which policies the endorsements of a `_lifecycle` transaction must satisfy (Fabric's validation
 * of `_lifecycle`: LifecycleEndorsement for the chaincode, each collection's own policy for its
 * writes): LifecycleEndorsement when it writes public state (a committed definition) or nothing
 * at all, and the implicit collection's policy of each organisation whose approval it writes.
 * @returns undefined when it writes a collection other than an organisation's implicit one (invalid).
 */
export function lifecycleWriteRule(writes: { publicWrites: boolean; collections: readonly string[] }): { orgs: string[]; lifecycleEndorsement: boolean } | undefined {
  const orgs: string[] = [];
  for (const collection of writes.collections) {
    if (!collection.startsWith(IMPLICIT_COLLECTION_PREFIX) || collection.length === IMPLICIT_COLLECTION_PREFIX.length) return undefined;
    orgs.push(collection.slice(IMPLICIT_COLLECTION_PREFIX.length));
  }
  return { orgs, lifecycleEndorsement: writes.publicWrites || writes.collections.length === 0 };
}

/** The endorsement policy a definition names: a channel policy path, or a signature policy. */
export type EndorsementPolicy = { ref: string } | { signature: common.SignaturePolicyEnvelope };

/** @throws Error when the validation parameter is not an ApplicationPolicy. */
export function endorsementPolicyOf(validationParameter: Uint8Array): EndorsementPolicy {
  const policy = peer.ApplicationPolicy.deserializeBinary(validationParameter);
  const envelope = policy.getSignaturePolicy();
  if (envelope) return { signature: envelope };
  const ref = policy.getChannelConfigPolicyReference();
  if (ref === '') throw new Error('the endorsement policy is neither a signature policy nor a channel policy reference');
  return { ref };
}

