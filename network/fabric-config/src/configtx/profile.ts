/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A channel profile: what configtxgen reads from a configtx.yaml profile, reduced to what this
 * project's channels vary. One validator checks every field and cross-field rule up front.
 */
import { parseGoDurationNanos } from './duration';
import { ConfigtxError } from './errors';

/**
 * The consensus type written to `/Channel/Orderer/ConsensusType`.
 * - `etcdraft` and `BFT` are Fabric's, for a genesis block meant to match a native network.
 * - `devnet` is the devnet's single in-process orderer. It is deliberately not Fabric's removed
 *   `solo`, so nobody mistakes the block for one a Fabric orderer would run; configtxlator decodes
 *   it (an unknown type's metadata is shown as empty).
 */
export type OrdererType = 'etcdraft' | 'BFT' | 'devnet';

/** The devnet's consensus type name (see {@link OrdererType}). */
export const DEVNET_CONSENSUS_TYPE = 'devnet' satisfies OrdererType;

/** An orderer node of an organisation, for etcdraft/BFT consenter lists. */
export interface ConsenterProfile {
  readonly host: string;
  readonly port: number;
  /** PEM TLS client certificate. */
  readonly clientTlsCert: string;
  /** PEM TLS server certificate. */
  readonly serverTlsCert: string;
  /** PEM enrollment certificate of the orderer node (BFT signs blocks with it). */
  readonly identityCert?: string;
}

/**
 * One organisation. By default it is placed in both the Application and the Orderer groups (each
 * member runs a peer and an orderer); `groups` places it in one only, as fabric-samples'
 * test-network does with its separate `OrdererOrg`.
 */
export interface OrgProfile {
  /** `both` (default), `application` (peers only) or `orderer` (orderers only). */
  readonly groups?: 'both' | 'application' | 'orderer';
  /** The MSP ID; also the org's group name, as in fabric-samples' configtx.yaml (`Name: Org1MSP`). */
  readonly mspId: string;
  /** PEM root CA certificates (msp/cacerts). */
  readonly rootCerts: readonly string[];
  /** PEM TLS root CA certificates (msp/tlscacerts). */
  readonly tlsRootCerts: readonly string[];
  /** The org's anchor peer, written as the AnchorPeers value when present. */
  readonly anchorPeer?: { readonly host: string; readonly port: number };
  /** The org's orderer endpoint `host:port`, written as the orderer org's Endpoints value. */
  readonly ordererEndpoint?: string;
  /** The org's orderer node, for etcdraft/BFT consenter lists. */
  readonly consenter?: ConsenterProfile;
}

/** orderer.BatchSize. */
export interface BatchSizeParams {
  readonly maxMessageCount: number;
  readonly absoluteMaxBytes: number;
  readonly preferredMaxBytes: number;
}

/** Capability names per level; absent levels get {@link DEFAULT_CAPABILITIES}. */
export interface CapabilitiesProfile {
  readonly channel?: readonly string[];
  readonly orderer?: readonly string[];
  readonly application?: readonly string[];
}

/** The input of {@link buildGenesisBlock}. */
export interface ChannelProfile {
  /** Lower-case letters, digits, `.` and `-`, starting with a letter (Fabric's channel ID rule). */
  readonly channelId: string;
  readonly orgs: readonly OrgProfile[];
  readonly ordererType: OrdererType;
  readonly batchSize: BatchSizeParams;
  /** A Go duration, e.g. `"2s"`. */
  readonly batchTimeout: string;
  readonly capabilities?: CapabilitiesProfile;
  /** ChannelRestrictions.max_count; 0 (configtxgen's default) means no limit. */
  readonly maxChannels?: number;
}

/** Fabric v3 defaults, as in fabric-samples' test-network configtx.yaml. */
export const DEFAULT_CAPABILITIES: Readonly<Required<{ [K in keyof CapabilitiesProfile]: readonly string[] }>> = {
  channel: ['V3_0'],
  orderer: ['V2_0'],
  application: ['V2_5'],
};

/**
 * The largest AbsoluteMaxBytes accepted. Fabric's orderer and peers refuse gRPC messages above
 * 100 MiB by default, so a larger batch could be cut but never delivered.
 */
export const MAX_ABSOLUTE_MAX_BYTES = 100 * 1024 * 1024;

const UINT32_MAX = 0xffffffff;
const CHANNEL_ID = /^[a-z][a-z0-9.-]*$/;
const CONFIG_ID = /^[a-zA-Z0-9.-]+$/;
const MAX_ID_LENGTH = 249;

/**
 * Fabric's channel ID rule (configtx.ValidateChannelID).
 *
 * @param channelId - the candidate.
 * @returns why it is invalid, or undefined.
 */
export function channelIdProblem(channelId: string): string | undefined {
  if (channelId.length === 0) return 'channel ID illegal, cannot be empty';
  if (channelId.length > MAX_ID_LENGTH) return `channel ID illegal, cannot be longer than ${MAX_ID_LENGTH}`;
  if (!CHANNEL_ID.test(channelId)) return `'${channelId}' contains illegal characters`;
  return undefined;
}

