/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Config updates validated as the orderer does (common/configtx: read set versions, delta versions,
 * the existing elements' mod_policy; then the resulting config, see ./configBundle.ts). Signed
 * bytes are never re-encoded: signatures are checked over the ConfigUpdate bytes exactly as
 * received. The signature check itself is fabric-config's checkUpdateAuthorised, which clients ask too.
 */
import type { common } from '@hyperledger/fabric-protos';
import {
  ConfigUpdateError,
  authorisationError,
  checkUpdateAuthorised,
  configAfterUpdate,
  configIdProblem,
  decodeConfigUpdateEnvelope,
  deltaSet,
  elementModPolicy,
  elementVersion,
  mapConfig,
  readMsps,
  updateError,
} from 'fabric-config/configtx';
import type { ConfigElement } from 'fabric-config/configtx';
import { MspRegistry } from 'fabric-config/msp';
import { bundleProblem, maintenanceProblem } from './configBundle';

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

/**
 * Re-validates the whole resulting config, as the orderer does before accepting it: the new config
 * must build as a channelconfig bundle and follow the current one (configBundle.ts), its MSPs must
 * load, and a consensus change must follow the maintenance-mode rules.
 */
function validateResultingConfig(channelId: string, current: common.Config, next: common.Config, configUpdate: common.ConfigUpdate): void {
  const problem = bundleProblem(current, next);
  if (problem !== undefined) throw updateError('CONFIG_UPDATE_INVALID_CONFIG', applying(channelId, problem));
  // The channel's MSP registry is rebuilt from the new config once it is committed, so a root
  // certificate that does not parse must be refused now, not after the block is written.
  try {
    new MspRegistry(readMsps(next));
  } catch (error) {
    throw updateError('CONFIG_UPDATE_INVALID_CONFIG', applying(channelId, `error processing MSP config: ${(error as Error).message}`), undefined, error);
  }
  const maintenance = maintenanceProblem(current, next, configUpdate);
  if (maintenance !== undefined) {
    throw updateError('CONFIG_UPDATE_INVALID_CONFIG', `config update for existing channel did not pass maintenance checks: config transaction inspection failed: ${maintenance}`);
  }
}

/** Fabric's prefix for every refusal of ChainSupport.ProposeConfigUpdate (standardchannel.go). */
function applying(channelId: string, message: string): string {
  return `error applying config update to existing channel '${channelId}': ${message}`;
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
 * then the resulting config (every value decodes, BatchSize, BatchTimeout, MSPs, policies,
 * capabilities supported and their gates, what may not change, the maintenance-mode rules).
 *
 * Each refusal's message is the `info` Fabric's Broadcast answers with: `error applying config
 * update to existing channel '<id>': <reason>`, or, for the maintenance rules, `config update for
 * existing channel did not pass maintenance checks: ...`.
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
  let proposed: AppliedConfigUpdate;
  try {
    proposed = proposeConfigUpdate(channelId, current, updateEnvelope, msps);
  } catch (error) {
    if (!(error instanceof ConfigUpdateError)) throw error;
    throw new ConfigUpdateError(applying(channelId, error.message), { code: error.code, key: error.key, cause: error.cause });
  }
  validateResultingConfig(channelId, current, proposed.config, proposed.configUpdate);
  return proposed;
}

/** configtx.ValidatorImpl.ProposeConfigUpdate: the update read, authorised and applied. */
function proposeConfigUpdate(channelId: string, current: common.Config, updateEnvelope: common.Envelope, msps: MspRegistry): AppliedConfigUpdate {
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

  return { config: configAfterUpdate(current, configUpdate), configUpdate, changedKeys };
}
