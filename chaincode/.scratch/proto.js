require('reflect-metadata');
const x509 = require('@peculiar/x509');
const { webcrypto, X509Certificate, createPrivateKey, createHash } = require('node:crypto');
const { p256 } = require('@noble/curves/p256');
x509.cryptoProvider.set(webcrypto);
(async () => {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'C=US, O=org1.example.com, CN=ca.org1.example.com',
    notBefore: new Date('2020-01-01'), notAfter: new Date('2040-01-01'), signingAlgorithm: alg, keys: caKeys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey)],
  });
  const uKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const user = await x509.X509CertificateGenerator.create({
    serialNumber: '02', subject: 'C=US, OU=client, OU=org1, CN=User1@org1.example.com', issuer: ca.subject,
    notBefore: new Date('2020-01-01'), notAfter: new Date('2040-01-01'), signingAlgorithm: alg, publicKey: uKeys.publicKey, signingKey: caKeys.privateKey,
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey)],
  });
  const caPem = ca.toString('pem'), uPem = user.toString('pem');
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', uKeys.privateKey));
  const keyPem = '-----BEGIN PRIVATE KEY-----\n' + pkcs8.toString('base64').match(/.{1,64}/g).join('\n') + '\n-----END PRIVATE KEY-----\n';
  const c = new X509Certificate(uPem), cac = new X509Certificate(caPem);
  console.log(c.subject, JSON.stringify(c.subject), c.validFrom, c.validTo, c.ca, cac.ca, c.checkIssued(cac), c.verify(cac.publicKey));
  console.log(c.publicKey.asymmetricKeyDetails, c.publicKey.export({format:'jwk'}));
  console.log(Object.getOwnPropertyNames(Object.getPrototypeOf(c)));
  const jwk = createPrivateKey(keyPem).export({ format: 'jwk' });
  const d = Buffer.from(jwk.d, 'base64url');
  const msgHash = createHash('sha256').update('mgmt-cb-v1:approve:ab').digest();
  const sig = p256.sign(msgHash, d, { lowS: true });
  const der = sig.toDERRawBytes();
  const pj = c.publicKey.export({format:'jwk'});
  const pub = Buffer.concat([Buffer.from([4]), Buffer.from(pj.x,'base64url'), Buffer.from(pj.y,'base64url')]);
  console.log(p256.verify(p256.Signature.fromDER(der), msgHash, pub, { lowS: true }));
  const high = new p256.Signature(sig.r, p256.CURVE.n - sig.s);
  console.log('high', high.hasHighS(), p256.verify(high, msgHash, pub, { lowS: true }), p256.verify(high, msgHash, pub, { lowS: false }));
  console.log(Object.keys(p256), Object.keys(p256.CURVE||{}));
})();
