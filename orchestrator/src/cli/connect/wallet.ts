/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Identities from a fabric-network wallet (the `wallet/` folder fabric-samples' Node applications
 * enrol into), written out as the MSP folder (signcerts/, keystore/) the connection file names.
 */
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { SigningIdentity } from 'fabric-config/msp';
import { UsageError } from '../errors';

export interface WalletIdentity {
  readonly label: string;
  readonly mspId: string;
  /** The MSP folder written: signcerts/cert.pem and keystore/priv_sk (mode 0600). */
  readonly mspDir: string;
}

interface X509Credentials {
  readonly certificate: string;
  readonly privateKey: string;
}

function x509Credentials(value: unknown): X509Credentials | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { certificate, privateKey } = value as Record<string, unknown>;
  return typeof certificate === 'string' && typeof privateKey === 'string' ? { certificate, privateKey } : undefined;
}

/**
 * Reads identity `label` from the file-system wallet in `walletDir` (fabric-network's
 * `Wallets.newFileSystemWallet`) and writes it as an MSP folder `mspDir`.
 *
 * @throws {@link UsageError} when the wallet or the label does not exist, the identity is not an
 *   X.509 identity with its key (an HSM identity), or its key does not belong to its certificate.
 */
export async function importWalletIdentity(walletDir: string, label: string, mspDir: string): Promise<WalletIdentity> {
  if (!existsSync(walletDir) || !statSync(walletDir).isDirectory()) throw new UsageError(`--wallet ${walletDir}: no such folder`);
  // Loaded here only: fabric-network is large, and only this option needs it.
  const { Wallets } = await import('fabric-network');
  const wallet = await Wallets.newFileSystemWallet(walletDir);
  const identity = await wallet.get(label);
  if (identity === undefined) {
    const labels = await wallet.list();
    throw new UsageError(`wallet ${walletDir} has no identity ${JSON.stringify(label)}; it holds ${labels.length === 0 ? 'none' : labels.map((l) => JSON.stringify(l)).join(', ')}`);
  }
  const credentials = identity.type === 'X.509' ? x509Credentials((identity as unknown as { credentials: unknown }).credentials) : undefined;
  if (credentials === undefined) {
    throw new UsageError(`wallet identity ${JSON.stringify(label)} is of type ${identity.type} without a private key in the wallet (an HSM identity?); use an X.509 identity, or give its MSP folder instead`);
  }
  try {
    // Refuses a key that does not belong to the certificate before anything is written.
    new SigningIdentity(identity.mspId, credentials.certificate, credentials.privateKey);
  } catch (err) {
    throw new UsageError(`wallet identity ${JSON.stringify(label)} in ${walletDir} is unusable: ${(err as Error).message}`);
  }
  mkdirSync(path.join(mspDir, 'signcerts'), { recursive: true });
  mkdirSync(path.join(mspDir, 'keystore'), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(mspDir, 'signcerts', 'cert.pem'), credentials.certificate, { mode: 0o644 });
  const keyFile = path.join(mspDir, 'keystore', 'priv_sk');
  writeFileSync(keyFile, credentials.privateKey, { mode: 0o600 });
  // The mode above only applies to a new file; a rerun with --force rewrites an existing one.
  chmodSync(keyFile, 0o600);
  return { label, mspId: identity.mspId, mspDir };
}
