/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The admin API's `POST /peers` body: a newly admitted organisation's material (the folder given
 * to `mgmt org new --out`), its MSP ID and domain, and the port its peer listens on. Only the
 * shape is checked here; what needs the file system or the running devnet is ./material.ts and
 * the devnet's own port checks.
 */

/** A peer to start for an organisation that is not one of the devnet's own. */
export interface AddPeerRequest {
  /** Absolute path of the folder holding `organizations/peerOrganizations/<domain>`. */
  readonly folder: string;
  readonly mspId: string;
  readonly domain: string;
  readonly port: number;
}

/** A request the devnet refuses (answered 400, the message saying what to fix). */
export class PeerRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerRequestError';
  }
}

/** Unprivileged ports only: the devnet runs as its user, and binding below 1024 needs root. */
export const MIN_PEER_PORT = 1024;
export const MAX_PEER_PORT = 65535;

// cryptogen's rules for the names that become folder and certificate names (fabric-config checks them again).
const MSP_ID = /^[A-Za-z0-9._-]+$/;
const DNS_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;

/**
 * The request in a parsed JSON body.
 * @throws PeerRequestError naming every field that is missing or malformed.
 */
export function parseAddPeerRequest(value: unknown): AddPeerRequest {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PeerRequestError('the body must be a JSON object {"folder", "mspId", "domain", "port"}');
  }
  const body = value as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(body).filter((k) => !['folder', 'mspId', 'domain', 'port'].includes(k));
  if (unknown.length > 0) problems.push(`unknown field(s) ${unknown.join(', ')}`);
  if (typeof body.folder !== 'string' || body.folder === '') problems.push('folder must be the folder given to `mgmt org new --out` (a non-empty string)');
  else if (!body.folder.startsWith('/')) problems.push(`folder must be an absolute path (the devnet's working folder is not the caller's), got ${JSON.stringify(body.folder)}`);
  if (typeof body.mspId !== 'string' || !MSP_ID.test(body.mspId)) problems.push(`mspId must be an MSP ID such as Org5MSP (letters, digits, '.', '_', '-'), got ${JSON.stringify(body.mspId)}`);
  if (typeof body.domain !== 'string' || body.domain.length > 253 || !body.domain.split('.').every((l) => DNS_LABEL.test(l))) {
    problems.push(`domain must be a DNS name such as org5.example.com, got ${JSON.stringify(body.domain)}`);
  }
  if (typeof body.port !== 'number' || !Number.isInteger(body.port) || body.port < MIN_PEER_PORT || body.port > MAX_PEER_PORT) {
    problems.push(`port must be an integer from ${MIN_PEER_PORT} to ${MAX_PEER_PORT}, got ${JSON.stringify(body.port)}`);
  }
  if (problems.length > 0) throw new PeerRequestError(`invalid add-peer request: ${problems.join('; ')}`);
  return { folder: body.folder as string, mspId: body.mspId as string, domain: body.domain as string, port: body.port as number };
}
