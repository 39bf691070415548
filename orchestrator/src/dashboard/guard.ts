/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The dashboard's local-endpoint rules. The project's endpoints refuse every browser request;
 * the dashboard is for a browser, so it refuses every request a browser would make on behalf
 * of another page, and accepts the page's own:
 *
 * - Host must be 127.0.0.1:<port> or localhost:<port> (DNS rebinding): 403.
 * - An Origin other than the dashboard's own: 403.
 * - Fetch metadata: `Sec-Fetch-Site` must be `same-origin`, or `none` for a navigation the user
 *   made (typed, bookmarked, reloaded). `same-site` is refused too: another port of 127.0.0.1
 *   is the same site but another origin. Browsers send these headers; a script cannot forge them.
 * - GET and HEAD only (the dashboard is read-only): 405.
 * - A credential: the session cookie (HttpOnly, SameSite=Strict, set by the one-time login URL)
 *   or `Authorization: Bearer <token>` (the token file, mode 0600), compared in constant time: 401.
 *
 * Pure: headers in, verdict out.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type DashboardRefusalCode = 'BAD_HOST' | 'CROSS_ORIGIN' | 'CROSS_SITE' | 'METHOD_NOT_ALLOWED' | 'UNAUTHENTICATED';

export interface DashboardRefusal {
  readonly ok: false;
  readonly status: 401 | 403 | 405;
  readonly code: DashboardRefusalCode;
  /** Names the problem and what to do. */
  readonly error: string;
}

/** Who the request is from, once accepted. */
export type DashboardVerdict = { readonly ok: true; readonly by: 'cookie' | 'bearer' | 'none' } | DashboardRefusal;

/** The parts of a request the guard reads; Node's IncomingMessage fits. */
export interface GuardedRequest {
  readonly method?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface DashboardGuardPolicy {
  readonly port: number;
  /** The session cookie values handed out by logins so far (the cookie is named {@link SESSION_COOKIE}). */
  readonly sessions: Iterable<string>;
  /** The bearer token of the token file. */
  readonly token: string;
  /** Whether the request needs no credential (the login URL, which checks its own token). */
  readonly open?: boolean;
}

/** The session cookie's name. */
export const SESSION_COOKIE = 'mgmt_dashboard';

function header(req: GuardedRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Constant-time comparison of two secrets of any length (both are hashed first). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a, 'utf8').digest(), createHash('sha256').update(b, 'utf8').digest());
}

/** A fresh random secret (256 bits, hex). */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

/** The value of one cookie of a Cookie header, or undefined. */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function refuse(status: DashboardRefusal['status'], code: DashboardRefusalCode, error: string): DashboardRefusal {
  return { ok: false, status, code, error };
}

/** The origins of the dashboard itself. */
export function ownOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}

/**
 * Decides whether the dashboard serves a request: browser-origin rules first (403), then the
 * method (405), then the credential (401).
 */
export function guardDashboardRequest(req: GuardedRequest, policy: Readonly<DashboardGuardPolicy>): DashboardVerdict {
  const host = header(req, 'host')?.trim().toLowerCase();
  const hosts = [`127.0.0.1:${policy.port}`, `localhost:${policy.port}`];
  if (host === undefined || !hosts.includes(host)) {
    return refuse(403, 'BAD_HOST', `request refused: Host must be ${hosts.join(' or ')}, not ${host === undefined ? '(none)' : `'${host}'`}`);
  }
  const origin = header(req, 'origin');
  if (origin !== undefined && !ownOrigins(policy.port).includes(origin.toLowerCase())) {
    return refuse(403, 'CROSS_ORIGIN', `request refused: it comes from another origin (${origin}); the dashboard answers only its own page`);
  }
  const site = header(req, 'sec-fetch-site')?.toLowerCase();
  const mode = header(req, 'sec-fetch-mode')?.toLowerCase();
  if (site !== undefined && site !== 'same-origin' && !(site === 'none' && mode === 'navigate')) {
    return refuse(403, 'CROSS_SITE', `request refused: the browser says it comes from ${site === 'none' ? 'no page, yet is not a navigation' : `a ${site} page`}; open the dashboard's own URL instead`);
  }
  const method = (req.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    return refuse(405, 'METHOD_NOT_ALLOWED', `method ${method} not allowed: the dashboard is read-only (GET, HEAD)`);
  }
  if (policy.open === true) return { ok: true, by: 'none' };
  const cookie = cookieValue(header(req, 'cookie'), SESSION_COOKIE);
  if (cookie !== undefined && [...policy.sessions].some((session) => secretsEqual(cookie, session))) return { ok: true, by: 'cookie' };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header(req, 'authorization') ?? '');
  if (match !== null && secretsEqual(match[1], policy.token)) return { ok: true, by: 'bearer' };
  return refuse(
    401,
    'UNAUTHENTICATED',
    'not signed in: open the one-time login URL that `mgmt dashboard` printed (or ask it for a new one with the token file: GET /api/login-link with Authorization: Bearer <token>)',
  );
}
