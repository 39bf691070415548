/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The channel header of a broadcast envelope, read as Fabric's orderer reads it before anything
 * else (protoutil.ChannelHeader in BroadcastChannelSupport), with its refusals' words.
 */
import { common } from '@hyperledger/fabric-protos';
import { unmarshal } from '../fabricProto';

/** The envelope's channel header, or why it cannot be read (the text after "could not determine channel ID: "). */
export function broadcastChannelHeader(envelope: common.Envelope): common.ChannelHeader | { refusal: string } {
  try {
    const payload = unmarshal(() => common.Payload.deserializeBinary(envelope.getPayload_asU8()), 'Payload');
    const header = payload.getHeader();
    if (!header) return { refusal: 'header not set' };
    const bytes = header.getChannelHeader_asU8();
    if (bytes.length === 0) return { refusal: 'channel header not set' };
    try {
      return unmarshal(() => common.ChannelHeader.deserializeBinary(bytes), 'ChannelHeader');
    } catch (err) {
      return { refusal: `error unmarshalling channel header: ${(err as Error).message}` };
    }
  } catch (err) {
    return { refusal: (err as Error).message };
  }
}
