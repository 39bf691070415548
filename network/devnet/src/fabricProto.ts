/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Decoding failures worded as a Fabric v3 peer or orderer words them, so that a client sees the
 * same text on both backends. google-protobuf's own messages ("Assertion failed", ...) say nothing
 * to a Fabric user; Go's protobuf reports undecodable bytes as PROTO_PARSE_ERROR, and Fabric's
 * protoutil prefixes the message type ("error unmarshalling Proposal: ...").
 */

/** What Go's protobuf says of bytes that are no message of the expected type. */
export const PROTO_PARSE_ERROR = 'proto: cannot parse invalid wire-format data';

/**
 * `decode()`, or an Error reading `error unmarshalling <typeName>: proto: cannot parse invalid
 * wire-format data`, as Fabric's protoutil.Unmarshal<typeName> reports it.
 */
export function unmarshal<T>(decode: () => T, typeName: string): T {
  try {
    return decode();
  } catch {
    throw new Error(`error unmarshalling ${typeName}: ${PROTO_PARSE_ERROR}`);
  }
}

/** `decode()`, or an Error reading PROTO_PARSE_ERROR alone (a bare proto.Unmarshal in Fabric). */
export function unmarshalBare<T>(decode: () => T): T {
  try {
    return decode();
  } catch {
    throw new Error(PROTO_PARSE_ERROR);
  }
}

/** Go's time.RFC3339 of a UTC time, as Fabric prints timestamps in its errors: `2026-12-02T15:40:30Z`. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
