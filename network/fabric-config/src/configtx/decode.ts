/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reading channel config: from a config block to the Config message, and from the Config to a
 * typed, readable view (what `configtxlator proto_decode` shows, minus the noise).
 */
import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import type { MspDefinition, NodeOuRole } from '../msp';
import { parseGoDuration } from './duration';
import { ConfigtxError } from './errors';
import { ConfigKey } from './keys';
import type { BatchSizeParams } from './profile';
import { batchSizeProblem, batchTimeoutProblem } from './profile';
import { describeSignaturePolicy, implicitMetaRuleName } from './policy';

/** A config block's content, decoded. */
export interface ConfigBlockContent {
  /** The channel, from the CONFIG envelope's channel header. */
  readonly channelId: string;
  readonly config: common.Config;
  /** The CONFIG_UPDATE envelope that produced this config; absent in a genesis block. */
  readonly lastUpdate: common.Envelope | undefined;
}

/** The orderer batch parameters that drive block cutting. */
export interface BatchParams {
  readonly batchSize: BatchSizeParams;
  /** The Go duration string as stored, e.g. `"2s"`. */
  readonly batchTimeout: string;
  /** The same, in milliseconds. */
  readonly batchTimeoutMs: number;
}

/** A policy, readable. */
export type PolicyView =
  | {
      readonly type: 'ImplicitMeta';
      readonly rule: string;
      readonly subPolicy: string;
      readonly modPolicy: string;
      readonly version: number;
    }
  | {
      readonly type: 'Signature';
      /** policydsl text, e.g. `OR('Org1MSP.admin')`. */
      readonly rule: string;
      readonly modPolicy: string;
      readonly version: number;
    }
  | { readonly type: 'Unknown'; readonly policyType: number; readonly modPolicy: string; readonly version: number };

/** An organisation as the config defines it, merged across the Application and Orderer groups. */
export interface OrgView {
  readonly mspId: string;
  /** The org's group name(s); this project uses the MSP ID. */
  readonly groupNames: readonly string[];
  /** Which top-level groups the org is in. */
  readonly memberOf: readonly ('Application' | 'Orderer')[];
  readonly rootCerts: readonly string[];
  readonly tlsRootCerts: readonly string[];
  readonly nodeOUs: boolean;
  readonly anchorPeers: readonly { readonly host: string; readonly port: number }[];
  readonly ordererEndpoints: readonly string[];
}

/** A channel config, readable. */
export interface ChannelConfigView {
  readonly channelId: string;
  readonly sequence: number;
  readonly hashingAlgorithm: string | undefined;
  readonly ordererAddresses: readonly string[];
  readonly capabilities: {
    readonly channel: readonly string[];
    readonly orderer: readonly string[];
    readonly application: readonly string[];
  };
  readonly consensusType: string;
  readonly consensusState: 'STATE_NORMAL' | 'STATE_MAINTENANCE';
  readonly batchSize: BatchSizeParams;
  readonly batchTimeout: string;
  readonly batchTimeoutMs: number;
  /** Organisations sorted by MSP ID (UTF-8 byte order). */
  readonly orgs: readonly OrgView[];
  /** Every policy by absolute path, e.g. `/Channel/Orderer/Admins`. */
  readonly policies: Readonly<Record<string, PolicyView>>;
  /** Every element's version and mod_policy by Fabric's key, e.g. `[Value]  /Channel/Orderer/BatchTimeout`. */
  readonly versions: Readonly<Record<string, { readonly version: number; readonly modPolicy: string }>>;
}

function badBlock(message: string, cause?: unknown): ConfigtxError {
  return new ConfigtxError(message, { code: 'CONFIGTX_BAD_CONFIG_BLOCK', cause });
}

function badConfig(message: string, cause?: unknown): ConfigtxError {
  return new ConfigtxError(message, { code: 'CONFIGTX_BAD_CONFIG', cause });
}

