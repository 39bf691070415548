/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * One chaincode process per organisation, as each Fabric peer runs its own: the same chaincode
 * launched for two organisations runs each one's transactions with that organisation as its local
 * MSP (stub.getMspID()), an organisation without a process of its own shares the first one, and
 * one whose own process is down is refused rather than served by another's.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { peer } from '@hyperledger/fabric-protos';
import { chaincodeProposal } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import { generateTestOrgs } from 'fabric-config/testing';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ChaincodeRuntime } from '.';
import type { StateAccess } from './stateAccess';

jest.setTimeout(60_000);

const PEERMSP = path.join(__dirname, 'testdata', 'peermsp');
const CHANNEL = 'mychannel';

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** This chaincode reads and writes no state: any state call fails the test. */
const noState = new Proxy({}, {
  get: () => () => {
    throw new Error('the peermsp chaincode touches no state');
  },
}) as StateAccess;

describe('a chaincode launched for several organisations', () => {
  const runtime = new ChaincodeRuntime({ executeTimeoutMs: 20_000, stopTimeoutMs: 3_000 });
  let root: string;
  let client: SigningIdentity;

  /** `fn` of peermsp, signed by Org3's user, run for the peer of `peerOrg`. */
  const run = async (fn: string, peerOrg?: string): Promise<string> => {
    const { signed, txId, proposal } = chaincodeProposal(client, CHANNEL, 'peermsp', [fn]);
    const cpp = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
    const input = peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8()).getChaincodeSpec()?.getInput() ?? new peer.ChaincodeInput();
    const result = await runtime.invoke('peermsp', { channelId: CHANNEL, txId, signedProposal: signed, input, state: noState }, peerOrg);
    expect(result.response.status).toBe(200);
    return Buffer.from(result.response.payload).toString('utf8');
  };

  const launchFor = async (mspId: string): Promise<void> => {
    await runtime.launch({ name: 'peermsp', label: 'peermsp_1.0', folder: PEERMSP, address: `127.0.0.1:${await freePort()}`, mspId, logFile: path.join(root, `peermsp-${mspId}.log`) });
  };

  beforeAll(async () => {
    const generated = await generateTestOrgs('devnet-per-org', 3);
    root = generated.root;
    const org3 = generated.orgs[2];
    client = new SigningIdentity(org3.mspId, org3.user.certPem, org3.user.privateKeyPem);
    await launchFor('Org1MSP');
    await launchFor('Org2MSP');
  });

  afterAll(async () => {
    await runtime.stopAll();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test('runs one process per organisation', () => {
    expect(runtime.isRunning('peermsp')).toBe(true);
    expect(runtime.names()).toEqual(['peermsp']);
    expect(runtime.organisationsOf('peermsp')).toEqual(['Org1MSP', 'Org2MSP']);
    const pids = runtime.pidsOf('peermsp');
    expect(pids).toHaveLength(2);
    expect(new Set(pids).size).toBe(2);
    // What each organisation's process costs, printed (not asserted): the price of one per peer.
    const rss = pids.map((pid) => /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    console.log(`peermsp: one process per organisation, resident memory ${rss.map((kb) => `${Math.round(Number(kb) / 1024)} MB`).join(', ')}`);
  });

  test("each organisation's transaction runs with that organisation as the local MSP, whoever the client", async () => {
    expect(await run('PeerMsp', 'Org1MSP')).toBe('Org1MSP');
    expect(await run('PeerMsp', 'Org2MSP')).toBe('Org2MSP');
    expect(await run('ClientMsp', 'Org2MSP')).toBe('Org3MSP');
  });

  test('an organisation without a process of its own, or none named, shares the first one', async () => {
    expect(await run('PeerMsp', 'Org3MSP')).toBe('Org1MSP');
    expect(await run('PeerMsp')).toBe('Org1MSP');
  });

  test("an organisation whose process died is refused, not served by another's; the others go on", async () => {
    const [, org2Pid] = runtime.pidsOf('peermsp');
    const exited = once(runtime, 'exit');
    process.kill(org2Pid, 'SIGKILL');
    const [name, , info] = (await exited) as [string, number | null, { requested: boolean; mspId?: string }];
    expect([name, info.requested, info.mspId]).toEqual(['peermsp', false, 'Org2MSP']);
    expect(runtime.isRunning('peermsp')).toBe(false);
    // What an owner restarts: Org2's process alone.
    expect([runtime.isRunningFor('peermsp', 'Org1MSP'), runtime.isRunningFor('peermsp', 'Org2MSP')]).toEqual([true, false]);
    await expect(run('PeerMsp', 'Org2MSP')).rejects.toMatchObject({ code: 'NOT_RUNNING' });
    expect(await run('PeerMsp', 'Org1MSP')).toBe('Org1MSP');
    await launchFor('Org2MSP');
    expect(runtime.isRunning('peermsp')).toBe(true);
    expect(runtime.isRunningFor('peermsp', 'Org2MSP')).toBe(true);
    expect(await run('PeerMsp', 'Org2MSP')).toBe('Org2MSP');
  });

  test('stop ends every organisation\'s process', async () => {
    const pids = runtime.pidsOf('peermsp');
    await runtime.stop('peermsp');
    expect(runtime.names()).toEqual([]);
    expect(runtime.organisationsOf('peermsp')).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