/**
 * Fabric's config element name rule (configtx.validateConfigID).
 *
 * @param id - a group, value or policy name.
 * @returns why it is invalid, or undefined.
 */
export function configIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'config ID illegal, cannot be empty';
  if (id.length > MAX_ID_LENGTH) return `config ID illegal, cannot be longer than ${MAX_ID_LENGTH}`;
  if (id === '.' || id === '..') return `name '${id}' for config ID is not allowed`;
  if (!CONFIG_ID.test(id)) return `config ID '${id}' contains illegal characters`;
  return undefined;
}

/**
 * Checks BatchSize as Fabric's orderer does (channelconfig/orderer.go validateBatchSize), plus the
 * 100 MiB cap and uint32 range that the protobuf field imposes.
 *
 * @param batchSize - the parameters.
 * @returns the first problem, in Fabric's words, or undefined.
 */
export function batchSizeProblem(batchSize: BatchSizeParams): string | undefined {
  const { maxMessageCount, absoluteMaxBytes, preferredMaxBytes } = batchSize;
  for (const [name, value] of [
    ['max message count', maxMessageCount],
    ['absolute max bytes', absoluteMaxBytes],
    ['preferred max bytes', preferredMaxBytes],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
      return `Attempted to set the batch size ${name} to an invalid value: ${value}`;
    }
    if (value === 0) return `Attempted to set the batch size ${name} to an invalid value: 0`;
  }
  if (preferredMaxBytes > absoluteMaxBytes) {
    return `Attempted to set the batch size preferred max bytes (${preferredMaxBytes}) greater than the absolute max bytes (${absoluteMaxBytes}).`;
  }
  if (absoluteMaxBytes > MAX_ABSOLUTE_MAX_BYTES) {
    return `Attempted to set the batch size absolute max bytes (${absoluteMaxBytes}) greater than the 100 MiB message limit (${MAX_ABSOLUTE_MAX_BYTES}).`;
  }
  return undefined;
}

/**
 * Checks BatchTimeout as Fabric's orderer does: a Go duration greater than zero.
 *
 * @param timeout - the Go duration string.
 * @returns the problem, in Fabric's words, or undefined.
 */
export function batchTimeoutProblem(timeout: string): string | undefined {
  let nanos: bigint;
  try {
    nanos = parseGoDurationNanos(timeout);
  } catch (error) {
    return `Attempted to set the batch timeout to a invalid value: ${(error as Error).message}`;
  }
  return nanos <= 0n ? `Attempted to set the batch timeout to a non-positive value: ${timeout}` : undefined;
}

/** The capabilities a Fabric v3 node supports, per level (common/capabilities). */
export const SUPPORTED_CAPABILITIES: Readonly<Record<'channel' | 'orderer' | 'application', readonly string[]>> = {
  channel: ['V1_1', 'V1_3', 'V1_4_2', 'V1_4_3', 'V2_0', 'V3_0'],
  orderer: ['V1_1', 'V1_4_2', 'V2_0'],
  application: ['V1_1', 'V1_2', 'V1_3', 'V1_4_2', 'V2_0', 'V2_5'],
};

const LEVEL_NAMES = { channel: 'Channel', orderer: 'Orderer', application: 'Application' } as const;

/**
 * Checks capability names as a Fabric v3 node does: one it does not know makes it refuse the config.
 *
 * @param level - the config level.
 * @param names - the required capabilities.
 * @returns the problem, in Fabric's words, or undefined.
 */
export function capabilitiesProblem(level: keyof typeof SUPPORTED_CAPABILITIES, names: readonly string[]): string | undefined {
  const unknown = names.find((name) => !SUPPORTED_CAPABILITIES[level].includes(name));
  return unknown === undefined ? undefined : `${LEVEL_NAMES[level]} capability ${unknown} is required but not supported`;
}

function looksLikePemCertificate(text: string): boolean {
  return /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(text);
}

function profileError(message: string): ConfigtxError {
  return new ConfigtxError(`invalid channel profile: ${message}`, { code: 'CONFIGTX_BAD_PROFILE' });
}

/** The capabilities of each level, defaults filled in. */
export function effectiveCapabilities(profile: ChannelProfile): Required<{ [K in keyof CapabilitiesProfile]: readonly string[] }> {
  return {
    channel: profile.capabilities?.channel ?? DEFAULT_CAPABILITIES.channel,
    orderer: profile.capabilities?.orderer ?? DEFAULT_CAPABILITIES.orderer,
    application: profile.capabilities?.application ?? DEFAULT_CAPABILITIES.application,
  };
}

/**
 * Validates a channel profile in full: every field, then the rules configtxgen enforces across
 * fields (BFT needs the V3_0 channel capability; with V3_0 every orderer org needs an endpoint).
 *
 * @param profile - the profile.
 * @throws ConfigtxError (`CONFIGTX_BAD_PROFILE`) naming the first offending field.
 */
