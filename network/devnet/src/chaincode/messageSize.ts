/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The encoded size of a ChaincodeMessage, computed from its fields without encoding it: a
 * transaction's message carries its input and the whole signed proposal, and near gRPC's 100 MiB
 * limit an encoding just to measure it would copy that much once more on the event loop.
 */
import type { peer } from '@hyperledger/fabric-protos';

const utf8 = new TextEncoder();

function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
}

/** A length-delimited field (bytes, string, message) of `length` bytes; field numbers below 16 take one tag byte. */
function delimited(length: number): number {
  return 1 + varintSize(length) + length;
}

function optionalDelimited(length: number): number {
  return length === 0 ? 0 : delimited(length);
}

/** Bytes of `message` on the wire (what gRPC compares with its message size limits). */
export function chaincodeMessageSize(message: peer.ChaincodeMessage): number {
  let size = message.getType() === 0 ? 0 : 1 + varintSize(message.getType());
  const timestamp = message.getTimestamp();
  if (timestamp) size += delimited(timestamp.serializeBinary().length);
  size += optionalDelimited(message.getPayload_asU8().length);
  size += optionalDelimited(utf8.encode(message.getTxid()).length);
  const proposal = message.getProposal();
  if (proposal) size += delimited(optionalDelimited(proposal.getProposalBytes_asU8().length) + optionalDelimited(proposal.getSignature_asU8().length));
  const event = message.getChaincodeEvent();
  if (event) size += delimited(event.serializeBinary().length);
  size += optionalDelimited(utf8.encode(message.getChannelId()).length);
  return size;
}
