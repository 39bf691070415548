/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Names of config elements, as in Fabric's common/channelconfig. Tools (configtxlator, the peer)
 * look elements up by these exact strings.
 */

/** Group, value and policy names of a channel config tree. */
export const ConfigKey = {
  channelGroup: 'Channel',
  ordererGroup: 'Orderer',
  applicationGroup: 'Application',

  hashingAlgorithm: 'HashingAlgorithm',
  blockDataHashingStructure: 'BlockDataHashingStructure',
  ordererAddresses: 'OrdererAddresses',
  capabilities: 'Capabilities',

  batchSize: 'BatchSize',
  batchTimeout: 'BatchTimeout',
  consensusType: 'ConsensusType',
  channelRestrictions: 'ChannelRestrictions',
  orderers: 'Orderers',
  endpoints: 'Endpoints',

  msp: 'MSP',
  anchorPeers: 'AnchorPeers',

  readers: 'Readers',
  writers: 'Writers',
  admins: 'Admins',
  endorsement: 'Endorsement',
  lifecycleEndorsement: 'LifecycleEndorsement',
  blockValidation: 'BlockValidation',
} as const;

/** Fabric's only hashing algorithm for block data. */
export const DEFAULT_HASHING_ALGORITHM = 'SHA256';

/** BlockDataHashingStructure width: 2^32-1, "hash the concatenation" (the only value Fabric accepts). */
export const DEFAULT_BLOCK_DATA_HASHING_WIDTH = 0xffffffff;
