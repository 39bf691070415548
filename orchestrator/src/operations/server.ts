/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The operations endpoint of a daemon (`mgmt node`, later `mgmt signer`), after Fabric's peer and
 * orderer operations service: `GET /healthz`, `/metrics` (Prometheus text), `/version` and
 * `/logspec`. No token (Fabric's is unauthenticated on loopback), but the project's local-endpoint
 * rules hold: loopback only unless TLS with client certificates, and browser-style requests
 * (Origin, Sec-Fetch-*, a foreign Host) are refused with 403 (fabric-config/localEndpoint).
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { refuseBrowserRequest } from 'fabric-config/localEndpoint';
import type { Refusal } from 'fabric-config/localEndpoint';
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import type { Registry } from 'prom-client';
import { runHealthChecks } from './health';
import type { HealthCheck } from './health';
import { assertListenAllowed, isLoopback, OperationsConfigError, parseListenAddress } from './listen';
import type { ComponentLogger } from './logging';
import type { VersionInfo } from './version';

/** TLS of the endpoint, as PEM files. */
export interface OperationsTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA certificates of the clients; with it every client must present a certificate they issued. */
  readonly clientCaFile?: string;
}

/** Options of {@link startOperationsServer}. */
export interface OperationsServerOptions {
  /** `host:port`, e.g. `127.0.0.1:9443`; port 0 picks a free one. */
  readonly listen: string;
  readonly tls?: OperationsTls;
  /** What `/healthz` runs. */
  readonly checks: readonly HealthCheck[];
  /** What `/metrics` serves. */
  readonly registry: Registry;
  /** What `/version` serves. */
  readonly version: VersionInfo;
  /** What `/logspec` serves (`{"spec": …}`); 404 without it. */
  readonly logSpec?: () => string;
  /** Longest a health check may take, ms (default 5000). */
  readonly checkTimeoutMs?: number;
  /** Notes failures of the server itself (debug: each refused request). */
  readonly logger?: Pick<ComponentLogger, 'debug' | 'warn'>;
}

/** A running operations endpoint. */
export interface OperationsServer {
  /** `http://127.0.0.1:<port>` (https with TLS). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops listening and cuts open connections; idempotent. */
  close(): Promise<void>;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new OperationsConfigError(`cannot read the operations ${what} ${file}: ${messageOf(err)}`);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  res.end(text);
}

function sendRefusal(res: http.ServerResponse, refusal: Refusal): void {
  sendJson(res, refusal.status, { error: refusal.error, code: refusal.code }, refusal.headers);
}

/**
 * Starts the operations endpoint.
 *
 * @example
 * const server = await startOperationsServer({ listen: '127.0.0.1:9443', checks, registry: metrics.registry, version: versionInfo() });
 * // curl -s http://127.0.0.1:9443/healthz
 * await server.close();
 *
 * @throws {@link OperationsConfigError} for a malformed address, one beyond loopback without client
 * certificates, or unreadable TLS files; the listen error (e.g. EADDRINUSE) when binding fails.
 */
export async function startOperationsServer(options: Readonly<OperationsServerOptions>): Promise<OperationsServer> {
  const address = parseListenAddress(options.listen);
  const mutualTls = options.tls?.clientCaFile !== undefined;
  assertListenAllowed(address, mutualTls);
  if (options.tls !== undefined && (options.tls.certFile === '' || options.tls.keyFile === '')) {
    throw new OperationsConfigError('operations TLS needs both a certificate and a key file');
  }
  // A browser holding a client certificate could still be led to a foreign page: the Origin and
  // Sec-Fetch-* refusals stay; the Host check does not, since remote clients name the host as they reach it.
  const anyHost = mutualTls && !isLoopback(address.host);
  let port = address.port;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const refusal = refuseBrowserRequest(req, { port, anyHost });
    if (refusal !== undefined) {
      options.logger?.debug(`operations: refused ${req.method ?? '?'} ${req.url ?? ''}: ${refusal.code}`);
      sendRefusal(res, refusal);
      return;
    }
    const route = new URL(req.url ?? '/', 'http://localhost').pathname;
    const known = route === '/healthz' || route === '/metrics' || route === '/version' || (route === '/logspec' && options.logSpec !== undefined);
    if (!known) {
      sendJson(res, 404, { error: `no such path ${route}: the operations endpoint serves /healthz, /metrics, /version${options.logSpec === undefined ? '' : ', /logspec'}` });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: `${req.method ?? '?'} ${route} is not allowed: the operations endpoint is read-only (GET)` }, { allow: 'GET, HEAD' });
      return;
    }
    switch (route) {
      case '/healthz': {
        const status = await runHealthChecks(options.checks, { timeoutMs: options.checkTimeoutMs });
        sendJson(res, status.status === 'OK' ? 200 : 503, status);
        return;
      }
      case '/metrics': {
        const text = await options.registry.metrics();
        res.writeHead(200, { 'content-type': options.registry.contentType, 'cache-control': 'no-store' });
        res.end(text);
        return;
      }
      case '/version':
        sendJson(res, 200, options.version);
        return;
      case '/logspec':
        sendJson(res, 200, { spec: options.logSpec?.() ?? '' });
        return;
    }
  };
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      options.logger?.warn(`operations: ${req.url ?? ''} failed: ${messageOf(err)}`);
      if (!res.headersSent) sendJson(res, 500, { error: messageOf(err) });
      else res.destroy();
    });
  };
  const server =
    options.tls === undefined
      ? http.createServer(listener)
      : https.createServer(
          {
            cert: readPem(options.tls.certFile, 'TLS certificate'),
            key: readPem(options.tls.keyFile, 'TLS key'),
            ...(options.tls.clientCaFile === undefined ? {} : { ca: readPem(options.tls.clientCaFile, 'client CA'), requestCert: true, rejectUnauthorized: true }),
          },
          listener,
        );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => { options.logger?.warn(`operations endpoint: ${err.message}`); });
  port = (server.address() as AddressInfo).port;
  const hostInUrl = address.host.includes(':') ? `[${address.host}]` : address.host;
  let closing: Promise<void> | undefined;
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://${hostInUrl}:${port}`,
    host: address.host,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => { resolve(); });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
