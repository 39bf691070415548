/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { createHash, createPrivateKey } from 'node:crypto';

import { p256 } from '@noble/curves/nist';

import { p256PublicKey, parseCertificate } from './certificates';
import { readDerSignature } from './derSignature';
import { pureVerifier } from './cryptoVerifier';
import type { CryptoVerifier } from './cryptoVerifier';
import { MgmtError, messageOf } from './errors';
import { HASH_PATTERN } from './hash';

/** Domain of every vote message; a new message format gets a new prefix. */
export const VOTE_DOMAIN = 'mgmt-cb-v1';

/**
 * The text a member signs to vote: `mgmt-cb-v1:approve:<hash>` or `mgmt-cb-v1:reject:<hash>`.
 * The prefix keeps the signature from being valid for any other message signed with the same
 * key, and approve and reject differ so that a rejection cannot pass as an approval.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` unless hash is 64 lowercase hex digits.
 */
export function voteText(hash: string, approve: boolean): string {
  if (!HASH_PATTERN.test(hash)) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `hash must be 64 lowercase hex digits, got ${JSON.stringify(hash)}`);
  }
  return `${VOTE_DOMAIN}:${approve ? 'approve' : 'reject'}:${hash}`;
}

/**
 * The UTF-8 bytes of {@link voteText}: what ECDSA signs (after SHA-256).
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` as {@link voteText}.
 */
export function voteMessage(hash: string, approve: boolean): Uint8Array {
  return Buffer.from(voteText(hash, approve), 'utf8');
}

function digest(message: Uint8Array): Uint8Array {
  return createHash('sha256').update(message).digest();
}

/**
 * Decodes canonical base64 (padded, no whitespace, no stray bits).
 *
 * @returns the bytes, or `undefined` when the text is not canonical base64.
 */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    return undefined;
  }
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** Inputs of {@link verifyVoteSignature}. */
export interface VoteSignatureCheck {
  readonly hash: string;
  readonly approve: boolean;
  /** Base64 DER ECDSA signature. */
  readonly signature: string;
  /** PEM certificate of the signer. */
  readonly certificate: string;
}

/**
 * Verifies a vote signature: ECDSA P-256 with SHA-256, DER in canonical base64, low-S only, over
 * {@link voteMessage}, with the public key of the given certificate. Non-canonical DER and
 * high-S signatures are refused, so each vote has exactly one valid encoding.
 *
 * @param verifier parses the certificate and verifies the ECDSA signature once this function has
 * found it canonical and low-S (default {@link pureVerifier}: `@noble/curves`); the rule and its
 * messages are the same with any verifier.
 * @throws {@link MgmtError} `MGMT_BAD_SIGNATURE` naming why the signature fails, or
 * `MGMT_BAD_CERTIFICATE` when the certificate is unusable.
 */
export function assertVoteSignature(check: VoteSignatureCheck, verifier: CryptoVerifier = pureVerifier): void {
  const certificate = parseCertificate(check.certificate, 'certificate', verifier);
  p256PublicKey(certificate);
  const der = decodeBase64Strict(check.signature);
  if (der === undefined) {
    throw new MgmtError('MGMT_BAD_SIGNATURE', 'signature is not canonical base64');
  }
  const read = readDerSignature(der);
  if (!read.ok) {
    throw new MgmtError('MGMT_BAD_SIGNATURE', 'highS' in read ? 'signature has a high S value' : `signature is not DER: ${read.notDer}`);
  }
  const message = voteMessage(check.hash, check.approve);
  if (!verifier.verifyVote(certificate, message, der)) {
    throw new MgmtError('MGMT_BAD_SIGNATURE', `signature does not verify over "${voteText(check.hash, check.approve)}"`);
  }
}

/**
 * Like {@link assertVoteSignature}, as a boolean.
 *
 * @returns true when the signature is valid.
 */
export function verifyVoteSignature(check: VoteSignatureCheck, verifier: CryptoVerifier = pureVerifier): boolean {
  try {
    assertVoteSignature(check, verifier);
    return true;
  } catch {
    return false;
  }
}

/** Inputs of {@link signVote}. */
export interface SignVoteOptions {
  readonly hash: string;
  readonly approve: boolean;
  /** PEM PKCS#8 (or SEC1) private key of the voter's Fabric identity, ECDSA P-256. */
  readonly privateKeyPem: string;
}

/**
 * Signs a vote the way the chaincode expects: deterministic (RFC 6979) low-S ECDSA P-256 over
 * SHA-256 of {@link voteMessage}, DER, base64.
 *
 * @example
 * const signature = signVote({ hash: proposal.hash, approve: true, privateKeyPem });
 * await contract.submitTransaction('Vote', proposal.id, 'true', signature, 'within bounds');
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` when the key is not a P-256 private key or the
 * hash is malformed.
 */
export function signVote(options: SignVoteOptions): string {
  let d: Uint8Array;
  try {
    const key = createPrivateKey(options.privateKeyPem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('not an ECDSA P-256 key');
    }
    const jwk = key.export({ format: 'jwk' });
    if (typeof jwk.d !== 'string') {
      throw new Error('no private scalar');
    }
    d = Buffer.from(jwk.d, 'base64url');
  } catch (err) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `private key: ${messageOf(err)}`, { cause: err });
  }
  const signature = p256.sign(digest(voteMessage(options.hash, options.approve)), d, { lowS: true, prehash: false });
  return Buffer.from(signature.toBytes('der')).toString('base64');
}
