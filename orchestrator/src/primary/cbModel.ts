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
 */
import type { common } from '@hyperledger/fabric-protos';
import { orderer } from '@hyperledger/fabric-protos';
import type { ChannelModel } from 'fabric-config/configtx';
import { CHANNEL_MODEL_VERSION, ConfigKey, isChannelModel, parseChannelModel } from 'fabric-config/configtx';
import type { JsonObject } from 'mgmt-chaincode/dist/protocol';
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
      return parseChannelModel(config);
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