export function validateProfile(profile: ChannelProfile): void {
  const channelProblem = channelIdProblem(profile.channelId);
  if (channelProblem !== undefined) throw profileError(`channelId: ${channelProblem}`);
  if (profile.orgs.length === 0) throw profileError('orgs: at least one organisation is required');
  const seen = new Set<string>();
  profile.orgs.forEach((org, i) => {
    const where = `orgs[${i}]`;
    const idProblem = configIdProblem(org.mspId);
    if (idProblem !== undefined) throw profileError(`${where}.mspId: ${idProblem}`);
    if (seen.has(org.mspId)) throw profileError(`${where}.mspId: duplicate MSP ID ${org.mspId}`);
    seen.add(org.mspId);
    if (org.rootCerts.length === 0) throw profileError(`${where}.rootCerts: at least one root certificate is required`);
    org.rootCerts.forEach((pem, j) => {
      if (!looksLikePemCertificate(pem)) throw profileError(`${where}.rootCerts[${j}]: not a PEM certificate`);
    });
    org.tlsRootCerts.forEach((pem, j) => {
      if (!looksLikePemCertificate(pem)) throw profileError(`${where}.tlsRootCerts[${j}]: not a PEM certificate`);
    });
    if (org.anchorPeer !== undefined) {
      const { host, port } = org.anchorPeer;
      if (host === '' || !Number.isInteger(port) || port <= 0 || port > 65535) {
        throw profileError(`${where}.anchorPeer: host must be non-empty and port in 1..65535`);
      }
    }
    if (org.groups !== undefined && !['both', 'application', 'orderer'].includes(org.groups)) {
      throw profileError(`${where}.groups: expected both, application or orderer, got ${JSON.stringify(org.groups)}`);
    }
    if (org.ordererEndpoint !== undefined && !/^[^\s:]+:\d{1,5}$/.test(org.ordererEndpoint)) {
      throw profileError(`${where}.ordererEndpoint: expected host:port, got ${JSON.stringify(org.ordererEndpoint)}`);
    }
  });
  const inGroup = (group: 'application' | 'orderer'): boolean => profile.orgs.some((o) => (o.groups ?? 'both') === 'both' || o.groups === group);
  if (!inGroup('orderer')) throw profileError('orgs: at least one organisation must be in the Orderer group');
  if (!inGroup('application')) throw profileError('orgs: at least one organisation must be in the Application group');
  const sizeProblem = batchSizeProblem(profile.batchSize);
  if (sizeProblem !== undefined) throw profileError(`batchSize: ${sizeProblem}`);
  const timeoutProblem = batchTimeoutProblem(profile.batchTimeout);
  if (timeoutProblem !== undefined) throw profileError(`batchTimeout: ${timeoutProblem}`);
  const maxChannels = profile.maxChannels ?? 0;
  if (!Number.isSafeInteger(maxChannels) || maxChannels < 0) {
    throw profileError(`maxChannels: must be a non-negative integer, got ${maxChannels}`);
  }
  if (!['etcdraft', 'BFT', DEVNET_CONSENSUS_TYPE].includes(profile.ordererType)) {
    throw profileError(`ordererType: unknown orderer type: ${profile.ordererType}`);
  }
  const capabilities = effectiveCapabilities(profile);
  for (const level of ['channel', 'orderer', 'application'] as const) {
    const problem = capabilitiesProblem(level, capabilities[level]);
    if (problem !== undefined) throw profileError(`capabilities.${level}: ${problem}`);
  }
  const v3 = capabilities.channel.includes('V3_0');
  if (profile.ordererType === 'BFT' && !v3) {
    throw profileError('ordererType: orderer type BFT must be used with V3_0 channel capability');
  }
  if (v3) {
    // Fabric asks it of the orderer organisations only (an application-only org has no Endpoints).
    const missing = profile.orgs.filter((org) => org.groups !== 'application' && org.ordererEndpoint === undefined).map((org) => org.mspId);
    if (missing.length > 0) {
      throw profileError(
        `orgs: orderer endpoints for organization ${missing.join(', ')} are missing and must be configured when capability V3_0 is enabled`,
      );
    }
  }
  profile.orgs.forEach((org, i) => {
    const consenter = org.consenter;
    if (consenter === undefined) return;
    if (consenter.host === '' || !Number.isInteger(consenter.port) || consenter.port <= 0 || consenter.port > 65535) {
      throw profileError(`orgs[${i}].consenter: host must be non-empty and port in 1..65535`);
    }
    for (const field of ['clientTlsCert', 'serverTlsCert', 'identityCert'] as const) {
      const pem = consenter[field];
      if (pem !== undefined && !looksLikePemCertificate(pem)) throw profileError(`orgs[${i}].consenter.${field}: not a PEM certificate`);
    }
    // BFT block signatures are checked against each consenter's enrollment certificate.
    if (profile.ordererType === 'BFT' && consenter.identityCert === undefined) {
      throw profileError(`orgs[${i}].consenter.identityCert: required with orderer type BFT`);
    }
  });
  // etcdraft refuses an empty consenter set (VerifyConfigMetadata), so no node could ever use the block.
  if ((profile.ordererType === 'BFT' || profile.ordererType === 'etcdraft') && !profile.orgs.some((org) => org.consenter !== undefined)) {
    throw profileError(`orgs: orderer type ${profile.ordererType} needs at least one consenter`);
  }
}
