/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Fabric's "common connection profile" (the connection-orgN.json/.yaml that fabric-samples'
 * test-network writes with ccp-generate.sh, and that Fabric SDKs read): the organisations, their
 * MSP IDs and peers, each peer's URL, TLS CA (inline PEM or a path) and expected host name.
 * Only what a connection file needs is read; everything else in the profile is ignored.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors';

/** A PEM given inline or by a file (a relative path is resolved against the profile's folder). */
export type PemSource = { readonly pem: string } | { readonly path: string };

export interface ProfilePeer {
  /** The key under `peers`, e.g. `peer0.org1.example.com`. */
  readonly name: string;
  /** host:port from the `grpcs://` URL. */
  readonly endpoint: string;
  /** grpcOptions' ssl-target-name-override (or hostnameOverride), else the peer's name. */
  readonly hostAlias: string;
  readonly tlsCaCert: PemSource;
  /** Where in the profile the peer is, for messages (`peers["peer0.org1.example.com"]`). */
  readonly field: string;
}

export interface ProfileOrganization {
  /** The key under `organizations`, e.g. `Org1`. */
  readonly name: string;
  readonly mspId: string;
  /** The organisation's peers in the order the profile lists them. */
  readonly peers: readonly ProfilePeer[];
}

export interface ConnectionProfile {
  readonly file: string;
  /** `client.organization`, when present. */
  readonly clientOrganization: string | undefined;
  readonly organizations: readonly ProfileOrganization[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a connection profile's text (JSON, or YAML for `.yaml`/`.yml` files).
 *
 * @param text - the file's content.
 * @param file - its path: names it in messages and resolves relative `tlsCACerts.path`s.
 * @throws {@link UsageError} naming the file and the field that is missing or malformed.
 */
export function parseConnectionProfile(text: string, file: string): ConnectionProfile {
  const bad = (what: string): UsageError => new UsageError(`connection profile ${file}: ${what}`);
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw bad(`cannot parse it (${(err as Error).message.split('\n')[0]})`);
  }
  if (!isObject(doc)) throw bad('it must hold an object with `organizations` and `peers`');
  const organizations = doc.organizations;
  const peers = doc.peers;
  if (!isObject(organizations) || Object.keys(organizations).length === 0) throw bad('`organizations` is missing or empty');
  if (!isObject(peers)) throw bad('`peers` is missing');
  const client = doc.client;
  const clientOrganization = isObject(client) && typeof client.organization === 'string' ? client.organization : undefined;
  const orgs = Object.entries(organizations).map(([name, org]): ProfileOrganization => {
    const field = `organizations.${name}`;
    if (!isObject(org)) throw bad(`\`${field}\` must be an object`);
    if (typeof org.mspid !== 'string' || org.mspid.trim() === '') throw bad(`\`${field}.mspid\` is missing`);
    const names = org.peers === undefined ? [] : org.peers;
    if (!Array.isArray(names) || !names.every((n): n is string => typeof n === 'string')) throw bad(`\`${field}.peers\` must be a list of peer names`);
    return { name, mspId: org.mspid.trim(), peers: names.map((peerName) => parsePeer(peerName, peers[peerName], file, bad)) };
  });
  return { file, clientOrganization, organizations: orgs };
}

function parsePeer(name: string, value: unknown, file: string, bad: (what: string) => UsageError): ProfilePeer {
  const field = `peers["${name}"]`;
  if (!isObject(value)) throw bad(`\`${field}\` is missing, but an organisation lists it`);
  if (typeof value.url !== 'string') throw bad(`\`${field}.url\` is missing`);
  const match = /^(grpcs?):\/\/([^\s/:]+):(\d{1,5})\/?$/.exec(value.url.trim());
  if (match === null) throw bad(`\`${field}.url\` ${JSON.stringify(value.url)} is not grpcs://host:port`);
  if (match[1] !== 'grpcs') throw bad(`\`${field}.url\` uses grpc:// (TLS off); the management nodes only connect with TLS: enable TLS on the peer and use grpcs://`);
  const options = isObject(value.grpcOptions) ? value.grpcOptions : {};
  const override = [options['ssl-target-name-override'], options.hostnameOverride].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  return { name, endpoint: `${match[2]}:${match[3]}`, hostAlias: override?.trim() ?? name, tlsCaCert: tlsSource(value.tlsCACerts, `${field}.tlsCACerts`, file, bad), field };
}

function tlsSource(value: unknown, field: string, file: string, bad: (what: string) => UsageError): PemSource {
  if (!isObject(value)) throw bad(`\`${field}\` is missing: give the peer's TLS CA as \`pem\` or \`path\``);
  // ccp-generate.sh writes a string; other generators write a list of PEMs.
  const pem = Array.isArray(value.pem) ? value.pem.filter((p): p is string => typeof p === 'string').join('\n') : value.pem;
  if (typeof pem === 'string' && pem.includes('BEGIN CERTIFICATE')) return { pem: pem.endsWith('\n') ? pem : `${pem}\n` };
  if (typeof value.path === 'string' && value.path.trim() !== '') return { path: path.resolve(path.dirname(file), value.path.trim()) };
  throw bad(`\`${field}\` has neither a PEM certificate (\`pem\`) nor a file (\`path\`)`);
}

/**
 * Reads and parses a connection profile file.
 *
 * @throws {@link UsageError} when it cannot be read or parsed.
 */
export function readConnectionProfile(file: string): ConnectionProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read connection profile ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConnectionProfile(text, file);
}
