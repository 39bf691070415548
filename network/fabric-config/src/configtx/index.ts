/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Channel configuration, as Fabric's configtxgen, configtxlator and configtx validator handle it:
 * genesis blocks from a profile, reading config blocks, the policy engine, config updates and
 * whether their signatures authorise them. Pure: no I/O, no clock except default timestamps and
 * random nonces.
 */
export { ACLS_KEY, ACL_APPLICATION_CAPABILITIES, DEFAULT_CHANNEL_ACLS, PEER_WIDE_ACL_RESOURCES, aclPolicyFor, applicationAllowsAcls, configuredAcls } from './aclDefaults';
export type { AclPolicy } from './aclDefaults';
export { authorisationError, checkUpdateAuthorised, decodeConfigUpdateEnvelope, updateRequirements } from './authorisation';
export type { DecodedConfigUpdate, UpdateAuthorisation, UpdateAuthorised, UpdateNotAuthorised, UpdateRequirement } from './authorisation';
export { withBatchParams } from './batch';
export type { BatchChange } from './batch';
export {
  CHANNEL_MODEL_VERSION,
  aclPolicyPath,
  channelModelDifferences,
  channelModelProblems,
  channelModelUpdate,
  isChannelModel,
  modelLeaves,
  parseChannelModel,
  readChannelModel,
  withChannelModel,
} from './channelModel';
export type {
  AnchorPeerModel,
  ApplicationModel,
  ChannelModel,
  EtcdraftOptionsModel,
  LevelModel,
  ModelDifference,
  ModelLeaf,
  OrdererModel,
  OrganizationEntryModel,
  PoliciesModel,
  SmartBftOptionsModel,
} from './channelModel';
export { blockDataHash, blockHeaderBytes, blockHeaderHash } from './blockHash';
export type { BlockHeaderLike } from './blockHash';
export { configLeaves, diffConfigs, shortHash } from './configDiff';

export { bftBlockValidationPolicy, canonicalConsenters, consenterChangeProblems, consenterText, consentersShapeProblems, etcdraftOptionsProblem, readConsenters, writeConsenters } from './consenters';
export type { ConsenterModel } from './consenters';
export type { ConfigChange, ConfigChangeKind, DiffValue } from './configDiff';
export { configAfterUpdate, deltaSet, elementKey, elementModPolicy, elementVersion, mapConfig, modPolicyPath, updateError } from './configMap';
export type { ConfigElement, ConfigElementKind } from './configMap';
export {
  decodeConfigBlock,
  configFromBlock,
  readBatchParams,
  readConfigBlock,
  readLastConfigIndex,
  readMsps,
  viewChannelConfig,
} from './decode';
export type { BatchParams, ChannelConfigView, ConfigBlockContent, OrgView, PolicyView } from './decode';
export { formatGoDuration, formatGoDurationNanos, parseGoDuration, parseGoDurationNanos } from './duration';
export { ConfigtxError, ConfigUpdateError } from './errors';
export type { ConfigtxErrorCode, ConfigtxErrorOptions, ConfigUpdateErrorCode, ConfigUpdateErrorOptions } from './errors';
export { buildChannelGroup, buildGenesisBlock, fabricMspConfig, lastConfigMetadata } from './genesis';
export type { FabricMspInput, GenesisOptions } from './genesis';
export { ConfigKey, DEFAULT_BLOCK_DATA_HASHING_WIDTH, DEFAULT_HASHING_ALGORITHM } from './keys';
export {
  defaultOrganizationPolicies,
  organizationGroup,
  organizationGroupsOf,
  organizationProblems,
  parseOrganization,
  readOrganization,
  withOrganization,
  withoutOrganization,
} from './organization';
export type { OrganizationGroup, OrganizationGroups, OrganizationModel } from './organization';
export {
  describeSignaturePolicy,
  envelopeSignedData,
  evaluatePolicy,
  evaluatePolicyForIdentities,
  evaluateSignaturePolicy,
  hasPolicy,
  implicitMetaPolicy,
  nOutOf,
  nOutOfPeers,
  policySignerMspIds,
  resolvePolicyPath,
  signaturePolicy,
  validIdentities,
} from './policy';
export type { ImplicitMetaRule, PolicyResult, RolePrincipal, SignedData } from './policy';
export {
  formatPolicy,
  formatSignaturePolicy,
  parseImplicitMetaRule,
  parseSignaturePolicy,
  policyFromModel,
  policyModelProblem,
  policyToModel,
  signaturePolicyMspIds,
} from './policyExpression';
export type { PolicyModel } from './policyExpression';
export {
  DEFAULT_CAPABILITIES,
  DEVNET_CONSENSUS_TYPE,
  MAX_ABSOLUTE_MAX_BYTES,
  SUPPORTED_CAPABILITIES,
  batchSizeProblem,
  batchTimeoutProblem,
  capabilitiesProblem,
  channelIdProblem,
  configIdProblem,
  validateProfile,
} from './profile';
export type { BatchSizeParams, CapabilitiesProfile, ChannelProfile, ConsenterProfile, OrdererType, OrgProfile } from './profile';
export { buildConfigUpdateEnvelope, computeUpdate, signConfigUpdate } from './update';
export type { ComputeUpdateOptions, ConfigUpdateEnvelopeOptions } from './update';

export { chaincodeProposal } from './proposal';
export type { ProposalSigner, SignedChaincodeProposal } from './proposal';
