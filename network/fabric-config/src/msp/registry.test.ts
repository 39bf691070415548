import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msp } from '@hyperledger/fabric-protos';
import { p256 } from '@noble/curves/nist';
import { generateOrgCrypto, type OrgCrypto, type OrgSpec } from './cryptogen';
import { MspError } from './errors';
import { SigningIdentity } from './identity';
import { type MspRole, MspRegistry, mspDefinitionFromFolder } from './registry';

const spec = (i: number): OrgSpec => ({ mspId: `Org${String(i)}MSP`, domain: `org${String(i)}.example.com`, peerName: 'peer0', ordererName: 'orderer0' });

let root: string;
let org1: OrgCrypto;
let org2: OrgCrypto;
let registry: MspRegistry;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'devnet-registry-'));
  [org1, org2] = await Promise.all([generateOrgCrypto(root, spec(1)), generateOrgCrypto(root, spec(2))]);
  registry = new MspRegistry([mspDefinitionFromFolder(org1.mspDir, 'Org1MSP'), mspDefinitionFromFolder(org2.mspDir, 'Org2MSP')]);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function serialized(mspId: string, idBytes: string | Uint8Array): Uint8Array {
  const identity = new msp.SerializedIdentity();
  identity.setMspid(mspId);
  identity.setIdBytes(typeof idBytes === 'string' ? Buffer.from(idBytes, 'utf8') : idBytes);
  return identity.serializeBinary();
}

/** A certificate whose CA signature no longer verifies while its issuer name and AKI still match. */
function withTamperedSignature(pem: string): string {
  const der = Buffer.from(new X509Certificate(pem).raw);
  der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01;
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
}

/** An Org1 enrolment certificate with the given OUs, signed by Org1's CA. */
async function issueWithOus(ous: string[]): Promise<string> {
  const caKeyPem = readFileSync(join(org1.orgDir, 'ca', 'priv_sk'), 'utf8');
  const caKeyDer = Buffer.from(caKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  const signingKey = await webcrypto.subtle.importKey('pkcs8', caKeyDer, algorithm, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: [...ous.map((ou) => ({ OU: [ou] })), { CN: ['odd@org1.example.com'] }],
      issuer: new x509.X509Certificate(org1.caCertPem).subjectName,
      publicKey: keys.publicKey,
      signingKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3600_000),
    },
    webcrypto,
  );
  return cert.toString('pem');
}

describe('mspDefinitionFromFolder', () => {
  it('reads cacerts and tlscacerts', () => {
    expect(mspDefinitionFromFolder(org1.mspDir, 'Org1MSP')).toEqual({
      mspId: 'Org1MSP',
      rootCerts: [org1.caCertPem],
      tlsRootCerts: [org1.tlsCaCertPem],
    });
  });

  it('refuses a folder without CA certificates', () => {
    const empty = join(root, 'no-cacerts');
    mkdirSync(join(empty, 'cacerts'), { recursive: true });
    expect(() => mspDefinitionFromFolder(empty, 'OrgXMSP')).toThrow(expect.objectContaining({ name: 'MspError', code: 'MSP_BAD_CONFIG' }));
  });
});

