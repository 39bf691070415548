/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, test } from '@jest/globals';
import { peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { chaincodeMessageSize } from './messageSize';

function message(fields: { type?: number; payload?: number; txid?: string; channel?: string; proposal?: [number, number]; event?: boolean; timestamp?: boolean }): peer.ChaincodeMessage {
  const m = new peer.ChaincodeMessage();
  if (fields.type !== undefined) m.setType(fields.type as peer.ChaincodeMessage.TypeMap[keyof peer.ChaincodeMessage.TypeMap]);
  if (fields.payload !== undefined) m.setPayload(Buffer.alloc(fields.payload, 7));
  if (fields.txid !== undefined) m.setTxid(fields.txid);
  if (fields.channel !== undefined) m.setChannelId(fields.channel);
  if (fields.proposal) {
    const sp = new peer.SignedProposal();
    sp.setProposalBytes(Buffer.alloc(fields.proposal[0], 1));
    sp.setSignature(Buffer.alloc(fields.proposal[1], 2));
    m.setProposal(sp);
  }
  if (fields.event) {
    const e = new peer.ChaincodeEvent();
    e.setEventName('Put');
    e.setPayload(Buffer.from('{"k":"v"}'));
    m.setChaincodeEvent(e);
  }
  if (fields.timestamp) m.setTimestamp(Timestamp.fromDate(new Date()));
  return m;
}

describe('chaincodeMessageSize', () => {
  test.each([
    ['empty', {}],
    ['a READY', { type: peer.ChaincodeMessage.Type.READY }],
    ['a transaction', { type: peer.ChaincodeMessage.Type.TRANSACTION, payload: 300, txid: 'ab'.repeat(32), channel: 'primary', proposal: [2000, 71] as [number, number] }],
    ['an empty signed proposal', { type: peer.ChaincodeMessage.Type.TRANSACTION, proposal: [0, 0] as [number, number] }],
    ['non-ASCII ids', { txid: 'tx-ü', channel: 'kanal-é', payload: 127 }],
    ['a completed with event and timestamp', { type: peer.ChaincodeMessage.Type.COMPLETED, payload: 128, event: true, timestamp: true }],
    ['a 3 MB payload', { payload: 3 * 1024 * 1024 + 5, proposal: [16384, 70] as [number, number] }],
  ])('equals the encoded length: %s', (_what, fields) => {
    const m = message(fields);
    expect(chaincodeMessageSize(m)).toBe(m.serializeBinary().length);
  });
});