function decodeAs<T>(what: string, bytes: Uint8Array, decode: (bytes: Uint8Array) => T, fail: (m: string, c: unknown) => Error): T {
  try {
    return decode(bytes);
  } catch (error) {
    throw fail(`cannot decode ${what}: ${String(error)}`, error);
  }
}

/**
 * Extracts the channel config from a config block (the genesis block or a later config block).
 *
 * @param block - the block.
 * @returns the channel ID, the Config and the last update envelope.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG_BLOCK`) if the block does not hold exactly one
 *   envelope of type CONFIG with a ConfigEnvelope.
 */
export function readConfigBlock(block: common.Block): ConfigBlockContent {
  const data = block.getData()?.getDataList_asU8() ?? [];
  if (data.length !== 1) throw badBlock(`config block must contain exactly one transaction, found ${data.length}`);
  const envelope = decodeAs('envelope', data[0], (b) => common.Envelope.deserializeBinary(b), badBlock);
  const payload = decodeAs('payload', envelope.getPayload_asU8(), (b) => common.Payload.deserializeBinary(b), badBlock);
  const header = payload.getHeader();
  if (header === undefined) throw badBlock('config envelope has no header');
  const channelHeader = decodeAs('channel header', header.getChannelHeader_asU8(), (b) => common.ChannelHeader.deserializeBinary(b), badBlock);
  if (channelHeader.getType() !== common.HeaderType.CONFIG) {
    throw badBlock(`block is not a config block: header type ${channelHeader.getType()}, expected CONFIG (1)`);
  }
  const configEnvelope = decodeAs('ConfigEnvelope', payload.getData_asU8(), (b) => common.ConfigEnvelope.deserializeBinary(b), badBlock);
  const config = configEnvelope.getConfig();
  if (config === undefined || config.getChannelGroup() === undefined) throw badBlock('config envelope has no channel group');
  return { channelId: channelHeader.getChannelId(), config, lastUpdate: configEnvelope.getLastUpdate() };
}

/**
 * The channel config held by a config block (shorthand for {@link readConfigBlock}`(block).config`).
 *
 * @param block - the genesis block or a later config block.
 * @returns the Config.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG_BLOCK`) if the block is not a config block.
 */
export function configFromBlock(block: common.Block): common.Config {
  return readConfigBlock(block).config;
}

function group(config: common.Config, ...path: string[]): common.ConfigGroup | undefined {
  let current = config.getChannelGroup();
  for (const name of path) current = current?.getGroupsMap().get(name);
  return current;
}

function valueBytes(groupMessage: common.ConfigGroup | undefined, key: string): Uint8Array | undefined {
  return groupMessage?.getValuesMap().get(key)?.getValue_asU8();
}

/**
 * Reads the orderer batch parameters from a config and checks them as Fabric's orderer does.
 *
 * @param config - the channel config.
 * @returns BatchSize and BatchTimeout.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) if either is missing, undecodable or invalid.
 */
export function readBatchParams(config: common.Config): BatchParams {
  const ordererGroup = group(config, ConfigKey.ordererGroup);
  const sizeBytes = valueBytes(ordererGroup, ConfigKey.batchSize);
  const timeoutBytes = valueBytes(ordererGroup, ConfigKey.batchTimeout);
  if (sizeBytes === undefined) throw badConfig('config has no /Channel/Orderer/BatchSize value');
  if (timeoutBytes === undefined) throw badConfig('config has no /Channel/Orderer/BatchTimeout value');
  const size = decodeAs('BatchSize', sizeBytes, (b) => orderer.BatchSize.deserializeBinary(b), badConfig);
  const batchSize: BatchSizeParams = {
    maxMessageCount: size.getMaxMessageCount(),
    absoluteMaxBytes: size.getAbsoluteMaxBytes(),
    preferredMaxBytes: size.getPreferredMaxBytes(),
  };
  const sizeProblem = batchSizeProblem(batchSize);
  if (sizeProblem !== undefined) throw badConfig(sizeProblem);
  const batchTimeout = decodeAs('BatchTimeout', timeoutBytes, (b) => orderer.BatchTimeout.deserializeBinary(b), badConfig).getTimeout();
  const timeoutProblem = batchTimeoutProblem(batchTimeout);
  if (timeoutProblem !== undefined) throw badConfig(timeoutProblem);
  return { batchSize, batchTimeout, batchTimeoutMs: parseGoDuration(batchTimeout) };
}

