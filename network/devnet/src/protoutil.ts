/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Envelope and header helpers. Signed bytes are never re-serialised (google-protobuf re-encodes in
 * field order, which would change them): callers verify and hash the original `*_asU8()` bytes.
 */
import { common, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { createHash, randomBytes } from 'node:crypto';

export type StatusCode = common.StatusMap[keyof common.StatusMap];
export type HeaderTypeCode = common.HeaderTypeMap[keyof common.HeaderTypeMap];
export type TxValidationCodeValue = peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap];

export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Fabric's transaction id: hex(sha256(nonce || creator)) over the SignatureHeader's exact bytes. */
export function computeTxId(nonce: Uint8Array, creator: Uint8Array): string {
  return sha256(nonce, creator).toString('hex');
}

export function newNonce(): Buffer {
  return randomBytes(24);
}

export function timestampNow(date: Date = new Date()): Timestamp {
  const ts = new Timestamp();
  const ms = date.getTime();
  ts.setSeconds(Math.floor(ms / 1000));
  ts.setNanos((ms % 1000) * 1_000_000);
  return ts;
}

export function timestampMs(ts: Timestamp | undefined): number {
  if (!ts) return 0;
  return ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1_000_000);
}

export interface ParsedEnvelope {
  envelope: common.Envelope;
  payload: common.Payload;
  header: common.Header;
  channelHeader: common.ChannelHeader;
  signatureHeader: common.SignatureHeader;
}

/** @throws Error naming the part that did not decode. */
export function parseEnvelope(envelope: common.Envelope): ParsedEnvelope {
  const payloadBytes = envelope.getPayload_asU8();
  if (payloadBytes.length === 0) throw new Error('envelope has no payload');
  const payload = decode(() => common.Payload.deserializeBinary(payloadBytes), 'payload');
  const header = payload.getHeader();
  if (!header) throw new Error('payload has no header');
  const channelHeader = decode(() => common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()), 'channel header');
  const signatureHeader = decode(() => common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()), 'signature header');
  return { envelope, payload, header, channelHeader, signatureHeader };
}

export function decode<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    throw new Error(`malformed ${what}: ${(err as Error).message}`);
  }
}

export function newChannelHeader(type: HeaderTypeCode, channelId: string, txId = ''): common.ChannelHeader {
  const ch = new common.ChannelHeader();
  ch.setType(type);
  ch.setChannelId(channelId);
  ch.setTxId(txId);
  ch.setEpoch(0);
  ch.setTimestamp(timestampNow());
  return ch;
}

export interface Signer {
  serialize(): Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** A signed Envelope as an orderer or peer emits it (config transactions, deliver responses). */
export function newSignedEnvelope(channelHeader: common.ChannelHeader, signer: Signer, data: Uint8Array): common.Envelope {
  const sh = new common.SignatureHeader();
  sh.setCreator(signer.serialize());
  sh.setNonce(newNonce());
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(data);
  const payloadBytes = payload.serializeBinary();
  const env = new common.Envelope();
  env.setPayload(payloadBytes);
  env.setSignature(signer.sign(payloadBytes));
  return env;
}

/** The chaincode name a proposal or transaction addresses, from its channel header extension. */
export function chaincodeNameOf(channelHeader: common.ChannelHeader): string {
  const ext = peer.ChaincodeHeaderExtension.deserializeBinary(channelHeader.getExtension_asU8());
  return ext.getChaincodeId()?.getName() ?? '';
}
