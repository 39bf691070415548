/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Which operations endpoints the live dashboard polls: the members' `operations` in the connection
 * file, overridden by `--health <mspId>=<url>`. The dashboard fetches only `<url>/healthz` of these
 * URLs, fixed at start; nothing a page sends can name another, so it cannot be used as a proxy.
 * Loopback addresses only unless the operator allows remote ones (`--health-allow-remote`).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { MemberConnection, OperationsEndpointConnection } from 'fabric-config/connection';

/** TLS material for an https endpoint, read at start. */
export interface HealthTls {
  /** CA certificates (PEM) of the endpoint's TLS certificate; the system's CAs without. */
  readonly ca?: Buffer;
  /** Client certificate and key (PEM), for an endpoint that requires client certificates. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** One member's endpoint to poll. */
export interface HealthTarget {
  readonly mspId: string;
  /** The `/healthz` URL itself. */
  readonly url: URL;
  readonly tls?: HealthTls;
}

/** `--health <mspId>=<url>` as given, before it is checked against the policy. */
export interface HealthFlag {
  readonly mspId: string;
  readonly url: string;
}

/** TLS files that apply to every https URL of `--health` (`--health-ca`, `--health-cert`, `--health-key`). */
export type HealthTlsFiles = Omit<OperationsEndpointConnection, 'url'>;

/** A health endpoint setting that is malformed or not allowed; the message names where it came from and what to do. */
export class HealthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HealthConfigError';
  }
}

/** Loopback IP literals only: a name such as `localhost` may resolve elsewhere. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  return host === '::1';
}

/**
 * Checks a base URL of an operations endpoint and returns its `/healthz` URL.
 *
 * @param where - names the setting in errors, e.g. `--health Org1MSP=…`.
 * @throws {@link HealthConfigError} for anything but `http(s)://host:port[/]` (no credentials,
 *   path, query or fragment), or a host beyond loopback without `allowRemote`.
 */
export function healthzUrlOf(text: string, where: string, allowRemote: boolean): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new HealthConfigError(`${where}: '${text}' is not a URL; give the endpoint's base URL, e.g. http://127.0.0.1:9443`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HealthConfigError(`${where}: '${text}' is not http or https`);
  if (url.username !== '' || url.password !== '') throw new HealthConfigError(`${where}: '${text}' carries credentials; operations endpoints take none (use TLS client certificates)`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new HealthConfigError(`${where}: '${text}' has a path, query or fragment; give the endpoint's base URL (e.g. http://127.0.0.1:9443): the dashboard adds /healthz`);
  }
  if (!allowRemote && !isLoopbackHost(url.hostname)) {
    throw new HealthConfigError(
      `${where}: '${url.hostname}' is not a loopback IP address (127.0.0.0/8, [::1]); names such as localhost are refused as they may resolve elsewhere. ` +
        'Use 127.0.0.1, or allow remote endpoints with --health-allow-remote',
    );
  }
  return new URL('/healthz', url);
}

/**
 * Reads `Org1MSP=http://127.0.0.1:9443`.
 *
 * @throws {@link HealthConfigError} when there is no `=` or no MSP ID before it.
 */
export function parseHealthFlag(text: string): HealthFlag {
  const at = text.indexOf('=');
  const mspId = at < 0 ? '' : text.slice(0, at).trim();
  if (at < 0 || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(mspId)) {
    throw new HealthConfigError(`--health needs <mspId>=<url>, e.g. --health Org1MSP=http://127.0.0.1:9443; got '${text}'`);
  }
  return { mspId, url: text.slice(at + 1).trim() };
}

function readPem(file: string | undefined, where: string, field: string, read: (file: string) => Buffer): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return read(file);
  } catch (err) {
    throw new HealthConfigError(`${where}: cannot read ${field} ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

interface TargetContext {
  readonly where: string;
  readonly allowRemote: boolean;
  /** The files belong to this URL alone (the connection file), not to every URL (the --health-* flags). */
  readonly ownTls: boolean;
  readonly read: (file: string) => Buffer;
}

function targetOf(mspId: string, url: string, files: HealthTlsFiles, { where, allowRemote, ownTls, read }: TargetContext): HealthTarget {
  const healthz = healthzUrlOf(url, where, allowRemote);
  const anyTls = files.tlsCaCertPath !== undefined || files.clientCertPath !== undefined || files.clientKeyPath !== undefined;
  if (healthz.protocol === 'http:') {
    if (anyTls && ownTls) throw new HealthConfigError(`${where}: TLS files are given for an http URL; use https, or drop them`);
    return { mspId, url: healthz };
  }
  if ((files.clientCertPath === undefined) !== (files.clientKeyPath === undefined)) {
    throw new HealthConfigError(`${where}: a client certificate needs its key and the other way round`);
  }
  const tls: HealthTls = {
    ca: readPem(files.tlsCaCertPath, where, 'the TLS CA certificate', read),
    cert: readPem(files.clientCertPath, where, 'the client certificate', read),
    key: readPem(files.clientKeyPath, where, 'the client key', read),
  };
  return { mspId, url: healthz, tls };
}

/**
 * The endpoints to poll, one per member at most: the connection file's `operations`, then the
 * flags (a flag replaces the file's entry of its member). TLS files are read here, so that a
 * missing one stops the dashboard at start rather than showing every poll failing.
 *
 * @throws {@link HealthConfigError} naming the flag or the connection file's member.
 */
export function resolveHealthTargets(
  members: readonly Pick<MemberConnection, 'mspId' | 'operations'>[],
  flags: readonly HealthFlag[],
  options: { readonly allowRemote: boolean; readonly flagTls?: HealthTlsFiles; readonly read?: (file: string) => Buffer },
): HealthTarget[] {
  const read = options.read ?? ((file: string) => readFileSync(file));
  const targets = new Map<string, HealthTarget>();
  members.forEach((member, i) => {
    if (member.operations === undefined) return;
    const { url, ...files } = member.operations;
    targets.set(member.mspId, targetOf(member.mspId, url, files, { where: `connection file members[${i}] (${member.mspId}) operations`, allowRemote: options.allowRemote, ownTls: true, read }));
  });
  const seen = new Set<string>();
  for (const flag of flags) {
    if (seen.has(flag.mspId)) throw new HealthConfigError(`--health ${flag.mspId}=… is given twice; give each member once`);
    seen.add(flag.mspId);
    targets.set(flag.mspId, targetOf(flag.mspId, flag.url, options.flagTls ?? {}, { where: `--health ${flag.mspId}=${flag.url}`, allowRemote: options.allowRemote, ownTls: false, read }));
  }
  return [...targets.values()];
}
