/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Wallets } from 'fabric-network';
import type { X509Identity } from 'fabric-network';
import { generateOrgCrypto, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { UsageError } from '../errors';
import { importWalletIdentity } from './wallet';

const dir = mkdtempSync(path.join(os.tmpdir(), 'connect-wallet-'));
const walletDir = path.join(dir, 'wallet');
let org: OrgCrypto;

beforeAll(async () => {
  org = await generateOrgCrypto(dir, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  // As fabric-samples' applications enrol: an X.509 identity put into a file-system wallet.
  const wallet = await Wallets.newFileSystemWallet(walletDir);
  const identity = (privateKey: string): X509Identity => ({ type: 'X.509', mspId: 'Org1MSP', credentials: { certificate: org.user.certPem, privateKey } });
  await wallet.put('appUser', identity(org.user.privateKeyPem));
  await wallet.put('mismatched', identity(org.admin.privateKeyPem));
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('wallet identities', () => {
  it('are written as an MSP folder that signs as the identity, its key readable by the owner only', async () => {
    const mspDir = path.join(dir, 'out', 'appUser', 'msp');
    const imported = await importWalletIdentity(walletDir, 'appUser', mspDir);
    expect(imported).toEqual({ label: 'appUser', mspId: 'Org1MSP', mspDir });
    expect(readFileSync(path.join(mspDir, 'signcerts', 'cert.pem'), 'utf8')).toBe(org.user.certPem);
    expect(statSync(path.join(mspDir, 'keystore', 'priv_sk')).mode & 0o777).toBe(0o600);
    const identity = SigningIdentity.fromMspDir(mspDir, 'Org1MSP');
    expect(identity.certificatePem).toBe(org.user.certPem);
  });

  it('name the labels the wallet holds when the label is not there', async () => {
    const err = await importWalletIdentity(walletDir, 'nobody', path.join(dir, 'x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`wallet ${walletDir} has no identity "nobody"; it holds "appUser", "mismatched"`);
  });

  it('are refused when the key does not belong to the certificate, before anything is written', async () => {
    const target = path.join(dir, 'mismatched');
    await expect(importWalletIdentity(walletDir, 'mismatched', target)).rejects.toThrow(/"mismatched" in .* is unusable: .*does not match the certificate/);
    expect(() => statSync(target)).toThrow();
  });

  it('need an existing wallet folder', async () => {
    await expect(importWalletIdentity(path.join(dir, 'none'), 'appUser', path.join(dir, 'y'))).rejects.toThrow(`--wallet ${path.join(dir, 'none')}: no such folder`);
  });
});
