/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Config updates validated as the orderer does (common/configtx: read set versions, delta versions,
 * the existing elements' mod_policy, then the resulting config). Signed bytes are never
 * re-encoded: signatures are checked over the ConfigUpdate bytes exactly as received. The
 * signature check itself is fabric-config's checkUpdateAuthorised, which clients ask too.
 */
import { common, orderer } from '@hyperledger/fabric-protos';
import {
  ConfigKey,
  ConfigUpdateError,
  authorisationError,
  capabilitiesProblem,
  checkUpdateAuthorised,
  configAfterUpdate,
  configIdProblem,
  decodeConfigUpdateEnvelope,
  deltaSet,
  elementModPolicy,
  elementVersion,
  mapConfig,
  readBatchParams,
  readMsps,
  updateError,
} from 'fabric-config/configtx';
import type { ConfigElement } from 'fabric-config/configtx';
import { MspRegistry } from 'fabric-config/msp';

function modPolicyProblem(modPolicy: string): string | undefined {
  if (modPolicy === '') return 'mod_policy not set';
  const trimmed = modPolicy.startsWith('/') ? modPolicy.slice(1) : modPolicy;
  const segments = trimmed.split('/');
  for (let i = 0; i < segments.length; i++) {
    const problem = configIdProblem(segments[i] ?? '');
    if (problem !== undefined) return `path element at ${i} is invalid: ${problem}`;
  }
  return undefined;
}

function checkPolicies(config: common.Config): void {
  const visit = (group: common.ConfigGroup, path: string): void => {
    for (const [name, configPolicy] of group.getPoliciesMap().entries()) {
      const policy = configPolicy.getPolicy();
      const where = `${path}/${name}`;
      try {
        if (policy?.getType() === common.Policy.PolicyType.SIGNATURE) common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8());
        else if (policy?.getType() === common.Policy.PolicyType.IMPLICIT_META) common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
        else throw new Error(`unknown policy type: ${policy?.getType() ?? 'none'}`);
      } catch (error) {
        throw updateError('CONFIG_UPDATE_INVALID_CONFIG', `error processing policy ${where}: ${String(error)}`, `[Policy] ${where}`, error);
      }
    }
    for (const [name, child] of group.getGroupsMap().entries()) visit(child, `${path}/${name}`);
  };
  const root = config.getChannelGroup();
  if (root !== undefined) visit(root, `/${ConfigKey.channelGroup}`);
}

function capabilityNames(group: common.ConfigGroup | undefined): string[] {
  const bytes = group?.getValuesMap().get(ConfigKey.capabilities)?.getValue_asU8();
  return bytes === undefined ? [] : [...common.Capabilities.deserializeBinary(bytes).getCapabilitiesMap().keys()];
}

function consensusTypeOf(config: common.Config): string | undefined {
  const bytes = config.getChannelGroup()?.getGroupsMap().get(ConfigKey.ordererGroup)?.getValuesMap().get(ConfigKey.consensusType)?.getValue_asU8();
  return bytes === undefined ? undefined : orderer.ConsensusType.deserializeBinary(bytes).getType();
}

/** Re-validates the whole resulting config, as the orderer does before accepting it. */
function validateResultingConfig(current: common.Config, next: common.Config): void {
  const invalid = (message: string, cause?: unknown): ConfigUpdateError => updateError('CONFIG_UPDATE_INVALID_CONFIG', message, undefined, cause);
  try {
    readBatchParams(next);
    // The channel's MSP registry is rebuilt from the new config once it is committed, so a root
    // certificate that does not parse must be refused now, not after the block is written.
    try {
      new MspRegistry(readMsps(next));
    } catch (error) {
      throw invalid(`error processing MSP config: ${(error as Error).message}`, error);
    }
    const root = next.getChannelGroup();
    for (const [level, group] of [
      ['channel', root],
      ['orderer', root?.getGroupsMap().get(ConfigKey.ordererGroup)],
      ['application', root?.getGroupsMap().get(ConfigKey.applicationGroup)],
    ] as const) {
      const problem = capabilitiesProblem(level, capabilityNames(group));
      if (problem !== undefined) throw invalid(problem);
    }
    const before = consensusTypeOf(current);
    const after = consensusTypeOf(next);
    if (after === undefined) throw invalid('config has no /Channel/Orderer/ConsensusType value');
    // Fabric allows a type change only through maintenance mode; the devnet has one orderer kind.
    if (before !== after) throw invalid(`attempted to change consensus type from ${before ?? 'none'} to ${after}`);
  } catch (error) {
    if (error instanceof ConfigUpdateError) throw error;
    throw invalid((error as Error).message, error);
  }
  checkPolicies(next);
}

/** The result of an accepted config update. */
export interface AppliedConfigUpdate {
  /** The new config, at the current sequence + 1. */
  readonly config: common.Config;
  /** The ConfigUpdate, decoded from the envelope (for its isolated data). */
  readonly configUpdate: common.ConfigUpdate;
  /** Fabric keys of the changed elements, sorted, e.g. `[Value]  /Channel/Orderer/BatchTimeout`. */
  readonly changedKeys: readonly string[];
}

