/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The genesis block of an application channel, laid out as configtxgen lays it out without a
 * system channel (internal/configtxgen/encoder, common/genesis): every element at version 0 with
 * mod_policy Admins, config sequence 0, one unsigned CONFIG envelope, and the last-config index 0
 * in both the SIGNATURES and LAST_CONFIG metadata slots.
 */
import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { createHash, randomBytes } from 'node:crypto';
import { blockDataHash } from './blockHash';
import { bftBlockValidationPolicy } from './consenters';
import { ConfigtxError } from './errors';
import { ConfigKey, DEFAULT_BLOCK_DATA_HASHING_WIDTH, DEFAULT_HASHING_ALGORITHM } from './keys';
import { implicitMetaPolicy, nOutOf, signaturePolicy } from './policy';
import type { OrganizationModel } from './organization';
import type { ChannelProfile, ConsenterProfile, OrgProfile } from './profile';
import { effectiveCapabilities, validateProfile } from './profile';

/** Options of {@link buildGenesisBlock}, for reproducible blocks in tests. */
export interface GenesisOptions {
  /** The CONFIG envelope's timestamp; default now (whole seconds, as Fabric's MakeChannelHeader). */
  readonly timestamp?: Date;
  /** The 24-byte SignatureHeader nonce; default random. */
  readonly nonce?: Uint8Array;
}

const ADMINS = ConfigKey.admins;
/** The number of metadata slots Fabric allocates in every block (BlockMetadataIndex). */
const METADATA_SLOTS = 5;
const NONCE_LENGTH = 24;

function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

function configValue(message: { serializeBinary(): Uint8Array }, modPolicy: string = ADMINS): common.ConfigValue {
  const value = new common.ConfigValue();
  value.setValue(message.serializeBinary());
  value.setModPolicy(modPolicy);
  return value;
}

function configPolicy(policy: common.Policy): common.ConfigPolicy {
  const configPolicyMessage = new common.ConfigPolicy();
  configPolicyMessage.setPolicy(policy);
  configPolicyMessage.setModPolicy(ADMINS);
  return configPolicyMessage;
}

function newGroup(): common.ConfigGroup {
  const group = new common.ConfigGroup();
  group.setModPolicy(ADMINS);
  return group;
}

function capabilitiesValue(names: readonly string[]): common.ConfigValue {
  const capabilities = new common.Capabilities();
  for (const name of names) capabilities.getCapabilitiesMap().set(name, new common.Capability());
  return configValue(capabilities);
}

/** What {@link fabricMspConfig} reads: an organisation's certificates and whether it has NodeOUs. */
export type FabricMspInput = Pick<OrganizationModel, 'mspId' | 'rootCerts' | 'tlsRootCerts' | 'intermediateCerts' | 'tlsIntermediateCerts' | 'admins' | 'nodeOUs'>;

/**
 * The verifying MSP config configtxgen reads from a cryptogen msp folder (msp/configbuilder.go):
 * cacerts, intermediatecerts, admincerts, tlscacerts and tlsintermediatecerts in the order given,
 * and, unless `nodeOUs` is false, cryptogen's config.yaml (its OUs bound to the one root; with
 * several roots, bound to none).
 */
export function fabricMspConfig(org: FabricMspInput): msp.MSPConfig {
  const fabricConfig = new msp.FabricMSPConfig();
  fabricConfig.setName(org.mspId);
  fabricConfig.setRootCertsList(org.rootCerts.map(utf8));
  fabricConfig.setIntermediateCertsList((org.intermediateCerts ?? []).map(utf8));
  fabricConfig.setAdminsList((org.admins ?? []).map(utf8));
  fabricConfig.setTlsRootCertsList(org.tlsRootCerts.map(utf8));
  fabricConfig.setTlsIntermediateCertsList((org.tlsIntermediateCerts ?? []).map(utf8));
  const cryptoConfig = new msp.FabricCryptoConfig();
  cryptoConfig.setSignatureHashFamily('SHA2');
  cryptoConfig.setIdentityIdentifierHashFunction('SHA256');
  fabricConfig.setCryptoConfig(cryptoConfig);
  if (org.nodeOUs !== false) {
    // cryptogen's config.yaml ties each NodeOU to the org's CA certificate (msp/cacerts/ca.*-cert.pem).
    // Several roots are a CA rotation under way: the OUs then name no certificate, which Fabric
    // reads as "any root of the MSP" (msp/mspimplvalidate.go), so both CAs' identities keep their roles.
    const caCert = org.rootCerts.length === 1 ? utf8(org.rootCerts[0] ?? '') : undefined;
    const ou = (name: string): msp.FabricOUIdentifier => {
      const identifier = new msp.FabricOUIdentifier();
      if (caCert !== undefined) identifier.setCertificate(caCert);
      identifier.setOrganizationalUnitIdentifier(name);
      return identifier;
    };
    const nodeOus = new msp.FabricNodeOUs();
    nodeOus.setEnable(true);
    nodeOus.setClientOuIdentifier(ou('client'));
    nodeOus.setPeerOuIdentifier(ou('peer'));
    nodeOus.setAdminOuIdentifier(ou('admin'));
    nodeOus.setOrdererOuIdentifier(ou('orderer'));
    fabricConfig.setFabricNodeOus(nodeOus);
  }
  const mspConfig = new msp.MSPConfig();
  mspConfig.setType(0); // FABRIC
  mspConfig.setConfig(fabricConfig.serializeBinary());
  return mspConfig;
}

