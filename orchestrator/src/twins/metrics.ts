/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What a member observes on the primary channel, for its twin: transaction rate, how full blocks
 * are against the channel's MaxMessageCount, how long transactions take from their timestamp to
 * the block that carries them, and the time between blocks, over a sliding window of block
 * events from the member's own peer.
 */
import type { Network } from '@hyperledger/fabric-gateway';
import { checkpointers } from '@hyperledger/fabric-gateway';
import { common, orderer } from '@hyperledger/fabric-protos';
import type { PrimaryMetrics } from './twin';

/** One data block as the metrics need it. */
export interface BlockSample {
  readonly number: bigint;
  /** When the member's peer delivered it (local clock, ms). */
  readonly seenAtMs: number;
  /** Transactions in the block, valid or not (they all took space in it). */
  readonly txCount: number;
  /** Transactions that committed VALID. */
  readonly validTxCount: number;
  /** Channel-header timestamps of the block's transactions, ms. */
  readonly txTimestampsMs: readonly number[];
  /** MaxMessageCount in force when the block was cut. */
  readonly maxMessageCount: number;
}

/** What a block is, as read from its envelopes. */
export interface BlockSummary {
  readonly number: bigint;
  /** A config block (one CONFIG envelope). */
  readonly isConfig: boolean;
  /** BatchSize.MaxMessageCount of a config block's Orderer group, when present. */
  readonly maxMessageCount?: number;
  readonly txCount: number;
  readonly validTxCount: number;
  readonly txTimestampsMs: readonly number[];
}

/** Metrics with nothing observed. */
export const NO_METRICS: PrimaryMetrics = { txRate: 0, blockFill: 0, commitLatencyMs: 0, blockIntervalMs: 0 };

const TX_VALID = 0;

function maxMessageCountOfConfig(payload: common.Payload): number | undefined {
  const config = common.ConfigEnvelope.deserializeBinary(payload.getData_asU8()).getConfig();
  const value = config?.getChannelGroup()?.getGroupsMap().get('Orderer')?.getValuesMap().get('BatchSize')?.getValue_asU8();
  if (value === undefined || value.length === 0) return undefined;
  return orderer.BatchSize.deserializeBinary(value).getMaxMessageCount();
}

/**
 * Reads a block's envelopes: how many transactions, which are valid (TRANSACTIONS_FILTER), their
 * channel-header timestamps, and for a config block its MaxMessageCount.
 *
 * @throws Error when an envelope does not decode (the block is not a Fabric block).
 */
export function summariseBlock(block: common.Block): BlockSummary {
  const number = BigInt(block.getHeader()?.getNumber() ?? 0);
  const envelopes = block.getData()?.getDataList_asU8() ?? [];
  const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array();
  let isConfig = false;
  let maxMessageCount: number | undefined;
  let validTxCount = 0;
  const txTimestampsMs: number[] = [];
  envelopes.forEach((bytes, i) => {
    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8());
    const channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array());
    if (channelHeader.getType() === common.HeaderType.CONFIG) {
      isConfig = true;
      maxMessageCount = maxMessageCountOfConfig(payload);
      return;
    }
    const ts = channelHeader.getTimestamp();
    if (ts !== undefined) txTimestampsMs.push(ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6));
    // Blocks from a deliver service always carry the filter; a missing entry counts as valid.
    if ((filter[i] ?? TX_VALID) === TX_VALID) validTxCount++;
  });
  return { number, isConfig, maxMessageCount, txCount: isConfig ? 0 : envelopes.length, validTxCount: isConfig ? 0 : validTxCount, txTimestampsMs };
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * The metrics of the samples seen in `(nowMs - windowMs, nowMs]`. The rate is over the part of
 * the window that was observed (`observedSinceMs`), so a collector that just started does not
 * under-report; intervals are between consecutive blocks of the window.
 */
export function computeMetrics(samples: readonly BlockSample[], nowMs: number, windowMs: number, observedSinceMs: number): PrimaryMetrics {
  const from = nowMs - windowMs;
  const inWindow = samples.filter((s) => s.seenAtMs > from && s.seenAtMs <= nowMs);
  if (inWindow.length === 0) return { ...NO_METRICS };
  const spanMs = Math.max(1, Math.min(windowMs, nowMs - observedSinceMs));
  const valid = inWindow.reduce((a, s) => a + s.validTxCount, 0);
  const latencies = inWindow.flatMap((s) => s.txTimestampsMs.map((t) => Math.max(0, s.seenAtMs - t)));
  const intervals = inWindow.slice(1).map((s, i) => s.seenAtMs - inWindow[i].seenAtMs);
  return {
    txRate: (valid * 1000) / spanMs,
    blockFill: mean(inWindow.map((s) => Math.min(1, s.txCount / Math.max(1, s.maxMessageCount)))),
    commitLatencyMs: mean(latencies),
    blockIntervalMs: mean(intervals),
  };
}

