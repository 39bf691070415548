/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The operations endpoint over real HTTP(S) on 127.0.0.1 (a free port each), with node:http as
 * the client: health answers, metrics after events, version, the local-endpoint refusals and
 * client-certificate TLS.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateOrgCrypto } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import type { NodeEvent } from '../managementNode/events';
import type { MemberPrimary } from '../member/memberPrimary';
import type { HealthCheck } from './health';
import { OperationsConfigError } from './listen';
import { MgmtMetrics } from './metrics';
import { startOperationsServer } from './server';
import type { OperationsServer, OperationsServerOptions } from './server';
import { versionInfo } from './version';

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One GET with exactly these extra headers (node:http adds Host unless one is given). */
function get(server: OperationsServer, route: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: route, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }); });
    });
    req.on('error', reject);
    req.end();
  });
}

const pass = (component: string): HealthCheck => ({ component, check: () => undefined });
const fail = (component: string, reason: string): HealthCheck => ({ component, check: () => Promise.resolve(reason) });

const servers: OperationsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(overrides: Partial<OperationsServerOptions> = {}): Promise<OperationsServer> {
  const server = await startOperationsServer({ listen: '127.0.0.1:0', checks: [], registry: new MgmtMetrics({ processMetrics: false }).registry, version: versionInfo(), ...overrides });
  servers.push(server);
  return server;
}

describe('/healthz', () => {
  it('answers 200 OK when every check passes', async () => {
    const server = await start({ checks: [pass('peer'), pass('eventStream')] });
    const answer = await get(server, '/healthz');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    const body = JSON.parse(answer.body) as { status: string; time: string; failed_checks?: unknown };
    expect(body.status).toBe('OK');
    expect(Number.isNaN(Date.parse(body.time))).toBe(false);
    expect(body.failed_checks).toBeUndefined();
  });

  it('answers 503 naming exactly the failed checks, a throwing and a hanging one included', async () => {
    const checks: HealthCheck[] = [
      pass('peer'),
      fail('observer', 'observer lags 5 CBs'),
      { component: 'primary', check: () => { throw new Error('boom'); } },
      { component: 'eventStream', check: () => new Promise<undefined>(() => undefined) },
    ];
    const server = await start({ checks, checkTimeoutMs: 50 });
    const answer = await get(server, '/healthz');
    expect(answer.status).toBe(503);
    const body = JSON.parse(answer.body) as { status: string; failed_checks: { component: string; reason: string }[] };
    expect(body.status).toBe('Service Unavailable');
    expect(body.failed_checks).toEqual([
      { component: 'observer', reason: 'observer lags 5 CBs' },
      { component: 'primary', reason: 'the check failed: boom' },
      { component: 'eventStream', reason: 'no answer within 50 ms' },
    ]);
  });
});