/** Application org: fabric-samples' Org1 policies (Readers admin/peer/client, Writers admin/client). */
function applicationOrgGroup(org: OrgProfile): common.ConfigGroup {
  const group = newGroup();
  const policies = group.getPoliciesMap();
  const any = (...roles: ('admin' | 'peer' | 'client')[]): common.ConfigPolicy =>
    configPolicy(signaturePolicy(nOutOf(1, roles.map((role) => ({ mspId: org.mspId, role })))));
  policies.set(ConfigKey.readers, any('admin', 'peer', 'client'));
  policies.set(ConfigKey.writers, any('admin', 'client'));
  policies.set(ConfigKey.admins, any('admin'));
  policies.set(ConfigKey.endorsement, any('peer'));
  group.getValuesMap().set(ConfigKey.msp, configValue(fabricMspConfig(org)));
  if (org.anchorPeer !== undefined) {
    const anchor = new peer.AnchorPeer();
    anchor.setHost(org.anchorPeer.host);
    anchor.setPort(org.anchorPeer.port);
    const anchors = new peer.AnchorPeers();
    anchors.setAnchorPeersList([anchor]);
    group.getValuesMap().set(ConfigKey.anchorPeers, configValue(anchors));
  }
  return group;
}

/**
 * Orderer org: fabric-samples' OrdererOrg policies (Readers and Writers any member, Admins admin).
 * Member, not the application org's admin/client, because the orderer node itself must satisfy
 * Writers: BlockValidation is ANY Writers, and peers check block signatures against it.
 */
function ordererOrgGroup(org: OrgProfile): common.ConfigGroup {
  const group = newGroup();
  const policies = group.getPoliciesMap();
  const signedBy = (role: 'member' | 'admin'): common.ConfigPolicy =>
    configPolicy(signaturePolicy(nOutOf(1, [{ mspId: org.mspId, role }])));
  policies.set(ConfigKey.readers, signedBy('member'));
  policies.set(ConfigKey.writers, signedBy('member'));
  policies.set(ConfigKey.admins, signedBy('admin'));
  group.getValuesMap().set(ConfigKey.msp, configValue(fabricMspConfig(org)));
  if (org.ordererEndpoint !== undefined) {
    const endpoints = new common.OrdererAddresses();
    endpoints.setAddressesList([org.ordererEndpoint]);
    group.getValuesMap().set(ConfigKey.endpoints, configValue(endpoints));
  }
  return group;
}

function raftConsenter(c: ConsenterProfile): orderer.etcdraft.Consenter {
  const consenter = new orderer.etcdraft.Consenter();
  consenter.setHost(c.host);
  consenter.setPort(c.port);
  consenter.setClientTlsCert(utf8(c.clientTlsCert));
  consenter.setServerTlsCert(utf8(c.serverTlsCert));
  return consenter;
}

function etcdraftMetadata(consenters: readonly ConsenterProfile[]): Uint8Array {
  const metadata = new orderer.etcdraft.ConfigMetadata();
  metadata.setConsentersList(consenters.map(raftConsenter));
  // configtxgen's defaults (genesisconfig.genesisDefaults).
  const options = new orderer.etcdraft.Options();
  options.setTickInterval('500ms');
  options.setElectionTick(10);
  options.setHeartbeatTick(1);
  options.setMaxInflightBlocks(5);
  options.setSnapshotIntervalSize(16 * 1024 * 1024);
  metadata.setOptions(options);
  return metadata.serializeBinary();
}