/** Options of {@link PrimaryMetricsCollector}. */
export interface PrimaryMetricsCollectorOptions {
  /** The member's gateway network for the primary channel. */
  readonly network: Pick<Network, 'getBlockEvents'>;
  /**
   * The channel's MaxMessageCount when the collector starts; config blocks seen later update
   * it. Read it from the channel's config (the devnet starts at 10).
   */
  readonly maxMessageCount: number;
  /** Sliding window, ms. Default 30000. */
  readonly windowMs?: number;
  /**
   * First block to read. Default: the next block committed. From 0 the collector learns the
   * channel's MaxMessageCount from its config blocks; blocks older than its start are used for
   * that only, not for rates or latencies.
   */
  readonly startBlock?: bigint;
  /** Local clock, `Date.now` by default. */
  readonly now?: () => number;
  /** Delay before reopening the block stream after an error, ms. Default 1000 (doubling to 10 s). */
  readonly retryMs?: number;
  /** Receives stream errors (the collector retries on its own). */
  readonly onError?: (err: unknown) => void;
}

/**
 * Collects {@link PrimaryMetrics} from the block events of the primary channel, reconnecting
 * with backoff when the stream fails.
 *
 * @example
 * const metrics = new PrimaryMetricsCollector({ network: gateway.getNetwork('primary'), maxMessageCount: 10 });
 * metrics.start();
 * twinState.metrics = metrics.snapshot();
 * await metrics.stop();
 */
export class PrimaryMetricsCollector {
  private readonly options: Readonly<PrimaryMetricsCollectorOptions>;
  private readonly samples: BlockSample[] = [];
  private readonly checkpointer = checkpointers.inMemory();
  private readonly now: () => number;
  private readonly windowMs: number;
  private maxMessageCount: number;
  private startedAtMs = 0;
  private stopped = true;
  private loop?: Promise<void>;
  private closeStream?: () => void;
  private wake?: () => void;

  constructor(options: Readonly<PrimaryMetricsCollectorOptions>) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.windowMs = options.windowMs ?? 30_000;
    this.maxMessageCount = options.maxMessageCount;
  }

  /** Starts reading block events in the background; idempotent. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.startedAtMs = this.now();
    this.loop = this.run();
  }

  /** Stops reading and closes the stream. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.closeStream?.();
    this.wake?.();
    await this.loop;
  }

  /** The MaxMessageCount block fill is measured against now. */
  currentMaxMessageCount(): number {
    return this.maxMessageCount;
  }

  /** Metrics over the window ending now. */
  snapshot(): PrimaryMetrics {
    return computeMetrics(this.samples, this.now(), this.windowMs, this.startedAtMs);
  }

  /**
   * Takes one delivered block into account (the stream calls this; tests may too).
   *
   * @throws Error when the block does not decode.
   */
  observeBlock(block: common.Block, seenAtMs: number = this.now()): void {
    const summary = summariseBlock(block);
    if (summary.isConfig) {
      if (summary.maxMessageCount !== undefined && summary.maxMessageCount > 0) this.maxMessageCount = summary.maxMessageCount;
      return;
    }
    // Blocks committed before the collector started (a replay from startBlock) are history.
    const latest = Math.max(0, ...summary.txTimestampsMs);
    if (summary.txCount === 0 || latest < this.startedAtMs - 1000) return;
    this.samples.push({ number: summary.number, seenAtMs, txCount: summary.txCount, validTxCount: summary.validTxCount, txTimestampsMs: summary.txTimestampsMs, maxMessageCount: this.maxMessageCount });
    const horizon = seenAtMs - this.windowMs;
    while (this.samples.length > 0 && this.samples[0].seenAtMs <= horizon) this.samples.shift();
  }

  private async run(): Promise<void> {
    const initialRetry = this.options.retryMs ?? 1000;
    let retryMs = initialRetry;
    while (!this.stopped) {
      let stream: Awaited<ReturnType<Network['getBlockEvents']>> | undefined;
      try {
        stream = await this.options.network.getBlockEvents({ checkpoint: this.checkpointer, startBlock: this.options.startBlock });
        this.closeStream = (): void => stream?.close();
        for await (const block of stream) {
          this.observeBlock(block);
          await this.checkpointer.checkpointBlock(BigInt(block.getHeader()?.getNumber() ?? 0));
          retryMs = initialRetry;
        }
      } catch (err) {
        if (this.stopped) break;
        this.options.onError?.(err);
      } finally {
        stream?.close();
        this.closeStream = undefined;
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryMs);
        this.wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
      });
      retryMs = Math.min(10_000, retryMs * 2);
    }
  }
}
