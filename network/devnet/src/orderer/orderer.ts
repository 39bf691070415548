/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The ordering service of the devnet: one orderer process standing in for every member's orderer
 * node (no consensus between them: stated in the README). Broadcast checks each envelope as
 * Fabric's standard channel message processor does, the block cutter batches it, and every block
 * is handed to the committer in order, one channel at a time.
 */
import { common } from '@hyperledger/fabric-protos';
import { EventEmitter } from 'node:events';
import type { Channel } from '../channel';
import { blockDataHash, blockHeaderBytes, envelopeSignedData } from 'fabric-config/configtx';
import type { CommitResult, Committer } from '../ledger/committer';
import type { LedgerStore } from '../ledger/store';
import { newChannelHeader, newNonce, newSignedEnvelope, parseEnvelope, sha256, Signer, StatusCode } from '../protoutil';
import { BlockCutter } from './blockCutter';
import { applyConfigUpdate } from './configValidation';
import { broadcastChannelHeader } from './broadcastHeader';

const Status = common.Status;

export interface BroadcastResult {
  status: StatusCode;
  info: string;
}

interface ChannelOrdering {
  cutter: BlockCutter;
  timer?: NodeJS.Timeout;
  /** Serialises block writing per channel, so block N+1 is built after N committed. */
  chain: Promise<unknown>;
  nextNumber: number;
  previousHash: Uint8Array;
}

export interface OrdererOptions {
  store: LedgerStore;
  committer: Committer;
  channels: ReadonlyMap<string, Channel>;
  signer: Signer;
  /**
   * Awaited after each block commits and before it is announced (e.g. to put chaincode definitions
   * committed in it in force); a failure is reported as 'error' and ordering goes on.
   */
  afterCommit?: (channel: Channel, result: CommitResult) => Promise<void>;
}

/** Emits 'block' (channelId: string, result: CommitResult) after each committed block. */
export class Orderer extends EventEmitter {
  private readonly ordering = new Map<string, ChannelOrdering>();
  private readonly halted = new Set<string>();
  private closed = false;

  constructor(private readonly options: OrdererOptions) {
    super();
  }

  /** Resumes ordering of a channel after its last committed block. */
  async attach(channel: Channel): Promise<void> {
    const height = await this.options.store.height(channel.id);
    let previousHash: Uint8Array = new Uint8Array(0);
    if (height > 0) {
      const last = common.Block.deserializeBinary(await this.mustGetBlock(channel.id, height - 1));
      previousHash = sha256(blockHeaderBytes(last.getHeader() ?? new common.BlockHeader()));
    }
    this.ordering.set(channel.id, { cutter: new BlockCutter(), chain: Promise.resolve(), nextNumber: height, previousHash });
  }

  /** Commits a channel's genesis block (block 0). */
  async commitGenesis(channel: Channel, genesis: common.Block): Promise<CommitResult> {
    const state = this.state(channel.id);
    const result = await this.options.committer.commit(channel, genesis);
    state.nextNumber = 1;
    state.previousHash = sha256(blockHeaderBytes(genesis.getHeader() ?? new common.BlockHeader()));
    this.emit('block', channel.id, result);
    return result;
  }

  /** Answers as soon as the envelope is accepted for ordering (or refused), as Fabric's Broadcast does. */
  broadcast(envelope: common.Envelope): Promise<BroadcastResult> {
    return Promise.resolve(this.accept(envelope));
  }

