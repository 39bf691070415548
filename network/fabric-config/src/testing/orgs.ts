/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Test fixtures shared by the configtx tests here, the devnet's and the orchestrator's: real
 * member crypto material and the channel profile the devnet builds from it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelProfile } from '../configtx';
import { generateOrgCrypto } from '../msp';
import type { OrgCrypto } from '../msp';

/** `count` orgs `Org1MSP`.. in cryptogen layout under a new temporary folder (the caller removes it). */
export async function generateTestOrgs(prefix: string, count: number): Promise<{ root: string; orgs: OrgCrypto[] }> {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const orgs = await Promise.all(
    Array.from({ length: count }, (_, k) => k + 1).map((i) =>
      generateOrgCrypto(root, { mspId: `Org${i}MSP`, domain: `org${i}.example.com`, peerName: 'peer0', ordererName: 'orderer0' }),
    ),
  );
  return { root, orgs };
}

/** The devnet's `primary` profile over `orgs`: BatchSize 10, BatchTimeout 2s, every org in both groups. */
export function testChannelProfile(orgs: readonly OrgCrypto[], overrides: Partial<ChannelProfile> = {}): ChannelProfile {
  return {
    channelId: 'primary',
    ordererType: 'devnet',
    batchSize: { maxMessageCount: 10, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
    batchTimeout: '2s',
    orgs: orgs.map((org, i) => ({
      mspId: org.mspId,
      rootCerts: [org.caCertPem],
      tlsRootCerts: [org.tlsCaCertPem],
      anchorPeer: { host: org.peer.host, port: 7051 + 1000 * i },
      ordererEndpoint: `${org.orderer.host}:${7050 + 1000 * i}`,
    })),
    ...overrides,
  };
}
