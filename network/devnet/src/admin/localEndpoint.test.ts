/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The rules of local endpoints: the pure guard, the bounded body reader and the token file.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { adminRequest, AdminApiError } from './client';
import {
  bearer,
  BodyTooLargeError,
  DEFAULT_MAX_BODY_BYTES,
  guardLocalRequest,
  readLimitedBody,
  readTokenFile,
  tokensEqual,
  writeTokenFile,
} from './localEndpoint';
import type { LocalRequest, Verdict } from './localEndpoint';

const PORT = 7059;
const TOKEN = 'a'.repeat(64);
const policy = { port: PORT, token: TOKEN };

function request(method: string, headers: Record<string, string | undefined>): LocalRequest {
  return {
    method,
    headers: { host: `127.0.0.1:${PORT}`, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
  };
}

function refusal(verdict: Verdict): { status: number; code: string } | 'ok' {
  return verdict.ok ? 'ok' : { status: verdict.status, code: verdict.code };
}

describe('guardLocalRequest', () => {
  test('serves a local tool with the token: GET, and POST with JSON', () => {
    expect(guardLocalRequest(request('GET', { 'content-type': undefined }), policy)).toEqual({ ok: true });
    expect(guardLocalRequest(request('POST', { 'content-length': '120' }), policy)).toEqual({ ok: true });
    expect(guardLocalRequest(request('POST', { 'content-type': 'Application/JSON; charset=utf-8' }), policy)).toEqual({ ok: true });
    expect(guardLocalRequest(request('GET', { host: `localhost:${PORT}` }), policy)).toEqual({ ok: true });
    expect(guardLocalRequest(request('GET', { authorization: `bearer   ${TOKEN}` }), policy)).toEqual({ ok: true });
  });

  test.each([
    ['an Origin header', { origin: 'http://evil.example' }, 403, 'BROWSER_ORIGIN'],
    ['a null Origin (sandboxed page)', { origin: 'null' }, 403, 'BROWSER_ORIGIN'],
    ['our own origin (a page served by a local dashboard)', { origin: `http://127.0.0.1:${PORT}` }, 403, 'BROWSER_ORIGIN'],
    ['Sec-Fetch-Site', { 'sec-fetch-site': 'same-origin' }, 403, 'BROWSER_FETCH_METADATA'],
    ['Sec-Fetch-Mode (also sent by Node fetch)', { 'sec-fetch-mode': 'cors' }, 403, 'BROWSER_FETCH_METADATA'],
    ['a rebound Host', { host: `evil.example:${PORT}` }, 403, 'BAD_HOST'],
    ['a Host with another port', { host: '127.0.0.1:80' }, 403, 'BAD_HOST'],
    ['a Host without a port', { host: '127.0.0.1' }, 403, 'BAD_HOST'],
    ['no Host', { host: undefined }, 403, 'BAD_HOST'],
    ['no Authorization', { authorization: undefined }, 401, 'UNAUTHENTICATED'],
    ['a wrong token', { authorization: `Bearer ${'b'.repeat(64)}` }, 401, 'BAD_TOKEN'],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, 10)}` }, 401, 'BAD_TOKEN'],
    ['Basic credentials', { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` }, 401, 'BAD_TOKEN'],
  ])('refuses %s', (_what, headers, status, code) => {
    expect(refusal(guardLocalRequest(request('GET', headers), policy))).toEqual({ status, code });
  });

  test('refuses a browser indication before it looks at the credential', () => {
    expect(refusal(guardLocalRequest(request('POST', { origin: 'http://evil.example', authorization: undefined }), policy))).toEqual({
      status: 403,
      code: 'BROWSER_ORIGIN',
    });
  });

  test.each([
    ['text/plain (a form or no-cors fetch)', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['no content type', undefined],
    ['a JSON look-alike', 'application/jsonp'],
  ])('refuses a POST body of %s with 415', (_what, type) => {
    expect(refusal(guardLocalRequest(request('POST', { 'content-type': type }), policy))).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  test('refuses a declared length over the limit with 413 and closes the connection', () => {
    const verdict = guardLocalRequest(request('POST', { 'content-length': String(DEFAULT_MAX_BODY_BYTES + 1) }), policy);
    expect(refusal(verdict)).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
    expect(verdict.ok ? {} : verdict.headers).toEqual({ connection: 'close' });
    expect(guardLocalRequest(request('POST', { 'content-length': String(DEFAULT_MAX_BODY_BYTES) }), policy)).toEqual({ ok: true });
    expect(refusal(guardLocalRequest(request('POST', { 'content-length': '10' }), { ...policy, maxBodyBytes: 9 }))).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
    expect(refusal(guardLocalRequest(request('POST', { 'content-length': '-1' }), policy))).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
  });

  test('a 401 asks for a bearer token and every refusal names its problem', () => {
    const verdict = guardLocalRequest(request('GET', { authorization: undefined }), policy);
    expect(verdict.ok ? {} : verdict.headers).toEqual({ 'www-authenticate': 'Bearer' });
    expect(verdict.ok ? '' : verdict.error).toContain('Authorization: Bearer');
    const host = guardLocalRequest(request('GET', { host: 'evil.example:7059' }), policy);
    expect(host.ok ? '' : host.error).toContain(`127.0.0.1:${PORT} or localhost:${PORT}`);
  });
});

describe('tokens', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-endpoint-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a token file is mode 0600, fresh at each write, and replaces a planted link', () => {
    const file = path.join(dir, 'admin.token');
    const decoy = path.join(dir, 'decoy');
    fs.writeFileSync(decoy, 'decoy\n', { mode: 0o644 });
    fs.symlinkSync(decoy, file);
    const first = writeTokenFile(file);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(false);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(decoy, 'utf8')).toBe('decoy\n');
    expect(readTokenFile(file)).toBe(first);
    const second = writeTokenFile(file);
    expect(second).not.toBe(first);
    expect(readTokenFile(file)).toBe(second);
  });

  test('reading a missing or empty token file names the file', () => {
    expect(() => readTokenFile(path.join(dir, 'missing'))).toThrow(/cannot read the token file .*missing/);
    fs.writeFileSync(path.join(dir, 'empty'), '\n');
    expect(() => readTokenFile(path.join(dir, 'empty'))).toThrow(/is empty/);
  });

  test('tokensEqual compares whole tokens of any length', () => {
    expect(tokensEqual(TOKEN, TOKEN)).toBe(true);
    expect(tokensEqual(TOKEN, TOKEN.slice(1))).toBe(false);
    expect(tokensEqual('', TOKEN)).toBe(false);
    expect(tokensEqual(TOKEN + 'a', TOKEN)).toBe(false);
    expect(bearer('x')).toBe('Bearer x');
  });
});

