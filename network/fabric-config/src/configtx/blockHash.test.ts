import { describe, expect, it } from '@jest/globals';
import { common } from '@hyperledger/fabric-protos';
import { createHash } from 'node:crypto';
import { blockDataHash, blockHeaderBytes, blockHeaderHash } from './blockHash';

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

describe('block hashing', () => {
  it('encodes the genesis header as DER SEQUENCE{INTEGER 0, OCTET STRING empty, OCTET STRING data_hash}', () => {
    const dataHash = Buffer.alloc(32, 0xab);
    const header = new common.BlockHeader();
    header.setNumber(0);
    header.setPreviousHash(new Uint8Array(0));
    header.setDataHash(dataHash);
    const expected = Buffer.concat([Buffer.from([0x30, 3 + 2 + 34, 0x02, 0x01, 0x00, 0x04, 0x00, 0x04, 0x20]), dataHash]);
    expect(Buffer.from(blockHeaderBytes(header))).toEqual(expected);
    expect(Buffer.from(blockHeaderHash(header))).toEqual(sha256(expected));
  });

  it('encodes numbers minimally, with a leading zero when the top bit is set', () => {
    const previousHash = Buffer.alloc(32, 1);
    const dataHash = Buffer.alloc(32, 2);
    const der = (n: number): Buffer => Buffer.from(blockHeaderBytes({ number: n, previousHash, dataHash }));
    // 0x30 len, 0x02 len value..., 0x04 0x20 ..., 0x04 0x20 ...
    expect(der(5).subarray(0, 5)).toEqual(Buffer.from([0x30, 3 + 34 + 34, 0x02, 0x01, 0x05]));
    expect(der(128).subarray(0, 6)).toEqual(Buffer.from([0x30, 4 + 34 + 34, 0x02, 0x02, 0x00, 0x80]));
    expect(der(256).subarray(0, 6)).toEqual(Buffer.from([0x30, 4 + 34 + 34, 0x02, 0x02, 0x01, 0x00]));
    expect(der(2 ** 53 - 1).subarray(2, 11)).toEqual(Buffer.from([0x02, 0x07, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    expect(Buffer.from(blockHeaderBytes({ number: 2n ** 64n - 1n, previousHash, dataHash })).subarray(2, 13)).toEqual(
      Buffer.from([0x02, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    );
  });

  it('uses the DER long length form above 127 bytes', () => {
    const big = Buffer.alloc(200, 7);
    const der = Buffer.from(blockHeaderBytes({ number: 1, previousHash: big, dataHash: new Uint8Array(0) }));
    // SEQUENCE content = 3 (INTEGER) + 3 + 200 (OCTET STRING, long form) + 2 = 208.
    expect(der.subarray(0, 3)).toEqual(Buffer.from([0x30, 0x81, 208]));
    expect(der.subarray(6, 9)).toEqual(Buffer.from([0x04, 0x81, 200]));
  });

  it('hashes block data as the concatenation of the envelopes', () => {
    const items = [Buffer.from('one'), Buffer.from('two')];
    const data = new common.BlockData();
    data.setDataList(items);
    expect(Buffer.from(blockDataHash(data))).toEqual(sha256(Buffer.from('onetwo')));
    expect(Buffer.from(blockDataHash(items))).toEqual(sha256(Buffer.from('onetwo')));
    expect(Buffer.from(blockDataHash([]))).toEqual(sha256(new Uint8Array(0)));
  });
});
