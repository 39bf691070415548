/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Fabric's block hashing (protoutil/blockutils.go). Peers and clients recompute these values and
 * compare them with previous_hash, so they must match Fabric byte for byte.
 */
import { common } from '@hyperledger/fabric-protos';
import { createHash } from 'node:crypto';

/** A block header's fields, as a plain object or as the protobuf message. */
export type BlockHeaderLike =
  | common.BlockHeader
  | { readonly number: number | bigint; readonly previousHash: Uint8Array; readonly dataHash: Uint8Array };

function sha256(...parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** DER length octets: short form below 128, long form (0x80 | byte count) otherwise. */
function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.of(tag), derLength(content.length), content]);
}

/**
 * A non-negative INTEGER's content octets: big-endian, minimal, with a leading 0x00 when the top
 * bit is set (Go's asn1 encodes big.Int as two's complement, and the block number is unsigned).
 */
function derUnsignedInteger(value: bigint): Uint8Array {
  const bytes: number[] = [];
  for (let rest = value; rest > 0n; rest >>= 8n) bytes.unshift(Number(rest & 0xffn));
  if (bytes.length === 0 || (bytes[0]) >= 0x80) bytes.unshift(0);
  return Uint8Array.from(bytes);
}

function headerFields(header: BlockHeaderLike): { number: bigint; previousHash: Uint8Array; dataHash: Uint8Array } {
  if (header instanceof common.BlockHeader) {
    return {
      number: BigInt(header.getNumber()),
      previousHash: header.getPreviousHash_asU8(),
      dataHash: header.getDataHash_asU8(),
    };
  }
  return { number: BigInt(header.number), previousHash: header.previousHash, dataHash: header.dataHash };
}

/**
 * The bytes Fabric hashes for a block header: DER `SEQUENCE { INTEGER number, OCTET STRING
 * previous_hash, OCTET STRING data_hash }` (protoutil.BlockHeaderBytes).
 *
 * @param header - the header, as the protobuf message or a plain object.
 * @returns the DER encoding.
 * @throws RangeError if the block number is negative.
 */
export function blockHeaderBytes(header: BlockHeaderLike): Uint8Array {
  const { number, previousHash, dataHash } = headerFields(header);
  if (number < 0n) throw new RangeError(`block number must be non-negative, got ${number}`);
  const body = Buffer.concat([
    derTlv(0x02, derUnsignedInteger(number)),
    derTlv(0x04, previousHash),
    derTlv(0x04, dataHash),
  ]);
  return derTlv(0x30, body);
}

/**
 * A block's hash, as the next block's previous_hash: sha256 of {@link blockHeaderBytes}.
 *
 * @param header - the header, as the protobuf message or a plain object.
 * @returns the 32-byte hash.
 * @throws RangeError if the block number is negative.
 */
export function blockHeaderHash(header: BlockHeaderLike): Uint8Array {
  return sha256(blockHeaderBytes(header));
}

/**
 * A block's data_hash: sha256 of the concatenated envelope bytes, in order
 * (protoutil.ComputeBlockDataHash). Hash the bytes as received; never re-encode envelopes.
 *
 * @param data - the block data, or its envelopes' bytes.
 * @returns the 32-byte hash.
 */
export function blockDataHash(data: common.BlockData | readonly Uint8Array[]): Uint8Array {
  const items = data instanceof common.BlockData ? data.getDataList_asU8() : data;
  return sha256(...items);
}
