/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Where an operations endpoint may listen: `host:port`, on loopback unless every client must
 * present a TLS certificate (then anything, as Fabric's operations service with clientAuthRequired).
 */
import { isIP } from 'node:net';

/** A parsed listen address. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * A setting of the operations endpoint that is malformed, not allowed (an address beyond
 * loopback without client certificates) or unreadable (a TLS file); the message says what to do.
 */
export class OperationsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationsConfigError';
  }
}

/** Whether `host` is a loopback address (127.0.0.0/8, ::1). Names are not: `localhost` may resolve elsewhere. */
export function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  return host === '::1';
}

/**
 * Parses `host:port` (`[v6]:port` for IPv6). Port 0 asks for any free port.
 *
 * @throws {@link OperationsConfigError} when it is not `host:port` with a port in 0..65535.
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text.trim()) ?? /^([^:[\]]+):(\d+)$/.exec(text.trim());
  if (match === null) throw new OperationsConfigError(`'${text}' is not host:port; use e.g. 127.0.0.1:9443`);
  const port = Number(match[2]);
  if (!Number.isSafeInteger(port) || port > 65535) throw new OperationsConfigError(`'${text}': port ${match[2]} is not in 0..65535`);
  const host = match[1];
  if (isIP(host) === 0) throw new OperationsConfigError(`'${text}': '${host}' is not an IP address; use 127.0.0.1 (names are refused: they may resolve beyond loopback)`);
  return { host, port };
}

/**
 * Refuses an address beyond loopback unless clients must present certificates: the endpoint
 * needs no token, so only loopback (the local user) or mutual TLS keeps strangers out.
 *
 * @throws {@link OperationsConfigError} naming the options that allow it.
 */
export function assertListenAllowed(address: ListenAddress, mutualTls: boolean): void {
  if (isLoopback(address.host) || mutualTls) return;
  throw new OperationsConfigError(
    `refusing to listen on ${address.host}: the operations endpoint has no token, so beyond loopback it needs TLS with client certificates ` +
      '(--operations-tls-cert, --operations-tls-key and --operations-tls-client-ca); or listen on 127.0.0.1',
  );
}
