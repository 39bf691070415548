/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The channels' consensus type (`--consensus-type`): an in-process devnet of two orgs made with
 * `etcdraft` writes genesis blocks a Fabric peer accepts (etcdraft metadata whose consenters are the
 * orderer endpoints the devnet serves, with their TLS certificates), still orders alone, and keeps
 * the type of its data folder: asking the other type of it is refused.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { common, orderer } from '@hyperledger/fabric-protos';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { etcdraftOptionsProblem, readConsenters } from 'fabric-config/configtx';
import type { ConnectionFile } from 'fabric-config/connection';
import { Devnet, DevnetError } from './devnet';
import type { DevnetOptions } from './devnet';

// Ends in 75: no end-to-end grid (bases ending in 50) nor benchmark grid (25) reaches these ports.
const BASE_PORT = 22175;

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'devnet-consensus-type-'));
let devnet: Devnet | undefined;

async function start(options: Partial<DevnetOptions>): Promise<Devnet> {
  devnet = await Devnet.start({ dataDir, basePort: BASE_PORT, topology: { orgs: 2, ordererOrg: false }, ...options });
  return devnet;
}

async function stop(): Promise<void> {
  await devnet?.stop();
  devnet = undefined;
}

afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a devnet made with consensus type etcdraft', () => {
  it("writes etcdraft metadata naming the orderers it serves, with their TLS certificates, and still orders", async () => {
    const net = await start({ consensusType: 'etcdraft' });
    const connection = JSON.parse(readFileSync(net.connectionFilePath, 'utf8')) as ConnectionFile;
    for (const channelId of ['mgmt', 'primary']) {
      const config = net.channels.get(channelId)?.config ?? new common.Config();
      const group = config.getChannelGroup()?.getGroupsMap().get('Orderer') ?? new common.ConfigGroup();
      const consensus = orderer.ConsensusType.deserializeBinary(group.getValuesMap().get('ConsensusType')?.getValue_asU8() ?? new Uint8Array());
      expect(consensus.getType()).toBe('etcdraft');
      expect(etcdraftOptionsProblem(orderer.etcdraft.ConfigMetadata.deserializeBinary(consensus.getMetadata_asU8()))).toBeUndefined();
      const consenters = readConsenters(group) ?? [];
      expect(consenters.map((c) => `${c.host}:${c.port}`)).toEqual(connection.members.map((m) => `${m.orderer.hostAlias}:${m.orderer.endpoint.split(':')[1] ?? ''}`));
      // Each consenter's certificates are the TLS certificate its endpoint presents.
      for (const [i, m] of connection.members.entries()) {
        const served = readFileSync(path.join(m.orderer.tlsCaCertPath, '..', 'server.crt'), 'utf8');
        expect([consenters[i]?.clientTlsCert, consenters[i]?.serverTlsCert]).toEqual([served, served]);
      }
    }
    // The orderer still cuts blocks: a deploy orders the approvals and the commit.
    const before = (await net.status()).channels.find((c) => c.id === 'primary')?.height ?? 0;
    await net.deploy(path.join(__dirname, 'chaincode', 'testdata', 'kvcc'), 'primary', 'kv');
    const after = (await net.status()).channels.find((c) => c.id === 'primary')?.height ?? 0;
    expect(after).toBe(before + 2);
    await stop();
  }, 60_000);

  it('keeps the type of its data folder: the other type is refused, the same or none starts', async () => {
    await expect(start({ consensusType: 'devnet' })).rejects.toThrow(
      new DevnetError(`channel mgmt in ${dataDir} was made with consensus type etcdraft, not devnet: the type is chosen when a data folder is made (remove the folder, e.g. \`devnet down\`, to make it anew)`),
    );
    await start({});
    await stop();
    await start({ consensusType: 'etcdraft' });
    await stop();
  }, 60_000);

  it('refuses a consensus type it cannot write', async () => {
    await expect(start({ consensusType: 'BFT' as DevnetOptions['consensusType'] })).rejects.toThrow('invalid consensus type "BFT": expected devnet or etcdraft');
  });
});