function smartBftOptions(): Uint8Array {
  // configtxgen's defaults: SmartBFT's types.DefaultConfig, durations as Go prints them.
  const options = new orderer.smartbft.Options();
  options.setRequestBatchMaxCount(100);
  options.setRequestBatchMaxBytes(10 * 1024 * 1024);
  options.setRequestBatchMaxInterval('50ms');
  options.setIncomingMessageBufferSize(200);
  options.setRequestPoolSize(400);
  options.setRequestForwardTimeout('2s');
  options.setRequestComplainTimeout('20s');
  options.setRequestAutoRemoveTimeout('3m0s');
  options.setViewChangeResendInterval('5s');
  options.setViewChangeTimeout('20s');
  options.setLeaderHeartbeatTimeout('1m0s');
  options.setLeaderHeartbeatCount(10);
  options.setCollectTimeout('1s');
  options.setSyncOnStart(false);
  options.setSpeedUpViewChange(false);
  return options.serializeBinary();
}

interface BftConsenter {
  readonly mspId: string;
  readonly profile: ConsenterProfile;
}

/** The Orderers value and BFT BlockValidation policy (policies.EncodeBFTBlockVerificationPolicy). */
function addBftConsenters(group: common.ConfigGroup, consenters: readonly BftConsenter[]): void {
  const orderers = new common.Orderers();
  orderers.setConsenterMappingList(
    consenters.map(({ mspId, profile }, i) => {
      const consenter = new common.Consenter();
      consenter.setId(i + 1);
      consenter.setHost(profile.host);
      consenter.setPort(profile.port);
      consenter.setMspId(mspId);
      consenter.setIdentity(utf8(profile.identityCert ?? ''));
      consenter.setClientTlsCert(utf8(profile.clientTlsCert));
      consenter.setServerTlsCert(utf8(profile.serverTlsCert));
      return consenter;
    }),
  );
  group.getValuesMap().set(ConfigKey.orderers, configValue(orderers));
  group.getPoliciesMap().set(ConfigKey.blockValidation, configPolicy(bftBlockValidationPolicy(orderers.getConsenterMappingList())));
}

function inGroup(org: OrgProfile, group: 'application' | 'orderer'): boolean {
  return (org.groups ?? 'both') === 'both' || org.groups === group;
}

function ordererGroup(profile: ChannelProfile, capabilities: readonly string[]): common.ConfigGroup {
  const group = newGroup();
  const policies = group.getPoliciesMap();
  policies.set(ConfigKey.readers, configPolicy(implicitMetaPolicy('ANY', ConfigKey.readers)));
  policies.set(ConfigKey.writers, configPolicy(implicitMetaPolicy('ANY', ConfigKey.writers)));
  policies.set(ConfigKey.admins, configPolicy(implicitMetaPolicy('MAJORITY', ConfigKey.admins)));
  policies.set(ConfigKey.blockValidation, configPolicy(implicitMetaPolicy('ANY', ConfigKey.writers)));

  const values = group.getValuesMap();
  const batchSize = new orderer.BatchSize();
  batchSize.setMaxMessageCount(profile.batchSize.maxMessageCount);
  batchSize.setAbsoluteMaxBytes(profile.batchSize.absoluteMaxBytes);
  batchSize.setPreferredMaxBytes(profile.batchSize.preferredMaxBytes);
  values.set(ConfigKey.batchSize, configValue(batchSize));
  const batchTimeout = new orderer.BatchTimeout();
  batchTimeout.setTimeout(profile.batchTimeout);
  values.set(ConfigKey.batchTimeout, configValue(batchTimeout));
  const restrictions = new orderer.ChannelRestrictions();
  restrictions.setMaxCount(profile.maxChannels ?? 0);
  values.set(ConfigKey.channelRestrictions, configValue(restrictions));
  if (capabilities.length > 0) values.set(ConfigKey.capabilities, capabilitiesValue(capabilities));

  const consenters: BftConsenter[] = profile.orgs.flatMap((org) =>
    org.consenter === undefined ? [] : [{ mspId: org.mspId, profile: org.consenter }],
  );
  const consensus = new orderer.ConsensusType();
  consensus.setType(profile.ordererType);
  consensus.setState(orderer.ConsensusType.State.STATE_NORMAL);
  if (profile.ordererType === 'etcdraft') {
    consensus.setMetadata(etcdraftMetadata(consenters.map((c) => c.profile)));
  } else if (profile.ordererType === 'BFT') {
    consensus.setMetadata(smartBftOptions());
    addBftConsenters(group, consenters);
  } else if (consenters.length > 0) {
    // The devnet orders alone; it stores an etcdraft-shaped consenter list (no options) so that
    // the set is governed, validated and read back as on an etcdraft channel (consenters.ts).
    const metadata = new orderer.etcdraft.ConfigMetadata();
    metadata.setConsentersList(consenters.map((c) => raftConsenter(c.profile)));
    consensus.setMetadata(metadata.serializeBinary());
  }
  values.set(ConfigKey.consensusType, configValue(consensus));

  for (const org of profile.orgs) if (inGroup(org, 'orderer')) group.getGroupsMap().set(org.mspId, ordererOrgGroup(org));
  return group;
}

