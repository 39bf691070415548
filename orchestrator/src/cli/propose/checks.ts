/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What a configuration must pass before `mgmt propose` submits it: a proposal the chaincode
 * refuses costs nothing but a message, but one the `primary` channel cannot run would be voted
 * on, sealed, and then fail on every member.
 */
import type { common } from '@hyperledger/fabric-protos';
import { channelModelProblems, isChannelModel } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import type { JsonObject, JsonValue } from 'mgmt-chaincode/dist/protocol';
import { isMgmtError, messageOf, validateConfig } from 'mgmt-chaincode/dist/protocol';
import { newGrpcConnection } from '../../gateway';
import { managementModelOfCb, managementSectionProblems, primaryPartOf } from '../../primary/cbModel';
import { channelRefusal, modelRefusal, readChannelConfig } from '../../primary/channelCheck';
import type { MemberSession } from '../context';
import { CliError } from '../errors';

/** What the checks compare a configuration with. */
export interface ProposalChecks {
  /** The genesis `configSchema`, as the chaincode enforces it. */
  readonly schema: JsonObject;
  /** The name of the governed channel, for messages. */
  readonly channelId: string;
  /** Reads the channel's current config; rejects when it cannot. */
  readonly readChannel: () => Promise<common.Config>;
  /** Where a skipped check is reported (stderr). */
  readonly warn: (line: string) => void;
  /** The `mgmt` channel's name and config, to check a `management` section against. */
  readonly management?: { readonly channelId: string; readonly readChannel: () => Promise<common.Config> };
}

function kindOf(value: JsonValue): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Checks a configuration in the order of what it depends on: a JSON object, inside the genesis
 * schema, a valid channel model (when it is one), runnable by the channel as it is now. When the
 * channel cannot be read, that last check is skipped with a warning: the chaincode still
 * enforces the schema, and an orderer outage must not stop governance.
 *
 * @returns the configuration, typed as an object.
 * @throws {@link CliError} naming the first problem (nothing is proposed);
 *   {@link MgmtError} `MGMT_INVALID_PARAMS` when the genesis schema itself does not compile.
 */
export async function checkConfiguration(config: JsonValue, checks: ProposalChecks): Promise<JsonObject> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new CliError(`the configuration must be a JSON object, not ${kindOf(config)}; nothing proposed`);
  }
  try {
    validateConfig(config, checks.schema);
  } catch (err) {
    if (isMgmtError(err, 'MGMT_INVALID_CONFIG')) {
      throw new CliError(`the configuration breaks the genesis schema (the chaincode would refuse it with MGMT_INVALID_CONFIG): ${err.detail}; nothing proposed`, { cause: err });
    }
    throw err;
  }
  if (isChannelModel(config)) {
    const problems = [...channelModelProblems(primaryPartOf(config)), ...managementSectionProblems(config)];
    if (problems.length > 0) throw new CliError(`the configuration is not a valid channel model: ${problems.join('; ')}; nothing proposed`);
  }
  await checkAgainst(checks.channelId, checks.readChannel, checks.warn, (channel) => channelRefusal(channel, config));
  if (checks.management !== undefined && isChannelModel(config)) {
    await checkAgainst(checks.management.channelId, checks.management.readChannel, checks.warn, (channel) => modelRefusal(channel, managementModelOfCb(config)));
  }
  return config;
}

/** Throws the channel's refusal; warns and goes on when the channel cannot be read. */
async function checkAgainst(channelId: string, read: () => Promise<common.Config>, warn: (line: string) => void, refusalOf: (channel: common.Config) => string | undefined): Promise<void> {
  let channel: common.Config;
  try {
    channel = await read();
  } catch (err) {
    warn(`! cannot read channel ${channelId} (${messageOf(err)}): the configuration is not checked against it; the chaincode still enforces the genesis schema`);
    return;
  }
  const refusal = refusalOf(channel);
  if (refusal !== undefined) throw new CliError(`channel ${channelId}: ${refusal}; nothing proposed`);
}

/**
 * Reads the governed channel's config from the member's orderer, signed by the session's
 * identity. Unlike the management node's `channelCheck`, a failure rejects: an operator at a
 * terminal is told that the check was skipped.
 */
export function sessionChannelReader(s: MemberSession, channelId = s.connection.channels.primary): () => Promise<common.Config> {
  return () => readChannelConfig({ connect: () => newGrpcConnection(s.member.orderer), channelId, signer: SigningIdentity.fromMspDir(s.mspDir, s.member.mspId) });
}
