/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The HTTP twin against a real HTTP server on 127.0.0.1 that answers well, badly, or never.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTwin } from './httpTwin';
import { NO_METRICS } from './metrics';
import type { TwinState } from './twin';

const state: TwinState = { metrics: { ...NO_METRICS, txRate: 12 }, current: { batchTimeoutMs: 100, maxMessageCount: 10 }, height: 2 };
const requests: unknown[] = [];
let server: http.Server;
let base: string;
const hanging = new Set<http.ServerResponse>();

/** Each path answers in its own way. */
const routes: Record<string, (body: unknown, res: http.ServerResponse) => void> = {
  '/good': (body, res) => {
    const op = (body as { op: string }).op;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(op === 'decide' ? { config: { batchTimeoutMs: 150, maxMessageCount: 10 }, extra: 'ignored' } : { approve: false, reason: 'too slow for us' }));
  },
  '/status': (_body, res) => {
    res.statusCode = 503;
    res.end('model warming up');
  },
  '/notjson': (_body, res) => res.end('<html>hello</html>'),
  '/shape': (_body, res) => res.end(JSON.stringify({ approve: 'yes', config: [1] })),
  '/slow': (_body, res) => {
    hanging.add(res);
  },
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as unknown;
      requests.push({ path: req.url, contentType: req.headers['content-type'], body });
      (routes[req.url ?? ''] ?? routes['/status'])(body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
});

describe('HttpTwin', () => {
  it('POSTs {op, state, config} as JSON and uses well-formed answers (extra fields ignored)', async () => {
    const twin = new HttpTwin({ url: `${base}/good` });
    expect(await twin.decide(state)).toEqual({ batchTimeoutMs: 150, maxMessageCount: 10 });
    expect(await twin.validate({ batchTimeoutMs: 150, maxMessageCount: 10 }, state)).toEqual({ approve: false, reason: 'too slow for us' });
    expect(requests.slice(-2)).toEqual([
      { path: '/good', contentType: 'application/json', body: { op: 'decide', state } },
      { path: '/good', contentType: 'application/json', body: { op: 'validate', state, config: { batchTimeoutMs: 150, maxMessageCount: 10 } } },
    ]);
  });

  it.each([
    ['an HTTP error status', '/status', 'TWIN_HTTP_STATUS', /answered decide with HTTP 503: model warming up/],
    ['a body that is not JSON', '/notjson', 'TWIN_BAD_JSON', /is not JSON: "<html>hello<\/html>"/],
    ['JSON of the wrong shape', '/shape', 'TWIN_BAD_ANSWER', /is not \{"config": \{\.\.\.\}\}: \/config must be object/],
  ])('refuses %s with a clear error', async (_name, route, code, message) => {
    const twin = new HttpTwin({ url: `${base}${route}` });
    const failure = twin.decide(state);
    await expect(failure).rejects.toMatchObject({ name: 'TwinError', code });
    await expect(failure).rejects.toThrow(message);
  });

  it('names the missing field of a bad verdict', async () => {
    await expect(new HttpTwin({ url: `${base}/shape` }).validate({}, state)).rejects.toThrow(/TWIN_BAD_ANSWER.*must have required property 'reason'; \/approve must be boolean/);
  });

  it('gives up after its timeout', async () => {
    const started = Date.now();
    await expect(new HttpTwin({ url: `${base}/slow`, timeoutMs: 300 }).validate({}, state)).rejects.toMatchObject({ code: 'TWIN_TIMEOUT', message: expect.stringMatching(/within 300 ms/) });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('says when the service cannot be reached', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => { resolve(); }));
    await expect(new HttpTwin({ url: `http://127.0.0.1:${port}/` }).decide(state)).rejects.toMatchObject({ code: 'TWIN_UNREACHABLE', message: expect.stringMatching(/ECONNREFUSED.*is the twin service running/) });
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => new HttpTwin({ url: 'ftp://x' })).toThrow(/TWIN_BAD_INPUT.*http or https/);
    expect(() => new HttpTwin({ url: 'not a url' })).toThrow(/TWIN_BAD_INPUT/);
  });
});
