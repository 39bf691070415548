/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Editing a channel's batch parameters, as an operator edits configtxlator's JSON before
 * `compute_update`: the result is a modified copy to diff against the original.
 */
import { common, orderer } from '@hyperledger/fabric-protos';
import { ConfigtxError } from './errors';
import { ConfigKey } from './keys';
import { batchSizeProblem, batchTimeoutProblem } from './profile';

/** The batch parameters to change; absent fields keep their value. */
export interface BatchChange {
  readonly batchTimeout?: string;
  readonly maxMessageCount?: number;
  readonly absoluteMaxBytes?: number;
  readonly preferredMaxBytes?: number;
}

/**
 * A copy of `config` with new batch parameters (element versions untouched: computeUpdate bumps them).
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) when the config has no Orderer batch values or the
 *   resulting parameters are invalid (zero counts, preferred above absolute, a bad duration).
 */
export function withBatchParams(config: common.Config, change: Readonly<BatchChange>): common.Config {
  const copy = config.cloneMessage();
  const values = copy.getChannelGroup()?.getGroupsMap().get(ConfigKey.ordererGroup)?.getValuesMap();
  const sizeValue = values?.get(ConfigKey.batchSize);
  const timeoutValue = values?.get(ConfigKey.batchTimeout);
  if (!sizeValue || !timeoutValue) {
    throw new ConfigtxError('config has no /Channel/Orderer/BatchSize or BatchTimeout value', { code: 'CONFIGTX_BAD_CONFIG' });
  }
  if (change.batchTimeout !== undefined) {
    const problem = batchTimeoutProblem(change.batchTimeout);
    if (problem !== undefined) throw new ConfigtxError(`invalid BatchTimeout: ${problem}`, { code: 'CONFIGTX_BAD_CONFIG' });
    const timeout = new orderer.BatchTimeout();
    timeout.setTimeout(change.batchTimeout);
    timeoutValue.setValue(timeout.serializeBinary());
  }
  if (change.maxMessageCount !== undefined || change.absoluteMaxBytes !== undefined || change.preferredMaxBytes !== undefined) {
    const size = orderer.BatchSize.deserializeBinary(sizeValue.getValue_asU8());
    const next = {
      maxMessageCount: change.maxMessageCount ?? size.getMaxMessageCount(),
      absoluteMaxBytes: change.absoluteMaxBytes ?? size.getAbsoluteMaxBytes(),
      preferredMaxBytes: change.preferredMaxBytes ?? size.getPreferredMaxBytes(),
    };
    const problem = batchSizeProblem(next);
    if (problem !== undefined) throw new ConfigtxError(`invalid BatchSize: ${problem}`, { code: 'CONFIGTX_BAD_CONFIG' });
    size.setMaxMessageCount(next.maxMessageCount);
    size.setAbsoluteMaxBytes(next.absoluteMaxBytes);
    size.setPreferredMaxBytes(next.preferredMaxBytes);
    sizeValue.setValue(size.serializeBinary());
  }
  return copy;
}
