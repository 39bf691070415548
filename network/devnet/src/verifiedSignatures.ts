/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A channel's MSPs that remember the signatures they have verified. On Fabric the checks below
 * run in separate processes; in the devnet's one process the same signature reaches two of them:
 *
 *   - a proposal's creator signature: the endorser's creator check and the peer/Propose ACL;
 *   - each endorsement: the gateway's endorsement plan and the committer's policy check;
 *   - a transaction's envelope signature: the orderer's Writers filter and the committer's
 *     creator check.
 *
 * ECDSA verification is a pure function of (public key, message, signature), so the second check
 * takes the first one's answer instead of redoing the curve arithmetic (the devnet's largest CPU
 * cost per transaction). Every check still runs: the identity is deserialized and checked against
 * the clock again (MspRegistry.deserialize), the policy is evaluated, and a signature not seen
 * before is verified. Only successes are kept, so a bad signature is refused every time at full
 * cost, and the key binds the exact identity bytes (and so the certificate and its public key),
 * the exact message and the exact signature.
 */
import { createHash } from 'node:crypto';
import { MspRegistry } from 'fabric-config/msp';
import type { Identity, MspDefinition, MspRegistryOptions } from 'fabric-config/msp';

/** Verified signatures kept per channel config: a few seconds of load, a few MB at most. */
export const DEFAULT_VERIFIED_CACHE_SIZE = 20_000;

/**
 * Larger messages are verified every time: their key would cost as much hashing as the
 * verification saves (the curve arithmetic is a fixed ~60 µs, the hash grows with the message).
 */
export const MAX_REMEMBERED_MESSAGE_BYTES = 16 * 1024;

export interface VerifiedSignatureOptions extends MspRegistryOptions {
  /** Most verified signatures remembered; the oldest is forgotten first. */
  verifiedCacheSize?: number;
}

export class VerifiedSignatureRegistry extends MspRegistry {
  private readonly verified = new Set<string>();
  private readonly verifiedCacheSize: number;

  constructor(msps: readonly MspDefinition[], options: Readonly<VerifiedSignatureOptions> = {}) {
    super(msps, options);
    this.verifiedCacheSize = Math.max(1, options.verifiedCacheSize ?? DEFAULT_VERIFIED_CACHE_SIZE);
  }

  override verify(identity: Identity, message: Uint8Array, signature: Uint8Array): boolean {
    if (message.length > MAX_REMEMBERED_MESSAGE_BYTES) return super.verify(identity, message, signature);
    const key = verificationKey(identity.serialized, message, signature);
    if (this.verified.has(key)) return true;
    if (!super.verify(identity, message, signature)) return false;
    if (this.verified.size >= this.verifiedCacheSize) {
      // Sets iterate in insertion order: the oldest entry goes first.
      const oldest = this.verified.values().next();
      if (oldest.done !== true) this.verified.delete(oldest.value);
    }
    this.verified.add(key);
    return true;
  }
}

/** SHA-256 over the three inputs, each length-prefixed so that no two triples share a key. */
function verificationKey(identity: Uint8Array, message: Uint8Array, signature: Uint8Array): string {
  const lengths = Buffer.alloc(12);
  lengths.writeUInt32BE(identity.length, 0);
  lengths.writeUInt32BE(message.length, 4);
  lengths.writeUInt32BE(signature.length, 8);
  return createHash('sha256').update(lengths).update(identity).update(message).update(signature).digest('base64');
}