describe('MspRegistry', () => {
  it('lists its MSPs and their definitions', () => {
    expect(registry.mspIds()).toEqual(['Org1MSP', 'Org2MSP']);
    expect(registry.definition('Org2MSP')).toMatchObject({ mspId: 'Org2MSP', rootCerts: [org2.caCertPem] });
    expect(registry.definition('Org9MSP')).toBeUndefined();
  });

  it('deserializes a SigningIdentity and verifies its signatures', () => {
    const user = SigningIdentity.fromMspDir(org1.user.mspDir, 'Org1MSP');
    const identity = registry.deserialize(user.serialize());
    expect(identity).toMatchObject({ mspId: 'Org1MSP', certificatePem: org1.user.certPem, role: 'client' });
    expect(identity.certificate).toBeInstanceOf(X509Certificate);
    expect(Buffer.from(identity.serialized).equals(Buffer.from(user.serialize()))).toBe(true);

    const message = Buffer.from('signed proposal bytes');
    expect(registry.verify(identity, message, user.sign(message))).toBe(true);
  });

  it('caches by the serialized bytes', () => {
    const bytes = SigningIdentity.fromMspDir(org1.peer.mspDir, 'Org1MSP').serialize();
    expect(registry.deserialize(bytes)).toBe(registry.deserialize(Uint8Array.from(bytes)));
  });

  it.each([
    ['peer', (o: OrgCrypto): string => o.peer.signCertPem],
    ['orderer', (o: OrgCrypto): string => o.orderer.signCertPem],
    ['admin', (o: OrgCrypto): string => o.admin.certPem],
    ['client', (o: OrgCrypto): string => o.user.certPem],
  ] as const)('reads the NodeOU role %s back', (role, pem) => {
    expect(registry.deserialize(serialized('Org2MSP', pem(org2))).role).toBe(role);
  });

  const roleTable: [string, 'admin' | 'user' | 'peer' | 'orderer', string, MspRole, boolean][] = [
    ['admin is a member', 'admin', 'Org1MSP', 'member', true],
    ['admin is an admin', 'admin', 'Org1MSP', 'admin', true],
    ['admin is not a client', 'admin', 'Org1MSP', 'client', false],
    ['client is a member', 'user', 'Org1MSP', 'member', true],
    ['client is not an admin', 'user', 'Org1MSP', 'admin', false],
    ['client is a client', 'user', 'Org1MSP', 'client', true],
    ['peer is a peer', 'peer', 'Org1MSP', 'peer', true],
    ['peer is not an orderer', 'peer', 'Org1MSP', 'orderer', false],
    ['orderer is an orderer', 'orderer', 'Org1MSP', 'orderer', true],
    ['Org1 admin is not an Org2 member', 'admin', 'Org2MSP', 'member', false],
    ['Org1 admin is not an Org2 admin', 'admin', 'Org2MSP', 'admin', false],
  ];
  it.each(roleTable)('satisfiesRole: %s', (_name, who, mspId, role, expected) => {
    const pem = who === 'admin' ? org1.admin.certPem : who === 'user' ? org1.user.certPem : org1[who].signCertPem;
    const identity = registry.deserialize(serialized('Org1MSP', pem));
    expect(registry.satisfiesRole(identity, mspId, role)).toBe(expected);
  });

  it('refuses a certificate of another org claimed under this MSP', () => {
    const attempt = (): unknown => registry.deserialize(serialized('Org1MSP', org2.user.certPem));
    expect(attempt).toThrow(MspError);
    expect(attempt).toThrow(
      expect.objectContaining({
        name: 'MspError',
        code: 'MSP_UNKNOWN_AUTHORITY',
        mspId: 'Org1MSP',
        message: 'the supplied identity is not valid: x509: certificate signed by unknown authority',
      }),
    );
  });

  it('refuses a certificate whose CA signature was tampered with (checkIssued alone would pass)', () => {
    const tampered = withTamperedSignature(org1.user.certPem);
    expect(new X509Certificate(tampered).checkIssued(new X509Certificate(org1.caCertPem))).toBe(true);
    expect(() => registry.deserialize(serialized('Org1MSP', tampered))).toThrow(
      expect.objectContaining({ name: 'MspError', code: 'MSP_UNKNOWN_AUTHORITY' }),
    );
  });

  it('refuses a TLS certificate as an enrolment identity (issued by the TLS CA, not the MSP root)', () => {
    expect(() => registry.deserialize(serialized('Org1MSP', org1.user.tlsCertPem))).toThrow(
      expect.objectContaining({ code: 'MSP_UNKNOWN_AUTHORITY' }),
    );
  });

  it('refuses an unknown MSP', () => {
    expect(() => registry.deserialize(serialized('Org9MSP', org1.user.certPem))).toThrow(
      expect.objectContaining({ name: 'MspError', code: 'MSP_UNKNOWN', message: 'MSP Org9MSP is unknown' }),
    );
  });

  it.each([
    ['bytes that are not a SerializedIdentity', (): Uint8Array => Buffer.from([0xff, 0xff, 0xff]), 'could not deserialize a SerializedIdentity'],
    ['id_bytes that are not PEM', (): Uint8Array => serialized('Org1MSP', 'hello'), 'could not decode the PEM structure'],
    [
      'a PEM block that is not a certificate',
      (): Uint8Array => serialized('Org1MSP', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      'parseCertificate failed',
    ],
  ])('refuses %s', (_name, bytes, message) => {
    expect(() => registry.deserialize(bytes())).toThrow(expect.objectContaining({ name: 'MspError', code: 'MSP_MALFORMED_IDENTITY', message }));
  });

  it('gives a certificate without a NodeOU the role undefined: a member and nothing else', async () => {
    const identity = registry.deserialize(serialized('Org1MSP', await issueWithOus(['engineering'])));
    expect(identity.role).toBeUndefined();
    expect(registry.satisfiesRole(identity, 'Org1MSP', 'member')).toBe(true);
    expect(registry.satisfiesRole(identity, 'Org1MSP', 'client')).toBe(false);
  });

  it('refuses a certificate that claims two NodeOU roles', async () => {
    const pem = await issueWithOus(['client', 'admin']);
    expect(() => registry.deserialize(serialized('Org1MSP', pem))).toThrow(
      expect.objectContaining({
        name: 'MspError',
        code: 'MSP_INVALID_IDENTITY',
        message: expect.stringContaining('not a combination of them. OUs: [client admin], MSP: [Org1MSP]'),
      }),
    );
  });

  it('refuses a CA certificate as an identity', () => {
    expect(() => registry.deserialize(serialized('Org1MSP', org1.caCertPem))).toThrow(
      expect.objectContaining({ name: 'MspError', code: 'MSP_INVALID_IDENTITY' }),
    );
  });

  it('refuses certificates outside their validity period, also when cached', () => {
    let now = new Date();
    const clocked = new MspRegistry([mspDefinitionFromFolder(org1.mspDir, 'Org1MSP')], { now: (): Date => now });
    const bytes = serialized('Org1MSP', org1.user.certPem);
    expect(clocked.deserialize(bytes).role).toBe('client');

    now = new Date(Date.now() + 11 * 365 * 24 * 3600 * 1000);
    expect(() => clocked.deserialize(bytes)).toThrow(
      expect.objectContaining({
        name: 'MspError',
        code: 'MSP_CERT_EXPIRED',
        message: expect.stringMatching(/^the supplied identity is not valid: x509: certificate has expired or is not yet valid: current time .* is after /),
      }),
    );
    now = new Date(Date.now() - 3600 * 1000);
    const fresh = new MspRegistry([mspDefinitionFromFolder(org1.mspDir, 'Org1MSP')], { now: (): Date => now });
    expect(() => fresh.deserialize(bytes)).toThrow(expect.objectContaining({ code: 'MSP_CERT_EXPIRED', message: expect.stringMatching(/is before /) }));
  });

  it('refuses tampered, foreign and high-S signatures', () => {
    const admin = SigningIdentity.fromMspDir(org1.admin.mspDir, 'Org1MSP');
    const identity = registry.deserialize(admin.serialize());
    const message = Buffer.from('config update');
    const signature = admin.sign(message);
    expect(registry.verify(identity, message, signature)).toBe(true);

    const tampered = Buffer.from(signature);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x01;
    expect(registry.verify(identity, message, tampered)).toBe(false);
    expect(registry.verify(identity, Buffer.from('config updatE'), signature)).toBe(false);
    expect(registry.verify(identity, message, SigningIdentity.fromMspDir(org1.user.mspDir, 'Org1MSP').sign(message))).toBe(false);

    const parsed = p256.Signature.fromBytes(signature, 'der');
    const highS = new p256.Signature(parsed.r, p256.Point.CURVE().n - parsed.s).toBytes('der');
    expect(registry.verify(identity, message, highS)).toBe(false);
    expect(registry.verify(identity, message, new Uint8Array())).toBe(false);
  });

  it('refuses a configuration with a duplicate MSP or no root certificate', () => {
    const def = mspDefinitionFromFolder(org1.mspDir, 'Org1MSP');
    const bad = expect.objectContaining({ name: 'MspError', code: 'MSP_BAD_CONFIG' });
    expect(() => new MspRegistry([def, def])).toThrow(bad);
    expect(() => new MspRegistry([{ ...def, rootCerts: [] }])).toThrow(bad);
    expect(() => new MspRegistry([{ ...def, rootCerts: ['garbage'] }])).toThrow(bad);
  });
});