  private accept(envelope: common.Envelope): BroadcastResult {
    if (this.closed) return { status: Status.SERVICE_UNAVAILABLE, info: 'orderer is shutting down' };
    const channelHeader = broadcastChannelHeader(envelope);
    if ('refusal' in channelHeader) return { status: Status.BAD_REQUEST, info: `could not determine channel ID: ${channelHeader.refusal}` };
    const channelId = channelHeader.getChannelId();
    const channel = this.options.channels.get(channelId);
    // Fabric's words: a channel this orderer is not a member of "does not exist" for it.
    if (!channel) return { status: Status.BAD_REQUEST, info: 'channel does not exist' };
    if (this.halted.has(channelId)) return { status: Status.SERVICE_UNAVAILABLE, info: `channel ${channelId} stopped ordering after a write failure; see the devnet log` };
    const type = channelHeader.getType();
    // Fabric's ProcessNormalMsg refuses before any filter while the channel is in maintenance mode.
    if (channel.inMaintenance && type === common.HeaderType.ENDORSER_TRANSACTION) {
      return { status: Status.SERVICE_UNAVAILABLE, info: 'normal transactions are rejected: maintenance mode' };
    }
    const size = envelope.serializeBinary().length;
    if (size > channel.batchParams.batchSize.absoluteMaxBytes) {
      return { status: Status.BAD_REQUEST, info: `message payload is ${size} bytes and exceeds maximum allowed ${channel.batchParams.batchSize.absoluteMaxBytes} bytes` };
    }
    // Standard channel filter: the envelope itself must satisfy /Channel/Writers, or the Orderer
    // group's Writers in maintenance mode (Fabric's SigFilter), under the config in force now.
    const writers = channel.checkPolicy(channel.inMaintenance ? '/Channel/Orderer/Writers' : '/Channel/Writers', [envelopeSignedData(envelope)]);
    // Fabric's SigFilter wraps the policy's reason around its ErrPermissionDenied.
    if (!writers.ok) return { status: Status.FORBIDDEN, info: `${writers.reason}: permission denied` };
    switch (type) {
      case common.HeaderType.ENDORSER_TRANSACTION:
        this.enqueue(channel, envelope.serializeBinary());
        return { status: Status.SUCCESS, info: '' };
      case common.HeaderType.CONFIG_UPDATE:
        return this.configUpdate(channel, envelope);
      default:
        return { status: Status.BAD_REQUEST, info: `message of type ${type} is not accepted on channel ${channelId}` };
    }
  }

  private enqueue(channel: Channel, message: Uint8Array): void {
    const state = this.state(channel.id);
    const batches = state.cutter.ordered(message, channel.batchParams.batchSize);
    for (const batch of batches) this.schedule(channel, batch);
    // After a cut the timeout runs from the first message of the new batch, as in Fabric.
    if (batches.length > 0 && state.timer) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
    if (state.cutter.hasPending && !state.timer) {
      state.timer = setTimeout(() => {
        state.timer = undefined;
        if (state.cutter.hasPending) this.schedule(channel, state.cutter.cut());
      }, channel.batchParams.batchTimeoutMs);
    } else if (!state.cutter.hasPending && state.timer) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
  }

  /**
   * As Fabric's standard channel processor: validated against the config in force when it
   * arrives (a refusal is BAD_REQUEST), answered SUCCESS once accepted for ordering, and validated
   * again when its turn comes, since an update ordered before it may have changed the config; one
   * that no longer applies is dropped then, as Fabric drops it.
   */
  private configUpdate(channel: Channel, updateEnvelope: common.Envelope): BroadcastResult {
    try {
      applyConfigUpdate(channel.id, channel.config, updateEnvelope, channel.msps);
    } catch (err) {
      return { status: Status.BAD_REQUEST, info: (err as Error).message };
    }
    const state = this.state(channel.id);
    if (state.timer) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
    if (state.cutter.hasPending) this.schedule(channel, state.cutter.cut());
    state.chain = state.chain
      .then(async () => {
        let applied;
        try {
          applied = applyConfigUpdate(channel.id, channel.config, updateEnvelope, channel.msps);
        } catch (err) {
          this.emit('dropped', channel.id, `config update no longer valid when ordered: ${(err as Error).message}`);
          return;
        }
        const configEnvelope = new common.ConfigEnvelope();
        configEnvelope.setConfig(applied.config);
        configEnvelope.setLastUpdate(updateEnvelope);
        const env = newSignedEnvelope(newChannelHeader(common.HeaderType.CONFIG, channel.id), this.options.signer, configEnvelope.serializeBinary());
        await this.writeBlock(channel, [env.serializeBinary()]);
      })
      .catch((err: unknown) => {
        this.halt(channel.id, err);
      });
    return { status: Status.SUCCESS, info: '' };
  }