function applicationGroup(profile: ChannelProfile, capabilities: readonly string[]): common.ConfigGroup {
  const group = newGroup();
  const policies = group.getPoliciesMap();
  policies.set(ConfigKey.readers, configPolicy(implicitMetaPolicy('ANY', ConfigKey.readers)));
  policies.set(ConfigKey.writers, configPolicy(implicitMetaPolicy('ANY', ConfigKey.writers)));
  policies.set(ConfigKey.admins, configPolicy(implicitMetaPolicy('MAJORITY', ConfigKey.admins)));
  policies.set(ConfigKey.endorsement, configPolicy(implicitMetaPolicy('MAJORITY', ConfigKey.endorsement)));
  policies.set(ConfigKey.lifecycleEndorsement, configPolicy(implicitMetaPolicy('MAJORITY', ConfigKey.endorsement)));
  if (capabilities.length > 0) group.getValuesMap().set(ConfigKey.capabilities, capabilitiesValue(capabilities));
  for (const org of profile.orgs) if (inGroup(org, 'application')) group.getGroupsMap().set(org.mspId, applicationOrgGroup(org));
  return group;
}

/**
 * The `Channel` config group for a profile, as configtxgen's NewChannelGroup builds it.
 * OrdererAddresses is written only without the V3_0 channel capability: Fabric v3 refuses global
 * orderer addresses with V3_0 and uses each orderer org's Endpoints instead.
 *
 * @param profile - the channel profile.
 * @returns the root group; every element at version 0.
 * @throws ConfigtxError (`CONFIGTX_BAD_PROFILE`) if the profile is invalid.
 */
export function buildChannelGroup(profile: ChannelProfile): common.ConfigGroup {
  validateProfile(profile);
  const capabilities = effectiveCapabilities(profile);
  const channel = newGroup();
  const policies = channel.getPoliciesMap();
  policies.set(ConfigKey.readers, configPolicy(implicitMetaPolicy('ANY', ConfigKey.readers)));
  policies.set(ConfigKey.writers, configPolicy(implicitMetaPolicy('ANY', ConfigKey.writers)));
  policies.set(ConfigKey.admins, configPolicy(implicitMetaPolicy('MAJORITY', ConfigKey.admins)));

  const values = channel.getValuesMap();
  const hashing = new common.HashingAlgorithm();
  hashing.setName(DEFAULT_HASHING_ALGORITHM);
  values.set(ConfigKey.hashingAlgorithm, configValue(hashing));
  const structure = new common.BlockDataHashingStructure();
  structure.setWidth(DEFAULT_BLOCK_DATA_HASHING_WIDTH);
  values.set(ConfigKey.blockDataHashingStructure, configValue(structure));
  const endpoints = profile.orgs.flatMap((org) => (org.ordererEndpoint === undefined ? [] : [org.ordererEndpoint]));
  if (!capabilities.channel.includes('V3_0') && endpoints.length > 0) {
    const addresses = new common.OrdererAddresses();
    addresses.setAddressesList(endpoints);
    values.set(ConfigKey.ordererAddresses, configValue(addresses, '/Channel/Orderer/Admins'));
  }
  if (capabilities.channel.length > 0) values.set(ConfigKey.capabilities, capabilitiesValue(capabilities.channel));

  channel.getGroupsMap().set(ConfigKey.ordererGroup, ordererGroup(profile, capabilities.orderer));
  channel.getGroupsMap().set(ConfigKey.applicationGroup, applicationGroup(profile, capabilities.application));
  return channel;
}

