"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const pki_1 = require("../src/testing/pki");
const protocol_1 = require("../src/protocol");
void (async () => {
    const org = await (0, pki_1.createTestOrg)('Org1MSP');
    console.log(org.client.certificate.slice(0, 80));
    (0, protocol_1.checkMemberCertificate)({ certificate: org.client.certificate, mspId: 'Org1MSP', caCertificate: org.caCertificate, atMs: Date.now() });
    const h = 'a'.repeat(64);
    const s = (0, protocol_1.signVote)({ hash: h, approve: true, privateKeyPem: org.client.privateKeyPem });
    (0, protocol_1.assertVoteSignature)({ hash: h, approve: true, signature: s, certificate: org.client.certificate });
    try {
        (0, protocol_1.checkMemberCertificate)({ certificate: org.peer.certificate, mspId: 'Org1MSP', caCertificate: org.caCertificate, atMs: Date.now() });
    }
    catch (e) {
        console.log(String(e));
    }
    console.log('ok');
})();
