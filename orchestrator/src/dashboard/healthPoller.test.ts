/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The health poller against a local HTTP server that answers as told: 200, 503 with failed
 * checks, garbage, nothing at all (slow), or a closed port.
 */
import { afterEach, beforeAll, afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateOrgCrypto } from 'fabric-config/msp';
import { startHealthPoller, verdictOfAnswer } from './healthPoller';
import type { HealthPoller, PollTimers } from './healthPoller';
import type { HealthTarget } from './healthTargets';
import type { NodeHealth } from './types';

type Behaviour = { kind: 'answer'; status: number; body: string } | { kind: 'silent' } | { kind: 'slow'; ms: number; status: number; body: string };

/** What the server answers for each member (`/<mspId>/healthz`), and what it saw. */
const behaviours = new Map<string, Behaviour>();
const received: { mspId: string; headers: http.IncomingHttpHeaders }[] = [];
let inFlight = 0;
let maxInFlight = 0;
let server: http.Server;
let port: number;
const silent = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const mspId = (req.url ?? '').split('/')[1] ?? '';
    received.push({ mspId, headers: req.headers });
    const behaviour = behaviours.get(mspId) ?? { kind: 'answer', status: 404, body: '{"error":"no such member"}' };
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => { inFlight--; });
    if (behaviour.kind === 'silent') {
      silent.add(res);
      return;
    }
    const answer = (): void => {
      res.writeHead(behaviour.status, { 'content-type': 'application/json' });
      res.end(behaviour.body);
    };
    if (behaviour.kind === 'slow') setTimeout(answer, behaviour.ms);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
});

let poller: HealthPoller | undefined;
afterEach(async () => {
  await poller?.stop();
  poller = undefined;
  behaviours.clear();
  received.length = 0;
  maxInFlight = 0;
  for (const res of silent) res.destroy();
  silent.clear();
});

function target(mspId: string, atPort = port): HealthTarget {
  // The path is the test server's way to tell members apart; real targets are <base>/healthz.
  return { mspId, url: new URL(`http://127.0.0.1:${atPort}/${mspId}/healthz`) };
}

/** Timers that count what is pending. */
function countingTimers(): PollTimers & { pending: () => number } {
  const live = new Set<NodeJS.Timeout>();
  return {
    set: (fn, ms) => {
      const handle = setTimeout(() => {
        live.delete(handle);
        fn();
      }, ms);
      live.add(handle);
      return handle;
    },
    clear: (handle) => {
      live.delete(handle as NodeJS.Timeout);
      clearTimeout(handle as NodeJS.Timeout);
    },
    pending: () => live.size,
  };
}

/** Resolves with the first result of `mspId` that `done` accepts. */
function resultOf(results: { mspId: string; health: NodeHealth }[], mspId: string, done: (h: NodeHealth) => boolean = () => true): Promise<NodeHealth> {
  return new Promise((resolve, reject) => {
    let tries = 0;
    const look = (): void => {
      const found = results.find((r) => r.mspId === mspId && done(r.health));
      if (found !== undefined) resolve(found.health);
      else if (tries++ > 1000) reject(new Error(`no such result for ${mspId}: ${JSON.stringify(results)}`));
      else setTimeout(look, 5);
    };
    look();
  });
}

const FAILED = {
  status: 'Service Unavailable',
  time: '2026-01-01T00:00:00.000Z',
  failed_checks: [
    { component: 'peer', reason: 'peer 127.0.0.1:7051 unreachable within 2000 ms: connection refused' },
    { component: 'observer', reason: 'the observer is 3 CBs behind' },
  ],
};

