/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What `mgmt connect` knows about each organisation before it asks the network: every value with
 * where it came from (a profile field, a folder, a flag), so that a message about a value can
 * name what to change.
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import type { LayoutOrg } from './layout';

/** A file or folder the connection file will name, and where it was found. */
export interface Sourced {
  readonly path: string;
  /** E.g. `--test-network …/connection-org1.json peers["peer0.org1.example.com"].tlsCACerts`. */
  readonly from: string;
}

export interface DraftEndpoint {
  readonly endpoint: string;
  readonly hostAlias: string;
  readonly tlsCaCert: Sourced;
  /** Where the endpoint came from. */
  readonly from: string;
  /** What sets the host alias (a flag or a profile field), for a certificate name mismatch. */
  readonly aliasFix: string;
}

export interface DraftOrg {
  /** Undefined for an orderer organisation of a layout until the channel config names it. */
  mspId: string | undefined;
  domain: string;
  readonly layout?: LayoutOrg;
  peer?: DraftEndpoint;
  orderer?: DraftEndpoint;
  caCert?: Sourced;
  adminMsp?: Sourced;
  userMsp?: Sourced;
  /** Declared as a signer (--signer), not a member. */
  readonly signerOnly?: boolean;
}

/** How a draft names itself in messages. */
export function draftName(org: DraftOrg): string {
  return org.mspId ?? org.domain;
}

const SPEC_FIELDS = ['peer', 'peerTls', 'peerHostAlias', 'orderer', 'ordererTls', 'ordererHostAlias', 'caCert', 'adminMsp', 'userMsp', 'domain'] as const;
type SpecField = (typeof SPEC_FIELDS)[number];
export type OrgSpecInput = { readonly mspId: string } & Partial<Record<SpecField, string>>;

const HOST_PORT = /^[^\s:=,]+:\d{1,5}$/;

/** Parses `Org1MSP,peer=localhost:7051,peerTls=…` (the --org and --signer syntax). */
export function parseOrgSpec(text: string, flag: string): OrgSpecInput {
  const [mspId, ...pairs] = text.split(',').map((p) => p.trim());
  if (mspId === undefined || mspId === '' || mspId.includes('=')) throw new UsageError(`${flag} ${text}: start with the MSP ID, e.g. ${flag} Org1MSP,peer=localhost:7051,...`);
  const spec: Record<string, string> = { mspId };
  for (const pair of pairs.filter((p) => p !== '')) {
    const i = pair.indexOf('=');
    const key = i < 0 ? pair : pair.slice(0, i);
    if (i < 0 || !(SPEC_FIELDS as readonly string[]).includes(key)) throw new UsageError(`${flag} ${mspId}: unknown field ${JSON.stringify(key)}; fields are ${SPEC_FIELDS.join(', ')}`);
    spec[key] = pair.slice(i + 1);
  }
  return spec as OrgSpecInput;
}

/** Reads `{ "members": [...], "signers": [...] }` (the --orgs file), each entry with the --org fields. */
export function parseOrgsJson(value: unknown, file: string): { members: OrgSpecInput[]; signers: OrgSpecInput[] } {
  const bad = (what: string): UsageError => new UsageError(`--orgs ${file}: ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('must hold an object {"members": [...], "signers": [...]}');
  const doc = value as Record<string, unknown>;
  const list = (key: 'members' | 'signers'): OrgSpecInput[] => {
    const items = doc[key] ?? [];
    if (!Array.isArray(items)) throw bad(`\`${key}\` must be a list`);
    return items.map((item: unknown, i): OrgSpecInput => {
      if (typeof item !== 'object' || item === null) throw bad(`\`${key}[${i}]\` must be an object`);
      const entry = item as Record<string, unknown>;
      if (typeof entry.mspId !== 'string' || entry.mspId === '') throw bad(`\`${key}[${i}].mspId\` is missing`);
      for (const [k, v] of Object.entries(entry)) {
        if (k !== 'mspId' && !(SPEC_FIELDS as readonly string[]).includes(k)) throw bad(`\`${key}[${i}].${k}\` is not a field; fields are mspId, ${SPEC_FIELDS.join(', ')}`);
        if (typeof v !== 'string') throw bad(`\`${key}[${i}].${k}\` must be a string`);
      }
      return entry as OrgSpecInput;
    });
  };
  return { members: list('members'), signers: list('signers') };
}

/**
 * A draft from an explicit organisation. Relative paths are resolved against `base` (the current
 * folder for flags, the file's folder for --orgs).
 *
 * @throws {@link UsageError} naming the field when an endpoint is malformed, or a TLS certificate
 *   is missing for an endpoint given.
 */
export function draftFromSpec(spec: OrgSpecInput, from: string, base: string, signer: boolean): DraftOrg {
  const at = (field: SpecField): string => `${from} ${spec.mspId} ${field}`;
  const file = (field: SpecField): Sourced | undefined => {
    const value = spec[field];
    return value === undefined || value === '' ? undefined : { path: path.resolve(base, value), from: at(field) };
  };
  const endpoint = (kind: 'peer' | 'orderer'): DraftEndpoint | undefined => {
    const value = spec[kind];
    if (value === undefined || value === '') return undefined;
    if (!HOST_PORT.test(value)) throw new UsageError(`${at(kind)} ${JSON.stringify(value)} is not host:port`);
    const tls = file(kind === 'peer' ? 'peerTls' : 'ordererTls');
    if (tls === undefined) throw new UsageError(`${at(kind)} is given without ${kind}Tls (the PEM of the TLS CA that issued its certificate)`);
    const aliasField = kind === 'peer' ? 'peerHostAlias' : 'ordererHostAlias';
    return { endpoint: value, hostAlias: spec[aliasField] ?? value.slice(0, value.lastIndexOf(':')), tlsCaCert: tls, from: at(kind), aliasFix: `${from} ${spec.mspId},...,${aliasField}=<host>` };
  };
  if (signer && spec.peer !== undefined) throw new UsageError(`${at('peer')}: a signer has no peer (it never votes); make it a member with --org, or drop peer=`);
  return {
    mspId: spec.mspId,
    domain: spec.domain ?? '',
    peer: endpoint('peer'),
    orderer: endpoint('orderer'),
    caCert: file('caCert'),
    adminMsp: file('adminMsp'),
    userMsp: file('userMsp'),
    signerOnly: signer,
  };
}

/** What is wrong with a file or folder a draft names, or undefined when it is there. */
export function missingProblem(item: Sourced, kind: 'file' | 'folder', what: string): string | undefined {
  if (!existsSync(item.path)) return `${what} ${item.path} does not exist (from ${item.from})`;
  const isDir = statSync(item.path).isDirectory();
  if (kind === 'file' && isDir) return `${what} ${item.path} is a folder, not a PEM file (from ${item.from})`;
  if (kind === 'folder' && !isDir) return `${what} ${item.path} is not a folder (from ${item.from})`;
  return undefined;
}