describe('an endpoint built on the rules, through the admin client', () => {
  let server: http.Server;
  let url: string;
  let dir: string;
  let tokenPath: string;
  const seen: number[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-endpoint-'));
    tokenPath = path.join(dir, 'admin.token');
    const token = writeTokenFile(tokenPath);
    server = http.createServer((req, res) => {
      const port = (server.address() as AddressInfo).port;
      const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const verdict = guardLocalRequest(req, { port, token, maxBodyBytes: 1024 });
      if (!verdict.ok) {
        send(verdict.status, { error: verdict.error, code: verdict.code }, verdict.headers);
        return;
      }
      readLimitedBody(req, 1024).then(
        (body) => {
          seen.push(body.length);
          send(200, { echo: body.length === 0 ? null : (JSON.parse(body.toString('utf8')) as unknown) });
        },
        (err: unknown) => {
          if (err instanceof BodyTooLargeError) {
            res.once('finish', () => { req.socket.destroy(); });
            send(err.refusal.status, { error: err.refusal.error, code: err.refusal.code }, err.refusal.headers);
          } else {
            send(400, { error: String(err) });
          }
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the client sends the token and JSON; the endpoint answers', async () => {
    await expect(adminRequest({ url, tokenPath }, 'POST', '/x', { hello: 'world' })).resolves.toEqual({ echo: { hello: 'world' } });
    await expect(adminRequest({ url, tokenPath }, 'GET', '/x')).resolves.toEqual({ echo: null });
  });

  test('the client reports a refusal with the endpoint\'s own words and status', async () => {
    const noToken = await adminRequest({ url }, 'GET', '/x').catch((e: unknown) => e);
    expect(noToken).toBeInstanceOf(AdminApiError);
    expect((noToken as AdminApiError).status).toBe(401);
    expect((noToken as AdminApiError).message).toContain('Authorization: Bearer');
  });

  test('a chunked body over the limit is cut off with 413, and nothing is served', async () => {
    const before = seen.length;
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      let answered = false;
      const req = http.request(`${url}/x`, {
        method: 'POST',
        agent: false,
        headers: { authorization: bearer(readTokenFile(tokenPath)), 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      }, (res) => {
        answered = true;
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: text }); });
      });
      req.on('error', (err) => { if (!answered) reject(err); });
      req.write(Buffer.alloc(800, 0x20));
      req.end(Buffer.alloc(800, 0x20));
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(seen.length).toBe(before);
  });
});
