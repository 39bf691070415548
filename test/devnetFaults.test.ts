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
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { adminEndpointOf, adminRequest } from '../network/devnet/src/admin/client';
import { readTokenFile } from '../network/devnet/src/admin/localEndpoint';
import { isProcessAlive } from '../network/devnet/src/chaincode/leftovers';
import { connectGateway, newGrpcConnection, newIdentity, newSigner, readConnectionFile } from '../orchestrator/src/gateway';
import { backend, REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const run = promisify(execFile);
const CHAINCODE = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');
const DEVNET_CLI = path.join(REPO_ROOT, 'network', 'devnet', 'dist', 'cli.js');
const BASE_PORT = 20150;
// The crash-recovery case runs a devnet of its own through the CLI (see test/support/network.ts).
const CRASH_BASE_PORT = 20250;
const utf8 = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// These drive the devnet's own CLI and admin API; native Fabric has its own in network/native.
const devnetOnly = backend() === 'devnet' ? it : it.skip;

let net: TestNetwork;
let client: grpc.Client;
let gateway: Gateway;
let contract: Contract;
const tempDirs: string[] = [];

interface ChaincodeStatus {
  name: string;
  running: boolean;
  pid?: number;
  ccid?: string;
}

async function adminStatus(connectionFile = net.connectionFile): Promise<{ chaincodes: ChaincodeStatus[] }> {
  const endpoint = adminEndpointOf(connectionFile);
  if (!endpoint) throw new Error(`${connectionFile} names no admin API`);
  return adminRequest<{ chaincodes: ChaincodeStatus[] }>(endpoint, 'GET', '/status');
}

async function chaincodeStatus(name: string, connectionFile = net.connectionFile): Promise<ChaincodeStatus | undefined> {
  return (await adminStatus(connectionFile)).chaincodes.find((c) => c.name === name);
}

/** One request to the admin API with exactly these headers (node:http adds Host unless given). */
function rawAdmin(method: string, route: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; json: { error?: string; code?: string } }> {
  const { adminUrl } = JSON.parse(readFileSync(net.connectionFile, 'utf8')) as { adminUrl: string };
  const url = new URL(adminUrl);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: url.hostname, port: Number(url.port), path: route, method, headers, agent: false }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as { error?: string; code?: string } }); });
      res.on('error', reject);
    });
    // A refused large body may be cut off once the answer is out; only an error before it counts.
    req.on('error', (err) => { if (!answered) reject(err); });
    req.end(body);
  });
}

const FLAVOUR_MAIN = `'use strict';
const { Contract } = require('fabric-contract-api');
const flavour = require('./lib/flavour.js');

class FlavourContract extends Contract {
  async Flavour() {
    return flavour;
  }

  async Put(ctx, key, value) {
    await ctx.stub.putState(key, Buffer.from(value));
    return value;
  }

  async Get(ctx, key) {
    return Buffer.from(await ctx.stub.getState(key)).toString('utf8');
  }
}

module.exports.contracts = [FlavourContract];
`;

/**
 * A chaincode folder in a temporary directory whose answer to Flavour lives in lib/flavour.js, a
 * file other than its main; fabric-shim and fabric-contract-api come from the repository's install
 * (as for test/fixtures) through a node_modules link. Removed in afterAll.
 */
function flavourChaincode(flavour: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flavour-cc-'));
  tempDirs.push(dir);
  mkdirSync(path.join(dir, 'lib'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'flavour-chaincode', version: '1.0.0', private: true, main: 'index.js' }, null, 2));
  writeFileSync(path.join(dir, 'index.js'), FLAVOUR_MAIN);
  setFlavour(dir, flavour);
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function setFlavour(dir: string, flavour: string): void {
  writeFileSync(path.join(dir, 'lib', 'flavour.js'), `module.exports = ${JSON.stringify(flavour)};\n`);
}

