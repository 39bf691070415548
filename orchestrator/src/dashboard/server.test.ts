/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The dashboard server over an export file, through real HTTP: login, the JSON API, the
 * downloads, the event stream, and the refusals of the local-endpoint rules.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { auditEvidence, buildExport, serializeExport } from '../audit';
import { openExportSource } from './exportSource';
import { SESSION_COOKIE } from './guard';
import { startDashboardServer } from './server';
import type { DashboardServer } from './server';
import type { DashboardSource } from './source';
import { createTestChain } from './testing/chain';
import type { DashboardState } from './types';

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function get(port: number, pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let exportText: string;
let source: DashboardSource;
let server: DashboardServer;
let cookie: string;
const TOKEN = 'b'.repeat(64);

beforeAll(async () => {
  const fx = await createTestChain(5);
  dir = mkdtempSync(path.join(os.tmpdir(), 'dashboard-'));
  exportText = serializeExport(buildExport(fx.evidence, auditEvidence(fx.evidence)));
  const file = path.join(dir, 'audit.json');
  writeFileSync(file, exportText);
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>test page</title>');
  writeFileSync(path.join(dir, 'app.js'), 'void 0;');
  source = await openExportSource(file);
  server = await startDashboardServer({ source, port: 0, token: TOKEN, assetsDir: dir });
  const login = new URL(server.loginUrl());
  const answer = await get(server.port, `${login.pathname}${login.search}`, { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' });
  expect(answer.status).toBe(303);
  const setCookie = answer.headers['set-cookie']?.[0] ?? '';
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  cookie = setCookie.split(';')[0];
  expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
});

afterAll(async () => {
  await server.close();
  await source.close();
  rmSync(dir, { recursive: true, force: true });
});

const page = (): Record<string, string> => ({ cookie, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' });

describe('the dashboard server', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it('serves the audited state to the signed-in page', async () => {
    const answer = await get(server.port, '/api/state', page());
    expect(answer.status).toBe(200);
    const state = JSON.parse(answer.body) as DashboardState;
    expect(state).toMatchObject({ mode: 'export', source: 'audit.json', exportVersion: 1 });
    expect(state.chain).toHaveLength(5);
    expect(state.report.blocks.map((b) => b.status)).toEqual(['verified', 'verified', 'verified', 'verified', 'verified']);
    expect(answer.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(answer.headers['x-frame-options']).toBe('DENY');
  });

  it('serves the page, its assets, the export and the CSV; nothing outside the bundle folder', async () => {
    expect((await get(server.port, '/', { cookie, 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' })).body).toMatch(/test page/);
    expect((await get(server.port, '/assets/app.js', page())).headers['content-type']).toMatch(/javascript/);
    expect((await get(server.port, '/assets/..%2Faudit.json', page())).status).toBe(404);
    expect((await get(server.port, '/assets/index.html', page())).status).toBe(404);
    const exported = await get(server.port, '/api/export.json', page());
    expect(exported.body).toBe(exportText);
    expect(exported.headers['content-disposition']).toMatch(/attachment/);
    expect((await get(server.port, '/api/report.csv', page())).body.split('\n')[0]).toMatch(/height/);
    expect((await get(server.port, '/api/live', page())).status).toBe(404);
    const members = await get(server.port, '/api/members', page());
    expect(members.status).toBe(404);
    expect(members.body).toMatch(/live dashboard only/);
  });

  it('refuses other origins, sites and hosts, and anyone not signed in', async () => {
    expect((await get(server.port, '/api/state', { ...page(), origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(server.port, '/api/state', { ...page(), 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await get(server.port, '/api/state', { ...page(), host: 'evil.example' })).status).toBe(403);
    expect((await get(server.port, '/api/state', page(), 'POST')).status).toBe(405);
    const anonymous = await get(server.port, '/api/state', { 'sec-fetch-site': 'same-origin' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatch(/login URL/);
  });

  it('spends a login URL at its first use', async () => {
    const login = new URL(server.loginUrl());
    expect((await get(server.port, `${login.pathname}${login.search}`)).status).toBe(303);
    const again = await get(server.port, `${login.pathname}${login.search}`);
    expect(again.status).toBe(401);
    expect(again.body).toMatch(/spent/);
  });

  it('gives new login links to the bearer token only', async () => {
    const link = await get(server.port, '/api/login-link', { authorization: `Bearer ${TOKEN}` });
    expect(link.status).toBe(200);
    expect((JSON.parse(link.body) as { loginUrl: string }).loginUrl).toMatch(/\/login\?token=[0-9a-f]{64}$/);
    expect((await get(server.port, '/api/login-link', page())).status).toBe(403);
  });

  it('opens an event stream that starts with the state version', async () => {
    const first = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: server.port, path: '/api/events', headers: { host: `127.0.0.1:${server.port}`, ...page() } }, (res) => {
        expect(res.headers['content-type']).toMatch(/text\/event-stream/);
        res.once('data', (chunk: Buffer) => {
          resolve(chunk.toString('utf8'));
          req.destroy();
        });
      });
      req.on('error', reject);
    });
    expect(first).toBe('event: state\ndata: {"version":1}\n\n');
  });
});
