/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The dashboard's HTTP server: 127.0.0.1 only, every request through guardDashboardRequest, the
 * page and its bundle as static files, a JSON API over a DashboardSource and server-sent events.
 *
 *   GET /login?token=<one-time>  sets the session cookie, redirects to /
 *   GET /                        the page (the app routes with #/... fragments)
 *   GET /assets/<file>           the bundle (app.js, app.css)
 *   GET /api/state               DashboardState
 *   GET /api/live                LiveStatus (404 with no network)
 *   GET /api/members             MembersStatus: each member's node health and chain activity (404 with no network)
 *   GET /api/events              server-sent events: `state` {version}, `round` LiveStatus, `members` MembersStatus
 *   GET /api/export.json         the export file; /api/report.csv the report as CSV
 *   GET /api/login-link          a new one-time login URL (bearer token only)
 */
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { guardDashboardRequest, SESSION_COOKIE } from './guard';
import { LoginBook } from './logins';
import type { DashboardSource } from './source';
import type { DashboardEvent } from './types';

/** Where `npm run build` puts the page and its bundle (from src/dashboard or dist/dashboard alike). */
export const DEFAULT_ASSETS_DIR = path.resolve(__dirname, '..', '..', 'dist', 'dashboard', 'web');

const ASSET_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Sent with every answer. The page loads nothing from elsewhere, cannot be framed, and sends no
 * referrer. `'unsafe-eval'`: the core validates configurations against the genesis's JSON Schema
 * with Ajv, which compiles each schema to a function at run time.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
};

export interface DashboardServerOptions {
  readonly source: DashboardSource;
  /** 0 for any free port. */
  readonly port: number;
  /** The bearer token (the token file's content). */
  readonly token: string;
  readonly assetsDir?: string;
  /** Seconds between SSE keep-alive comments. */
  readonly keepAliveSeconds?: number;
}

export interface DashboardServer {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly port: number;
  /** A fresh one-time login URL. */
  loginUrl(): string;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), extra);
}

function sseFrame(event: DashboardEvent): string {
  const data = event.type === 'state' ? { version: event.version } : event.type === 'round' ? event.live : event.members;
  return `event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Starts the dashboard on 127.0.0.1.
 *
 * @throws the listen error (EADDRINUSE, EACCES) when the port cannot be bound.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const assetsDir = options.assetsDir ?? DEFAULT_ASSETS_DIR;
  const logins = new LoginBook();
  const streams = new Set<http.ServerResponse>();
  let port = options.port;

  const serveAsset = async (res: http.ServerResponse, name: string): Promise<void> => {
    const type = ASSET_TYPES[path.extname(name)];
    // Only plain names of the bundle folder: no separators, no dot files.
    if (type === undefined || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      sendJson(res, 404, { error: `no asset ${name}` });
      return;
    }
    try {
      send(res, 200, type, await fs.readFile(path.join(assetsDir, name)));
    } catch {
      sendJson(res, 404, { error: `no asset ${name} in ${assetsDir}: run npm run build` });
    }
  };

  const openEvents = (res: http.ServerResponse): void => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write(sseFrame({ type: 'state', version: options.source.state().version }));
    const live = options.source.live();
    if (live !== undefined) res.write(sseFrame({ type: 'round', live }));
    const members = options.source.members();
    if (members !== undefined) res.write(sseFrame({ type: 'members', members }));
    streams.add(res);
    const unsubscribe = options.source.subscribe((event) => res.write(sseFrame(event)));
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), (options.keepAliveSeconds ?? 15) * 1000);
    res.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(res);
    });
  };

  const route = async (res: http.ServerResponse, url: URL): Promise<void> => {
    const source = options.source;
    switch (url.pathname) {
      case '/':
      case '/index.html':
        send(res, 200, 'text/html; charset=utf-8', await fs.readFile(path.join(assetsDir, 'index.html')).catch(() => Buffer.from('the dashboard page is not built: run npm run build')));
        return;
      case '/api/state':
        sendJson(res, 200, source.state());
        return;
      case '/api/live': {
        const live = source.live();
        if (live === undefined) sendJson(res, 404, { error: 'no live network: this dashboard shows an export file' });
        else sendJson(res, 200, live);
        return;
      }
      case '/api/members': {
        const members = source.members();
        if (members === undefined) sendJson(res, 404, { error: 'no live network: member health is shown by a live dashboard only (--connection)' });
        else sendJson(res, 200, members);
        return;
      }
      case '/api/events':
        openEvents(res);
        return;
      case '/api/export.json':
        send(res, 200, 'application/json; charset=utf-8', source.exportText(), { 'content-disposition': 'attachment; filename="mgmt-audit-export.json"' });
        return;
      case '/api/report.csv':
        send(res, 200, 'text/csv; charset=utf-8', source.csv(), { 'content-disposition': 'attachment; filename="mgmt-audit-report.csv"' });
        return;
      default:
        if (url.pathname.startsWith('/assets/')) {
          await serveAsset(res, url.pathname.slice('/assets/'.length));
          return;
        }
        sendJson(res, 404, { error: `no such page: ${url.pathname}` });
    }
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const isLogin = url.pathname === '/login';
    const verdict = guardDashboardRequest(req, { port, sessions: logins.sessions, token: options.token, open: isLogin });
    if (!verdict.ok) {
      sendJson(res, verdict.status, { error: verdict.error, code: verdict.code }, verdict.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
      return;
    }
    if (isLogin) {
      const session = logins.redeem(url.searchParams.get('token') ?? '');
      if (session === undefined) {
        sendJson(res, 401, { error: 'this login URL is spent, expired or wrong: each works once; run mgmt dashboard again, or GET /api/login-link with the bearer token', code: 'LOGIN_SPENT' });
        return;
      }
      res.writeHead(303, { ...SECURITY_HEADERS, location: '/', 'set-cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/` });
      res.end();
      return;
    }
    if (url.pathname === '/api/login-link') {
      // Only a holder of the token file mints logins; a signed-in page cannot hand them out.
      if (verdict.by !== 'bearer') sendJson(res, 403, { error: 'login links are given to the bearer token only', code: 'BEARER_ONLY' });
      else sendJson(res, 200, { loginUrl: loginUrl() });
      return;
    }
    await route(res, url);
  };

  const loginUrl = (): string => `http://127.0.0.1:${port}/login?token=${logins.issue()}`;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    loginUrl,
    close: async (): Promise<void> => {
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}
