/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The Deliver service of peers (full, filtered and "with private data" blocks) and of the orderer,
 * following Fabric's common/deliver: each envelope carries a SeekInfo, is checked (time window,
 * channel, access), answered with the blocks from start to stop and then one SUCCESS status; a
 * stop of 2^53-1 means "forever". The gateway client throws on a status mid-stream, so a status is
 * only ever sent at the end or on error.
 *
 * Access is a peer's ACL (event/Block for full and private-data blocks, event/FilteredBlock for
 * filtered ones) or the orderer's /Channel/Readers (/Channel/Orderer/Readers in maintenance mode),
 * and, as Fabric's SessionAccessControl does, it is evaluated again before the next block whenever
 * a config block has changed the channel's config: a stream whose access was revoked ends FORBIDDEN.
 */
import type * as grpc from '@grpc/grpc-js';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import type { Channel } from '../channel';
import { envelopeSignedData } from 'fabric-config/configtx';
import type { SignedData } from 'fabric-config/configtx';
import { blockTransactions } from '../ledger/blockInfo';
import { HeaderTypeCode, parseEnvelope, StatusCode, timestampMs, TxValidationCodeValue } from '../protoutil';
import { TIME_WINDOW_MS } from '../endorser/endorser';
import type { BlockSource } from './blockSource';

export type DeliverKind = 'block' | 'filtered' | 'private' | 'orderer';
type Response = peer.DeliverResponse | orderer.DeliverResponse;
type Stream = grpc.ServerDuplexStream<common.Envelope, Response>;

const Status = common.Status;
const { SeekPosition, SeekInfo } = orderer;

export class DeliverService {
  constructor(
    private readonly channels: ReadonlyMap<string, Channel>,
    private readonly blocks: BlockSource,
  ) {}

  handle(call: Stream, kind: DeliverKind): void {
    const abort = new AbortController();
    call.on('cancelled', () => { abort.abort(); });
    call.on('error', () => { abort.abort(); });
    call.on('close', () => { abort.abort(); });
    let queue: Promise<void> = Promise.resolve();
    call.on('data', (envelope: common.Envelope) => {
      queue = queue.then(() => this.serve(call, envelope, kind, abort.signal)).catch(() => { abort.abort(); });
    });
    call.on('end', () => {
      void queue.then(() => call.end());
    });
  }

  private async serve(call: Stream, envelope: common.Envelope, kind: DeliverKind, signal: AbortSignal): Promise<void> {
    const status = (code: StatusCode): void => {
      if (!signal.aborted) call.write(statusResponse(kind, code));
    };
    let parsed;
    try {
      parsed = parseEnvelope(envelope);
    } catch {
      status(Status.BAD_REQUEST);
      return;
    }
    if (Math.abs(Date.now() - timestampMs(parsed.channelHeader.getTimestamp())) > TIME_WINDOW_MS) {
      status(Status.BAD_REQUEST);
      return;
    }
    const channel = this.channels.get(parsed.channelHeader.getChannelId());
    if (!channel) {
      status(Status.NOT_FOUND);
      return;
    }
    let seek: orderer.SeekInfo;
    try {
      seek = SeekInfo.deserializeBinary(parsed.payload.getData_asU8());
    } catch {
      status(Status.BAD_REQUEST);
      return;
    }
    const signedData = envelopeSignedData(envelope);
    let checkedSequence = channel.sequence;
    if (!allowed(channel, kind, signedData)) {
      status(Status.FORBIDDEN);
      return;
    }
    const height = await this.blocks.height(channel.id);
    const start = resolvePosition(seek.getStart(), height, 'start');
    const stop = resolvePosition(seek.getStop(), height, 'stop');
    if (start === undefined || stop === undefined) {
      status(Status.BAD_REQUEST);
      return;
    }
    const failIfNotReady = seek.getBehavior() === SeekInfo.SeekBehavior.FAIL_IF_NOT_READY;
    if (start > stop) {
      status(Status.BAD_REQUEST);
      return;
    }
    for (let num = start; num <= stop; num++) {
      if (signal.aborted) return;
      if ((await this.blocks.height(channel.id)) <= num) {
        if (failIfNotReady) {
          status(Status.NOT_FOUND);
          return;
        }
        if (!(await this.blocks.waitFor(channel.id, num, signal))) return;
      }
      const block = await this.blocks.block(channel.id, num);
      if (!block) {
        status(Status.INTERNAL_SERVER_ERROR);
        return;
      }
      if (signal.aborted) return;
      if (channel.sequence !== checkedSequence) {
        checkedSequence = channel.sequence;
        if (!allowed(channel, kind, signedData)) {
          status(Status.FORBIDDEN);
          return;
        }
      }
      call.write(blockResponse(kind, channel.id, block));
    }
    status(Status.SUCCESS);
  }
}