function expectSuccess(result: { code: number; stdout: string; stderr: string }): void {
  // The output is part of the comparison so that a failure shows it.
  expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
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
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
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

  devnetOnly('refuses admin requests from browsers, without the token, of another type or too large, and changes nothing', async () => {
    const endpoint = adminEndpointOf(net.connectionFile);
    expect(endpoint?.tokenPath).toBe(path.join(net.dataDir, 'admin.token'));
    expect(readFileSync(net.connectionFile, 'utf8')).not.toContain(readTokenFile(endpoint?.tokenPath as string));
    const token = readTokenFile(endpoint?.tokenPath as string);
    const before = await chaincodeStatus('assets');
    expect(before?.running).toBe(true);

    // Each would replace `assets` with other code if it were served.
    const other = flavourChaincode('intruder');
    const body = Buffer.from(JSON.stringify({ folder: other, channel: 'primary', name: 'assets' }));
    const auth = { authorization: `Bearer ${token}` };
    const json = { 'content-type': 'application/json' };
    const refusals: [string, Record<string, string>, Buffer, number, string, RegExp][] = [
      ['a foreign Origin', { ...auth, ...json, origin: 'http://evil.example' }, body, 403, 'BROWSER_ORIGIN', /Origin/],
      ['a rebound Host', { ...auth, ...json, host: `evil.example:${BASE_PORT + 9}` }, body, 403, 'BAD_HOST', /Host must be 127\.0\.0\.1:/],
      ['fetch metadata', { ...auth, ...json, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }, body, 403, 'BROWSER_FETCH_METADATA', /sec-fetch/],
      ['no credential', json, body, 401, 'UNAUTHENTICATED', /Authorization: Bearer/],
      ['a wrong token', { ...json, authorization: `Bearer ${'0'.repeat(64)}` }, body, 401, 'BAD_TOKEN', /token is wrong/],
      ['text/plain', { ...auth, 'content-type': 'text/plain' }, body, 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/json/],
      ['an oversized body', { ...auth, ...json }, Buffer.alloc(100 * 1024, 0x20), 413, 'BODY_TOO_LARGE', /limit is 65536 bytes/],
      ['an oversized chunked body', { ...auth, ...json, 'transfer-encoding': 'chunked' }, Buffer.alloc(100 * 1024, 0x20), 413, 'BODY_TOO_LARGE', /limit is 65536 bytes/],
    ];
    for (const [what, headers, payload, status, code, message] of refusals) {
      const answer = await rawAdmin('POST', '/deploy', headers, payload);
      expect({ what, status: answer.status, code: answer.json.code }).toEqual({ what, status, code });
      expect(answer.json.error).toMatch(message);
    }
    expect((await rawAdmin('GET', '/status', {})).status).toBe(401);
    // Node's own fetch() sends Sec-Fetch-Mode, as a browser does.
    const viaFetch = await fetch(`${endpoint?.url ?? ''}/status`, { headers: auth });
    expect(viaFetch.status).toBe(403);

    const after = await chaincodeStatus('assets');
    expect(after).toEqual(before);
    expect(utf8.decode(await contract.submitTransaction('Put', 'after-refusals', 'assets'))).toBe('assets');
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'after-refusals'))).toBe('assets');
  });

  devnetOnly('gives a folder whose non-main file changed a new package id, and a redeploy replaces the process', async () => {
    const folder = flavourChaincode('first');
    const flavour = gateway.getNetwork('primary').getContract('flavour');
    await net.deploy(folder, 'primary', 'flavour');
    const first = await chaincodeStatus('flavour');
    expect(utf8.decode(await flavour.evaluateTransaction('Flavour'))).toBe('first');

    setFlavour(folder, 'second');
    await net.deploy(folder, 'primary', 'flavour');
    expect(utf8.decode(await flavour.evaluateTransaction('Flavour'))).toBe('second');
    const second = await chaincodeStatus('flavour');
    expect(second?.running).toBe(true);
    expect(second?.ccid).toMatch(/^flavour_1\.0\.0:[0-9a-f]{64}$/);
    expect(second?.ccid).not.toBe(first?.ccid);
    expect(second?.pid).not.toBe(first?.pid);

    // The same package deployed again on the same channel: same id, a fresh process.
    await net.deploy(folder, 'primary', 'flavour');
    const third = await chaincodeStatus('flavour');
    expect(third?.ccid).toBe(second?.ccid);
    expect(third?.pid).not.toBe(second?.pid);
    expect(first?.pid !== undefined && isProcessAlive(first.pid)).toBe(false);
    expect(utf8.decode(await flavour.submitTransaction('Put', 'flavour-key', 'kept'))).toBe('kept');
    expect(utf8.decode(await flavour.evaluateTransaction('Flavour'))).toBe('second');
  });

  devnetOnly('comes back after a SIGKILL of the devnet process alone: its chaincodes die with it and `up` relaunches them', async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), 'devnet-crash-'));
    const folder = flavourChaincode('crash');
    const pids: number[] = [];
    let crashClient: grpc.Client | undefined;
    let crashGateway: Gateway | undefined;
    const devnet = (...args: string[]) => cli('--data', data, ...args);
    try {
      expectSuccess(await devnet('up', '--base-port', String(CRASH_BASE_PORT)));
      expectSuccess(await devnet('deploy', folder, 'primary', 'flavour'));
      const before = JSON.parse((await devnet('--json', 'status')).stdout) as { pid: number; chaincodes: ChaincodeStatus[] };
      const oldChaincodePid = before.chaincodes.find((c) => c.name === 'flavour')?.pid as number;
      pids.push(before.pid, oldChaincodePid);
      expect(isProcessAlive(oldChaincodePid)).toBe(true);

      // The devnet process only, not its group: its chaincode server must not survive it.
      process.kill(before.pid, 'SIGKILL');
      await waitFor('the devnet process is gone', () => !isProcessAlive(before.pid));
      await waitFor(`the orphaned chaincode server (pid ${oldChaincodePid}) is gone`, () => !isProcessAlive(oldChaincodePid), 10_000);

      expectSuccess(await devnet('up', '--base-port', String(CRASH_BASE_PORT)));
      const status = await devnet('--json', 'status');
      expectSuccess(status);
      const after = JSON.parse(status.stdout) as { running: boolean; pid: number; chaincodes: ChaincodeStatus[] };
      pids.push(after.pid, ...after.chaincodes.map((c) => c.pid as number));
      expect(after.running).toBe(true);
      expect(after.pid).not.toBe(before.pid);
      const relaunched = after.chaincodes.find((c) => c.name === 'flavour');
      expect(relaunched?.running).toBe(true);
      expect(relaunched?.pid).not.toBe(oldChaincodePid);
      expect(isProcessAlive(oldChaincodePid)).toBe(false);

      const connection = readConnectionFile(path.join(data, 'connection.json'));
      crashClient = await newGrpcConnection(connection.members[0].peer);
      crashGateway = await connectGateway(crashClient, connection.members[0]);
      const cc = crashGateway.getNetwork('primary').getContract('flavour');
      expect(utf8.decode(await cc.submitTransaction('Put', 'after-crash', 'answers'))).toBe('answers');
      expect(utf8.decode(await cc.evaluateTransaction('Get', 'after-crash'))).toBe('answers');
      crashGateway.close();
      crashClient.close();
      crashGateway = undefined;
      crashClient = undefined;

      // A chaincode that cannot come back fails the start, by name, and `status` says so.
      expectSuccess(await devnet('down', '--keep-data'));
      rmSync(path.join(folder, 'node_modules'));
      const broken = await devnet('up', '--base-port', String(CRASH_BASE_PORT));
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/deployed chaincode flavour .*could not be relaunched after 3 tries/);
      expect(broken.stderr).toContain('fabric-shim is not installed');
      expect((await devnet('status')).code).toBe(1);
    } finally {
      crashGateway?.close();
      crashClient?.close();
      await devnet('down');
      for (const pid of pids) {
        if (pid > 0 && isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
      }
      rmSync(data, { recursive: true, force: true });
    }
  });

  devnetOnly('keeps retrying a chaincode whose restart fails, and `status` exits 1 while it is down', async () => {
    const folder = flavourChaincode('retried');
    await net.deploy(folder, 'primary', 'retried');
    const before = await chaincodeStatus('retried');
    expect(before?.running).toBe(true);
    // Its restarts now fail at launch (fabric-shim cannot be found) until the link is back.
    rmSync(path.join(folder, 'node_modules'));
    process.kill(before?.pid as number, 'SIGKILL');
    await waitFor('the devnet sees it down', async () => (await chaincodeStatus('retried'))?.running === false, 5000);
    await sleep(3000); // the first restart, 1 s after the exit, has failed by now
    const down = await cli('--data', net.dataDir, 'status');
    expect(down.code).toBe(1);
    expect(down.stdout).toContain('chaincode retried: NOT running');
    expect(down.stdout).toContain('chaincode assets: running');

    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(folder, 'node_modules'), 'dir');
    await waitFor('a later restart succeeds', async () => (await chaincodeStatus('retried'))?.running === true, 40_000);
    const up = await cli('--data', net.dataDir, 'status');
    expectSuccess(up);
    expect(up.stdout).toMatch(/chaincode retried: running \(pid \d+\)/);
    const retried = gateway.getNetwork('primary').getContract('retried');
    expect(utf8.decode(await retried.evaluateTransaction('Flavour'))).toBe('retried');
  });
});
