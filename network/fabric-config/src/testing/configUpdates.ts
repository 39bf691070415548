/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Config blocks as an orderer would make them, for fixtures that need a channel's next config
 * without a network.
 */
import type { common } from '@hyperledger/fabric-protos';
import { authorisationError, checkUpdateAuthorised, configAfterUpdate, decodeConfigUpdateEnvelope } from '../configtx';
import type { MspRegistry } from '../msp';

/** What {@link acceptConfigUpdate} returns (the shape of an orderer's accepted update). */
export interface AcceptedConfigUpdate {
  /** The new config, at the current sequence + 1. */
  readonly config: common.Config;
  /** The ConfigUpdate, decoded from the envelope. */
  readonly configUpdate: common.ConfigUpdate;
  /** Keys of the changed elements, sorted, e.g. `[Value]  /Channel/Orderer/BatchTimeout`. */
  readonly changedKeys: readonly string[];
}

/**
 * Accepts a CONFIG_UPDATE envelope as an orderer would, for test fixtures: the signatures must
 * authorise it ({@link checkUpdateAuthorised}), and the result is {@link configAfterUpdate}. The
 * orderer's other checks (read set, versions, the resulting config) are not made: a fixture
 * computes its updates from the config it passes. An orderer's validation is the network's (the
 * devnet's applyConfigUpdate).
 *
 * @param channelId - the channel.
 * @param current - the current config.
 * @param updateEnvelope - the CONFIG_UPDATE envelope.
 * @param msps - the channel's MSPs; by default built from `current`.
 * @returns the next config, the ConfigUpdate and the changed keys.
 * @throws ConfigUpdateError with the orderer's words when the signatures do not satisfy a
 *   mod_policy (`CONFIG_UPDATE_POLICY_NOT_SATISFIED`) or the envelope is not a CONFIG_UPDATE.
 */
export function acceptConfigUpdate(channelId: string, current: common.Config, updateEnvelope: common.Envelope, msps?: MspRegistry): AcceptedConfigUpdate {
  const authorisation = checkUpdateAuthorised(channelId, current, updateEnvelope, msps);
  if (!authorisation.ok) throw authorisationError(authorisation);
  const { configUpdate } = decodeConfigUpdateEnvelope(channelId, updateEnvelope);
  return { config: configAfterUpdate(current, configUpdate), configUpdate, changedKeys: authorisation.changedKeys };
}
