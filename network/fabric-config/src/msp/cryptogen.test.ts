import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist';
import { generateOrgCrypto, issuePeerNode, loadOrgCrypto, nodeOuConfigYaml, type OrgCrypto, type OrgSpec } from './cryptogen';
import { MspError } from './errors';

const spec = (i: number): OrgSpec => ({ mspId: `Org${String(i)}MSP`, domain: `org${String(i)}.example.com`, peerName: 'peer0', ordererName: 'orderer0' });

let root: string;
let org1: OrgCrypto;
let org2: OrgCrypto;
let generationMs: number;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'devnet-cryptogen-'));
  const started = performance.now();
  [org1, org2] = (await Promise.all([1, 2, 3, 4].map((i) => generateOrgCrypto(root, spec(i))))) as [OrgCrypto, OrgCrypto];
  generationMs = performance.now() - started;
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const orgDir = (): string => join(root, 'organizations/peerOrganizations/org1.example.com');
const read = (relative: string): string => readFileSync(join(orgDir(), relative), 'utf8');
const cert = (relative: string): X509Certificate => new X509Certificate(read(relative));
const issuedBy = (leaf: X509Certificate, ca: X509Certificate): boolean => leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
const ous = (c: X509Certificate): string[] => c.subject.split('\n').filter((l) => l.startsWith('OU=')).map((l) => l.slice(3));