describe('startHealthPoller', () => {
  it('says healthy for 200, unhealthy with the failed checks for 503, unreachable for garbage or a closed port', async () => {
    behaviours.set('Org1MSP', { kind: 'answer', status: 200, body: '{"status":"OK","time":"2026-01-01T00:00:00.000Z"}' });
    behaviours.set('Org2MSP', { kind: 'answer', status: 503, body: JSON.stringify(FAILED) });
    behaviours.set('Org3MSP', { kind: 'answer', status: 200, body: '<html>a web server</html>' });
    // A port just freed: nothing listens there.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => { resolve(); }));

    const results: { mspId: string; health: NodeHealth }[] = [];
    poller = startHealthPoller({ targets: [target('Org1MSP'), target('Org2MSP'), target('Org3MSP'), target('Org4MSP', closedPort)], everyMs: 20, onResult: (mspId, health) => results.push({ mspId, health }) });
    expect(poller.snapshot().get('Org1MSP')?.state).toBe('pending');

    await expect(resultOf(results, 'Org1MSP')).resolves.toMatchObject({ state: 'healthy', url: `http://127.0.0.1:${port}/Org1MSP/healthz` });
    const org2 = await resultOf(results, 'Org2MSP');
    expect(org2).toMatchObject({ state: 'unhealthy', failedChecks: FAILED.failed_checks });
    expect(org2.error).toBeUndefined();
    await expect(resultOf(results, 'Org3MSP')).resolves.toMatchObject({ state: 'unreachable', error: expect.stringContaining('without /healthz JSON') });
    await expect(resultOf(results, 'Org4MSP')).resolves.toMatchObject({ state: 'unreachable', error: expect.stringContaining('ECONNREFUSED') });
    // A plain client: no browser headers, which operations endpoints refuse.
    const sent = received.find((r) => r.mspId === 'Org1MSP')?.headers ?? {};
    expect(Object.keys(sent).filter((h) => h === 'origin' || h.startsWith('sec-fetch'))).toEqual([]);
    expect(sent.host).toBe(`127.0.0.1:${port}`);
  });

  it('keeps since while the state holds and moves it when the state changes', async () => {
    behaviours.set('Org1MSP', { kind: 'answer', status: 200, body: '{"status":"OK"}' });
    const results: { mspId: string; health: NodeHealth }[] = [];
    let clock = Date.parse('2026-01-01T00:00:00.000Z');
    poller = startHealthPoller({ targets: [target('Org1MSP')], everyMs: 5, now: () => (clock += 1000), onResult: (mspId, health) => results.push({ mspId, health }) });
    await resultOf(results, 'Org1MSP', () => results.length >= 2);
    const [first, second] = results.map((r) => r.health);
    expect(second.checkedAt).not.toBe(first.checkedAt);
    expect(second.since).toBe(first.since);
    behaviours.set('Org1MSP', { kind: 'answer', status: 503, body: JSON.stringify(FAILED) });
    const unhealthy = await resultOf(results, 'Org1MSP', (h) => h.state === 'unhealthy');
    expect(unhealthy.since).toBe(unhealthy.checkedAt);
    expect(Date.parse(unhealthy.since ?? '')).toBeGreaterThan(Date.parse(first.since ?? ''));
  });

  it('marks a node that does not answer within the timeout unreachable', async () => {
    behaviours.set('Org1MSP', { kind: 'silent' });
    const results: { mspId: string; health: NodeHealth }[] = [];
    poller = startHealthPoller({ targets: [target('Org1MSP')], everyMs: 1000, timeoutMs: 50, onResult: (mspId, health) => results.push({ mspId, health }) });
    await expect(resultOf(results, 'Org1MSP')).resolves.toMatchObject({ state: 'unreachable', error: 'no answer within 50 ms' });
  });

  it('never has two requests to one node in flight, however slow it answers', async () => {
    behaviours.set('Org1MSP', { kind: 'slow', ms: 30, status: 200, body: '{"status":"OK"}' });
    const results: { mspId: string; health: NodeHealth }[] = [];
    // Polls far more often than the node answers.
    poller = startHealthPoller({ targets: [target('Org1MSP')], everyMs: 1, timeoutMs: 5000, onResult: (mspId, health) => results.push({ mspId, health }) });
    await resultOf(results, 'Org1MSP', () => results.length >= 5);
    expect(received.length).toBeGreaterThanOrEqual(5);
    expect(maxInFlight).toBe(1);
  });

  it('stop() aborts the request in flight and leaves no timer', async () => {
    behaviours.set('Org1MSP', { kind: 'answer', status: 200, body: '{"status":"OK"}' });
    behaviours.set('Org2MSP', { kind: 'silent' });
    const timers = countingTimers();
    const results: { mspId: string; health: NodeHealth }[] = [];
    poller = startHealthPoller({ targets: [target('Org1MSP'), target('Org2MSP')], everyMs: 10_000, timeoutMs: 10_000, timers, onResult: (mspId, health) => results.push({ mspId, health }) });
    await resultOf(results, 'Org1MSP');
    // Org1 waits for its next poll, Org2's request hangs: both hold a timer.
    for (let i = 0; i < 200 && received.filter((r) => r.mspId === 'Org2MSP').length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(timers.pending()).toBe(2);
    await poller.stop();
    expect(timers.pending()).toBe(0);
    // Aborted, not recorded as a failure of the node.
    expect(results.filter((r) => r.mspId === 'Org2MSP')).toEqual([]);
    for (let i = 0; i < 200 && inFlight > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(inFlight).toBe(0);
  });
});

describe('startHealthPoller over TLS', () => {
  it('polls an https endpoint that requires client certificates with the given CA and client certificate', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mgmt-health-tls-'));
    const org = await generateOrgCrypto(dir, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' });
    const tlsServer = https.createServer({ cert: org.peer.tlsCertPem, key: org.peer.tlsKeyPem, ca: org.tlsCaCertPem, requestCert: true, rejectUnauthorized: true }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"OK"}');
    });
    try {
      await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
      const url = new URL(`https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}/healthz`);
      const ca = Buffer.from(org.tlsCaCertPem);
      const results: { mspId: string; health: NodeHealth }[] = [];
      poller = startHealthPoller({
        targets: [
          { mspId: 'Org1MSP', url, tls: { ca, cert: Buffer.from(org.user.tlsCertPem), key: Buffer.from(org.user.tlsKeyPem) } },
          { mspId: 'Org2MSP', url, tls: { ca } },
          { mspId: 'Org3MSP', url },
        ],
        everyMs: 10_000,
        onResult: (mspId, health) => results.push({ mspId, health }),
      });
      await expect(resultOf(results, 'Org1MSP')).resolves.toMatchObject({ state: 'healthy' });
      // Without a client certificate the server ends the handshake; without the CA the client does.
      await expect(resultOf(results, 'Org2MSP')).resolves.toMatchObject({ state: 'unreachable' });
      await expect(resultOf(results, 'Org3MSP')).resolves.toMatchObject({ state: 'unreachable', error: expect.stringMatching(/certificate/i) });
    } finally {
      await poller?.stop();
      tlsServer.closeAllConnections();
      await new Promise<void>((resolve) => tlsServer.close(() => { resolve(); }));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('verdictOfAnswer', () => {
  it("reads Fabric's /healthz bodies and names what else it got", () => {
    expect(verdictOfAnswer(200, '{"status":"OK","time":"x"}')).toEqual({ state: 'healthy' });
    expect(verdictOfAnswer(503, JSON.stringify(FAILED))).toEqual({ state: 'unhealthy', failedChecks: FAILED.failed_checks });
    expect(verdictOfAnswer(503, 'overloaded')).toEqual({ state: 'unhealthy', failedChecks: [], error: 'answered 503 without a readable failed_checks list' });
    expect(verdictOfAnswer(503, '{"failed_checks":[{"component":1}]}')).toMatchObject({ state: 'unhealthy', failedChecks: [] });
    expect(verdictOfAnswer(403, '{"error":"request refused: Host must be 127.0.0.1:9443"}')).toEqual({ state: 'unreachable', error: 'answered HTTP 403: request refused: Host must be 127.0.0.1:9443' });
    expect(verdictOfAnswer(404, 'not json')).toEqual({ state: 'unreachable', error: 'answered HTTP 404' });
    const long = verdictOfAnswer(503, JSON.stringify({ failed_checks: Array.from({ length: 50 }, () => ({ component: 'c', reason: 'r'.repeat(2000) })) }));
    expect(long.failedChecks).toHaveLength(20);
    expect(long.failedChecks?.[0].reason.length).toBeLessThanOrEqual(501);
  });
});
