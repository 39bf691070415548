/*
 * SPDX-License-Identifier: Apache-2.0
 */
export { ManagementReplica } from './managementReplica';
export type { ManagementReplicaOptions } from './managementReplica';
export { startSigner } from './signer';
export type { RunningSigner, SignerOptions } from './signer';