function pemText(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

interface OrgAccumulator {
  mspId: string;
  groupNames: Set<string>;
  memberOf: Set<'Application' | 'Orderer'>;
  rootCerts: string[];
  tlsRootCerts: string[];
  nodeOUs: boolean;
  nodeOuCertifiers: Partial<Record<NodeOuRole, string>>;
  anchorPeers: { host: string; port: number }[];
  ordererEndpoints: string[];
}

function addUnique(target: string[], items: readonly string[]): void {
  for (const item of items) if (!target.includes(item)) target.push(item);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function collectOrgs(config: common.Config): OrgAccumulator[] {
  const orgs = new Map<string, OrgAccumulator>();
  for (const top of [ConfigKey.applicationGroup, ConfigKey.ordererGroup] as const) {
    for (const [groupName, orgGroup] of group(config, top)?.getGroupsMap().entries() ?? []) {
      const mspBytes = valueBytes(orgGroup, ConfigKey.msp);
      if (mspBytes === undefined) throw badConfig(`org group /Channel/${top}/${groupName} has no MSP value`);
      const mspConfig = decodeAs(`MSP of ${groupName}`, mspBytes, (b) => msp.MSPConfig.deserializeBinary(b), badConfig);
      if (mspConfig.getType() !== 0) throw badConfig(`MSP of ${groupName} has unsupported type ${mspConfig.getType()} (only FABRIC)`);
      const fabric = decodeAs(`FabricMSPConfig of ${groupName}`, mspConfig.getConfig_asU8(), (b) => msp.FabricMSPConfig.deserializeBinary(b), badConfig);
      const mspId = fabric.getName();
      const org = orgs.get(mspId) ?? {
        mspId,
        groupNames: new Set<string>(),
        memberOf: new Set<'Application' | 'Orderer'>(),
        rootCerts: [],
        tlsRootCerts: [],
        nodeOUs: false,
        nodeOuCertifiers: {},
        anchorPeers: [],
        ordererEndpoints: [],
      };
      orgs.set(mspId, org);
      org.groupNames.add(groupName);
      org.memberOf.add(top);
      addUnique(org.rootCerts, fabric.getRootCertsList_asU8().map(pemText));
      addUnique(org.tlsRootCerts, fabric.getTlsRootCertsList_asU8().map(pemText));
      const nodeOus = fabric.getFabricNodeOus();
      org.nodeOUs ||= nodeOus?.getEnable() === true;
      if (nodeOus?.getEnable() === true) {
        const bound: [NodeOuRole, msp.FabricOUIdentifier | undefined][] = [
          ['client', nodeOus.getClientOuIdentifier()],
          ['peer', nodeOus.getPeerOuIdentifier()],
          ['admin', nodeOus.getAdminOuIdentifier()],
          ['orderer', nodeOus.getOrdererOuIdentifier()],
        ];
        for (const [role, identifier] of bound) {
          const certificate = identifier?.getCertificate_asU8();
          if (certificate !== undefined && certificate.length > 0) org.nodeOuCertifiers[role] = pemText(certificate);
        }
      }
      const anchorBytes = valueBytes(orgGroup, ConfigKey.anchorPeers);
      if (anchorBytes !== undefined) {
        const anchors = decodeAs(`AnchorPeers of ${groupName}`, anchorBytes, (b) => peer.AnchorPeers.deserializeBinary(b), badConfig);
        for (const anchor of anchors.getAnchorPeersList()) org.anchorPeers.push({ host: anchor.getHost(), port: anchor.getPort() });
      }
      const endpointBytes = valueBytes(orgGroup, ConfigKey.endpoints);
      if (endpointBytes !== undefined) {
        const endpoints = decodeAs(`Endpoints of ${groupName}`, endpointBytes, (b) => common.OrdererAddresses.deserializeBinary(b), badConfig);
        addUnique(org.ordererEndpoints, endpoints.getAddressesList());
      }
    }
  }
  return [...orgs.values()].sort((a, b) => byteOrder(a.mspId, b.mspId));
}

/**
 * The MSPs a channel config defines, for building the channel's MspRegistry. An org present in
 * both the Application and the Orderer groups appears once, with the union of its certificates.
 *
 * @param config - the channel config.
 * @returns the MSP definitions, sorted by MSP ID (UTF-8 byte order).
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) if an org group's MSP value is missing or undecodable.
 */
export function readMsps(config: common.Config): MspDefinition[] {
  return collectOrgs(config).map(({ mspId, rootCerts, tlsRootCerts, nodeOuCertifiers }) => ({
    mspId,
    rootCerts: [...rootCerts],
    tlsRootCerts: [...tlsRootCerts],
    ...(Object.keys(nodeOuCertifiers).length === 0 ? {} : { nodeOuCertifiers: { ...nodeOuCertifiers } }),
  }));
}

function capabilityNames(groupMessage: common.ConfigGroup | undefined): string[] {
  const bytes = valueBytes(groupMessage, ConfigKey.capabilities);
  if (bytes === undefined) return [];
  const capabilities = decodeAs('Capabilities', bytes, (b) => common.Capabilities.deserializeBinary(b), badConfig);
  return [...capabilities.getCapabilitiesMap().keys()].sort(byteOrder);
}

function policyView(configPolicy: common.ConfigPolicy): PolicyView {
  const modPolicy = configPolicy.getModPolicy();
  const version = configPolicy.getVersion();
  const policy = configPolicy.getPolicy();
  const policyType = policy?.getType() ?? 0;
  try {
    if (policy !== undefined && policyType === common.Policy.PolicyType.IMPLICIT_META) {
      const meta = common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
      return { type: 'ImplicitMeta', rule: implicitMetaRuleName(meta.getRule()), subPolicy: meta.getSubPolicy(), modPolicy, version };
    }
    if (policy !== undefined && policyType === common.Policy.PolicyType.SIGNATURE) {
      const envelope = common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8());
      return { type: 'Signature', rule: describeSignaturePolicy(envelope), modPolicy, version };
    }
  } catch {
    // An undecodable policy is shown as unknown rather than hiding the rest of the view.
  }
  return { type: 'Unknown', policyType, modPolicy, version };
}

function walk(
  groupMessage: common.ConfigGroup,
  path: readonly string[],
  policies: Record<string, PolicyView>,
  versions: Record<string, { version: number; modPolicy: string }>,
): void {
  const prefix = '/' + path.join('/');
  versions[`[Group]  ${prefix}`] = { version: groupMessage.getVersion(), modPolicy: groupMessage.getModPolicy() };
  for (const [name, value] of groupMessage.getValuesMap().entries()) {
    versions[`[Value]  ${prefix}/${name}`] = { version: value.getVersion(), modPolicy: value.getModPolicy() };
  }
  for (const [name, configPolicy] of groupMessage.getPoliciesMap().entries()) {
    versions[`[Policy] ${prefix}/${name}`] = { version: configPolicy.getVersion(), modPolicy: configPolicy.getModPolicy() };
    policies[`${prefix}/${name}`] = policyView(configPolicy);
  }
  for (const [name, child] of groupMessage.getGroupsMap().entries()) walk(child, [...path, name], policies, versions);
}

/**
 * A readable view of a channel config.
 *
 * @param channelId - the channel (a Config does not carry it; the block's header does).
 * @param config - the channel config.
 * @returns the view.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) if a required element is missing or invalid.
 */
export function viewChannelConfig(channelId: string, config: common.Config): ChannelConfigView {
  const root = config.getChannelGroup();
  if (root === undefined) throw badConfig('config has no channel group');
  const ordererGroup = group(config, ConfigKey.ordererGroup);
  const consensusBytes = valueBytes(ordererGroup, ConfigKey.consensusType);
  if (consensusBytes === undefined) throw badConfig('config has no /Channel/Orderer/ConsensusType value');
  const consensus = decodeAs('ConsensusType', consensusBytes, (b) => orderer.ConsensusType.deserializeBinary(b), badConfig);
  const addressBytes = valueBytes(root, ConfigKey.ordererAddresses);
  const hashingBytes = valueBytes(root, ConfigKey.hashingAlgorithm);
  const policies: Record<string, PolicyView> = {};
  const versions: Record<string, { version: number; modPolicy: string }> = {};
  walk(root, [ConfigKey.channelGroup], policies, versions);
  const batch = readBatchParams(config);
  return {
    channelId,
    sequence: config.getSequence(),
    hashingAlgorithm:
      hashingBytes === undefined ? undefined : decodeAs('HashingAlgorithm', hashingBytes, (b) => common.HashingAlgorithm.deserializeBinary(b), badConfig).getName(),
    ordererAddresses:
      addressBytes === undefined ? [] : decodeAs('OrdererAddresses', addressBytes, (b) => common.OrdererAddresses.deserializeBinary(b), badConfig).getAddressesList(),
    capabilities: {
      channel: capabilityNames(root),
      orderer: capabilityNames(ordererGroup),
      application: capabilityNames(group(config, ConfigKey.applicationGroup)),
    },
    consensusType: consensus.getType(),
    consensusState: consensus.getState() === orderer.ConsensusType.State.STATE_MAINTENANCE ? 'STATE_MAINTENANCE' : 'STATE_NORMAL',
    batchSize: batch.batchSize,
    batchTimeout: batch.batchTimeout,
    batchTimeoutMs: batch.batchTimeoutMs,
    orgs: collectOrgs(config).map((org) => ({
      mspId: org.mspId,
      groupNames: [...org.groupNames].sort(byteOrder),
      memberOf: [...org.memberOf].sort(byteOrder),
      rootCerts: org.rootCerts,
      tlsRootCerts: org.tlsRootCerts,
      nodeOUs: org.nodeOUs,
      anchorPeers: org.anchorPeers,
      ordererEndpoints: org.ordererEndpoints,
    })),
    policies,
    versions,
  };
}

/**
 * Decodes a config block into a readable view of its channel config.
 *
 * @param block - the genesis block or a later config block.
 * @returns the view.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG_BLOCK`) if the block is not a config block, or
 *   (`CONFIGTX_BAD_CONFIG`) if its config lacks a required element.
 */
export function decodeConfigBlock(block: common.Block): ChannelConfigView {
  const { channelId, config } = readConfigBlock(block);
  return viewChannelConfig(channelId, config);
}

/**
 * The last-config index a block points to, read as Fabric's GetLastConfigIndexFromBlock does:
 * from OrdererBlockMetadata in the SIGNATURES slot (the LAST_CONFIG slot is deprecated).
 *
 * @param block - any block.
 * @returns the number of the latest config block at the time this block was cut.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG_BLOCK`) if the SIGNATURES slot is missing or undecodable.
 */
export function readLastConfigIndex(block: common.Block): number {
  const slot = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES];
  if (slot === undefined || slot.length === 0) throw badBlock('block has no SIGNATURES metadata');
  const metadata = decodeAs('SIGNATURES metadata', slot, (b) => common.Metadata.deserializeBinary(b), badBlock);
  const ordererMetadata = decodeAs('OrdererBlockMetadata', metadata.getValue_asU8(), (b) => common.OrdererBlockMetadata.deserializeBinary(b), badBlock);
  const lastConfig = ordererMetadata.getLastConfig();
  if (lastConfig === undefined) throw badBlock('OrdererBlockMetadata has no last_config');
  return lastConfig.getIndex();
}
