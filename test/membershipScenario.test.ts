/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt consortium --scenario membership` end to end on a devnet of its own: Org5 admitted by a
 * CB (member set and channels), its peer started by the devnet and endorsing, its own `mgmt node`
 * verifying the chain and proposing in its turn, Org4 removed (member set, both channels, its
 * ordering node) and its vote no longer counted, then the audit of the whole chain.
 *
 * On native Fabric (FABRIC_BACKEND=native) the test starts network/native itself, deploys both
 * chaincodes and gives the consortium its connection file; Org5's peer is then a real Fabric peer
 * started by `network.sh add-org` and joined from the channels' genesis blocks, and Org4's removal
 * is checked on the SmartBFT `mgmt` channel too (its node out of the consenter set).
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { organizationGroupsOf, readChannelModel } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import { newGrpcConnection } from '../orchestrator/src/gateway';
import { readChannelConfig } from '../orchestrator/src/primary/channelCheck';
import { backend, REPO_ROOT, startNetwork } from './support/network';
import type { TestNetwork } from './support/network';

const BASE_PORT = 21650;
const MGMT_CLI = path.join(REPO_ROOT, 'orchestrator', 'dist', 'cli', 'index.js');

function consortium(args: string[], deadlineMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MGMT_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      // SIGINT first: the consortium stops its devnet and the new member's node on the way out.
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      reject(new Error(`mgmt consortium --scenario membership did not finish within ${deadlineMs} ms:\n${output}`));
    }, deadlineMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('mgmt consortium --scenario membership', () => {
  it('admits Org5 (its peer endorsing, its node proposing in its turn), removes Org4 (its vote no longer counted), and the audit passes', async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), 'membership-scenario-'));
    let net: TestNetwork | undefined;
    try {
      let network = ['consortium', '--data', data, '--base-port', String(BASE_PORT)];
      if (backend() === 'native') {
        net = await startNetwork({ basePort: BASE_PORT });
        await net.deploy(path.join(REPO_ROOT, 'chaincode'), net.connection.channels.management, 'mgmt');
        await net.deploy(path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode'), net.connection.channels.primary, 'assets');
        network = ['--connection', path.join(net.dataDir, 'connection.json'), 'consortium'];
      }
      const timing = backend() === 'native' ? ['--cbi', '3', '--cycle-timeout', '10'] : ['--cbi', '1', '--cycle-timeout', '5'];
      const { code, output } = await consortium([...network, '--scenario', 'membership', ...timing], backend() === 'native' ? 600_000 : 240_000);
      expect(output).toMatch(/✓ step 1\/5: Org5MSP admitted with CB (\d+)/);
      const joined = /✓ step 2\/5: a transaction on primary through Org5MSP's peer, endorsed by Org5MSP(, Org\dMSP)+.*/.exec(output);
      expect(joined).not.toBeNull();
      // The README's figure (CB sealed -> the new member's peer endorsing), printed on every run.
      console.log(`membership scenario (${backend()}): ${joined?.[0] ?? ''}`);
      const proposed = /✓ step 3\/5: Org5MSP proposed CB (\d+) in its turn, approved by ([\w, ]+)/.exec(output);
      expect(proposed?.[2]).toContain('Org5MSP');
      const removed = /✓ step 4\/5: Org4MSP removed with CB (\d+)/.exec(output);
      expect(Number(removed?.[1])).toBeGreaterThan(Number(proposed?.[1]));
      const uncounted = /✓ step 5\/5: CB (\d+) sealed by ([\w, ]+): Org4MSP's vote no longer counts/.exec(output);
      expect(uncounted?.[2].split(', ').sort()).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org5MSP']);
      // Org4's own node sees it is out and stops acting.
      expect(output).toMatch(/Org4MSP is no longer a member of the consortium \(params in force after CB \d+\); this node no longer proposes, votes or tallies/);
      expect(output).toMatch(/✔ audit passed: CBs 0\.\.\d+ verified/);
      expect(output).not.toMatch(/✖ (?:Org5MSP could not join|CB \d+ counts a vote)/);
      expect(code).toBe(0);
      if (net !== undefined) {
        // Native mgmt is SmartBFT: Org4 left it too, its ordering node out of the consenter set first.
        const member = net.connection.members[0];
        const mgmt = await readChannelConfig({ connect: () => newGrpcConnection(member.orderer), channelId: net.connection.channels.management, signer: SigningIdentity.fromMspDir(member.userMspDir, member.mspId) });
        expect(organizationGroupsOf(mgmt, 'Org4MSP')).toEqual([]);
        expect((readChannelModel(mgmt).orderer?.consenters ?? []).map((c) => c.mspId).sort()).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
      }
    } finally {
      await net?.stop();
      rmSync(data, { recursive: true, force: true });
    }
  }, 900_000);
});
