/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The I/O edge with fake sources: paging GetBlocks, the order of reads, and failures named by step.
 */
import { describe, expect, it } from '@jest/globals';
import { buildGenesisBlock } from 'fabric-config/configtx';
import type { ChannelProfile } from 'fabric-config/configtx';
import { generateOrgCrypto } from 'fabric-config/msp';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectEvidence, GET_BLOCKS_PAGE, readManagementChain } from './collect';
import type { EvidenceSources } from './collect';
import { AuditError } from './errors';

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** A fake GetBlocks over `length` CBs (just their heights), recording each call. */
function fakeChain(length: number, calls: string[]): EvidenceSources['evaluate'] {
  return (name, ...args) => {
    calls.push(`${name} ${args.join('..')}`);
    const [from, to] = args.map(Number);
    const page = [];
    for (let h = from; h <= Math.min(to, from + GET_BLOCKS_PAGE - 1, length - 1); h++) page.push({ height: h });
    return Promise.resolve(encode(page));
  };
}

describe('readManagementChain', () => {
  it.each([
    [0, ['GetBlocks 0..99']],
    [37, ['GetBlocks 0..99']],
    [100, ['GetBlocks 0..99', 'GetBlocks 100..199']],
    [237, ['GetBlocks 0..99', 'GetBlocks 100..199', 'GetBlocks 200..299']],
  ])('reads %i CBs a page of 100 at a time until a short page', async (length, expectedCalls) => {
    const calls: string[] = [];
    const chain = await readManagementChain(fakeChain(length, calls));
    expect(chain.map((b) => (b as { height: number }).height)).toEqual([...Array(length).keys()]);
    expect(calls).toEqual(expectedCalls);
  });

  it('names the page of a failed query, with the peers\' details', async () => {
    const failing = (): Promise<Uint8Array> => Promise.reject(Object.assign(new Error('evaluate failed'), { details: [{ message: 'chaincode response 500, MGMT_X: no' }] }));
    await expect(readManagementChain(failing)).rejects.toMatchObject({
      name: 'AuditError',
      code: 'AUDIT_READ_FAILED',
      step: 'GetBlocks 0..99',
      message: 'AUDIT_READ_FAILED: GetBlocks 0..99: evaluate failed (chaincode response 500, MGMT_X: no)',
    });
  });

  it.each([
    ['not an array', encode({ height: 0 })],
    ['more than a page', encode(Array.from({ length: 101 }, (_, h) => ({ height: h })))],
    ['duplicate names', new TextEncoder().encode('[{"height": 0, "height": 1}]')],
  ])('refuses an answer that is %s', async (_name, answer) => {
    const error = await readManagementChain(() => Promise.resolve(answer)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AuditError);
  });
});

describe('collectEvidence', () => {
  it('reads the primary config blocks first, then the management channel config, then the chain', async () => {
    const root = mkdtempSync(join(tmpdir(), 'audit-collect-'));
    try {
      const org = await generateOrgCrypto(root, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' });
      const profile = (channelId: string): ChannelProfile => ({
        channelId,
        ordererType: 'devnet',
        batchSize: { maxMessageCount: 10, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 },
        batchTimeout: '2s',
        orgs: [{ mspId: 'Org1MSP', rootCerts: [org.caCertPem], tlsRootCerts: [org.tlsCaCertPem], anchorPeer: { host: 'peer0', port: 7051 }, ordererEndpoint: 'orderer0:7050' }],
      });
      const calls: string[] = [];
      const evidence = await collectEvidence({
        managementChannel: 'mgmt',
        primaryChannel: 'primary',
        chaincode: 'mgmt',
        evaluate: fakeChain(3, calls),
        fetchBlock: (channelId, which) => {
          calls.push(`fetch ${channelId} ${which}`);
          return Promise.resolve(buildGenesisBlock(profile(channelId)));
        },
        fetchConfigBlock: (channelId) => {
          calls.push(`config ${channelId}`);
          return Promise.resolve(buildGenesisBlock(profile(channelId)));
        },
      });
      expect(calls).toEqual(['fetch primary newest', 'config mgmt', 'GetBlocks 0..99']);
      expect(evidence).toMatchObject({
        managementChannel: { channelId: 'mgmt', chaincode: 'mgmt', configBlockNumber: 0, msps: [{ mspId: 'Org1MSP', rootCerts: [org.caCertPem] }] },
        managementChain: [{ height: 0 }, { height: 1 }, { height: 2 }],
        primaryChannel: { channelId: 'primary', configBlocks: [{ number: 0, sequence: 0, batchTimeout: '2s', maxMessageCount: 10, link: null }] },
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names the step that failed', async () => {
    const error = await collectEvidence({
      managementChannel: 'mgmt',
      primaryChannel: 'primary',
      chaincode: 'mgmt',
      evaluate: () => Promise.reject(new Error('unused')),
      fetchBlock: () => Promise.reject(new Error('orderer refused to deliver block newest of primary: status FORBIDDEN')),
      fetchConfigBlock: () => Promise.reject(new Error('unused')),
    }).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'AUDIT_READ_FAILED', step: 'config blocks of primary' });
    expect((error as Error).message).toMatch(/FORBIDDEN/);
  });
});
