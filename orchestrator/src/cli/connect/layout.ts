/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reading crypto material in cryptogen's folder layout (fabric-samples' test-network
 * `organizations/`, test-network-nano-bash's `crypto-config/`, and what the devnet writes):
 * `peerOrganizations/<domain>/` and `ordererOrganizations/<domain>/`, each with `ca/`, `tlsca/`,
 * `msp/`, `peers/<host>/`, `orderers/<host>/` and `users/{Admin,User1}@<domain>/msp`. Fabric CA
 * enrolments in the same layout (test-network with `-ca`) keep their CA under `msp/cacerts/`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';

/** A peer or orderer of an organisation. */
export interface LayoutNode {
  /** Its host name: the folder name under `peers/` or `orderers/`. */
  readonly host: string;
  /** `tls/ca.crt`, when present. */
  readonly tlsCaCertPath: string | undefined;
}

export interface LayoutOrg {
  readonly domain: string;
  readonly kind: 'peer' | 'orderer';
  readonly orgDir: string;
  /** The identity CA certificate (`ca/ca.<domain>-cert.pem`, else the first of `msp/cacerts/`). */
  readonly caCertPath: string | undefined;
  /** The TLS CA certificate (`tlsca/tlsca.<domain>-cert.pem`, else the first of `msp/tlscacerts/`). */
  readonly tlsCaCertPath: string | undefined;
  /** `users/Admin@<domain>/msp` and `users/User1@<domain>/msp`, when present. */
  readonly adminMspDir: string | undefined;
  readonly userMspDir: string | undefined;
  readonly peers: readonly LayoutNode[];
  readonly orderers: readonly LayoutNode[];
  /** Connection profiles in the organisation's folder (`connection-*.json`, `.yaml`, `.yml`). */
  readonly profiles: readonly string[];
}

export interface Layout {
  /** The folder holding `peerOrganizations/` and `ordererOrganizations/`. */
  readonly root: string;
  readonly orgs: readonly LayoutOrg[];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function firstFile(dir: string): string | undefined {
  const name = entries(dir).find((n) => !isDir(path.join(dir, n)));
  return name === undefined ? undefined : path.join(dir, name);
}

function existing(p: string): string | undefined {
  return existsSync(p) ? p : undefined;
}

function nodes(dir: string): LayoutNode[] {
  return entries(dir)
    .filter((host) => isDir(path.join(dir, host)))
    .map((host) => ({ host, tlsCaCertPath: existing(path.join(dir, host, 'tls', 'ca.crt')) }));
}

function mspDir(orgDir: string, user: string): string | undefined {
  const dir = path.join(orgDir, 'users', user, 'msp');
  return isDir(dir) ? dir : undefined;
}

function readOrg(orgDir: string, domain: string, kind: 'peer' | 'orderer'): LayoutOrg {
  return {
    domain,
    kind,
    orgDir,
    caCertPath: existing(path.join(orgDir, 'ca', `ca.${domain}-cert.pem`)) ?? firstFile(path.join(orgDir, 'msp', 'cacerts')),
    tlsCaCertPath: existing(path.join(orgDir, 'tlsca', `tlsca.${domain}-cert.pem`)) ?? firstFile(path.join(orgDir, 'msp', 'tlscacerts')),
    adminMspDir: mspDir(orgDir, `Admin@${domain}`),
    userMspDir: mspDir(orgDir, `User1@${domain}`),
    peers: nodes(path.join(orgDir, 'peers')),
    orderers: nodes(path.join(orgDir, 'orderers')),
    profiles: entries(orgDir)
      .filter((n) => /^connection-.+\.(json|ya?ml)$/i.test(n))
      .map((n) => path.join(orgDir, n)),
  };
}

/**
 * Reads the organisations of a cryptogen-layout folder. `folder` may be the folder holding
 * `peerOrganizations/` (test-network's `organizations/`, cryptogen's output) or its parent, when
 * that holds `organizations/` or `crypto-config/`.
 *
 * @param folder - the folder.
 * @param flag - the option that named it, for messages (`--test-network`).
 * @throws {@link UsageError} when neither the folder nor a known child holds `peerOrganizations/`.
 */
export function readLayout(folder: string, flag: string): Layout {
  const start = path.resolve(folder);
  if (!isDir(start)) throw new UsageError(`${flag} ${folder}: no such folder`);
  const root = [start, path.join(start, 'organizations'), path.join(start, 'crypto-config')].find((dir) => isDir(path.join(dir, 'peerOrganizations')));
  if (root === undefined) {
    throw new UsageError(`${flag} ${folder} holds no peerOrganizations/ folder: give the folder cryptogen or test-network wrote (e.g. fabric-samples/test-network/organizations)`);
  }
  const read = (sub: string, kind: 'peer' | 'orderer'): LayoutOrg[] =>
    entries(path.join(root, sub))
      .filter((domain) => isDir(path.join(root, sub, domain)))
      .map((domain) => readOrg(path.join(root, sub, domain), domain, kind));
  const orgs = [...read('peerOrganizations', 'peer'), ...read('ordererOrganizations', 'orderer')];
  if (!orgs.some((o) => o.kind === 'peer')) throw new UsageError(`${flag} ${folder}: ${path.join(root, 'peerOrganizations')} is empty`);
  return { root, orgs };
}
