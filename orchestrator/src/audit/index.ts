/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt audit`: verifies the management chain and the primary channel's config history against
 * each other. Pure parts (verifyChain, audit, diff, exportFormat, render, primary's decoding)
 * are separate from the I/O edge (collect).
 */
export { auditEvidence, checkMembersAnchored, checkPrimaryConfigs } from './audit';
export type { AuditOptions } from './audit';
export { collectEvidence, GET_BLOCKS_PAGE, MANAGEMENT_CHAINCODE, openEvidenceSources, readManagementChain } from './collect';
export type { ChannelBlockFetcher, EvaluateQuery, EvidenceSources, OpenSources } from './collect';
export { describeChanges, diffConfig } from './diff';
export { AuditError } from './errors';
export type { AuditErrorCode } from './errors';
export { AUDIT_EXPORT_FORMAT, AUDIT_EXPORT_VERSION, buildExport, parseExport, serializeExport } from './exportFormat';
export type { AuditExport } from './exportFormat';
export { decodePrimaryConfigBlock, scanConfigBlocks } from './primary';
export type { BlockFetcher, ScanConfigBlocksOptions } from './primary';
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
  PrimaryConfigRecord,
} from './types';
export { verifyManagementChain } from './verifyChain';
export type { ChainVerification, VerifyManagementChainOptions } from './verifyChain';
