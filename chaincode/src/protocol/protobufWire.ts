/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Just enough of the protobuf wire format to read the few Fabric messages the contract has to
 * look inside (SignatureHeader, SerializedIdentity, ConfigSignature, the top level of
 * ConfigUpdate). Why not `@hyperledger/fabric-protos`: the chaincode folder is packaged on its
 * own and its dependencies are installed by the peer's builder, so every dependency is weight on
 * every deployment, and the contract never needs more than field numbers and raw bytes. Signed
 * bytes are never re-encoded: the parser only slices the input.
 */

/** A protobuf wire type: varint (0), 64-bit (1), length-delimited (2), 32-bit (5). */
export type WireType = 0 | 1 | 2 | 5;

/** One field as it appears on the wire. */
export interface WireField {
  readonly number: number;
  readonly wireType: WireType;
  /** The value of a varint field (safe integers only). */
  readonly varint?: number;
  /** The bytes of a length-delimited field, or of a fixed-width one. */
  readonly bytes?: Uint8Array;
}

/** Thrown for bytes that are not a well-formed protobuf message; callers wrap it with a code. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

function readVarint(bytes: Uint8Array, start: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = start; i < bytes.length && i < start + 10; i++) {
    const byte = bytes[i];
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (!Number.isSafeInteger(value)) {
        throw new WireFormatError(`varint at offset ${start} exceeds 2^53-1`);
      }
      return { value, next: i + 1 };
    }
    scale *= 128;
  }
  throw new WireFormatError(`truncated or overlong varint at offset ${start}`);
}

/**
 * Splits a message into its fields, in wire order. Groups (wire types 3 and 4) are refused: no
 * Fabric message uses them.
 *
 * @throws {@link WireFormatError} for truncated input, bad wire types or field number 0.
 */
export function readWireFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const tag = readVarint(bytes, offset);
    offset = tag.next;
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (number === 0) {
      throw new WireFormatError('field number 0');
    }
    switch (wireType) {
      case 0: {
        const value = readVarint(bytes, offset);
        fields.push({ number, wireType, varint: value.value });
        offset = value.next;
        break;
      }
      case 1:
      case 5: {
        const width = wireType === 1 ? 8 : 4;
        if (offset + width > bytes.length) {
          throw new WireFormatError(`truncated fixed-width field ${number}`);
        }
        fields.push({ number, wireType, bytes: bytes.subarray(offset, offset + width) });
        offset += width;
        break;
      }
      case 2: {
        const length = readVarint(bytes, offset);
        const end = length.next + length.value;
        if (end > bytes.length) {
          throw new WireFormatError(`field ${number} claims ${length.value} bytes, ${bytes.length - length.next} left`);
        }
        fields.push({ number, wireType, bytes: bytes.subarray(length.next, end) });
        offset = end;
        break;
      }
      default:
        throw new WireFormatError(`unsupported wire type ${wireType} for field ${number}`);
    }
  }
  return fields;
}

/**
 * The bytes of a singular length-delimited field (absent = empty, as proto3 reads it). The last
 * occurrence wins, as in every protobuf parser.
 *
 * @throws {@link WireFormatError} when the field is present with another wire type.
 */
export function bytesField(fields: readonly WireField[], number: number): Uint8Array {
  let value: Uint8Array = new Uint8Array(0);
  for (const field of fields) {
    if (field.number !== number) {
      continue;
    }
    if (field.wireType !== 2 || field.bytes === undefined) {
      throw new WireFormatError(`field ${number} is not length-delimited`);
    }
    value = field.bytes;
  }
  return value;
}

/**
 * A singular string field, which must be valid UTF-8.
 *
 * @throws {@link WireFormatError} as {@link bytesField}, or for invalid UTF-8.
 */
export function stringField(fields: readonly WireField[], number: number): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytesField(fields, number));
  } catch (err) {
    if (err instanceof WireFormatError) {
      throw err;
    }
    throw new WireFormatError(`field ${number} is not valid UTF-8`);
  }
}
