/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The management node (Algorithm 1) and what it needs: the management chaincode as a typed
 * ledger (the client and its errors live in ../mgmtClient), the member's vote signer, genesis input.
 */
export { ManagementNode, safeReason } from './managementNode';
export type { ManagementNodeEvents, ManagementNodeOptions, ManagementNodeStatus, NodeLogger } from './managementNode';
export type { NodeEvent, NodeEventType, NodeStep, NodeTracer, StepFields } from './events';
export { cycleKey, plan } from './plan';
export type { Action, Plan, PlanInput, PlanMemory, TallyVerdict } from './plan';
export { fetchBlocks } from './ledger';
export type { DecodedEvent, EventStream, EventStreamOptions, MgmtEvent, MgmtLedger, TallyResult } from './ledger';
export { decodeEvent, FabricMgmtLedger } from './fabricLedger';
export type { FabricMgmtLedgerOptions } from './fabricLedger';
export {
  CONFLICT_VALIDATION_CODES,
  isConflict,
  isRefusal,
  LedgerCallError,
  LedgerUnavailableError,
  MgmtRefusalError,
  toLedgerError,
  TransactionInvalidError,
} from '../mgmtClient/errors';
export type { LedgerCallErrorProperties, LedgerStep } from '../mgmtClient/errors';
export { MspReadError, readCertificatePem, readPrivateKeyPem, voteSignerFromKey, voteSignerFromMsp } from './identity';
export type { VoteSigner } from './identity';
export { genesisInput, membersFromConnection } from './genesis';
export type { GenesisInput, GenesisOptions } from './genesis';
export { Backoff, systemClock } from './clock';
export type { Clock, TimerHandle } from './clock';
