/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Bad input and failures: each refused with the error a Fabric peer or orderer gives, nothing
 * stored, and the devnet keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { connect, EndorseError, Gateway, GatewayError, Contract } from '@hyperledger/fabric-gateway';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { connectGateway, newGrpcConnection, newIdentity, newSigner } from '../orchestrator/src/gateway';
import { backend, REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const run = promisify(execFile);
const CHAINCODE = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');
const DEVNET_CLI = path.join(REPO_ROOT, 'network', 'devnet', 'dist', 'cli.js');
const BASE_PORT = 20150;
const utf8 = new TextDecoder();

// These drive the devnet's own CLI and admin API; native Fabric has its own in network/native.
const devnetOnly = backend() === 'devnet' ? it : it.skip;

let net: TestNetwork;
let client: grpc.Client;
let gateway: Gateway;
let contract: Contract;

async function adminStatus(): Promise<{ chaincodes: { name: string; running: boolean; pid?: number }[] }> {
  const { adminUrl } = JSON.parse(readFileSync(net.connectionFile, 'utf8')) as { adminUrl: string };
  return (await (await fetch(`${adminUrl}/status`)).json()) as { chaincodes: { name: string; running: boolean; pid?: number }[] };
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [DEVNET_CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  net = await startNetwork({ basePort: BASE_PORT });
  await net.deploy(CHAINCODE, 'primary', 'assets');
  client = await newGrpcConnection(net.connection.members[0].peer);
  gateway = await connectGateway(client, net.connection.members[0]);
  contract = gateway.getNetwork('primary').getContract('assets');
});

afterAll(async () => {
  gateway?.close();
  client?.close();
  await net?.stop();
});

describe('devnet refuses bad input and survives failures', () => {
  it('refuses an unknown channel and an unknown chaincode', async () => {
    const badChannel = await gateway.getNetwork('nosuchchannel').getContract('assets').evaluateTransaction('Get', 'k').catch((e: unknown) => e);
    expect(badChannel).toBeInstanceOf(GatewayError);
    expect((badChannel as GatewayError).message).toContain('failed to get config for channel [nosuchchannel]');
    const badChaincode = await gateway.getNetwork('primary').getContract('nosuchcc').submitTransaction('Put', 'k', 'v').catch((e: unknown) => e);
    expect(badChaincode).toBeInstanceOf(EndorseError);
    expect((badChaincode as EndorseError).message).toContain('No metadata was found for chaincode nosuchcc in channel primary');
  });

  it('refuses an identity of an unknown MSP', async () => {
    const member = net.connection.members[0];
    const impostor = connect({
      client,
      identity: { mspId: 'Org9MSP', credentials: (await newIdentity(member.userMspDir, member.mspId)).credentials },
      signer: await newSigner(member.userMspDir),
    });
    try {
      const err = await impostor.getNetwork('primary').getContract('assets').evaluateTransaction('Get', 'k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).message).toContain('access denied');
    } finally {
      impostor.close();
    }
  });

  it('refuses a replayed transaction id at endorsement and at commit', async () => {
    const proposal = contract.newProposal('Put', { arguments: ['replayed', 'once'] });
    const tx = await proposal.endorse();
    const first = await tx.submit();
    expect((await first.getStatus()).successful).toBe(true);
    const again = await proposal.endorse().catch((e: unknown) => e);
    expect(again).toBeInstanceOf(EndorseError);
    expect((again as EndorseError).details[0]?.message).toContain('duplicate transaction found');
    const resubmitted = await tx.submit();
    const status = await resubmitted.getStatus();
    // The commit status names the first, valid commit of that id; the replay never changes state.
    expect(status.blockNumber).toBe((await first.getStatus()).blockNumber);
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'replayed'))).toBe('once');
  });

  it('answers malformed messages with an error and keeps serving', async () => {
    const raw = new grpc.Client(net.connection.members[0].peer.endpoint, grpc.credentials.createSsl(readFileSync(net.connection.members[0].peer.tlsCaCertPath)), {
      'grpc.ssl_target_name_override': net.connection.members[0].peer.hostAlias,
    });
    try {
      const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]);
      const error = await new Promise<grpc.ServiceError | null>((resolve) => {
        raw.makeUnaryRequest(
          '/gateway.Gateway/Evaluate',
          (b: Buffer) => b,
          (b: Buffer) => b,
          garbage,
          (err) => { resolve(err); },
        );
      });
      expect(error).not.toBeNull();
      const endorserError = await new Promise<grpc.ServiceError | Buffer | null>((resolve) => {
        raw.makeUnaryRequest('/protos.Endorser/ProcessProposal', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x0a, 0x03, 1, 2, 3]), (err, value) => { resolve(err ?? value ?? null); },
        );
      });
      expect(endorserError).not.toBeNull();
    } finally {
      raw.close();
    }
    await contract.submitTransaction('Put', 'still-serving', 'yes');
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'still-serving'))).toBe('yes');
  });

  devnetOnly('reports a dead chaincode in the endorsement error and restarts it', async () => {
    const before = (await adminStatus()).chaincodes.find((c) => c.name === 'assets');
    expect(before?.running).toBe(true);
    process.kill(before?.pid as number, 'SIGKILL');
    const err = await contract.submitTransaction('Put', 'while-dead', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndorseError);
    expect((err as EndorseError).details[0]?.message).toMatch(/assets/);
    const deadline = Date.now() + 30_000;
    let restarted;
    while (Date.now() < deadline) {
      restarted = (await adminStatus()).chaincodes.find((c) => c.name === 'assets');
      if (restarted?.running && restarted.pid !== before?.pid) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(restarted?.running).toBe(true);
    expect(restarted?.pid).not.toBe(before?.pid);
    await contract.submitTransaction('Put', 'after-restart', 'ok');
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'after-restart'))).toBe('ok');
  });

  devnetOnly('names the port in use, and refuses `up` on a data folder that is already running', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'devnet-other-'));
    try {
      const clash = await cli('--data', other, 'up', '--base-port', String(BASE_PORT));
      expect(clash.code).toBe(1);
      expect(clash.stderr).toContain(`port ${BASE_PORT}`);
      const twice = await cli('--data', net.dataDir, 'up', '--base-port', String(BASE_PORT + 100));
      expect(twice.code).toBe(1);
      expect(twice.stderr).toContain('already running');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  devnetOnly('refuses to deploy from a folder that is not a built chaincode', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'not-a-chaincode-'));
    try {
      await expect(net.deploy(empty, 'primary', 'broken')).rejects.toThrow(/no package.json/);
      await expect(net.deploy(CHAINCODE, 'nochannel', 'assets2')).rejects.toThrow(/unknown channel/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