describe('/metrics', () => {
  const block = (height: number): ConfigBlock => ({ height, cycle: 1, proposer: 'Org2MSP', hash: 'h'.repeat(64) }) as unknown as ConfigBlock;
  const base = { mspId: 'Org1MSP', atMs: 1000 };
  const events: NodeEvent[] = [
    { ...base, type: 'started', nextHeight: 1, phase: 'cycle' },
    { ...base, type: 'cycleStarted', height: 1, round: 2, cycle: 7, proposer: 'Org2MSP', startsAtMs: 0, endsAtMs: 1 },
    { ...base, type: 'proposed', height: 1, cycle: 7, proposalId: 'p', proposer: 'Org2MSP', config: {} },
    { ...base, type: 'voted', height: 1, cycle: 7, proposalId: 'p', approve: true, reason: 'ok' },
    { ...base, type: 'refused', action: 'vote', code: 'MGMT_DUPLICATE_VOTE', message: 'again' },
    { ...base, type: 'committed', block: block(1), roundOpensAtMs: 0, agreementDelayMs: 1500, late: false },
    { ...base, type: 'committed', block: block(3), roundOpensAtMs: undefined, agreementDelayMs: undefined, late: true },
  ];

  /** An observer and a runtime as the metrics see them. */
  function fakePrimary(): { primary: Pick<MemberPrimary, 'observer' | 'runtime'>; runtime: EventEmitter; observer: EventEmitter } {
    const observer = Object.assign(new EventEmitter(), { latestHeight: 1 });
    const runtime = Object.assign(new EventEmitter(), { inForceHeight: 1 });
    return { primary: { observer, runtime } as unknown as Pick<MemberPrimary, 'observer' | 'runtime'>, observer, runtime };
  }

  it('serves the node and primary series in Prometheus text after events, with the process metrics', async () => {
    let now = 10_000;
    const metrics = new MgmtMetrics({ labels: { member: 'Org1MSP' }, clock: () => now });
    const server = await start({ registry: metrics.registry });
    const before = await get(server, '/metrics');
    expect(before.body).toMatch(/^mgmt_cb_height\{member="Org1MSP"\} -1$/m);

    for (const e of events) metrics.onNodeEvent(e);
    const { primary, runtime } = fakePrimary();
    metrics.watchPrimary(primary);
    now = 14_000;
    runtime.emit('applied', { height: 1, result: { outcome: 'applied', chainHeight: 1, submitted: true }, switchedAtMs: 12_000, inForceAtMs: 14_000 });
    runtime.emit('skipped', { heights: [2], inForce: 3 });
    runtime.emit('applyFailed', { height: 3, error: Object.assign(new Error('x'), { code: 'PRIMARY_UPDATE_REFUSED' }), retryInMs: 500 });

    const answer = await get(server, '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = answer.body;
    const series = [
      'mgmt_cb_height{member="Org1MSP"} 3',
      'mgmt_round{member="Org1MSP"} 2',
      'mgmt_cycle{member="Org1MSP"} 7',
      'mgmt_proposals_total{by="other",member="Org1MSP"} 1',
      'mgmt_votes_cast_total{verdict="approve",member="Org1MSP"} 1',
      'mgmt_votes_refused_total{member="Org1MSP"} 1',
      'mgmt_errors_total{code="MGMT_DUPLICATE_VOTE",member="Org1MSP"} 1',
      'mgmt_errors_total{code="PRIMARY_UPDATE_REFUSED",member="Org1MSP"} 1',
      'mgmt_agreement_delay_seconds_count{member="Org1MSP"} 1',
      'mgmt_agreement_delay_seconds_bucket{le="2",member="Org1MSP"} 1',
      'mgmt_agreement_delay_seconds_bucket{le="1",member="Org1MSP"} 0',
      'mgmt_update_delay_seconds_sum{member="Org1MSP"} 2',
      'mgmt_apply_delay_seconds_sum{member="Org1MSP"} 4',
      'mgmt_applies_total{outcome="applied",member="Org1MSP"} 1',
      'mgmt_applies_total{outcome="skipped",member="Org1MSP"} 1',
      'mgmt_apply_failures_total{member="Org1MSP"} 1',
      'mgmt_observer_verified_height{member="Org1MSP"} 1',
      'mgmt_observer_lag_blocks{member="Org1MSP"} 2',
      'mgmt_cb_in_force_height{member="Org1MSP"} 1',
    ];
    for (const line of series) expect(text.split('\n')).toContain(line);
    expect(text).toMatch(/^# TYPE mgmt_agreement_delay_seconds histogram$/m);
  });

  it('includes prom-client process metrics by default', async () => {
    const server = await start({ registry: new MgmtMetrics().registry });
    const text = (await get(server, '/metrics')).body;
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });
});

describe('/version and routing', () => {
  it('answers the package version, the Node version and a commit when known', async () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    const server = await start({ version: versionInfo({ MGMT_COMMIT_SHA: 'abc123' }) });
    const answer = await get(server, '/version');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ Version: pkg.version, CommitSHA: 'abc123', Node: process.version });
  });

  it('serves /logspec only when given, and refuses other paths and methods', async () => {
    const server = await start({ logSpec: () => 'info:primary=debug' });
    expect(JSON.parse((await get(server, '/logspec')).body)).toEqual({ spec: 'info:primary=debug' });
    const unknown = await get(server, '/admin');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatch(/serves \/healthz, \/metrics, \/version, \/logspec/);
    const put = await get(server, '/logspec', {}, 'PUT');
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD');
    const plain = await start();
    expect((await get(plain, '/logspec')).status).toBe(404);
  });
});