function timestampOf(date: Date): Timestamp {
  const timestamp = new Timestamp();
  // Fabric's MakeChannelHeader zeroes the nanoseconds.
  timestamp.setSeconds(Math.floor(date.getTime() / 1000));
  timestamp.setNanos(0);
  return timestamp;
}

/**
 * Builds a channel's genesis block (block 0) from a profile, as `configtxgen -outputBlock` does
 * for an application channel joined through the channel participation API.
 *
 * @param profile - the channel profile.
 * @param options - a fixed timestamp and nonce, for reproducible blocks.
 * @returns the block: header{number 0, previous_hash empty, data_hash}, one CONFIG envelope
 *   with ConfigEnvelope{Config{sequence 0, channel_group}} and no signature, and metadata slots
 *   SIGNATURES = Metadata{OrdererBlockMetadata{last_config 0}}, LAST_CONFIG = Metadata{LastConfig 0}.
 * @throws ConfigtxError (`CONFIGTX_BAD_PROFILE`) if the profile is invalid or the nonce is not 24 bytes.
 */
export function buildGenesisBlock(profile: ChannelProfile, options: Readonly<GenesisOptions> = {}): common.Block {
  const channelGroup = buildChannelGroup(profile);
  const nonce = options.nonce ?? new Uint8Array(randomBytes(NONCE_LENGTH));
  if (nonce.length !== NONCE_LENGTH) {
    throw new ConfigtxError(`invalid channel profile: nonce must be ${NONCE_LENGTH} bytes, got ${nonce.length}`, {
      code: 'CONFIGTX_BAD_PROFILE',
    });
  }

  const config = new common.Config();
  config.setSequence(0);
  config.setChannelGroup(channelGroup);
  const configEnvelope = new common.ConfigEnvelope();
  configEnvelope.setConfig(config);

  // configtxgen's genesis has no creator: the nonce alone makes the txid.
  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setNonce(nonce);
  const signatureHeaderBytes = signatureHeader.serializeBinary();
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.CONFIG);
  channelHeader.setVersion(0);
  channelHeader.setChannelId(profile.channelId);
  channelHeader.setEpoch(0);
  channelHeader.setTimestamp(timestampOf(options.timestamp ?? new Date()));
  channelHeader.setTxId(createHash('sha256').update(nonce).digest('hex'));
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeaderBytes);
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(configEnvelope.serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  const envelopeBytes = envelope.serializeBinary();

  const data = new common.BlockData();
  data.setDataList([envelopeBytes]);
  const blockHeader = new common.BlockHeader();
  blockHeader.setNumber(0);
  blockHeader.setPreviousHash(new Uint8Array(0));
  blockHeader.setDataHash(blockDataHash([envelopeBytes]));

  const block = new common.Block();
  block.setHeader(blockHeader);
  block.setData(data);
  block.setMetadata(lastConfigMetadata(0));
  return block;
}

/**
 * Block metadata for a block whose last config is at `lastConfigIndex`, unsigned: SIGNATURES
 * holds OrdererBlockMetadata{last_config} (where readers look first) and the deprecated
 * LAST_CONFIG slot holds LastConfig, as Fabric's block writer fills them; the other slots are empty.
 *
 * @param lastConfigIndex - the number of the latest config block.
 * @returns the metadata with its 5 slots.
 */
export function lastConfigMetadata(lastConfigIndex: number): common.BlockMetadata {
  const lastConfig = new common.LastConfig();
  lastConfig.setIndex(lastConfigIndex);
  const ordererMetadata = new common.OrdererBlockMetadata();
  ordererMetadata.setLastConfig(lastConfig);
  const signatures = new common.Metadata();
  signatures.setValue(ordererMetadata.serializeBinary());
  const lastConfigSlot = new common.Metadata();
  lastConfigSlot.setValue(lastConfig.serializeBinary());
  const slots: Uint8Array[] = Array.from({ length: METADATA_SLOTS }, () => new Uint8Array(0));
  slots[common.BlockMetadataIndex.SIGNATURES] = signatures.serializeBinary();
  slots[common.BlockMetadataIndex.LAST_CONFIG] = lastConfigSlot.serializeBinary();
  const metadata = new common.BlockMetadata();
  metadata.setMetadataList(slots);
  return metadata;
}
