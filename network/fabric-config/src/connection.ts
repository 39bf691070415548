/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The connection file (docs/architecture.md, "The two backends"), written by both backends (devnet and native) and
 * read by the orchestrator, the tests and users' own clients: where each member's peer and
 * orderer listen, which TLS CA to trust, and where its admin's and user's MSP folders are.
 */
import { readFileSync } from 'node:fs';

export const CONNECTION_FILE_VERSION = 1;

export interface EndpointInfo {
  /** host:port to dial. */
  endpoint: string;
  /** TLS server name to expect (grpc.ssl_target_name_override), the node's host name. */
  hostAlias: string;
  /** Absolute path of the PEM TLS CA certificate that issued the node's server certificate. */
  tlsCaCertPath: string;
}

/**
 * Where a member's `mgmt node` serves its operations endpoint (`--operations-listen`), for
 * `mgmt dashboard`, which polls its `/healthz`. Only read by the dashboard; nothing connects to it otherwise.
 */
export interface OperationsEndpointConnection {
  /** `http(s)://host:port` of the endpoint, no path: e.g. `http://127.0.0.1:9443`. */
  url: string;
  /** Absolute path of the PEM CA certificate of the endpoint's TLS certificate (https only; the system's CAs otherwise). */
  tlsCaCertPath?: string;
  /** PEM client certificate and key, for an endpoint that requires client certificates (`--operations-tls-client-ca`). */
  clientCertPath?: string;
  clientKeyPath?: string;
}

export interface MemberConnection {
  mspId: string;
  domain: string;
  peer: EndpointInfo;
  orderer: EndpointInfo;
  /** Absolute path of the org's CA certificate (its MSP root). */
  caCertPath: string;
  /** MSP folders (keystore/, signcerts/) of the org's admin and of a client user. */
  adminMspDir: string;
  userMspDir: string;
  /** The member's operations endpoint, for the dashboard's health view; may be absent. */
  operations?: OperationsEndpointConnection;
}

/**
 * An organisation whose admin must sign some config updates (a channel mod_policy counts it) but
 * that is not a consortium member and never votes: typically the ordering service's own
 * organisation (`OrdererMSP` in fabric-samples' test-network). It runs `mgmt signer`, which reads
 * the management chain from the orderer and signs the updates members agreed on.
 */
export interface SignerConnection {
  mspId: string;
  domain: string;
  /** The orderer this organisation reads blocks from and submits config updates to. */
  orderer: EndpointInfo;
  /** Absolute path of the org's CA certificate (its MSP root). */
  caCertPath: string;
  /** MSP folder (keystore/, signcerts/) of the org's admin. */
  adminMspDir: string;
}

export interface ConnectionFile {
  version: number;
  /** `devnet`, `native`, or a name of the user's choice for a hand-written file. */
  backend: string;
  channels: { management: string; primary: string };
  members: MemberConnection[];
  /**
   * The management chain's genesis hash, for a member admitted after genesis: its node anchors the
   * chain by this hash (given by the consortium with its admission) rather than by the member list.
   */
  managementGenesisHash?: string;
  /** Chaincode names where they are not the defaults (`mgmt` for the management chaincode). */
  chaincodes?: { management?: string };
  /** Declared signers (non-voting organisations whose admins sign config updates); may be absent. */
  signers?: SignerConnection[];
  /** The devnet's admin API (deploy/status), absent for native Fabric. */
  adminUrl?: string;
  /**
   * Absolute path of the file (mode 0600) holding the admin API's bearer token; absent for native
   * Fabric and in files written before the admin API required one.
   */
  adminTokenPath?: string;
}

/** The devnet CLI's own read of the file it wrote (full validation lives in the orchestrator). */
export function readAdminUrl(path: string): string | undefined {
  return (JSON.parse(readFileSync(path, 'utf8')) as Partial<ConnectionFile>).adminUrl;
}

const endpointSchema = {
  type: 'object',
  required: ['endpoint', 'hostAlias', 'tlsCaCertPath'],
  properties: {
    endpoint: { type: 'string', pattern: '^[^\\s:]+:[0-9]{1,5}$' },
    hostAlias: { type: 'string', minLength: 1 },
    tlsCaCertPath: { type: 'string', minLength: 1 },
  },
} as const;

// Closed (additionalProperties: false), unlike the older objects: a misspelt TLS field would
// otherwise be ignored silently and the dashboard would poll without the intended client certificate.
const operationsSchema = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', pattern: '^https?://[^/?#\\s]+/?$' },
    tlsCaCertPath: { type: 'string', minLength: 1 },
    clientCertPath: { type: 'string', minLength: 1 },
    clientKeyPath: { type: 'string', minLength: 1 },
  },
  dependentRequired: { clientCertPath: ['clientKeyPath'], clientKeyPath: ['clientCertPath'] },
} as const;

/** JSON Schema (2020-12) of the connection file, for readers that validate it. */
export const CONNECTION_FILE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['version', 'backend', 'channels', 'members'],
  properties: {
    version: { const: CONNECTION_FILE_VERSION },
    backend: { type: 'string', minLength: 1 },
    channels: {
      type: 'object',
      required: ['management', 'primary'],
      properties: { management: { type: 'string', minLength: 1 }, primary: { type: 'string', minLength: 1 } },
    },
    adminUrl: { type: 'string' },
    adminTokenPath: { type: 'string', minLength: 1 },
    managementGenesisHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    chaincodes: {
      type: 'object',
      properties: { management: { type: 'string', pattern: '^[A-Za-z0-9]+([A-Za-z0-9_-]*[A-Za-z0-9])?$' } },
    },
    signers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['mspId', 'domain', 'orderer', 'caCertPath', 'adminMspDir'],
        properties: {
          mspId: { type: 'string', minLength: 1 },
          domain: { type: 'string' },
          orderer: endpointSchema,
          caCertPath: { type: 'string', minLength: 1 },
          adminMspDir: { type: 'string', minLength: 1 },
        },
      },
    },
    members: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['mspId', 'domain', 'peer', 'orderer', 'caCertPath', 'adminMspDir', 'userMspDir'],
        properties: {
          mspId: { type: 'string', minLength: 1 },
          domain: { type: 'string' },
          peer: endpointSchema,
          orderer: endpointSchema,
          caCertPath: { type: 'string', minLength: 1 },
          adminMspDir: { type: 'string', minLength: 1 },
          userMspDir: { type: 'string', minLength: 1 },
          operations: operationsSchema,
        },
      },
    },
  },
} as const;
