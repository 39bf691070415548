/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Verifying a long management chain quickly, with the protocol core as the only judge.
 *
 * The core's verifyBlock checks each vote signature with @noble/curves (pure JavaScript, about
 * 3 ms a signature with the certificate parsed each time), so 10,000 CBs with 3 approvals each
 * take minutes. Here each block first goes through a fast pre-check that applies the same rules
 * with the core's own building blocks, but verifies signatures with OpenSSL (node:crypto) and
 * parses each voter certificate once. The pre-check can only *accept*: whenever it has any doubt
 * it hands the block to the core's verifyBlock, which then decides, and names the reason. So a
 * fault is always the core's verdict word for word, and a fast acceptance is only as lenient as
 * the core, which the differential tests beside this file check rule by rule.
 */
import { KeyObject, verify as verifySignature, X509Certificate } from 'node:crypto';
import {
  BlockVerificationError,
  checkMemberCertificate,
  compileConfigSchema,
  cycleWindow,
  decodeBase64Strict,
  expectedProposer,
  findMember,
  HASH_PATTERN,
  hashHeader,
  isStrictlySorted,
  isValidAt,
  parseIsoMillis,
  quorum,
  scheduleAfter,
  verifyBlock,
  voteMessage,
} from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, GenesisParams } from 'mgmt-chaincode/dist/protocol';

/** Result of {@link verifyManagementChain}. */
export interface ChainVerification {
  /** The blocks that verified, from height 0: the whole input when `fault` is undefined. */
  readonly verified: readonly ConfigBlock[];
  /** The genesis parameters, once the genesis block verified. */
  readonly params: GenesisParams | undefined;
  /** The first block that fails, with its height and the core's reason. */
  readonly fault: BlockVerificationError | undefined;
}

/** Options of {@link verifyManagementChain}. */
export interface VerifyManagementChainOptions {
  /** Verify every block with the core's verifyBlock only (slow; the reference the fast path must equal). */
  readonly reference?: boolean;
}

/** Order of the P-256 group. */
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const PROOF_FIELDS = 'certificate,mspId,signature';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Minimal DER INTEGER content of a positive bigint, as @noble/curves writes it. */
function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex[0], 16) >= 8) hex = `00${hex}`;
  return Buffer.from(hex, 'hex');
}

/**
 * Whether `der` is exactly the canonical DER of a P-256 signature (r, s) with 1 <= r < n and
 * 1 <= s <= n/2: the only encoding the core accepts (it re-encodes and compares, and refuses high S).
 */
export function isCanonicalLowSDer(der: Uint8Array): boolean {
  // Short-form lengths only: a P-256 signature is at most 72 bytes.
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2 || der[2] !== 0x02) return false;
  const rLength = der[3];
  const sTag = 4 + rLength;
  if (sTag + 2 > der.length || der[sTag] !== 0x02 || sTag + 2 + der[sTag + 1] !== der.length) return false;
  const r = BigInt(`0x${Buffer.from(der.subarray(4, sTag)).toString('hex') || '0'}`);
  const s = BigInt(`0x${Buffer.from(der.subarray(sTag + 2)).toString('hex') || '0'}`);
  if (r < 1n || r >= P256_N || s < 1n || s > P256_N >> 1n) return false;
  const rBytes = derInteger(r);
  const sBytes = derInteger(s);
  const canonical = Buffer.concat([
    Buffer.from([0x30, 4 + rBytes.length + sBytes.length, 0x02, rBytes.length]),
    rBytes,
    Buffer.from([0x02, sBytes.length]),
    sBytes,
  ]);
  return canonical.equals(der);
}

interface TrustedCertificate {
  readonly key: KeyObject;
  /** Validity period as the core's isValidAt reads it (both ends inclusive), parsed once. */
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * The fast pre-check of one block after genesis. Stateful only in its caches, which hold facts
 * that do not depend on the block (a certificate was issued by a CA, the schema compiles).
 */
export class FastBlockCheck {
  private readonly certificates = new Map<string, TrustedCertificate>();
  private readonly validate: (config: unknown) => boolean;
  private readonly quorum: number;

  constructor(private readonly params: GenesisParams) {
    const compiled = compileConfigSchema(params.configSchema);
    this.validate = (config): boolean => compiled(config);
    this.quorum = quorum(params.members.length);
  }

  /**
   * Whether the block certainly passes the core's verifyBlock after `previous`. False means
   * "ask the core", never "invalid".
   */
  accepts(block: unknown, previous: ConfigBlock): boolean {
    try {
      return this.check(block, previous);
    } catch {
      return false;
    }
  }

