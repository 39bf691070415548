/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Attaching to a chaincode server that runs on its own (a ccaas package's): the runtime dials and
 * registers it without spawning anything, leaves it running when it stops, and reports the end of
 * its stream as an exit so that its owner dials again.
 */
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import * as path from 'node:path';
import { ChaincodeRuntime } from '.';

jest.setTimeout(60_000);

const KVCC = path.join(__dirname, 'testdata', 'kvcc');
const servers: ChildProcess[] = [];

afterEach(() => {
  for (const s of servers.splice(0)) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

function startServer(address: string, packageId: string): ChildProcess {
  const child = spawn(process.execPath, [require.resolve('fabric-shim/cli.js'), 'server', '--chaincode-address', address, '--chaincode-id', packageId], { cwd: KVCC, stdio: 'ignore' });
  servers.push(child);
  return child;
}

describe('ChaincodeRuntime.attach', () => {
  test('registers a server it did not start, and leaves it running on stop', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const server = startServer(address, 'ext_1:abc');
    const runtime = new ChaincodeRuntime({ launchTimeoutMs: 20_000 });
    await runtime.attach({ name: 'ext', packageId: 'ext_1:abc', address });
    expect(runtime.isRunning('ext')).toBe(true);
    expect(runtime.packageIdOf('ext')).toBe('ext_1:abc');
    expect(runtime.pidOf('ext')).toBeUndefined();
    await runtime.stop('ext');
    expect(runtime.isRunning('ext')).toBe(false);
    expect(server.exitCode).toBeNull();
    expect(server.signalCode).toBeNull();
  });

  test('reports the end of the stream as an unrequested exit', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const server = startServer(address, 'ext_1:def');
    const runtime = new ChaincodeRuntime({ launchTimeoutMs: 20_000 });
    await runtime.attach({ name: 'ext', packageId: 'ext_1:def', address });
    const exited = once(runtime, 'exit');
    server.kill('SIGKILL');
    const [name, code, info] = (await exited) as [string, number | null, { requested: boolean }];
    expect([name, code, info.requested]).toEqual(['ext', null, false]);
    expect(runtime.isRunning('ext')).toBe(false);
  });

  test('fails with the package id to start the server with when nothing answers', async () => {
    const runtime = new ChaincodeRuntime({ launchTimeoutMs: 1_500 });
    const address = `127.0.0.1:${await freePort()}`;
    await expect(runtime.attach({ name: 'ext', packageId: 'ext_1:none', address })).rejects.toMatchObject({ code: 'LAUNCH_FAILED', message: expect.stringContaining('start its server with CHAINCODE_ID=ext_1:none') });
    expect(runtime.names()).toEqual([]);
  });
});
