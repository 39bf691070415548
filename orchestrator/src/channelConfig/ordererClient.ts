/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The two orderer calls a channel administrator needs, over a gRPC connection to an orderer:
 * Deliver (to fetch blocks, as `peer channel fetch` does) and Broadcast (to submit a signed
 * CONFIG_UPDATE envelope, as `peer channel update` does).
 */
import * as grpc from '@grpc/grpc-js';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { randomBytes } from 'node:crypto';

export interface EnvelopeSigner {
  serialize(): Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export class OrdererCallError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'OrdererCallError';
  }
}

const serializeEnvelope = (env: common.Envelope): Buffer => Buffer.from(env.serializeBinary());

function seekPosition(which: 'newest' | number): orderer.SeekPosition {
  const pos = new orderer.SeekPosition();
  if (which === 'newest') pos.setNewest(new orderer.SeekNewest());
  else {
    const spec = new orderer.SeekSpecified();
    spec.setNumber(which);
    pos.setSpecified(spec);
  }
  return pos;
}

function seekEnvelope(channelId: string, signer: EnvelopeSigner, start: 'newest' | number, stop: 'newest' | number): common.Envelope {
  const seek = new orderer.SeekInfo();
  seek.setStart(seekPosition(start));
  seek.setStop(seekPosition(stop));
  seek.setBehavior(orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY);
  const ch = new common.ChannelHeader();
  ch.setType(common.HeaderType.DELIVER_SEEK_INFO);
  ch.setChannelId(channelId);
  ch.setEpoch(0);
  const ts = new Timestamp();
  ts.fromDate(new Date());
  ch.setTimestamp(ts);
  const sh = new common.SignatureHeader();
  sh.setCreator(signer.serialize());
  sh.setNonce(randomBytes(24));
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(seek.serializeBinary());
  const payloadBytes = payload.serializeBinary();
  const env = new common.Envelope();
  env.setPayload(payloadBytes);
  env.setSignature(signer.sign(payloadBytes));
  return env;
}

/**
 * Fetches one block (or the newest) from an orderer's Deliver service.
 * @throws OrdererCallError with the orderer's status when it refuses.
 */
export function fetchBlock(client: grpc.Client, channelId: string, signer: EnvelopeSigner, which: 'newest' | number, timeoutMs = 10_000): Promise<common.Block> {
  return deliverOne(client, 'orderer', channelId, signer, which, timeoutMs);
}

/**
 * Fetches one block (or the newest) from a peer's Deliver service, as `peer channel fetch` against
 * a peer does. Unlike an orderer's, a peer's block carries the validation code of each transaction
 * (TRANSACTIONS_FILTER), which only the committing peer knows.
 * @throws OrdererCallError with the peer's status when it refuses.
 */
export function fetchPeerBlock(client: grpc.Client, channelId: string, signer: EnvelopeSigner, which: 'newest' | number, timeoutMs = 10_000): Promise<common.Block> {
  return deliverOne(client, 'peer', channelId, signer, which, timeoutMs);
}

function deliverOne(client: grpc.Client, service: 'orderer' | 'peer', channelId: string, signer: EnvelopeSigner, which: 'newest' | number, timeoutMs: number): Promise<common.Block> {
  return new Promise<common.Block>((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      service === 'orderer' ? '/orderer.AtomicBroadcast/Deliver' : '/protos.Deliver/Deliver',
      serializeEnvelope,
      (b: Buffer) => (service === 'orderer' ? orderer.DeliverResponse.deserializeBinary(b) : peer.DeliverResponse.deserializeBinary(b)),
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
    );
    let block: common.Block | undefined;
    call.on('data', (response: orderer.DeliverResponse | peer.DeliverResponse) => {
      if (response.hasBlock()) {
        block = response.getBlock();
        return;
      }
      const status = response.getStatus();
      call.cancel();
      if (status === common.Status.SUCCESS && block) resolve(block);
      else reject(new OrdererCallError(`${service} refused to deliver block ${String(which)} of ${channelId}: status ${statusName(status)}`, status));
    });
    call.on('error', (err: Error) => {
      if (block) resolve(block);
      else reject(new OrdererCallError(`deliver from the ${service} failed: ${err.message}`));
    });
    call.write(seekEnvelope(channelId, signer, which, which));
    call.end();
  });
}

/**
 * Sends a signed proposal to a peer's Endorser service (what the peer CLI does for system
 * chaincodes), and resolves with its response, whatever its status.
 */