  private schedule(channel: Channel, batch: Uint8Array[]): void {
    const state = this.state(channel.id);
    state.chain = state.chain.then(() => this.writeBlock(channel, batch)).catch((err: unknown) => {
      this.halt(channel.id, err);
    });
  }

  /**
   * A block that cannot be written would lose transactions already answered SUCCESS, and the next
   * block would reuse its number: the channel stops ordering instead (a Fabric orderer panics).
   */
  private halt(channelId: string, err: unknown): void {
    this.halted.add(channelId);
    this.emit('error', new Error(`channel ${channelId} stopped ordering: a block could not be written: ${(err as Error).message}`));
  }

  private async writeBlock(channel: Channel, batch: Uint8Array[]): Promise<void> {
    const state = this.state(channel.id);
    const block = new common.Block();
    const header = new common.BlockHeader();
    header.setNumber(state.nextNumber);
    header.setPreviousHash(state.previousHash);
    const data = new common.BlockData();
    data.setDataList(batch);
    header.setDataHash(blockDataHash(data));
    block.setHeader(header);
    block.setData(data);
    const isConfig = batch.length === 1 && isConfigEnvelope(batch[0]);
    const lastConfig = isConfig ? state.nextNumber : channel.lastConfigBlock;
    block.setMetadata(this.metadata(header, lastConfig));

    const result = await this.options.committer.commit(channel, block);
    state.nextNumber += 1;
    state.previousHash = sha256(blockHeaderBytes(header));
    for (const env of result.configEnvelopes) {
      const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
      const config = common.ConfigEnvelope.deserializeBinary(payload.getData_asU8()).getConfig();
      if (config) channel.setConfig(config, header.getNumber());
    }
    if (this.options.afterCommit) {
      try {
        await this.options.afterCommit(channel, result);
      } catch (err) {
        this.emit('error', new Error(`after block ${header.getNumber()} of channel ${channel.id}: ${(err as Error).message}`));
      }
    }
    this.emit('block', channel.id, result);
  }

  /** SIGNATURES (OrdererBlockMetadata with the last config index, signed) and LAST_CONFIG, as Fabric's block writer. */
  private metadata(header: common.BlockHeader, lastConfig: number): common.BlockMetadata {
    const lc = new common.LastConfig();
    lc.setIndex(lastConfig);
    const obm = new common.OrdererBlockMetadata();
    obm.setLastConfig(lc);
    const value = obm.serializeBinary();
    const sh = new common.SignatureHeader();
    sh.setCreator(this.options.signer.serialize());
    sh.setNonce(newNonce());
    const shBytes = sh.serializeBinary();
    const sig = new common.MetadataSignature();
    sig.setSignatureHeader(shBytes);
    sig.setSignature(this.options.signer.sign(Buffer.concat([value, shBytes, blockHeaderBytes(header)])));
    const signatures = new common.Metadata();
    signatures.setValue(value);
    signatures.setSignaturesList([sig]);
    const lastConfigMeta = new common.Metadata();
    lastConfigMeta.setValue(lc.serializeBinary());
    const metadata = new common.BlockMetadata();
    metadata.setMetadataList([signatures.serializeBinary(), lastConfigMeta.serializeBinary(), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)]);
    return metadata;
  }

  private state(channelId: string): ChannelOrdering {
    const s = this.ordering.get(channelId);
    if (!s) throw new Error(`channel ${channelId} is not attached to the orderer`);
    return s;
  }

  private async mustGetBlock(channelId: string, num: number): Promise<Buffer> {
    const bytes = await this.options.store.getBlockBytes(channelId, num);
    if (!bytes) throw new Error(`block ${num} of channel ${channelId} is missing from the store`);
    return bytes;
  }

  /** Stops cutting; waits for blocks already cut to commit. */
  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.ordering.values()) {
      if (state.timer) clearTimeout(state.timer);
      await state.chain;
    }
  }
}

function isConfigEnvelope(bytes: Uint8Array): boolean {
  try {
    const { channelHeader } = parseEnvelope(common.Envelope.deserializeBinary(bytes));
    return channelHeader.getType() === common.HeaderType.CONFIG;
  } catch {
    return false;
  }
}