/**
 * Validates a CONFIG_UPDATE envelope against the current config and returns the next config, as
 * Fabric's orderer does (configtx.ValidatorImpl.ProposeConfigUpdate), then re-validates the result.
 * The envelope's own signature (the `/Channel/Writers` Broadcast filter) is the caller's check:
 * see fabric-config's envelopeSignedData.
 *
 * Checks, in order: the channel; every read_set element exists at the same version; the delta
 * (write_set elements whose version differs from the read set) is not empty; each delta element
 * has a valid mod_policy and is at current version + 1 (or 0 if new); the EXISTING element's
 * mod_policy, resolved in its own group, is satisfied by the ConfigSignatures (each over
 * signature_header || config_update as received; invalid or duplicate signers do not count);
 * then the resulting config (BatchSize, BatchTimeout, MSPs, policies, capabilities).
 *
 * @param channelId - the channel `current` belongs to; an envelope or ConfigUpdate naming
 *   another channel is refused (a Config does not carry its channel ID).
 * @param current - the current config.
 * @param updateEnvelope - the CONFIG_UPDATE envelope as received.
 * @param msps - the channel's MSPs (from {@link readMsps} of `current`).
 * @returns the new config, the decoded ConfigUpdate and the changed keys.
 * @throws ConfigUpdateError with Fabric's reason and a code for each refusal.
 */
export function applyConfigUpdate(
  channelId: string,
  current: common.Config,
  updateEnvelope: common.Envelope,
  msps: MspRegistry,
): AppliedConfigUpdate {
  const { configUpdate } = decodeConfigUpdateEnvelope(channelId, updateEnvelope);
  const authorizing = (message: string): string => `error authorizing update: ${message}`;
  if (configUpdate.getChannelId() !== channelId) {
    throw updateError(
      'CONFIG_UPDATE_WRONG_CHANNEL',
      authorizing(`ConfigUpdate for channel '${configUpdate.getChannelId()}' but envelope for channel '${channelId}'`),
    );
  }

  const currentMap = mapConfig(current.getChannelGroup(), 'current config');
  const readSet = mapConfig(configUpdate.getReadSet(), 'ReadSet');
  for (const [key, element] of readSet) {
    const existing = currentMap.get(key);
    if (existing === undefined) {
      throw updateError(
        'CONFIG_UPDATE_READ_SET_MISMATCH',
        authorizing(`error validating ReadSet: existing config does not contain element for ${key} but was in the read set`),
        key,
      );
    }
    if (elementVersion(existing) !== elementVersion(element)) {
      throw updateError(
        'CONFIG_UPDATE_READ_SET_MISMATCH',
        authorizing(
          `error validating ReadSet: proposed update requires that key ${key} be at version ${elementVersion(element)}, but it is currently at version ${elementVersion(existing)}`,
        ),
        key,
      );
    }
  }

  const writeSet = mapConfig(configUpdate.getWriteSet(), 'WriteSet');
  const delta = deltaSet(readSet, writeSet);
  if (delta.size === 0) {
    throw updateError('CONFIG_UPDATE_EMPTY', authorizing('error validating DeltaSet: delta set was empty -- update would have no effect'));
  }

  // Every signature verified once, each existing element's mod_policy evaluated over the same
  // signers; a refusal is reported at its element, after that element's own checks below.
  const authorisation = checkUpdateAuthorised(channelId, current, updateEnvelope, msps);
  const changedKeys = [...delta.keys()].sort();
  for (const key of changedKeys) {
    const element = delta.get(key) as ConfigElement;
    const problem = modPolicyProblem(elementModPolicy(element));
    if (problem !== undefined) {
      throw updateError('CONFIG_UPDATE_BAD_MOD_POLICY', authorizing(`error validating DeltaSet: invalid mod_policy for element ${key}: ${problem}`), key);
    }
    const existing = currentMap.get(key);
    if (existing === undefined) {
      if (elementVersion(element) !== 0) {
        throw updateError(
          'CONFIG_UPDATE_BAD_VERSION',
          authorizing(`error validating DeltaSet: attempted to set key ${key} to version ${elementVersion(element)}, but key does not exist`),
          key,
        );
      }
      // A new element is authorised by its parent group's change, which the delta also holds.
      continue;
    }
    if (elementVersion(element) !== elementVersion(existing) + 1) {
      throw updateError(
        'CONFIG_UPDATE_BAD_VERSION',
        authorizing(`error validating DeltaSet: attempt to set key ${key} to version ${elementVersion(element)}, but key is at version ${elementVersion(existing)}`),
        key,
      );
    }
    if (!authorisation.ok && authorisation.key === key) throw authorisationError(authorisation);
  }
  if (!authorisation.ok) throw authorisationError(authorisation);

  const next = configAfterUpdate(current, configUpdate);
  validateResultingConfig(current, next);
  return { config: next, configUpdate, changedKeys };
}