describe('generateOrgCrypto', () => {
  it('generates four orgs well under 2 s', () => {
    expect(generationMs).toBeLessThan(2000);
  });

  it('writes the cryptogen folder layout', () => {
    const mspFiles = (dir: string, name: string): string[] => [
      `${dir}/msp/keystore/priv_sk`,
      `${dir}/msp/signcerts/${name}-cert.pem`,
      `${dir}/msp/cacerts/ca.org1.example.com-cert.pem`,
      `${dir}/msp/tlscacerts/tlsca.org1.example.com-cert.pem`,
      `${dir}/msp/config.yaml`,
      `${dir}/tls/ca.crt`,
    ];
    const expected = [
      'ca/ca.org1.example.com-cert.pem',
      'ca/priv_sk',
      'tlsca/tlsca.org1.example.com-cert.pem',
      'tlsca/priv_sk',
      'msp/cacerts/ca.org1.example.com-cert.pem',
      'msp/tlscacerts/tlsca.org1.example.com-cert.pem',
      'msp/config.yaml',
      ...mspFiles('peers/peer0.org1.example.com', 'peer0.org1.example.com'),
      'peers/peer0.org1.example.com/tls/server.crt',
      'peers/peer0.org1.example.com/tls/server.key',
      ...mspFiles('orderers/orderer0.org1.example.com', 'orderer0.org1.example.com'),
      'orderers/orderer0.org1.example.com/tls/server.crt',
      'orderers/orderer0.org1.example.com/tls/server.key',
      ...mspFiles('users/Admin@org1.example.com', 'Admin@org1.example.com'),
      'users/Admin@org1.example.com/tls/client.crt',
      'users/Admin@org1.example.com/tls/client.key',
      ...mspFiles('users/User1@org1.example.com', 'User1@org1.example.com'),
      'users/User1@org1.example.com/tls/client.crt',
      'users/User1@org1.example.com/tls/client.key',
    ];
    expect(expected.filter((file) => !existsSync(join(orgDir(), file)))).toEqual([]);
    expect(statSync(join(orgDir(), 'users/User1@org1.example.com/msp/keystore/priv_sk')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(root, 'organizations/peerOrganizations/org4.example.com/msp/config.yaml'))).toBe(true);
  });

  it('returns paths and PEMs that match the files', () => {
    expect(org1).toMatchObject({
      mspId: 'Org1MSP',
      domain: 'org1.example.com',
      orgDir: orgDir(),
      mspDir: join(orgDir(), 'msp'),
      caCertPem: read('ca/ca.org1.example.com-cert.pem'),
      tlsCaCertPem: read('tlsca/tlsca.org1.example.com-cert.pem'),
      peer: {
        host: 'peer0.org1.example.com',
        mspDir: join(orgDir(), 'peers/peer0.org1.example.com/msp'),
        signCertPem: read('peers/peer0.org1.example.com/msp/signcerts/peer0.org1.example.com-cert.pem'),
        privateKeyPem: read('peers/peer0.org1.example.com/msp/keystore/priv_sk'),
        tlsCertPem: read('peers/peer0.org1.example.com/tls/server.crt'),
        tlsKeyPem: read('peers/peer0.org1.example.com/tls/server.key'),
        tlsCaPath: join(orgDir(), 'peers/peer0.org1.example.com/tls/ca.crt'),
      },
      orderer: { host: 'orderer0.org1.example.com' },
      admin: { name: 'Admin@org1.example.com', certPem: read('users/Admin@org1.example.com/msp/signcerts/Admin@org1.example.com-cert.pem') },
      user: { name: 'User1@org1.example.com', tlsKeyPem: read('users/User1@org1.example.com/tls/client.key') },
    });
  });

  it('writes the NodeOU config.yaml exactly as cryptogen does, in every MSP folder', () => {
    const yaml = [
      'NodeOUs:',
      '  Enable: true',
      ...['ClientOUIdentifier:client', 'PeerOUIdentifier:peer', 'AdminOUIdentifier:admin', 'OrdererOUIdentifier:orderer'].flatMap((pair) => {
        const [key, ou] = pair.split(':');
        return [`  ${key}:`, '    Certificate: cacerts/ca.org1.example.com-cert.pem', `    OrganizationalUnitIdentifier: ${ou}`];
      }),
      '',
    ].join('\n');
    expect(nodeOuConfigYaml('ca.org1.example.com-cert.pem')).toBe(yaml);
    expect(read('msp/config.yaml')).toBe(yaml);
    expect(read('users/Admin@org1.example.com/msp/config.yaml')).toBe(yaml);
  });

  it('writes PKCS#8 P-256 keys that belong to their certificates', () => {
    const pairs: [string, string][] = [
      [org1.peer.privateKeyPem, org1.peer.signCertPem],
      [org1.peer.tlsKeyPem, org1.peer.tlsCertPem],
      [org1.orderer.privateKeyPem, org1.orderer.signCertPem],
      [org1.admin.privateKeyPem, org1.admin.certPem],
      [org1.user.privateKeyPem, org1.user.certPem],
      [org1.user.tlsKeyPem, org1.user.tlsCertPem],
      [read('ca/priv_sk'), org1.caCertPem],
      [read('tlsca/priv_sk'), org1.tlsCaCertPem],
    ];
    for (const [keyPem, certPem] of pairs) {
      expect(keyPem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
      const key = createPrivateKey(keyPem);
      expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
      expect(spki.equals(new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    }
  });

  it('makes self-signed CA certificates like cryptogen', () => {
    for (const [file, cn] of [
      ['ca/ca.org1.example.com-cert.pem', 'ca.org1.example.com'],
      ['tlsca/tlsca.org1.example.com-cert.pem', 'tlsca.org1.example.com'],
    ] as const) {
      const ca = cert(file);
      expect(ca.subject).toBe(`C=US\nST=North Carolina\nL=San Francisco\nO=org1.example.com\nCN=${cn}`);
      expect(ca.issuer).toBe(ca.subject);
      expect(ca.ca).toBe(true);
      expect(issuedBy(ca, ca)).toBe(true);
      const parsed = new x509.X509Certificate(read(file));
      expect(parsed.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
      );
      // cryptogen's computeSKI: SHA-256 of the uncompressed public point.
      const point = ca.publicKey.export({ type: 'spki', format: 'der' }).subarray(-65);
      expect(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toBe(createHash('sha256').update(point).digest('hex'));
    }
  });

  it('issues leaf certificates that chain to their CA, with the NodeOU role and AKI', () => {
    const ca = cert('ca/ca.org1.example.com-cert.pem');
    const caSki = new x509.X509Certificate(org1.caCertPem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    const leaves: [string, string, string][] = [
      [org1.peer.signCertPem, 'peer', 'peer0.org1.example.com'],
      [org1.orderer.signCertPem, 'orderer', 'orderer0.org1.example.com'],
      [org1.admin.certPem, 'admin', 'Admin@org1.example.com'],
      [org1.user.certPem, 'client', 'User1@org1.example.com'],
    ];
    for (const [pem, role, cn] of leaves) {
      const leaf = new X509Certificate(pem);
      expect(issuedBy(leaf, ca)).toBe(true);
      expect(leaf.ca).toBe(false);
      expect(ous(leaf)).toEqual([role]);
      expect(leaf.subject).toBe(`C=US\nST=North Carolina\nL=San Francisco\nOU=${role}\nCN=${cn}`);
      const parsed = new x509.X509Certificate(pem);
      expect(parsed.getExtension(x509.KeyUsagesExtension)?.usages).toBe(x509.KeyUsageFlags.digitalSignature);
      expect(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(caSki);
    }
    expect(issuedBy(new X509Certificate(org1.user.certPem), new X509Certificate(org2.caCertPem))).toBe(false);
  });

  it('issues TLS certificates from the TLS CA, servers with the SANs fabric-samples dial', () => {
    const tlsCa = new X509Certificate(org1.tlsCaCertPem);
    const server = new X509Certificate(org1.peer.tlsCertPem);
    expect(issuedBy(server, tlsCa)).toBe(true);
    expect(server.subjectAltName).toBe('DNS:peer0.org1.example.com, DNS:peer0, DNS:localhost, IP Address:127.0.0.1');
    expect(server.checkHost('peer0.org1.example.com')).toBe('peer0.org1.example.com');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(new X509Certificate(org1.orderer.tlsCertPem).checkHost('orderer0.org1.example.com')).toBe('orderer0.org1.example.com');

    const client = new X509Certificate(org1.user.tlsCertPem);
    expect(issuedBy(client, tlsCa)).toBe(true);
    expect(client.keyUsage).toContain('1.3.6.1.5.5.7.3.2');
    expect(readFileSync(org1.peer.tlsCaPath, 'utf8')).toBe(org1.tlsCaCertPem);
  });

  it('puts the given IP addresses in the node TLS certificates (an org on a loopback address of its own)', async () => {
    const own = await generateOrgCrypto(root, { ...spec(6), ipAddresses: ['127.0.0.7', '::1'] });
    for (const pem of [own.peer.tlsCertPem, own.orderer.tlsCertPem]) {
      const cert = new X509Certificate(pem);
      expect(cert.checkIP('127.0.0.7')).toBe('127.0.0.7');
      expect(cert.checkIP('127.0.0.1')).toBeUndefined();
    }
  });

  it('backdates validity by five minutes and lasts ten years', () => {
    const leaf = new X509Certificate(org1.peer.signCertPem);
    const notBefore = Date.parse(leaf.validFrom);
    const now = Date.now();
    expect(notBefore).toBeLessThan(now - 4 * 60_000);
    expect(notBefore).toBeGreaterThan(now - 6 * 60_000);
    expect(Date.parse(leaf.validTo) - notBefore).toBe(3650 * 24 * 3600 * 1000);
  });

  it('signs every certificate with a low-S signature, as cryptogen does', () => {
    const half = p256.Point.CURVE().n >> 1n;
    for (const pem of [org1.caCertPem, org1.tlsCaCertPem, org1.peer.signCertPem, org1.peer.tlsCertPem, org1.user.certPem]) {
      const signature = p256.Signature.fromBytes(new Uint8Array(new x509.X509Certificate(pem).signature), 'der');
      expect(signature.s <= half).toBe(true);
    }
  });

  it('passes openssl verify for the peer enrolment and TLS certificates', () => {
    const run = (args: string[]): string => execFileSync('openssl', ['verify', ...args], { encoding: 'utf8' }).trim();
    const peerDir = join(orgDir(), 'peers/peer0.org1.example.com');
    const signCert = join(peerDir, 'msp/signcerts/peer0.org1.example.com-cert.pem');
    expect(run(['-CAfile', join(orgDir(), 'ca/ca.org1.example.com-cert.pem'), signCert])).toBe(`${signCert}: OK`);
    const serverCert = join(peerDir, 'tls/server.crt');
    expect(run(['-purpose', 'sslserver', '-CAfile', join(peerDir, 'tls/ca.crt'), serverCert])).toBe(`${serverCert}: OK`);
  });

  it('reads the same material back with loadOrgCrypto', async () => {
    await expect(loadOrgCrypto(root, spec(1))).resolves.toEqual(org1);
    await expect(loadOrgCrypto(root, spec(9))).rejects.toMatchObject({ name: 'MspError', code: 'MSP_BAD_CONFIG' });
  });

  it.each([
    ['an empty MSP ID', { mspId: '' }],
    ['a domain with a slash', { domain: '../evil' }],
    ['a peer name with a dot', { peerName: 'peer0.x' }],
    ['the same peer and orderer name', { ordererName: 'peer0' }],
    ['an IP SAN that is not an address', { ipAddresses: ['127.0.0.1', 'org5.example.com'] }],
  ])('refuses %s', async (_name, override) => {
    const bad = { ...spec(5), ...override };
    const attempt = generateOrgCrypto(root, bad);
    await expect(attempt).rejects.toBeInstanceOf(MspError);
    await expect(attempt).rejects.toMatchObject({ name: 'MspError', code: 'MSP_BAD_CONFIG' });
  });
});

describe('issuePeerNode', () => {
  it("issues a second peer from the org's own CAs, in the first peer's layout", async () => {
    const node = await issuePeerNode(root, spec(1), 'peer1');
    expect(node.host).toBe('peer1.org1.example.com');
    expect(node.mspDir).toBe(join(orgDir(), 'peers/peer1.org1.example.com/msp'));
    const enrolment = cert('peers/peer1.org1.example.com/msp/signcerts/peer1.org1.example.com-cert.pem');
    expect(enrolment.toString()).toBe(new X509Certificate(node.signCertPem).toString());
    expect(issuedBy(enrolment, new X509Certificate(org1.caCertPem))).toBe(true);
    expect(issuedBy(enrolment, new X509Certificate(org2.caCertPem))).toBe(false);
    expect(ous(enrolment)).toEqual(['peer']);
    expect(enrolment.checkPrivateKey(createPrivateKey(read('peers/peer1.org1.example.com/msp/keystore/priv_sk')))).toBe(true);
    const tls = cert('peers/peer1.org1.example.com/tls/server.crt');
    expect(issuedBy(tls, new X509Certificate(org1.tlsCaCertPem))).toBe(true);
    expect(tls.subjectAltName).toBe('DNS:peer1.org1.example.com, DNS:peer1, DNS:localhost, IP Address:127.0.0.1');
    expect(read('peers/peer1.org1.example.com/tls/ca.crt')).toBe(org1.tlsCaCertPem);
    expect(read('peers/peer1.org1.example.com/msp/config.yaml')).toBe(nodeOuConfigYaml('ca.org1.example.com-cert.pem'));
    // The org's first peer is left as it was.
    expect(read('peers/peer0.org1.example.com/tls/server.crt')).toBe(org1.peer.tlsCertPem);
  });

  it('refuses a name of an existing node, and an org without its CA material', async () => {
    await expect(issuePeerNode(root, spec(1), 'peer0')).rejects.toMatchObject({ name: 'MspError', code: 'MSP_BAD_CONFIG', message: expect.stringContaining('invalid peer name "peer0"') });
    await expect(issuePeerNode(root, spec(9), 'peer1')).rejects.toMatchObject({ name: 'MspError', code: 'MSP_BAD_CONFIG', message: expect.stringContaining('cannot load the CA ca.org9.example.com of Org9MSP') });
  });
});
