/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * newGrpcConnection against a real TLS gRPC server whose certificate is cryptogen's (DNS names and
 * the IP SAN 127.0.0.1): the host alias decides which name is checked.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateOrgCrypto } from 'fabric-config/dist/msp';
import { newGrpcConnection } from './connect';

let dir: string;
let server: grpc.Server;
let port: number;
let caPath: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'grpc-connect-'));
  const org = await generateOrgCrypto(dir, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  caPath = org.peer.tlsCaPath;
  server = new grpc.Server();
  const credentials = grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(org.peer.tlsCertPem), private_key: Buffer.from(org.peer.tlsKeyPem) }], false);
  port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (err, bound) => {
      if (err) reject(err);
      else resolve(bound);
    });
  });
});

afterAll(() => {
  server?.forceShutdown();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function ready(hostAlias: string, waitMs = 5_000): Promise<void> {
  const client = await newGrpcConnection({ endpoint: `127.0.0.1:${port}`, hostAlias, tlsCaCertPath: caPath });
  try {
    await new Promise<void>((resolve, reject) => {
      client.waitForReady(Date.now() + waitMs, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
  } finally {
    client.close();
  }
}

describe('newGrpcConnection', () => {
  it("connects with the certificate's host name as alias", async () => {
    await expect(ready('peer0.org1.example.com')).resolves.toBeUndefined();
  });

  it('connects with the endpoint IP as alias, checked against the IP SAN, without a TLS deprecation warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => { warnings.push(`${w.name}: ${w.message}`); };
    process.on('warning', onWarning);
    try {
      await expect(ready('127.0.0.1')).resolves.toBeUndefined();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => /ServerName|RFC 6066/.test(w))).toEqual([]);
  });

  it('refuses a certificate not issued for the alias', async () => {
    await expect(ready('peer9.org9.example.com', 1_000)).rejects.toThrow();
  });
});
