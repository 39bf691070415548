/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Whether a CONFIG_UPDATE's signatures authorise it against a channel config, as Fabric's configtx
 * validator decides it (verifyDeltaSet's policy check): the mod_policy of every EXISTING element
 * the update changes, resolved in that element's own group, evaluated over the ConfigSignatures
 * (each over signature_header || config_update as received; invalid or duplicate signers do not
 * count). New elements are authorised by their parent group's change. The orderer checks this and
 * more (read set, versions, the resulting config: the network's own validation, e.g. the devnet's
 * orderer/configValidation.ts); a client asks it before submitting, to know whether the
 * signatures it holds are enough.
 */
import { common } from '@hyperledger/fabric-protos';
import { MspRegistry } from '../msp';
import type { Identity } from '../msp';
import { deltaSet, elementModPolicy, mapConfig, modPolicyPath, updateError } from './configMap';
import { readMsps } from './decode';
import type { ConfigUpdateError } from './errors';
import type { SignedData } from './policy';
import { evaluatePolicyForIdentities, hasPolicy, policySignerMspIds, validIdentities } from './policy';

/** A CONFIG_UPDATE envelope's content. */
export interface DecodedConfigUpdate {
  /** The ConfigUpdate, decoded from the exact bytes received. */
  readonly configUpdate: common.ConfigUpdate;
  /** Each ConfigSignature as signed data: its creator over signature_header || config_update. */
  readonly signedData: SignedData[];
}

/**
 * Reads a CONFIG_UPDATE envelope as the orderer does (Fabric's UnmarshalConfigUpdateFromPayload
 * and the configtx validator's signature set): the ConfigUpdate and its signatures, over the
 * ConfigUpdate bytes as received, never a re-encoding.
 *
 * @param channelId - the channel the envelope must be for.
 * @param envelope - the envelope as received.
 * @returns the ConfigUpdate and the signed data of its ConfigSignatures.
 * @throws ConfigUpdateError (`CONFIG_UPDATE_MALFORMED`) if it does not decode or is not a
 *   CONFIG_UPDATE, (`CONFIG_UPDATE_WRONG_CHANNEL`) if it is for another channel.
 */
export function decodeConfigUpdateEnvelope(channelId: string, envelope: common.Envelope): DecodedConfigUpdate {
  const malformed = (message: string, cause?: unknown): ConfigUpdateError =>
    updateError('CONFIG_UPDATE_MALFORMED', `error converting envelope to config update: ${message}`, undefined, cause);
  let payload: common.Payload;
  let channelHeader: common.ChannelHeader;
  let configUpdateEnvelope: common.ConfigUpdateEnvelope;
  try {
    payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  } catch (error) {
    throw malformed(`bad payload: ${String(error)}`, error);
  }
  const header = payload.getHeader();
  if (header === undefined) throw malformed('envelope must have a Header');
  try {
    channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  } catch (error) {
    throw malformed(`invalid ChannelHeader: ${String(error)}`, error);
  }
  if (channelHeader.getType() !== common.HeaderType.CONFIG_UPDATE) {
    throw malformed(`not a tx of type CONFIG_UPDATE (header type ${channelHeader.getType()})`);
  }
  if (channelHeader.getChannelId() !== channelId) {
    throw updateError(
      'CONFIG_UPDATE_WRONG_CHANNEL',
      `envelope is for channel '${channelHeader.getChannelId()}' but this is channel '${channelId}'`,
    );
  }
  try {
    configUpdateEnvelope = common.ConfigUpdateEnvelope.deserializeBinary(payload.getData_asU8());
  } catch (error) {
    throw malformed(`bad config update envelope: ${String(error)}`, error);
  }
  // The exact received bytes: signatures are over these, never over a re-encoding.
  const configUpdateBytes = configUpdateEnvelope.getConfigUpdate_asU8();
  let configUpdate: common.ConfigUpdate;
  try {
    configUpdate = common.ConfigUpdate.deserializeBinary(configUpdateBytes);
  } catch (error) {
    throw updateError('CONFIG_UPDATE_MALFORMED', `error authorizing update: ${String(error)}`, undefined, error);
  }
  const signedData = configUpdateEnvelope.getSignaturesList().map((configSignature): SignedData => {
    const headerBytes = configSignature.getSignatureHeader_asU8();
    let signatureHeader: common.SignatureHeader;
    try {
      signatureHeader = common.SignatureHeader.deserializeBinary(headerBytes);
    } catch (error) {
      throw updateError('CONFIG_UPDATE_MALFORMED', `error authorizing update: bad signature header: ${String(error)}`, undefined, error);
    }
    return {
      identity: signatureHeader.getCreator_asU8(),
      data: Buffer.concat([headerBytes, configUpdateBytes]),
      signature: configSignature.getSignature_asU8(),
    };
  });
  return { configUpdate, signedData };
}

/** The answer of {@link checkUpdateAuthorised}. */
export type UpdateAuthorisation = UpdateAuthorised | UpdateNotAuthorised;

/** Every mod_policy the update must satisfy is satisfied. */
export interface UpdateAuthorised {
  readonly ok: true;
  /** Keys of the elements the update changes (its delta set), sorted. */
  readonly changedKeys: readonly string[];
  /** MSP IDs of the valid, distinct signers, in signature order. */
  readonly signers: readonly string[];
}

/** The first mod_policy (in key order) the signatures do not satisfy. */
export interface UpdateNotAuthorised {
  readonly ok: false;
  /** Keys of the elements the update changes (its delta set), sorted. */
  readonly changedKeys: readonly string[];
  /** The existing element whose mod_policy is not satisfied, e.g. `[Value]  /Channel/Orderer/BatchSize`. */
  readonly key: string;
  /** Its mod_policy as written, e.g. `Admins`. */
  readonly modPolicy: string;
  /** The same, resolved to an absolute path, e.g. `/Channel/Orderer/Admins`. */
  readonly policy: string;
  /** The config has no such policy (no signature set can satisfy it). */
  readonly missing: boolean;
  /** Why, in Fabric's words (e.g. `implicit policy evaluation failed - 2 sub-policies were satisfied, ...`). */
  readonly reason: string;
  /** MSP IDs of the valid, distinct signers, in signature order. */
  readonly signers: readonly string[];
}

/**
 * Does this set of signatures satisfy this update's mod_policies against this config? The check
 * the orderer makes on the signatures of a CONFIG_UPDATE (see the module comment), without its
 * other checks: a client holding some admins' ConfigSignatures asks it before broadcasting.
 *
 * @param channelId - the channel `config` belongs to.
 * @param config - the channel's current config.
 * @param updateEnvelope - the CONFIG_UPDATE envelope (see buildConfigUpdateEnvelope).
 * @param msps - the channel's MSPs; by default built from {@link readMsps} of `config`.
 * @returns `{ ok: true, ... }`, or the first unsatisfied mod_policy and who signed.
 * @throws ConfigUpdateError if the envelope is not a well-formed CONFIG_UPDATE for the channel
 *   (`CONFIG_UPDATE_MALFORMED`, `CONFIG_UPDATE_WRONG_CHANNEL`), names an illegal key
 *   (`CONFIG_UPDATE_BAD_MOD_POLICY`), or changes nothing (`CONFIG_UPDATE_EMPTY`): no signature
 *   set authorises those.
 */
export function checkUpdateAuthorised(
  channelId: string,
  config: common.Config,
  updateEnvelope: common.Envelope,
  msps: MspRegistry = new MspRegistry(readMsps(config)),
): UpdateAuthorisation {
  const { configUpdate, signedData } = decodeConfigUpdateEnvelope(channelId, updateEnvelope);
  const authorizing = (message: string): string => `error authorizing update: ${message}`;
  if (configUpdate.getChannelId() !== channelId) {
    throw updateError(
      'CONFIG_UPDATE_WRONG_CHANNEL',
      authorizing(`ConfigUpdate for channel '${configUpdate.getChannelId()}' but envelope for channel '${channelId}'`),
    );
  }
  const currentMap = mapConfig(config.getChannelGroup(), 'current config');
  const delta = deltaSet(mapConfig(configUpdate.getReadSet(), 'ReadSet'), mapConfig(configUpdate.getWriteSet(), 'WriteSet'));
  if (delta.size === 0) {
    throw updateError('CONFIG_UPDATE_EMPTY', authorizing('error validating DeltaSet: delta set was empty -- update would have no effect'));
  }

  // Verify every signature once; each mod_policy is then evaluated over the same signers.
  let identities: Identity[] | undefined;
  const signers = (): string[] => (identities ??= validIdentities(signedData, msps)).map((identity) => identity.mspId);
  const changedKeys = [...delta.keys()].sort();
  for (const key of changedKeys) {
    const existing = currentMap.get(key);
    // A new element is authorised by its parent group's change, which the delta also holds.
    if (existing === undefined) continue;
    const modPolicy = elementModPolicy(existing);
    const policy = modPolicyPath(existing);
    if (!hasPolicy(config, policy)) {
      return { ok: false, changedKeys, key, modPolicy, policy, missing: true, reason: `no such policy: '${policy}'`, signers: signers() };
    }
    identities ??= validIdentities(signedData, msps);
    const verdict = evaluatePolicyForIdentities(config, policy, identities, msps);
    if (!verdict.ok) return { ok: false, changedKeys, key, modPolicy, policy, missing: false, reason: verdict.reason, signers: signers() };
  }
  return { ok: true, changedKeys, signers: signers() };
}

/**
 * The orderer's refusal of an update whose signatures do not authorise it, in Fabric's words.
 *
 * @param refusal - a failed {@link checkUpdateAuthorised}.
 * @returns a ConfigUpdateError (`CONFIG_UPDATE_POLICY_NOT_SATISFIED`) naming the element.
 */
export function authorisationError(refusal: UpdateNotAuthorised): ConfigUpdateError {
  const detail = refusal.missing
    ? `unexpected missing policy ${refusal.modPolicy} for item ${refusal.key}`
    : `policy for ${refusal.key} not satisfied: ${refusal.reason}`;
  return updateError('CONFIG_UPDATE_POLICY_NOT_SATISFIED', `error authorizing update: error validating DeltaSet: ${detail}`, refusal.key);
}

/** One mod_policy an update must satisfy. */
export interface UpdateRequirement {
  /** The existing element the update changes, e.g. `[Value]  /Channel/Orderer/BatchSize`. */
  readonly key: string;
  /** Its mod_policy resolved to an absolute path, e.g. `/Channel/Orderer/Admins`. */
  readonly policy: string;
  /** Organisations whose admins' signatures count towards it (see policySignerMspIds). */
  readonly mspIds: readonly string[];
}

/**
 * The mod_policies an update must satisfy against a config, one per policy (the first element
 * that needs it names it): whose signatures to collect before anything is broadcast.
 *
 * @param config - the channel's current config.
 * @param configUpdate - the update.
 * @returns the requirements, sorted by policy path.
 */
export function updateRequirements(config: common.Config, configUpdate: common.ConfigUpdate): UpdateRequirement[] {
  const currentMap = mapConfig(config.getChannelGroup(), 'current config');
  const delta = deltaSet(mapConfig(configUpdate.getReadSet(), 'ReadSet'), mapConfig(configUpdate.getWriteSet(), 'WriteSet'));
  const byPolicy = new Map<string, UpdateRequirement>();
  for (const key of [...delta.keys()].sort()) {
    const existing = currentMap.get(key);
    if (existing === undefined) continue;
    const policy = modPolicyPath(existing);
    if (!byPolicy.has(policy)) byPolicy.set(policy, { key, policy, mspIds: policySignerMspIds(config, policy) });
  }
  return [...byPolicy.values()].sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0));
}
