/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Key layout of the devnet's single LevelDB. Every key is raw bytes so that LevelDB's byte order
 * is the UTF-8 byte order Fabric uses for range scans (a JS string comparison would differ above
 * U+FFFF). Channel and namespace names cannot contain NUL, so NUL separates the parts.
 */

const SEP = Buffer.from([0]);
/** UTF-8 never contains 0xFF, so it bounds "every key under this prefix". */
export const PREFIX_END = Buffer.from([0xff]);

function join(...parts: (string | Buffer)[]): Buffer {
  const buffers: Buffer[] = [];
  parts.forEach((part, i) => {
    if (i > 0) buffers.push(SEP);
    buffers.push(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
  });
  return Buffer.concat(buffers);
}

/** Big-endian fixed width, so that numeric order is byte order. */
export function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function lengthPrefixed(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

export const keys = {
  height: (channel: string): Buffer => join('h', channel),
  heightPrefix: (): Buffer => Buffer.concat([Buffer.from('h', 'utf8'), SEP]),
  block: (channel: string, num: number): Buffer => join('b', channel, u64(num)),
  // The hash is the last part, so its bytes may include NUL.
  blockHash: (channel: string, hash: Uint8Array): Buffer => join('x', channel, Buffer.from(hash)),
  txIndex: (channel: string, txId: string | Uint8Array): Buffer => join('t', channel, typeof txId === 'string' ? txId : Buffer.from(txId)),
  statePrefix: (channel: string, ns: string): Buffer => Buffer.concat([join('s', channel, ns), SEP]),
  state: (channel: string, ns: string, key: string): Buffer =>
    Buffer.concat([join('s', channel, ns), SEP, Buffer.from(key, 'utf8')]),
  // Length-prefixed because composite keys contain NUL: "a" must not be a prefix of "a\0b".
  historyPrefix: (channel: string, ns: string, key: string): Buffer =>
    Buffer.concat([join('k', channel, ns), SEP, lengthPrefixed(key)]),
  history: (channel: string, ns: string, key: string, blockNum: number, txNum: number): Buffer =>
    Buffer.concat([join('k', channel, ns), SEP, lengthPrefixed(key), u64(blockNum), u64(txNum)]),
  chaincode: (channel: string, name: string): Buffer => join('c', channel, name),
  chaincodePrefix: (): Buffer => Buffer.concat([Buffer.from('c', 'utf8'), SEP]),
  meta: (name: string): Buffer => join('m', name),
};
