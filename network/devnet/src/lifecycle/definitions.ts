/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Chaincode definitions and approvals in the `_lifecycle` namespace of a channel's state. Fabric
 * keeps committed definitions in public state and each organisation's approvals in its implicit
 * private collection; the devnet keeps both as public keys, approvals under a prefix per
 * organisation (`approvals/<mspId>/<name>#<sequence>`) that only a transaction endorsed by that
 * organisation may write (see {@link lifecycleWriteOwners}), which gives the same rules: an
 * organisation approves for itself only, and a new approval of a sequence replaces its last one.
 */
import { common, peer } from '@hyperledger/fabric-protos';

export const LIFECYCLE = '_lifecycle';
/** The channel policy a definition without an explicit endorsement policy gets. */
export const DEFAULT_ENDORSEMENT_POLICY_REF = '/Channel/Application/Endorsement';
/** The policy the endorsements of a commit (and the approvals) must satisfy. */
export const LIFECYCLE_ENDORSEMENT_POLICY = '/Channel/Application/LifecycleEndorsement';

const DEFINITION_PREFIX = 'definitions/';
const APPROVAL_PREFIX = 'approvals/';

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

export function definitionKey(name: string): string {
  return `${DEFINITION_PREFIX}${name}`;
}

export function approvalKey(mspId: string, name: string, sequence: number): string {
  return `${APPROVAL_PREFIX}${mspId}/${name}#${sequence}`;
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

const ENCODING_VERSION = 1;

interface Stored {
  v: number;
  name: string;
  sequence: number;
  version: string;
  endorsementPlugin: string;
  validationPlugin: string;
  validationParameter: string;
  initRequired: boolean;
  collections: string;
  packageId?: string;
}

export function encodeApproval(a: Approval): Buffer {
  return encode(a, a.packageId);
}

export function encodeDefinition(d: DefinitionParams): Buffer {
  return encode(d);
}

function encode(d: DefinitionParams, packageId?: string): Buffer {
  const stored: Stored = {
    v: ENCODING_VERSION,
    name: d.name,
    sequence: d.sequence,
    version: d.version,
    endorsementPlugin: d.endorsementPlugin,
    validationPlugin: d.validationPlugin,
    validationParameter: Buffer.from(d.validationParameter).toString('base64'),
    initRequired: d.initRequired,
    collections: Buffer.from(d.collections).toString('base64'),
    ...(packageId === undefined ? {} : { packageId }),
  };
  return Buffer.from(JSON.stringify(stored), 'utf8');
}

/** @throws Error when the bytes are not a value this module wrote. */
export function decodeApproval(bytes: Uint8Array): Approval {
  const s = decodeStored(bytes);
  return { ...paramsOf(s), packageId: s.packageId ?? '' };
}

export function decodeDefinition(bytes: Uint8Array): DefinitionParams {
  return paramsOf(decodeStored(bytes));
}

function decodeStored(bytes: Uint8Array): Stored {
  const s = JSON.parse(Buffer.from(bytes).toString('utf8')) as Stored;
  if (s.v !== ENCODING_VERSION || typeof s.name !== 'string' || typeof s.sequence !== 'number') throw new Error('not a _lifecycle value of this devnet');
  return s;
}

function paramsOf(s: Stored): DefinitionParams {
  return {
    name: s.name,
    sequence: s.sequence,
    version: s.version,
    endorsementPlugin: s.endorsementPlugin,
    validationPlugin: s.validationPlugin,
    validationParameter: Buffer.from(s.validationParameter, 'base64'),
    initRequired: s.initRequired,
    collections: Buffer.from(s.collections, 'base64'),
  };
}

/**
 * Who must endorse a `_lifecycle` transaction, from the keys it writes: each organisation whose
 * approvals it writes (Fabric's implicit collection policy, a member of that organisation), and
 * the channel's LifecycleEndorsement policy when it writes a definition.
 * @returns undefined for a key `_lifecycle` never writes (the transaction is then invalid).
 */
export function lifecycleWriteOwners(keys: readonly string[]): { orgs: string[]; definition: boolean } | undefined {
  const orgs = new Set<string>();
  let definition = false;
  for (const key of keys) {
    if (key.startsWith(DEFINITION_PREFIX)) {
      definition = true;
    } else if (key.startsWith(APPROVAL_PREFIX)) {
      const org = key.slice(APPROVAL_PREFIX.length).split('/', 1)[0];
      if (org === '') return undefined;
      orgs.add(org);
    } else {
      return undefined;
    }
  }
  return { orgs: [...orgs], definition };
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

export const DEFINITION_RANGE = { start: DEFINITION_PREFIX, end: `${DEFINITION_PREFIX.slice(0, -1)}0` };
