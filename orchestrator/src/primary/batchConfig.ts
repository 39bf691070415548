/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * C^prim of a configuration block, `{"batchTimeoutMs": integer, "maxMessageCount": integer}`,
 * as the `primary` channel's orderer batch parameters. On etcdraft (and the devnet) the block
 * interval is BatchTimeout, a Go duration string, and the block size BatchSize.MaxMessageCount:
 * together they drive the block cutter.
 *
 * TODO(BFT): under SmartBFT, BatchTimeout is ignored and the block interval is the
 * ConsensusType metadata's `request_batch_max_interval` (50 ms by default in Fabric v3), while
 * MaxMessageCount still caps the batch. Mapping batchTimeoutMs there means rewriting the
 * ConsensusType value (orderer.smartbft.Options inside it); until then the adapter refuses BFT
 * channels with PRIMARY_UNSUPPORTED_CONSENSUS rather than change a parameter that has no effect.
 */
import { common } from '@hyperledger/fabric-protos';
import type { BatchChange, BatchParams } from 'fabric-config/configtx';
import { computeUpdate, formatGoDuration, parseGoDuration, readBatchParams, withBatchParams } from 'fabric-config/configtx';
import type { JsonObject } from 'mgmt-chaincode/dist/protocol';
import { PrimaryError } from './errors';

/** Consensus types whose block cutter BatchTimeout and BatchSize drive. */
export const BATCH_DRIVEN_CONSENSUS_TYPES: ReadonlySet<string> = new Set(['etcdraft', 'solo', 'devnet']);

function positiveInteger(config: JsonObject, field: string): number {
  const value = config[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new PrimaryError(`configuration field ${field} must be a positive integer, got ${JSON.stringify(value)}`, { code: 'PRIMARY_BAD_CONFIG' });
  }
  return value;
}

/**
 * The batch parameters a configuration block asks for.
 *
 * @throws {@link PrimaryError} `PRIMARY_BAD_CONFIG` unless both fields are positive integers.
 */
export function batchChangeOf(config: JsonObject): BatchChange {
  return {
    batchTimeout: formatGoDuration(positiveInteger(config, 'batchTimeoutMs')),
    maxMessageCount: positiveInteger(config, 'maxMessageCount'),
  };
}

/**
 * Whether the channel already runs these parameters, compared by value: `"1.5s"` and
 * `"1500ms"` are the same timeout, and rewriting one as the other would be a change for nothing.
 */
export function batchMatches(current: BatchParams, change: BatchChange): boolean {
  const sameTimeout = change.batchTimeout === undefined || parseGoDuration(change.batchTimeout) === current.batchTimeoutMs;
  const size = current.batchSize;
  return (
    sameTimeout &&
    (change.maxMessageCount === undefined || change.maxMessageCount === size.maxMessageCount) &&
    (change.absoluteMaxBytes === undefined || change.absoluteMaxBytes === size.absoluteMaxBytes) &&
    (change.preferredMaxBytes === undefined || change.preferredMaxBytes === size.preferredMaxBytes)
  );
}

/**
 * The ConfigUpdate that puts `change` in force on a channel whose config is `config`: what
 * `configtxlator compute_update` gives for the edited config. When the channel already runs these
 * parameters, the update raises BatchTimeout's version with its value unchanged (a delta Fabric's
 * validator accepts), so that the block applying them still gets a config block of its own.
 * Every member that starts from the same config gets the same bytes.
 *
 * @throws ConfigtxError when the config has no batch values or the change is invalid.
 */
export function batchUpdate(channelId: string, config: common.Config, change: BatchChange): common.ConfigUpdate {
  if (!batchMatches(readBatchParams(config), change)) {
    return computeUpdate(channelId, config, withBatchParams(config, change));
  }
  const root = config.getChannelGroup() as common.ConfigGroup;
  const ordererGroup = root.getGroupsMap().get('Orderer') as common.ConfigGroup;
  const timeout = ordererGroup.getValuesMap().get('BatchTimeout') as common.ConfigValue;
  const skeleton = (): common.ConfigGroup => {
    const group = new common.ConfigGroup();
    group.setVersion(root.getVersion());
    const inner = new common.ConfigGroup();
    inner.setVersion(ordererGroup.getVersion());
    group.getGroupsMap().set('Orderer', inner);
    return group;
  };
  const bumped = new common.ConfigValue();
  bumped.setVersion(timeout.getVersion() + 1);
  bumped.setModPolicy(timeout.getModPolicy());
  bumped.setValue(timeout.getValue_asU8());
  const write = skeleton();
  write.getGroupsMap().get('Orderer')?.getValuesMap().set('BatchTimeout', bumped);
  const update = new common.ConfigUpdate();
  update.setChannelId(channelId);
  update.setReadSet(skeleton());
  update.setWriteSet(write);
  return update;
}
