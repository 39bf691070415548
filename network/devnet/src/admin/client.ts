/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A client of the devnet's admin API (POST /deploy, GET /status) for the CLI, the orchestrator and
 * the tests. It uses node:http, not fetch(): Node's fetch sends `Sec-Fetch-Mode: cors`, which the
 * admin API refuses as a browser-style request (see ./localEndpoint.ts).
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { ConnectionFile } from 'fabric-config/connection';
import { bearer, readTokenFile } from './localEndpoint';

/** Where the admin API is and which file holds its token. */
export interface AdminEndpoint {
  url: string;
  /** Absent for a devnet older than the token (it needs none). */
  tokenPath?: string;
}

/** The admin API refused a request (`status` set) or could not be reached. */
export class AdminApiError extends Error {
  readonly status?: number;

  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdminApiError';
    this.status = status;
  }
}

/**
 * The admin endpoint a connection file names, or undefined when it names none (native Fabric). A
 * relative `adminTokenPath` is taken from the connection file's folder.
 */
export function adminEndpointOf(connectionFile: string): AdminEndpoint | undefined {
  const parsed = JSON.parse(readFileSync(connectionFile, 'utf8')) as Partial<ConnectionFile>;
  return adminEndpointFrom(parsed, path.dirname(path.resolve(connectionFile)));
}

/** The same from an already parsed connection file; `baseDir` resolves a relative token path. */
export function adminEndpointFrom(connection: Partial<Pick<ConnectionFile, 'adminUrl' | 'adminTokenPath'>>, baseDir = process.cwd()): AdminEndpoint | undefined {
  if (typeof connection.adminUrl !== 'string') return undefined;
  const tokenPath = typeof connection.adminTokenPath === 'string' ? path.resolve(baseDir, connection.adminTokenPath) : undefined;
  return { url: connection.adminUrl, tokenPath };
}

const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * Sends one request to the admin API with the bearer token read from `endpoint.tokenPath` and
 * resolves with its JSON answer.
 * @throws AdminApiError with the API's own error text when it answers an error status, or naming
 *   the endpoint when it cannot be reached, the token file cannot be read, or the time runs out.
 */
export async function adminRequest<T = unknown>(
  endpoint: AdminEndpoint,
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', connection: 'close' };
  if (endpoint.tokenPath !== undefined) {
    try {
      headers.authorization = bearer(readTokenFile(endpoint.tokenPath));
    } catch (err) {
      throw new AdminApiError(`${(err as Error).message} (only the user who started the devnet can read it)`, undefined, { cause: err });
    }
  }
  let payload: Buffer | undefined;
  if (body !== undefined) {
    payload = Buffer.from(JSON.stringify(body), 'utf8');
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const url = new URL(route, endpoint.url);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          req.destroy(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }); });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => { req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)); });
    req.on('error', (err) => { reject(new AdminApiError(`cannot reach the devnet admin API at ${endpoint.url}: ${err.message}`, undefined, { cause: err })); });
    req.end(payload);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AdminApiError(`the devnet admin API answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`, status);
  }
  if (status < 200 || status >= 300) {
    const error = (json as { error?: unknown } | null)?.error;
    throw new AdminApiError(typeof error === 'string' ? error : `the devnet admin API answered ${status}`, status);
  }
  return json as T;
}
