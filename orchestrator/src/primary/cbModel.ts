/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A configuration block's `config` as the channel model it asks the `primary` channel to run.
 * Chains started with the channel model schema carry a model (`"version": 2`, fabric-config's
 * channelModel.ts); chains started before carry the two batch values
 * `{"batchTimeoutMs", "maxMessageCount"}`, which keep their meaning: the block interval and the
 * block size. The block interval is BatchTimeout on etcdraft (and the devnet), but SmartBFT
 * ignores BatchTimeout and cuts by its own `RequestBatchMaxInterval` (Fabric v3 takes the batch
 * count from BatchSize.MaxMessageCount on both), so on a BFT channel batchTimeoutMs becomes that.
 *
 * A model may also carry `management`: the `mgmt` channel's own values (its consenter set, batch
 * and consensus options, policies), a channel model without `version` and `organizations`. The
 * CB's `organizations` apply to both channels; `management` only to `mgmt`, and nothing else of
 * the CB does.
 */
import type { common } from '@hyperledger/fabric-protos';
import { orderer } from '@hyperledger/fabric-protos';
import type { ChannelModel } from 'fabric-config/configtx';
import { CHANNEL_MODEL_VERSION, channelModelProblems, ConfigKey, isChannelModel, parseChannelModel } from 'fabric-config/configtx';
import type { JsonObject, JsonValue } from 'mgmt-chaincode/dist/protocol';
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import { PrimaryError } from './errors';

/** The consensus type written in a channel's config (`etcdraft`, `BFT`, `devnet`), `''` without one. */
export function consensusTypeOf(config: common.Config): string {
  const bytes = config.getChannelGroup()?.getGroupsMap().get(ConfigKey.ordererGroup)?.getValuesMap().get(ConfigKey.consensusType)?.getValue_asU8();
  return bytes === undefined ? '' : orderer.ConsensusType.deserializeBinary(bytes).getType();
}

function positiveInteger(config: JsonObject, field: string): number {
  const value = config[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new PrimaryError(`configuration field ${field} must be a positive integer, got ${JSON.stringify(value)}`, { code: 'PRIMARY_BAD_CONFIG' });
  }
  return value;
}

/**
 * The channel model a CB's configuration asks for, on a channel of the given consensus type.
 *
 * @throws {@link PrimaryError} `PRIMARY_BAD_CONFIG` naming every problem of a model, or the
 * batch value that is not a positive integer.
 */
export function channelModelOfCb(config: JsonObject, consensusType: string): ChannelModel {
  if (isChannelModel(config)) {
    try {
      return parseChannelModel(primaryPartOf(config));
    } catch (err) {
      throw new PrimaryError(messageOf(err), { code: 'PRIMARY_BAD_CONFIG', cause: err });
    }
  }
  const batchTimeoutMs = positiveInteger(config, 'batchTimeoutMs');
  const maxMessageCount = positiveInteger(config, 'maxMessageCount');
  return consensusType === 'BFT'
    ? { version: CHANNEL_MODEL_VERSION, orderer: { batchSize: { maxMessageCount }, smartbft: { requestBatchMaxIntervalMs: batchTimeoutMs } } }
    : { version: CHANNEL_MODEL_VERSION, orderer: { batchTimeoutMs, batchSize: { maxMessageCount } } };
}

/** The key of a channel model's section for the `mgmt` channel. */
export const MANAGEMENT_SECTION = 'management';

/** A CB's configuration without its `management` section: what `primary` runs. */
export function primaryPartOf(config: JsonObject): JsonObject {
  if (!Object.hasOwn(config, MANAGEMENT_SECTION)) return config;
  return Object.fromEntries<JsonValue>(Object.entries(config).filter(([key]) => key !== MANAGEMENT_SECTION));
}

/**
 * Why a channel model's `management` section is malformed: it must be an object, a channel model
 * of its own but for `version` (implied) and `organizations` (stated once, for both channels).
 *
 * @returns the problems, each naming its field under `config.management`; none without the section.
 */
export function managementSectionProblems(config: JsonObject): string[] {
  if (!isChannelModel(config) || !Object.hasOwn(config, MANAGEMENT_SECTION)) return [];
  const section = config[MANAGEMENT_SECTION];
  if (section === null || typeof section !== 'object' || Array.isArray(section)) return [`config.${MANAGEMENT_SECTION}: must be an object (the mgmt channel's own values)`];
  const misplaced = ['version', 'organizations'].filter((key) => Object.hasOwn(section, key));
  if (misplaced.length > 0) {
    return misplaced.map((key) => `config.${MANAGEMENT_SECTION}.${key}: not allowed here (${key === 'version' ? 'the CB\'s version applies' : 'organisations are stated once, in config.organizations, for both channels'})`);
  }
  return channelModelProblems({ ...section, version: CHANNEL_MODEL_VERSION }).map((problem) => problem.replace(/^config\b/, `config.${MANAGEMENT_SECTION}`));
}

/**
 * The model a CB asks the `mgmt` channel to run: its `organizations` (every member is on both
 * channels) and its `management` section; nothing else of it (`primary`'s values are not `mgmt`'s).
 *
 * @throws {@link PrimaryError} `PRIMARY_BAD_CONFIG` naming the problems of the `management` section.
 */
export function managementModelOfCb(config: JsonObject): ChannelModel {
  if (!isChannelModel(config)) return { version: CHANNEL_MODEL_VERSION };
  const problems = managementSectionProblems(config);
  if (problems.length > 0) throw new PrimaryError(`invalid management section: ${problems.join('; ')}`, { code: 'PRIMARY_BAD_CONFIG' });
  const section = (config[MANAGEMENT_SECTION] ?? {}) as JsonObject;
  const organizations = config.organizations;
  return {
    ...(section as unknown as Omit<ChannelModel, 'version'>),
    version: CHANNEL_MODEL_VERSION,
    ...(organizations !== null && typeof organizations === 'object' && !Array.isArray(organizations) ? { organizations: organizations as unknown as NonNullable<ChannelModel['organizations']> } : {}),
  };
}

