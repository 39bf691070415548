/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A small, real management chain for the dashboard's unit tests: the core's headers, real
 * certificates from the test PKI and real vote signatures. Not part of the build.
 */
import { createTestConsortium } from '../../../../chaincode/src/testing/pki';
import type { TestOrg } from '../../../../chaincode/src/testing/pki';
import { cycleWindow, expectedProposer, hashHeader, parseIsoMillis, scheduleAfter, signVote, toIsoMillis } from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, ConfigBlockHeader, GenesisParams, JsonObject, JsonValue } from 'mgmt-chaincode/dist/protocol';
import type { AuditEvidence, PrimaryConfigRecord } from '../../audit';

const SCHEMA: JsonObject = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { batchTimeoutMs: { type: 'integer', minimum: 50, maximum: 10000 }, maxMessageCount: { type: 'integer', minimum: 1, maximum: 1000 } },
  required: ['batchTimeoutMs', 'maxMessageCount'],
  additionalProperties: false,
};

export interface TestChain {
  readonly orgs: TestOrg[];
  readonly params: GenesisParams;
  readonly chain: ConfigBlock[];
  readonly evidence: AuditEvidence;
}

function seal(header: ConfigBlockHeader, orgs: readonly TestOrg[]): ConfigBlock {
  const hash = hashHeader(header);
  const proof = [...orgs]
    .sort((a, b) => Buffer.compare(Buffer.from(a.mspId), Buffer.from(b.mspId)))
    .map((o) => ({ mspId: o.mspId, certificate: o.client.certificate, signature: signVote({ hash, approve: true, privateKeyPem: o.client.privateKeyPem }) }));
  return { ...header, hash, proof };
}

/** A chain of `count` CBs (every third in cycle 1) with a linked primary config block per CB after genesis. */
export async function createTestChain(count: number): Promise<TestChain> {
  const orgs = await createTestConsortium();
  const params: GenesisParams = {
    members: orgs.map((o) => ({ mspId: o.mspId, caCertificate: o.caCertificate })),
    cbiSeconds: 30,
    cycleTimeoutSeconds: 10,
    clockToleranceSeconds: 5,
    configSchema: SCHEMA,
  };
  const genesisMs = Date.parse('2026-01-01T00:00:00.000Z');
  const chain: ConfigBlock[] = [
    seal({ height: 0, prevHash: '', proposer: orgs[0].mspId, cycle: 0, timestamp: toIsoMillis(genesisMs), config: { batchTimeoutMs: 100, maxMessageCount: 10 }, params }, orgs.slice(0, 3)),
  ];
  for (let height = 1; height < count; height++) {
    const previous = chain[height - 1];
    const cycle = height % 3 === 0 ? 1 : 0;
    const window = cycleWindow(scheduleAfter(parseIsoMillis(previous.timestamp) as number, params), cycle);
    chain.push(
      seal(
        {
          height,
          prevHash: previous.hash,
          proposer: expectedProposer(params.members, previous.hash, cycle),
          cycle,
          timestamp: toIsoMillis(window.startsAtMs + 1000),
          config: { batchTimeoutMs: 100 + height * 10, maxMessageCount: 10 + height },
        },
        orgs.filter((_, i) => i !== height % 4),
      ),
    );
  }
  const records: PrimaryConfigRecord[] = [
    { number: 0, sequence: 0, timestamp: '2025-12-31T00:00:00.000Z', batchTimeout: '100ms', batchTimeoutMs: 100, maxMessageCount: 10, link: null, signers: [] },
    ...chain.slice(1).map((cb, i) => ({
      number: (i + 1) * 3,
      sequence: i + 1,
      timestamp: toIsoMillis((parseIsoMillis(cb.timestamp) as number) + 2000),
      batchTimeout: `${cb.config.batchTimeoutMs as number}ms`,
      batchTimeoutMs: cb.config.batchTimeoutMs as number,
      maxMessageCount: cb.config.maxMessageCount as number,
      link: { height: cb.height, hash: cb.hash },
      signers: orgs.slice(0, 3).map((o) => o.mspId),
    })),
  ];
  const evidence: AuditEvidence = {
    managementChannel: { channelId: 'mgmt', chaincode: 'mgmt', configBlockNumber: 0, msps: orgs.map((o) => ({ mspId: o.mspId, rootCerts: [o.caCertificate] })) },
    managementChain: chain as unknown as JsonValue[],
    primaryChannel: { channelId: 'primary', configBlocks: records },
  };
  return { orgs, params, chain, evidence };
}
