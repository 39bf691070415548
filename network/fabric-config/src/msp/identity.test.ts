import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msp } from '@hyperledger/fabric-protos';
import { verifyLowS } from '../crypto';
import { generateOrgCrypto, type OrgCrypto } from './cryptogen';
import { SigningIdentity } from './identity';

let root: string;
let org1: OrgCrypto;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'devnet-identity-'));
  org1 = await generateOrgCrypto(root, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' });
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('SigningIdentity', () => {
  it('loads the first keystore and signcerts files of an MSP folder', () => {
    const user = SigningIdentity.fromMspDir(org1.user.mspDir, 'Org1MSP');
    expect(user.mspId).toBe('Org1MSP');
    expect(user.certificatePem).toBe(org1.user.certPem);
    expect(Buffer.from(user.credentials).toString('utf8')).toBe(org1.user.certPem);
  });

  it('serializes a SerializedIdentity whose id_bytes are the PEM bytes', () => {
    const bytes = SigningIdentity.fromMspDir(org1.admin.mspDir, 'Org1MSP').serialize();
    const decoded = msp.SerializedIdentity.deserializeBinary(bytes);
    expect(decoded.getMspid()).toBe('Org1MSP');
    expect(Buffer.from(decoded.getIdBytes_asU8()).toString('utf8')).toBe(org1.admin.certPem);
  });

  it('signs low-S signatures that verifyLowS accepts against its certificate', () => {
    const peer = new SigningIdentity('Org1MSP', org1.peer.signCertPem, org1.peer.privateKeyPem);
    const message = Buffer.from('proposal response payload');
    for (let i = 0; i < 16; i++) {
      expect(verifyLowS(peer.certificatePem, message, peer.sign(message))).toBe(true);
    }
    expect(verifyLowS(org1.user.certPem, message, peer.sign(message))).toBe(false);
  });

  it('refuses a key that does not belong to the certificate', () => {
    expect(() => new SigningIdentity('Org1MSP', org1.peer.signCertPem, org1.user.privateKeyPem)).toThrow(
      expect.objectContaining({ name: 'MspError', code: 'MSP_BAD_CONFIG' }),
    );
  });

  it('refuses a non-P-256 key, an empty MSP ID and unparseable PEM', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    const refusal = expect.objectContaining({ name: 'MspError', code: 'MSP_BAD_CONFIG' });
    expect(() => new SigningIdentity('Org1MSP', org1.peer.signCertPem, p384)).toThrow(refusal);
    expect(() => new SigningIdentity('', org1.peer.signCertPem, org1.peer.privateKeyPem)).toThrow(refusal);
    expect(() => new SigningIdentity('Org1MSP', 'not a certificate', org1.peer.privateKeyPem)).toThrow(refusal);
  });

  it('refuses an MSP folder with an empty keystore', () => {
    const dir = join(root, 'empty-msp');
    mkdirSync(join(dir, 'keystore'), { recursive: true });
    mkdirSync(join(dir, 'signcerts'), { recursive: true });
    writeFileSync(join(dir, 'signcerts', 'cert.pem'), org1.user.certPem);
    expect(() => SigningIdentity.fromMspDir(dir, 'Org1MSP')).toThrow(
      expect.objectContaining({ name: 'MspError', code: 'MSP_BAD_CONFIG', message: `no file in ${join(dir, 'keystore')}` }),
    );
  });
});
