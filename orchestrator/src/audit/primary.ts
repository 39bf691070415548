/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The config blocks of the primary channel: decoding one into what the audit checks, and finding
 * all of them without reading the whole channel.
 */
import { common, msp } from '@hyperledger/fabric-protos';
import { ConfigtxError, readBatchParams, readConfigBlock, readLastConfigIndex } from 'fabric-config/configtx';
import { readManagementLink } from '../primary/managementLink';
import type { PrimaryConfigRecord } from './types';

function envelopeTimestamp(block: common.Block): string {
  const data = block.getData()?.getDataList_asU8() ?? [];
  const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(data[0]).getPayload_asU8());
  const header = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(0));
  const ts = header.getTimestamp();
  const ms = ts === undefined ? 0 : ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6);
  return new Date(ms).toISOString();
}

function updateSigners(lastUpdate: common.Envelope | undefined): string[] {
  if (lastUpdate === undefined) return [];
  const payload = common.Payload.deserializeBinary(lastUpdate.getPayload_asU8());
  const update = common.ConfigUpdateEnvelope.deserializeBinary(payload.getData_asU8());
  return update.getSignaturesList().map((signature) => {
    const header = common.SignatureHeader.deserializeBinary(signature.getSignatureHeader_asU8());
    return msp.SerializedIdentity.deserializeBinary(header.getCreator_asU8()).getMspid();
  });
}

/**
 * Reads what the audit needs from a config block of the primary channel: number, config
 * sequence, the CONFIG envelope's timestamp, the batch parameters, the management link of the
 * update that produced it, and the MSP IDs that signed that update.
 *
 * @param block - a config block (the genesis block or a later one).
 * @returns the record; a malformed link is reported in `linkError` rather than thrown, because
 *   it is a fault of the audited channel, not of the audit.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG_BLOCK` or `CONFIGTX_BAD_CONFIG`) when the block is
 *   not a config block or has no valid batch parameters; Error when an envelope does not decode.
 */
export function decodePrimaryConfigBlock(block: common.Block): PrimaryConfigRecord {
  const { config, lastUpdate } = readConfigBlock(block);
  const batch = readBatchParams(config);
  let link: PrimaryConfigRecord['link'] = null;
  let linkError: string | undefined;
  if (lastUpdate !== undefined) {
    try {
      link = readManagementLink(lastUpdate) ?? null;
    } catch (err) {
      if (!(err instanceof ConfigtxError)) throw err;
      linkError = err.message;
    }
  }
  return {
    number: block.getHeader()?.getNumber() ?? 0,
    sequence: config.getSequence(),
    timestamp: envelopeTimestamp(block),
    batchTimeout: batch.batchTimeout,
    batchTimeoutMs: batch.batchTimeoutMs,
    maxMessageCount: batch.batchSize.maxMessageCount,
    link,
    ...(linkError === undefined ? {} : { linkError }),
    signers: updateSigners(lastUpdate),
  };
}

/** Fetches one block of the primary channel by number, or the newest. */
export type BlockFetcher = (which: number | 'newest') => Promise<common.Block>;

/** Options of {@link scanConfigBlocks}. */
export interface ScanConfigBlocksOptions {
  /** Called after each config block found, for progress output. */
  readonly onConfigBlock?: (record: PrimaryConfigRecord) => void;
}

/**
 * Finds every config block of a channel by walking back along last-config indexes: the newest
 * block names the latest config block L; block L-1 names the config block before it; and so on
 * down to the genesis block.
 *
 * Why this and not a scan of filtered blocks: it costs two block fetches per config block, so
 * it grows with the number of configuration updates rather than with the length of the channel
 * (a busy primary channel has orders of magnitude more blocks than config blocks, since CBs are at
 * least a CBI apart), and it needs only the orderer. The index comes from the orderer-signed
 * SIGNATURES metadata, where Fabric's own `peer channel fetch config` finds it. A config block
 * the walk could skip shows up as a gap in the config sequence, which Fabric raises by exactly
 * one per config block; the audit checks it (`AUDIT_PRIMARY_INCOMPLETE`).
 *
 * @param fetch - reads a block (the I/O boundary).
 * @param options - progress callback.
 * @returns the config blocks, by ascending block number.
 * @throws ConfigtxError when a block the walk lands on is not a config block or its metadata is
 *   malformed, Error when a last-config index does not point backwards, and whatever `fetch` throws.
 */
export async function scanConfigBlocks(fetch: BlockFetcher, options: Readonly<ScanConfigBlocksOptions> = {}): Promise<PrimaryConfigRecord[]> {
  return (await scanConfigBlockChain(fetch, options)).records;
}

/** What {@link scanConfigBlockChain} found: the head it started from, and every config block. */
export interface ConfigBlockChain {
  /** The channel's newest block when the walk started. */
  readonly head: common.Block;
  /** The config blocks, by ascending block number. */
  readonly blocks: readonly common.Block[];
  /** Their records, in the same order. */
  readonly records: PrimaryConfigRecord[];
}

/**
 * {@link scanConfigBlocks}, keeping the blocks themselves and the head the walk started from:
 * the signed evidence of an export (versions 2 and 3).
 *
 * @param fetch - reads a block (the I/O boundary).
 * @param options - progress callback.
 * @returns the head, the config blocks and their records.
 * @throws as {@link scanConfigBlocks}.
 */
export async function scanConfigBlockChain(fetch: BlockFetcher, options: Readonly<ScanConfigBlocksOptions> = {}): Promise<ConfigBlockChain> {
  const newest = await fetch('newest');
  const newestNumber = newest.getHeader()?.getNumber() ?? 0;
  const records: PrimaryConfigRecord[] = [];
  const blocks: common.Block[] = [];
  let index = readLastConfigIndex(newest);
  for (;;) {
    const block = index === newestNumber ? newest : await fetch(index);
    const record = decodePrimaryConfigBlock(block);
    records.push(record);
    blocks.push(block);
    options.onConfigBlock?.(record);
    if (index === 0) break;
    const previousIndex = readLastConfigIndex(await fetch(index - 1));
    if (previousIndex >= index) {
      throw new Error(`block ${index - 1} names config block ${previousIndex}, which is not before config block ${index}`);
    }
    index = previousIndex;
  }
  return { head: newest, blocks: blocks.reverse(), records: records.reverse() };
}
