/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The member's vote key: the private key of its Fabric identity, read from an MSP folder
 * (cryptogen or Fabric CA layout: the first file of keystore/), so that a vote's signature
 * verifies against the very certificate the transaction is submitted with.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { signVote } from 'mgmt-chaincode/dist/protocol';

/** Signs a vote: base64 DER low-S ECDSA over `mgmt-cb-v1:<approve|reject>:<hash>`. */
export type VoteSigner = (hash: string, approve: boolean) => string;

/** An MSP folder could not be read. */
export class MspReadError extends Error {
  readonly code = 'MSP_UNREADABLE';
  /** The folder that was read. */
  readonly mspDir: string;

  constructor(mspDir: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MspReadError';
    this.mspDir = mspDir;
  }
}

function firstFile(mspDir: string, sub: 'keystore' | 'signcerts'): string {
  const dir = path.join(mspDir, sub);
  let files: string[];
  try {
    files = readdirSync(dir).sort();
  } catch (err) {
    throw new MspReadError(mspDir, `cannot read ${dir}: ${(err as Error).message}`, { cause: err });
  }
  if (files.length === 0) throw new MspReadError(mspDir, `${dir} is empty: no ${sub === 'keystore' ? 'private key' : 'certificate'}`);
  return path.join(dir, files[0]);
}

/**
 * The PEM private key of an MSP folder (the first file of `keystore/`, as Fabric's tools pick it).
 *
 * @throws {@link MspReadError} when the folder or key cannot be read.
 */
export function readPrivateKeyPem(mspDir: string): string {
  return readFileSync(firstFile(mspDir, 'keystore'), 'utf8');
}

/**
 * The PEM certificate of an MSP folder (the first file of `signcerts/`).
 *
 * @throws {@link MspReadError} when the folder or certificate cannot be read.
 */
export function readCertificatePem(mspDir: string): string {
  return readFileSync(firstFile(mspDir, 'signcerts'), 'utf8');
}

/**
 * A vote signer from a PEM private key; the key is checked once, up front.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` when the key is not an ECDSA P-256 private key.
 */
export function voteSignerFromKey(privateKeyPem: string): VoteSigner {
  // Sign a throw-away hash now, so a bad key fails at start-up rather than at the first vote.
  signVote({ hash: '0'.repeat(64), approve: true, privateKeyPem });
  return (hash, approve) => signVote({ hash, approve, privateKeyPem });
}

/**
 * A vote signer from an MSP folder's key.
 *
 * @throws {@link MspReadError} or {@link MgmtError} as {@link readPrivateKeyPem} and {@link voteSignerFromKey}.
 */
export function voteSignerFromMsp(mspDir: string): VoteSigner {
  return voteSignerFromKey(readPrivateKeyPem(mspDir));
}