  private check(block: unknown, previous: ConfigBlock): boolean {
    if (!isObject(block) || 'params' in block) return false;
    const { height, hash, prevHash, proposer, cycle, timestamp, config, proof } = block;
    if (height !== previous.height + 1 || typeof hash !== 'string' || !HASH_PATTERN.test(hash)) return false;
    if (prevHash !== previous.hash || typeof proposer !== 'string') return false;
    if (typeof cycle !== 'number' || !Number.isSafeInteger(cycle) || cycle < 0) return false;
    if (!isObject(config) || !Array.isArray(proof)) return false;
    const ts = parseIsoMillis(timestamp);
    const prevTs = parseIsoMillis(previous.timestamp);
    if (ts === undefined || prevTs === undefined) return false;
    const typed = block as unknown as ConfigBlock;
    if (hashHeader(typed) !== hash) return false;
    if (ts <= prevTs || ts - prevTs < this.params.cbiSeconds * 1000) return false;
    const window = cycleWindow(scheduleAfter(prevTs, this.params), cycle);
    if (ts < window.startsAtMs || ts >= window.endsAtMs) return false;
    if (proposer !== expectedProposer(this.params.members, previous.hash, cycle)) return false;
    if (!this.validate(config)) return false;
    return this.proofHolds(proof, hash, ts);
  }

  private proofHolds(proof: readonly unknown[], hash: string, ts: number): boolean {
    if (proof.length < this.quorum) return false;
    const mspIds: string[] = [];
    for (const entry of proof) {
      if (!isObject(entry) || Object.keys(entry).sort().join(',') !== PROOF_FIELDS) return false;
      const { mspId, certificate, signature } = entry;
      if (typeof mspId !== 'string' || typeof certificate !== 'string' || typeof signature !== 'string') return false;
      mspIds.push(mspId);
    }
    if (!isStrictlySorted(mspIds)) return false;
    const message = voteMessage(hash, true);
    return proof.every((entry) => {
      const { mspId, certificate, signature } = entry as Record<string, string>;
      const trusted = this.certificate(mspId, certificate, ts);
      const der = decodeBase64Strict(signature);
      if (trusted === undefined || der === undefined || !isCanonicalLowSDer(der)) return false;
      return verifySignature('sha256', message, { key: trusted.key, dsaEncoding: 'der' }, der);
    });
  }

  /** The voter certificate if it passes the core's certificate rule at `ts`, parsed once per (certificate, CA). */
  private certificate(mspId: string, certificate: string, ts: number): TrustedCertificate | undefined {
    const member = findMember(this.params.members, mspId);
    if (member === undefined) return undefined;
    const key = `${member.caCertificate}\u0000${certificate}`;
    const cached = this.certificates.get(key);
    if (cached !== undefined) {
      // Issuer, role and key type do not change with time; validity does.
      return cached.fromMs <= ts && ts <= cached.toMs ? cached : undefined;
    }
    const cert: X509Certificate = checkMemberCertificate({ certificate, mspId, caCertificate: member.caCertificate, atMs: ts });
    const fromMs = Date.parse(cert.validFrom);
    const toMs = Date.parse(cert.validTo);
    // Same reading as isValidAt; a period it could not parse was refused just above.
    if (!isValidAt(cert, ts) || !Number.isFinite(fromMs) || !Number.isFinite(toMs)) return undefined;
    const trusted = { key: cert.publicKey, fromMs, toMs };
    this.certificates.set(key, trusted);
    return trusted;
  }
}

/**
 * Verifies a management chain from its genesis block, as the core's verifyChain does, but fast
 * (see the file comment) and without throwing: it returns the verified prefix and the first
 * fault. Genesis always goes through the core's verifyBlock. An empty chain is a fault at height
 * 0, as in the core.
 *
 * @param blocks - CBs from height 0, untrusted (typically the parsed answer of `GetBlocks`).
 * @param options - `reference: true` to use only the core's verifyBlock.
 * @returns the verified blocks, the genesis params and the first fault, if any.
 * @throws only what is not a verification failure (a bug), never a BlockVerificationError.
 */
export function verifyManagementChain(blocks: readonly unknown[], options: Readonly<VerifyManagementChainOptions> = {}): ChainVerification {
  const verified: ConfigBlock[] = [];
  let params: GenesisParams | undefined;
  let fast: FastBlockCheck | undefined;
  if (blocks.length === 0) {
    return { verified, params, fault: new BlockVerificationError(0, 'no blocks to verify') };
  }
  for (const block of blocks) {
    const previous = verified.length === 0 ? undefined : verified[verified.length - 1];
    try {
      if (previous !== undefined && fast !== undefined && options.reference !== true && fast.accepts(block, previous)) {
        verified.push(block as ConfigBlock);
        continue;
      }
      const typed = verifyBlock(block, { previous, params });
      if (previous === undefined) {
        params = typed.params;
        fast = params === undefined ? undefined : new FastBlockCheck(params);
      }
      verified.push(typed);
    } catch (err) {
      if (err instanceof BlockVerificationError) return { verified, params, fault: err };
      throw err;
    }
  }
  return { verified, params, fault: undefined };
}
