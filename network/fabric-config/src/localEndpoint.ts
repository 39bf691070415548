/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The rules of every local HTTP endpoint of the project (the devnet's admin API, the operations
 * endpoint of `mgmt node`): listen on 127.0.0.1 only, and serve only the user who started the
 * service. It lives here, in the package every workspace already depends on, so that the devnet
 * and the orchestrator share one copy (`fabric-config/localEndpoint`).
 *
 * - A credential only that user can read: a random token in a file of mode 0600, sent as
 *   `Authorization: Bearer <token>` and compared in constant time (401 without or with a wrong one).
 * - No browser-style request: an `Origin` header, a `Sec-Fetch-Site`/`Sec-Fetch-Mode` header
 *   (a page's cross-site request, CSRF) or a `Host` other than 127.0.0.1:<port>/localhost:<port>
 *   (DNS rebinding) is refused with 403, even with the right token. Node's own fetch() sends
 *   `Sec-Fetch-Mode: cors`, so clients use node:http (see ./client.ts).
 * - A request body only as `application/json` (415) and within a small size (413, reading stops).
 *
 * {@link guardLocalRequest} is pure (method and headers in, verdict out); {@link refuseBrowserRequest}
 * is its first part alone, for read-only endpoints without a token (Fabric's operations endpoint
 * is unauthenticated on loopback); {@link readLimitedBody} and the token helpers do the I/O.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';

/** Largest request body a local endpoint accepts by default. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Why a request was refused, for the JSON error body. */
export type RefusalCode =
  | 'BROWSER_ORIGIN'
  | 'BROWSER_FETCH_METADATA'
  | 'BAD_HOST'
  | 'UNAUTHENTICATED'
  | 'BAD_TOKEN'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BODY_TOO_LARGE';

export interface Refusal {
  ok: false;
  status: 401 | 403 | 413 | 415;
  code: RefusalCode;
  /** Names the problem and what to do. */
  error: string;
  /** Response headers to add (WWW-Authenticate on 401, Connection: close on 413). */
  headers: Record<string, string>;
}

export type Verdict = { ok: true } | Refusal;

/** The parts of a request the guard looks at; Node's IncomingMessage fits. */
export interface LocalRequest {
  method?: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface LocalEndpointPolicy {
  /** The port the endpoint listens on (127.0.0.1 only); the Host header must name it. */
  port: number;
  /** The expected bearer token. */
  token: string;
  maxBodyBytes?: number;
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

function header(req: LocalRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function refuse(status: Refusal['status'], code: RefusalCode, error: string, headers: Record<string, string> = {}): Refusal {
  return { ok: false, status, code, error, headers };
}

/** Options of {@link refuseBrowserRequest}. */
export interface BrowserGuardPolicy {
  /** The port the endpoint listens on; the Host header must name it (127.0.0.1 or localhost). */
  port: number;
  /**
   * Accept any Host header: only for an endpoint that listens beyond loopback and authenticates
   * every client otherwise (TLS client certificates), where the Host is whatever name reaches it.
   */
  anyHost?: boolean;
}

/**
 * The browser part of the rules: a request with an `Origin` or `Sec-Fetch-Site`/`Sec-Fetch-Mode`
 * header, or (unless `anyHost`) a Host other than 127.0.0.1:<port>/localhost:<port>, is refused
 * with 403. Undefined when none applies.
 */
export function refuseBrowserRequest(req: LocalRequest, policy: Readonly<BrowserGuardPolicy>): Refusal | undefined {
  const origin = header(req, 'origin');
  if (origin !== undefined) {
    return refuse(403, 'BROWSER_ORIGIN', `request refused: it has an Origin header (${origin}); this local endpoint serves no web page, only local tools`);
  }
  for (const name of ['sec-fetch-site', 'sec-fetch-mode']) {
    if (header(req, name) !== undefined) {
      return refuse(
        403,
        'BROWSER_FETCH_METADATA',
        `request refused: it has a ${name} header, as browsers (and Node's fetch()) send; use the CLI or a plain HTTP client (node:http, curl)`,
      );
    }
  }
  if (policy.anyHost === true) return undefined;
  const host = header(req, 'host')?.trim().toLowerCase();
  const allowedHosts = [`127.0.0.1:${policy.port}`, `localhost:${policy.port}`];
  if (host === undefined || !allowedHosts.includes(host)) {
    return refuse(403, 'BAD_HOST', `request refused: Host must be ${allowedHosts.join(' or ')}, not ${host === undefined ? '(none)' : `'${host}'`}`);
  }
  return undefined;
}

/**
 * Decides whether a local endpoint may serve a request, before its body is read. Browser
 * indications come first (403), then the credential (401), then the body's type (415) and
 * declared length (413); a chunked body is bounded by {@link readLimitedBody}.
 */
export function guardLocalRequest(req: LocalRequest, policy: Readonly<LocalEndpointPolicy>): Verdict {
  const browser = refuseBrowserRequest(req, { port: policy.port });
  if (browser !== undefined) return browser;
  const authorization = header(req, 'authorization');
  if (authorization === undefined) {
    return refuse(401, 'UNAUTHENTICATED', 'authentication required: send Authorization: Bearer <token>, the token in the admin token file of the data folder', {
      'www-authenticate': 'Bearer',
    });
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match || !tokensEqual(match[1], policy.token)) {
    return refuse(401, 'BAD_TOKEN', 'authentication failed: the bearer token is wrong (the token changes at every start; read it again)', {
      'www-authenticate': 'Bearer error="invalid_token"',
    });
  }
  const method = (req.method ?? 'GET').toUpperCase();
  if (METHODS_WITH_BODY.has(method)) {
    const type = header(req, 'content-type');
    const mediaType = type?.split(';')[0].trim().toLowerCase();
    if (mediaType !== 'application/json') {
      return refuse(415, 'UNSUPPORTED_MEDIA_TYPE', `unsupported content type ${type === undefined ? '(none)' : `'${type}'`}: send application/json`);
    }
  }
  const limit = policy.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const length = header(req, 'content-length');
  if (length !== undefined && !(/^\d+$/.test(length.trim()) && Number(length) <= limit)) {
    return tooLarge(limit, `${length} bytes`);
  }
  return { ok: true };
}

function tooLarge(limit: number, size: string): Refusal {
  return refuse(413, 'BODY_TOO_LARGE', `request body too large (${size}): the limit is ${limit} bytes`, { connection: 'close' });
}

/** A body over the limit while it streams in; `refusal` is the 413 to send. */
export class BodyTooLargeError extends Error {
  readonly refusal: Refusal;

  constructor(limit: number) {
    const refusal = tooLarge(limit, `more than ${limit} bytes`);
    super(refusal.error);
    this.name = 'BodyTooLargeError';
    this.refusal = refusal;
  }
}

/**
 * Reads a request body of at most `limit` bytes. Past the limit it stops reading (the stream is
 * paused and left unread) and rejects with {@link BodyTooLargeError}: answer 413 and close.
 */
export function readLimitedBody(req: IncomingMessage, limit = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        chunks.length = 0;
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Constant-time comparison of two tokens (of any lengths: both are hashed first). */
export function tokensEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** A fresh random token (256 bits, hex). */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Writes a fresh token to `file` with mode 0600 (replacing any file or link there atomically) and
 * returns it.
 * @throws Error if the file cannot be written or ends up readable by others.
 */
export function writeTokenFile(file: string): string {
  const token = newToken();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  // 'wx' never follows a link planted at the temporary name; the mode is set at creation.
  fs.writeFileSync(tmp, token + '\n', { mode: 0o600, flag: 'wx' });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  const mode = fs.statSync(file).mode & 0o777;
  if (mode !== 0o600) throw new Error(`${file} has mode ${mode.toString(8)}, not 600`);
  return token;
}

/**
 * Reads a token file written by {@link writeTokenFile}.
 * @throws Error naming the file when it is missing, unreadable or empty.
 */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the token file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const token = text.trim();
  if (token === '') throw new Error(`the token file ${file} is empty`);
  return token;
}

/** The Authorization header value for a token. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}
