/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt audit`: verifies the management chain and the primary channel's config history against
 * each other. Pure parts (verifyChain, audit, governance, heads, blockEvidence, diff, exportFormat,
 * render, primary's decoding) are separate from the I/O edge (collect).
 */
export { auditEvidence, checkMembersAnchored, checkPrimaryConfigs, NO_CONFIG_NOTICE, NO_HEAD_EVIDENCE_NOTICE } from './audit';
export type { AuditOptions, PrimaryCheckContext, PrimaryConfigsCheck } from './audit';
export {
  BlockProblem,
  cbWritesOf,
  checkChannel,
  checkDataHash,
  checkHashLink,
  checkOrdererSignatures,
  decodeBlock,
  latestEnvelopeTime,
  ordererTrust,
} from './blockEvidence';
export type { CbWrite, OrdererOrg, OrdererTrust, SignedMetadata } from './blockEvidence';
export {
  collectEvidence,
  GET_BLOCKS_PAGE,
  MANAGEMENT_CHAINCODE,
  MAX_TAIL_BLOCKS,
  openEvidenceSources,
  readManagementChain,
  readManagementTail,
} from './collect';
export type { ChannelBlockFetcher, CollectOptions, EvaluateQuery, EvidenceSources, OpenSources } from './collect';
export { describeChanges, diffConfig } from './diff';
export { AuditError } from './errors';
export { BATCH_TIMEOUT_PATH, changeText, governPrimaryConfigs, MAX_MESSAGE_COUNT_PATH, valueText } from './governance';
export type { BlockGovernance, GovernanceInput } from './governance';
export type { AuditErrorCode } from './errors';
export { AUDIT_EXPORT_FORMAT, AUDIT_EXPORT_VERSION, AUDIT_EXPORT_VERSIONS, buildExport, parseExport, serializeExport } from './exportFormat';
export type { AuditExport } from './exportFormat';
export { checkSignedBlocks, classifyPrimary, DEFAULT_GRACE_SECONDS } from './heads';
export type { ClassifyOptions, SignedBlocksCheck } from './heads';
export { createOpenSslVerifier, openSslVerifier } from './opensslVerifier';
export type { OpenSslVerifierOptions } from './opensslVerifier';
export { decodePrimaryConfigBlock, scanConfigBlockChain, scanConfigBlocks } from './primary';
export type { BlockFetcher, ConfigBlockChain, ScanConfigBlocksOptions } from './primary';
export { CSV_COLUMNS, formatFault, renderCsv, renderTable } from './render';
export type {
  AuditedBlock,
  AuditedPrimaryConfig,
  AuditEvidence,
  AuditFault,
  AuditFaultCode,
  AuditReport,
  CbLink,
  CbStatus,
  ChannelMsp,
  ConfigChange,
  HeadsSummary,
  InForceSummary,
  PrimaryChange,
  PrimaryConfigRecord,
  PrimaryStatus,
  SignedBlocks,
} from './types';
export { defaultAuditWorkers } from './signatureWorkers';
export { PARALLEL_AUDIT_THRESHOLD, verifyManagementChain } from './verifyChain';
export type { ChainVerification, VerifyManagementChainOptions } from './verifyChain';
