/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { generateOrgCrypto } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { issuerAmong, probeTls } from './tlsProbe';

const dir = mkdtempSync(path.join(os.tmpdir(), 'connect-tls-'));
let org1: OrgCrypto;
let org2: OrgCrypto;
let server: tls.Server;
let endpoint: string;

beforeAll(async () => {
  org1 = await generateOrgCrypto(dir, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  org2 = await generateOrgCrypto(dir, { mspId: 'Org2MSP', domain: 'org2.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  // A TLS server with org1's peer certificate, as the peer presents it (h2 as gRPC negotiates).
  server = tls.createServer({ cert: org1.peer.tlsCertPem, key: org1.peer.tlsKeyPem, ALPNProtocols: ['h2'] }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  rmSync(dir, { recursive: true, force: true });
});

describe('the TLS probe', () => {
  it('passes with the right TLS CA and host name', async () => {
    const result = await probeTls({ endpoint, hostAlias: 'peer0.org1.example.com', tlsCaPem: org1.tlsCaCertPem });
    expect(result.kind).toBe('ok');
  });

  it('names the host names of the certificate when the alias is not one of them', async () => {
    const result = await probeTls({ endpoint, hostAlias: 'peer0.org9.example.com', tlsCaPem: org1.tlsCaCertPem });
    expect(result).toMatchObject({ kind: 'wrong-host', names: ['peer0.org1.example.com', 'peer0', 'localhost', '127.0.0.1'] });
  });

  it('tells a certificate from another TLS CA', async () => {
    const result = await probeTls({ endpoint, hostAlias: 'peer0.org1.example.com', tlsCaPem: org2.tlsCaCertPem });
    expect(result.kind).toBe('untrusted');
  });

  it('tells that nothing listens', async () => {
    const closed = tls.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => { resolve(); }));
    expect(await probeTls({ endpoint: `127.0.0.1:${port}`, hostAlias: undefined, tlsCaPem: undefined })).toEqual({ kind: 'unreachable', reason: 'connection refused (nothing listens there)' });
  });

  it('finds which organisation issued a certificate', async () => {
    const result = await probeTls({ endpoint, hostAlias: undefined, tlsCaPem: undefined });
    if (result.kind !== 'ok') throw new Error(`expected ok, got ${result.kind}`);
    const cas = [org2, org1].map((o) => ({ mspId: o.mspId, pem: readFileSync(path.join(o.orgDir, 'tlsca', `tlsca.${o.domain}-cert.pem`), 'utf8') }));
    expect(issuerAmong(result.certificate, cas)?.mspId).toBe('Org1MSP');
    expect(issuerAmong(result.certificate, cas.slice(0, 1))).toBeUndefined();
  });
});
