/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The devnet with --chaincode-per-org, through the real @hyperledger/fabric-gateway client: each
 * peer organisation runs its own process of a chaincode with its own local MSP (stub.getMspID()),
 * the gateway endorses with one simulation per organisation and refuses results that differ as
 * Fabric's gateway does, and a dead organisation's process is started again alone.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { Contract, EndorseError, Gateway } from '@hyperledger/fabric-gateway';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectGateway, newGrpcConnection, MemberConnection } from '../orchestrator/src/gateway';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

jest.setTimeout(180_000);

const PEERMSP = path.join(REPO_ROOT, 'network', 'devnet', 'src', 'chaincode', 'testdata', 'peermsp');
const ASSETS = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');
const DEVNET_CLI = path.join(REPO_ROOT, 'network', 'devnet', 'dist', 'cli.js');
const utf8 = new TextDecoder();

let net: TestNetwork;
const clients: grpc.Client[] = [];
const gateways: Gateway[] = [];

async function contractAt(member: MemberConnection, chaincode: string): Promise<Contract> {
  const client = await newGrpcConnection(member.peer);
  clients.push(client);
  const gw = await connectGateway(client, member);
  gateways.push(gw);
  return gw.getNetwork('primary').getContract(chaincode);
}

/** The pid the devnet recorded for `record` (a file of <data>/chaincode-pids). */
function recordedPid(record: string): number {
  const file = path.join(net.dataDir, 'chaincode-pids', `${record}.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid;
}

beforeAll(async () => {
  net = await startNetwork({ basePort: 23050, batchTimeout: '250ms', chaincodePerOrg: true });
  await net.deploy(PEERMSP, 'primary', 'peermsp');
  await net.deploy(ASSETS, 'primary', 'assets');
});

afterAll(async () => {
  gateways.splice(0).forEach((g) => { g.close(); });
  clients.splice(0).forEach((c) => { c.close(); });
  await net?.stop();
});

describe('a devnet running chaincode per organisation', () => {
  it("evaluates on the gateway peer's own process: stub.getMspID() is that peer's organisation", async () => {
    const members = net.connection.members;
    expect(members.length).toBeGreaterThan(1);
    for (const member of members) {
      const contract = await contractAt(member, 'peermsp');
      expect(utf8.decode(await contract.evaluateTransaction('PeerMsp'))).toBe(member.mspId);
      expect(utf8.decode(await contract.evaluateTransaction('ClientMsp'))).toBe(member.mspId);
    }
    for (const member of members.slice(1)) {
      expect(existsSync(path.join(net.dataDir, 'logs', `chaincode-peermsp-${member.mspId}.log`))).toBe(true);
    }
    const status = JSON.parse(execFileSync(process.execPath, [DEVNET_CLI, '--data', net.dataDir, '--json', 'status'], { encoding: 'utf8' })) as {
      chaincodes: { name: string; pids?: number[] }[];
    };
    const pids = status.chaincodes.find((c) => c.name === 'peermsp')?.pids ?? [];
    expect(new Set(pids).size).toBe(members.length);
  });

  it('submits a transaction whose result is the same at every organisation', async () => {
    const contract = await contractAt(net.connection.members[1], 'peermsp');
    expect(utf8.decode(await contract.submitTransaction('ClientMsp'))).toBe(net.connection.members[1].mspId);
  });

  it("refuses a Submit whose result differs per organisation with Fabric's mismatch detail", async () => {
    const [local, ...others] = net.connection.members;
    const contract = await contractAt(local, 'peermsp');
    const err = await contract.submitTransaction('PeerMsp').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndorseError);
    const endorseError = err as EndorseError;
    expect(endorseError.code).toBe(grpc.status.ABORTED);
    expect(endorseError.message).toContain('failed to collect enough transaction endorsements, see attached details for more info');
    expect(endorseError.details.map((d) => [d.mspId, d.message]).sort()).toEqual(others.map((m) => [m.mspId, 'ProposalResponsePayloads do not match']).sort());
  });

  it('runs an ordinary chaincode as before', async () => {
    const writer = await contractAt(net.connection.members[2], 'assets');
    await writer.submitTransaction('Put', 'per-org', 'one value');
    const reader = await contractAt(net.connection.members[3], 'assets');
    expect(utf8.decode(await reader.evaluateTransaction('Get', 'per-org'))).toBe('one value');
  });

  it("starts a dead organisation's process again, and only that one", async () => {
    const member = net.connection.members[1];
    const leadPid = recordedPid('peermsp');
    const deadPid = recordedPid(`peermsp_${member.mspId}`);
    process.kill(deadPid, 'SIGKILL');
    const contract = await contractAt(member, 'peermsp');
    // Polled until the restart (its first delay is 1 s) answers; the deadline only bounds the wait.
    let answer: string | undefined;
    const deadline = Date.now() + 60_000;
    while (answer === undefined && Date.now() < deadline) {
      answer = await contract.evaluateTransaction('PeerMsp').then((r) => utf8.decode(r), () => undefined);
      if (answer === undefined) await sleep(250);
    }
    expect(answer).toBe(member.mspId);
    expect(recordedPid(`peermsp_${member.mspId}`)).not.toBe(deadPid);
    expect(recordedPid('peermsp')).toBe(leadPid);
  });
});