/** Whether the request's creator may read the channel's blocks from this service, under the config in force. */
function allowed(channel: Channel, kind: DeliverKind, signed: SignedData): boolean {
  switch (kind) {
    case 'orderer':
      return channel.checkPolicy(channel.inMaintenance ? '/Channel/Orderer/Readers' : '/Channel/Readers', [signed]).ok;
    case 'filtered':
      return channel.checkAcl('event/FilteredBlock', [signed]).ok;
    case 'block':
    case 'private':
      return channel.checkAcl('event/Block', [signed]).ok;
  }
}

/** Fabric's start/stop rules; undefined for a position it refuses. */
function resolvePosition(pos: orderer.SeekPosition | undefined, height: number, which: 'start' | 'stop'): number | undefined {
  if (!pos) return which === 'start' ? height : undefined;
  switch (pos.getTypeCase()) {
    case SeekPosition.TypeCase.OLDEST:
      return 0;
    case SeekPosition.TypeCase.NEWEST:
      return Math.max(height - 1, 0);
    case SeekPosition.TypeCase.NEXT_COMMIT:
      return height;
    case SeekPosition.TypeCase.SPECIFIED: {
      const n = pos.getSpecified()?.getNumber() ?? 0;
      // A start beyond the next block cannot be served; stops may lie in the future.
      if (which === 'start' && n > height) return undefined;
      return n;
    }
    default:
      return which === 'start' ? height : undefined;
  }
}

function statusResponse(kind: DeliverKind, code: StatusCode): Response {
  const r = kind === 'orderer' ? new orderer.DeliverResponse() : new peer.DeliverResponse();
  r.setStatus(code);
  return r;
}

function blockResponse(kind: DeliverKind, channelId: string, block: common.Block): Response {
  switch (kind) {
    case 'orderer': {
      const r = new orderer.DeliverResponse();
      r.setBlock(asOrdered(block));
      return r;
    }
    case 'block': {
      const r = new peer.DeliverResponse();
      r.setBlock(block);
      return r;
    }
    case 'private': {
      const r = new peer.DeliverResponse();
      const bpd = new peer.BlockAndPrivateData();
      bpd.setBlock(block);
      r.setBlockAndPrivateData(bpd);
      return r;
    }
    case 'filtered': {
      const r = new peer.DeliverResponse();
      r.setFilteredBlock(filterBlock(channelId, block));
      return r;
    }
  }
}

/**
 * The block as an orderer has it: the transactions' validation codes (TRANSACTIONS_FILTER) are
 * written by each committing peer, so an orderer's copy carries that slot empty, as Fabric's
 * protoutil.NewBlock leaves it. The header, and so the hash and the orderer's signature, are the same.
 */
function asOrdered(block: common.Block): common.Block {
  const slots = block.getMetadata()?.getMetadataList_asU8() ?? [];
  if ((slots[common.BlockMetadataIndex.TRANSACTIONS_FILTER]?.length ?? 0) === 0) return block;
  // A shallow copy: header and data are shared, only the metadata differs.
  const copy = new common.Block();
  copy.setHeader(block.getHeader());
  copy.setData(block.getData());
  const metadata = new common.BlockMetadata();
  metadata.setMetadataList(slots.map((slot, i) => (i === common.BlockMetadataIndex.TRANSACTIONS_FILTER ? new Uint8Array(0) : slot)));
  copy.setMetadata(metadata);
  return copy;
}

export function filterBlock(channelId: string, block: common.Block): peer.FilteredBlock {
  const fb = new peer.FilteredBlock();
  fb.setChannelId(channelId);
  fb.setNumber(block.getHeader()?.getNumber() ?? 0);
  fb.setFilteredTransactionsList(
    blockTransactions(block).map((tx) => {
      const ft = new peer.FilteredTransaction();
      ft.setTxid(tx.txId);
      ft.setType(tx.type as HeaderTypeCode);
      ft.setTxValidationCode(tx.validationCode as TxValidationCodeValue);
      if (tx.chaincodeEvent) {
        const ev = new peer.ChaincodeEvent();
        ev.setChaincodeId(tx.chaincodeEvent.getChaincodeId());
        ev.setTxId(tx.chaincodeEvent.getTxId());
        ev.setEventName(tx.chaincodeEvent.getEventName());
        const fca = new peer.FilteredChaincodeAction();
        fca.setChaincodeEvent(ev);
        const actions = new peer.FilteredTransactionActions();
        actions.setChaincodeActionsList([fca]);
        ft.setTransactionActions(actions);
      }
      return ft;
    }),
  );
  return fb;
}
