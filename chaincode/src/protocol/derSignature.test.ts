import { randomBytes } from 'node:crypto';
import { p256 } from '@noble/curves/nist';
import { readDerSignature } from './derSignature';

/** What assertVoteSignature accepted before: noble's DER parse, an identical re-encoding, low S. */
function nobleVerdict(der: Uint8Array): 'ok' | 'notDer' | 'highS' {
  let signature: ReturnType<typeof p256.Signature.fromBytes>;
  try {
    signature = p256.Signature.fromBytes(der, 'der');
  } catch {
    return 'notDer';
  }
  if (Buffer.compare(Buffer.from(signature.toBytes('der')), Buffer.from(der)) !== 0) return 'notDer';
  return signature.hasHighS() ? 'highS' : 'ok';
}

function verdict(der: Uint8Array): 'ok' | 'notDer' | 'highS' {
  const read = readDerSignature(der);
  return read.ok ? 'ok' : 'highS' in read ? 'highS' : 'notDer';
}

const N = p256.Point.Fn.ORDER;
const hex32 = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
const der = (r: bigint, s: bigint): Uint8Array => new p256.Signature(r, s).toBytes('der');

/** A scalar in [1, n), some of them short (leading zero bytes, so shorter DER integers). */
function randomScalar(i: number): bigint {
  const value = BigInt('0x' + randomBytes(32).toString('hex')) >> BigInt(i % 3 === 0 ? (i * 7) % 250 : 0);
  return (value % (N - 1n)) + 1n;
}

/** Well-formed signatures of either S, then byte-level damage to them. */
function* samples(count: number): Generator<Uint8Array> {
  for (let i = 0; i < count; i++) {
    const good = der(randomScalar(i), randomScalar(i + 1));
    yield good;
    const flipped = Uint8Array.from(good);
    flipped[i % good.length] ^= 1 << (i % 8);
    yield flipped;
    yield good.subarray(0, good.length - 1 - (i % 5));
    yield Uint8Array.from([...good, i & 0xff]);
    const inserted = Uint8Array.from([...good.subarray(0, 4), 0, ...good.subarray(4)]);
    inserted[1] += 1;
    inserted[3] += 1;
    yield inserted;
  }
}

describe('readDerSignature', () => {
  it('accepts exactly the signatures the noble round trip accepted, with the same high-S verdict', () => {
    let accepted = 0;
    let highS = 0;
    for (const bytes of samples(1500)) {
      const expected = nobleVerdict(bytes);
      expect([Buffer.from(bytes).toString('hex'), verdict(bytes)]).toEqual([Buffer.from(bytes).toString('hex'), expected]);
      if (expected === 'ok') accepted += 1;
      if (expected === 'highS') highS += 1;
    }
    // The samples exercise both outcomes of a well-formed signature, not only refusals.
    expect(accepted).toBeGreaterThan(300);
    expect(highS).toBeGreaterThan(300);
  });

  it.each([
    ['r = 1, s = 1', der(1n, 1n), 'ok'],
    ['short r and s', der(0x80n, 0x7fn), 'ok'],
    ['s = n/2, the largest low S', der(5n, N >> 1n), 'ok'],
    ['s = n/2 + 1', der(5n, (N >> 1n) + 1n), 'highS'],
    ['r = n - 1', der(N - 1n, 3n), 'ok'],
    ['r = 0', Buffer.from('3006020100020101', 'hex'), 'notDer'],
    ['r = n', Buffer.concat([Buffer.from([0x30, 38, 2, 33, 0]), hex32(N), Buffer.from([2, 1, 1])]), 'notDer'],
    ['a negative r', Buffer.from('3006020180020101', 'hex'), 'notDer'],
    ['a padded r', Buffer.from('300702020001020101', 'hex'), 'notDer'],
    ['a long-form length', Buffer.from('30810602010102010101', 'hex').subarray(0, 9), 'notDer'],
    ['an empty integer', Buffer.from('30050200020101', 'hex'), 'notDer'],
    ['another tag', Buffer.from('3106020101020101', 'hex'), 'notDer'],
    ['nothing', Buffer.alloc(0), 'notDer'],
  ])('%s', (_label, bytes, expected) => {
    expect(verdict(bytes)).toBe(expected);
    expect(nobleVerdict(bytes)).toBe(expected);
  });

  it('gives r and s as 32 bytes each', () => {
    const read = readDerSignature(der(0x80n, 0x7fn));
    expect(read.ok && read.scalars.r).toEqual(hex32(0x80n));
    expect(read.ok && read.scalars.s).toEqual(hex32(0x7fn));
  });
});
