/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * One TLS handshake with a peer or orderer before any gRPC call, so that what is wrong with an
 * endpoint can be said precisely: nothing listens there, its certificate is not from the TLS CA
 * given, or it is not issued for the host name expected (grpc-js only says "No connection
 * established" for all three).
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as tls from 'node:tls';

export type ProbeResult =
  | { readonly kind: 'ok'; readonly certificate: X509Certificate }
  | { readonly kind: 'unreachable'; readonly reason: string }
  | { readonly kind: 'untrusted'; readonly certificate: X509Certificate; readonly reason: string }
  | { readonly kind: 'wrong-host'; readonly certificate: X509Certificate; readonly names: readonly string[] };

export interface ProbeTarget {
  /** host:port */
  readonly endpoint: string;
  /** The host name the certificate must be issued for; undefined skips that check. */
  readonly hostAlias: string | undefined;
  /** PEM of the TLS CA; undefined skips the chain check (used to learn who issued the certificate). */
  readonly tlsCaPem: string | undefined;
  readonly timeoutMs?: number;
}

/** The DNS and IP names a certificate is issued for (its SANs, else its CN). */
export function certificateNames(certificate: X509Certificate): string[] {
  const sans = (certificate.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:') || s.startsWith('IP Address:'))
    .map((s) => s.replace(/^(DNS|IP Address):/, ''));
  if (sans.length > 0) return sans;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject);
  return cn === null ? [] : [cn[1]];
}

function splitEndpoint(endpoint: string): { host: string; port: number } {
  const i = endpoint.lastIndexOf(':');
  return { host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) };
}

/**
 * Connects with TLS (ALPN h2, as gRPC does), reads the server certificate and closes again.
 * Never throws: every failure is a {@link ProbeResult}.
 */
export function probeTls(target: ProbeTarget): Promise<ProbeResult> {
  const { host, port } = splitEndpoint(target.endpoint);
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    const done = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    const socket = tls.connect({
      host,
      port,
      ALPNProtocols: ['h2'],
      // SNI must be a host name, never an IP address.
      servername: target.hostAlias !== undefined && isIP(target.hostAlias) === 0 ? target.hostAlias : undefined,
      ...(target.tlsCaPem === undefined ? {} : { ca: target.tlsCaPem }),
      // Judged below, so that each failure gets its own answer: the chain by `authorized`, the
      // name by issuedFor (node would otherwise report a name mismatch as unauthorised).
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    socket.setTimeout(target.timeoutMs ?? 5_000, () => {
      done({ kind: 'unreachable', reason: `no TLS handshake within ${target.timeoutMs ?? 5_000} ms` });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      done({ kind: 'unreachable', reason: err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : err.code === 'ENOTFOUND' ? `host ${host} is not known (DNS)` : err.message });
    });
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate(false).raw as Buffer | undefined;
      if (raw === undefined) {
        done({ kind: 'unreachable', reason: 'the server sent no certificate' });
        return;
      }
      const certificate = new X509Certificate(raw);
      if (target.tlsCaPem !== undefined && !socket.authorized) {
        done({ kind: 'untrusted', certificate, reason: String(socket.authorizationError) });
        return;
      }
      if (target.hostAlias !== undefined && !issuedFor(certificate, target.hostAlias)) {
        done({ kind: 'wrong-host', certificate, names: certificateNames(certificate) });
        return;
      }
      done({ kind: 'ok', certificate });
    });
  });
}

/** Whether a certificate is issued for a host name or IP address. */
export function issuedFor(certificate: X509Certificate, host: string): boolean {
  return isIP(host) === 0 ? certificate.checkHost(host) !== undefined : certificate.checkIP(host) !== undefined;
}

/** The first of `cas` (PEMs) that issued `certificate` and whose key signed it. */
export function issuerAmong<T extends { readonly pem: string }>(certificate: X509Certificate, cas: readonly T[]): T | undefined {
  return cas.find((ca) => {
    try {
      const caCert = new X509Certificate(ca.pem);
      return certificate.checkIssued(caCert) && certificate.verify(caCert.publicKey);
    } catch {
      return false;
    }
  });
}
