import { createTestOrg } from '../src/testing/pki';
import { checkMemberCertificate, signVote, assertVoteSignature } from '../src/protocol';
void (async () => {
  const org = await createTestOrg('Org1MSP');
  console.log(org.client.certificate.slice(0, 80));
  checkMemberCertificate({ certificate: org.client.certificate, mspId: 'Org1MSP', caCertificate: org.caCertificate, atMs: Date.now() });
  const h = 'a'.repeat(64);
  const s = signVote({ hash: h, approve: true, privateKeyPem: org.client.privateKeyPem });
  assertVoteSignature({ hash: h, approve: true, signature: s, certificate: org.client.certificate });
  try { checkMemberCertificate({ certificate: org.peer.certificate, mspId: 'Org1MSP', caCertificate: org.caCertificate, atMs: Date.now() }); } catch (e) { console.log(String(e)); }
  console.log('ok');
})();