export function processProposal(client: grpc.Client, signed: peer.SignedProposal, timeoutMs = 10_000): Promise<peer.ProposalResponse> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/protos.Endorser/ProcessProposal',
      (m: peer.SignedProposal) => Buffer.from(m.serializeBinary()),
      (b: Buffer) => peer.ProposalResponse.deserializeBinary(b),
      signed,
      { deadline: Date.now() + timeoutMs },
      (err, value) => {
        if (err) reject(err);
        else if (value) resolve(value);
        else reject(new Error('no proposal response'));
      },
    );
  });
}

/** The channel's current config block: the newest block's last-config index, then that block. */
export async function fetchConfigBlock(client: grpc.Client, channelId: string, signer: EnvelopeSigner): Promise<common.Block> {
  const newest = await fetchBlock(client, channelId, signer, 'newest');
  return fetchBlock(client, channelId, signer, lastConfigIndex(newest));
}

export function lastConfigIndex(block: common.Block): number {
  const slot = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES];
  if (!slot || slot.length === 0) throw new OrdererCallError('block has no SIGNATURES metadata: cannot find its last config');
  const md = common.Metadata.deserializeBinary(slot);
  return common.OrdererBlockMetadata.deserializeBinary(md.getValue_asU8()).getLastConfig()?.getIndex() ?? 0;
}

export interface BroadcastOutcome {
  status: number;
  statusName: string;
  info: string;
}

/** Sends one envelope to an orderer's Broadcast service and returns its answer. */
export function broadcast(client: grpc.Client, envelope: common.Envelope, timeoutMs = 30_000): Promise<BroadcastOutcome> {
  return new Promise<BroadcastOutcome>((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      '/orderer.AtomicBroadcast/Broadcast',
      serializeEnvelope,
      (b: Buffer) => orderer.BroadcastResponse.deserializeBinary(b),
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
    );
    let answered = false;
    call.on('data', (response: orderer.BroadcastResponse) => {
      answered = true;
      resolve({ status: response.getStatus(), statusName: statusName(response.getStatus()), info: response.getInfo() });
      call.end();
    });
    call.on('error', (err: Error) => {
      if (!answered) reject(new OrdererCallError(`broadcast to the orderer failed: ${err.message}`));
    });
    call.write(envelope);
  });
}

export function statusName(status: number): string {
  const entry = Object.entries(common.Status).find(([, v]) => v === status);
  return entry ? entry[0] : String(status);
}

/** A stream of blocks the caller ends with `close` (a fabric-gateway CloseableAsyncIterable fits). */
export interface BlockStream extends AsyncIterable<common.Block> {
  close(): void;
}

/**
 * Follows a channel's blocks from an orderer's Deliver service, from block `from` on, waiting for
 * new ones (SeekInfo BLOCK_UNTIL_READY up to the largest number), as a Fabric peer's deliver
 * client does. The iterator ends when the orderer ends the stream and throws
 * {@link OrdererCallError} when it fails or refuses; `close` cancels the call.
 */
export function streamBlocks(client: grpc.Client, channelId: string, signer: EnvelopeSigner, from: number): BlockStream {
  const call = client.makeBidiStreamRequest(
    '/orderer.AtomicBroadcast/Deliver',
    serializeEnvelope,
    (b: Buffer) => orderer.DeliverResponse.deserializeBinary(b),
    new grpc.Metadata(),
  );
  const queue: common.Block[] = [];
  let ended: OrdererCallError | 'done' | undefined;
  let closed = false;
  let wake: (() => void) | undefined;
  const settle = (): void => {
    wake?.();
    wake = undefined;
  };
  call.on('data', (response: orderer.DeliverResponse) => {
    const block = response.getBlock();
    if (response.hasBlock() && block !== undefined) queue.push(block);
    else {
      const status = response.getStatus();
      ended = status === common.Status.SUCCESS ? 'done' : new OrdererCallError(`the orderer refused to deliver ${channelId} from block ${from}: status ${statusName(status)}`, status);
    }
    settle();
  });
  call.on('error', (err: Error) => {
    ended ??= closed ? 'done' : new OrdererCallError(`deliver of ${channelId} from the orderer failed: ${err.message}`);
    settle();
  });
  call.on('end', () => {
    ended ??= 'done';
    settle();
  });
  call.write(seekEnvelope(channelId, signer, from, Number.MAX_SAFE_INTEGER));
  call.end();
  return {
    close: (): void => {
      closed = true;
      ended ??= 'done';
      call.cancel();
      settle();
    },
    [Symbol.asyncIterator]: (): AsyncIterator<common.Block> => ({
      next: async (): Promise<IteratorResult<common.Block>> => {
        for (;;) {
          const block = queue.shift();
          if (block !== undefined) return { value: block, done: false };
          if (ended === 'done' || closed) return { value: undefined, done: true };
          if (ended !== undefined) throw ended;
          await new Promise<void>((resolve) => { wake = resolve; });
        }
      },
    }),
  };
}