describe('local-endpoint rules', () => {
  it.each([
    ['an Origin header', { origin: 'https://evil.example' }, 'BROWSER_ORIGIN'],
    ['Sec-Fetch-Mode (browsers, Node fetch)', { 'sec-fetch-mode': 'cors' }, 'BROWSER_FETCH_METADATA'],
    ['Sec-Fetch-Site', { 'sec-fetch-site': 'cross-site' }, 'BROWSER_FETCH_METADATA'],
    ['a foreign Host (DNS rebinding)', { host: 'evil.example' }, 'BAD_HOST'],
  ])('refuses a request with %s with 403 and runs no check', async (_what, headers, code) => {
    let ran = false;
    const server = await start({ checks: [{ component: 'peer', check: () => { ran = true; return undefined; } }] });
    const answer = await get(server, '/healthz', headers);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ code });
    expect(ran).toBe(false);
  });

  it('serves Host localhost:<port> and 127.0.0.1:<port>', async () => {
    const server = await start();
    expect((await get(server, '/version', { host: `localhost:${server.port}` })).status).toBe(200);
    expect((await get(server, '/version')).status).toBe(200);
  });

  it('refuses to listen beyond loopback without client certificates, and malformed addresses', async () => {
    await expect(start({ listen: '0.0.0.0:0' })).rejects.toThrow(OperationsConfigError);
    await expect(start({ listen: '0.0.0.0:0' })).rejects.toThrow(/--operations-tls-client-ca/);
    await expect(start({ listen: 'localhost:9443' })).rejects.toThrow(/not an IP address/);
    await expect(start({ listen: '127.0.0.1' })).rejects.toThrow(/not host:port/);
    await expect(start({ listen: '127.0.0.1:70000' })).rejects.toThrow(/not in 0\.\.65535/);
  });
});

describe('TLS with client certificates', () => {
  let dir: string;
  let org: OrgCrypto;
  const files = { cert: '', key: '', ca: '' };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mgmt-ops-'));
    org = await generateOrgCrypto(dir, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' });
    files.cert = path.join(dir, 'server.crt');
    files.key = path.join(dir, 'server.key');
    files.ca = path.join(dir, 'clients-ca.crt');
    writeFileSync(files.cert, org.peer.tlsCertPem);
    writeFileSync(files.key, org.peer.tlsKeyPem);
    writeFileSync(files.ca, org.tlsCaCertPem);
  });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  function tlsGet(server: OperationsServer, client?: { cert: string; key: string }): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: server.port, path: '/version', ca: org.tlsCaCertPem, servername: 'localhost', ...client }, (res) => {
        res.resume();
        res.on('end', () => { resolve(res.statusCode ?? 0); });
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves a client with a certificate of the client CA and refuses one without', async () => {
    const server = await start({ tls: { certFile: files.cert, keyFile: files.key, clientCaFile: files.ca } });
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    expect(await tlsGet(server, { cert: org.user.tlsCertPem, key: org.user.tlsKeyPem })).toBe(200);
    await expect(tlsGet(server)).rejects.toThrow(/certificate|ECONNRESET|socket hang up|alert/i);
  });

  it('says which TLS file it cannot read', async () => {
    await expect(start({ tls: { certFile: path.join(dir, 'missing.crt'), keyFile: files.key } })).rejects.toThrow(/cannot read the operations TLS certificate .*missing\.crt/);
  });
});
