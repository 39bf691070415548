/*
 * SPDX-License-Identifier: Apache-2.0
 */
import 'reflect-metadata';

export { Devnet, DevnetError, DEFAULT_BATCH_TIMEOUT, DEFAULT_MAX_MESSAGE_COUNT, DEVNET_CONSENSUS_TYPES } from './devnet';
export type { AddedPeerStatus, DevnetConsensusType, DevnetOptions } from './devnet';
export type { AddPeerRequest } from './peers/request';
export { CONNECTION_FILE_VERSION } from 'fabric-config/connection';
export type { ConnectionFile, MemberConnection, EndpointInfo } from 'fabric-config/connection';
export { DEFAULT_BASE_PORT, orgTopology, adminPort } from './topology';
export { AdminApiError, adminEndpointFrom, adminEndpointOf, adminRequest } from './admin/client';
export type { AdminEndpoint } from './admin/client';
export { isProcessAlive } from './chaincode/leftovers';
export { buildChaincodePackage, packageIdOf, parseChaincodePackage, PackageError } from './lifecycle/chaincodePackage';
export type { ChaincodePackage } from './lifecycle/chaincodePackage';
export { endorsedTransaction, lifecycleProposal } from './lifecycle/client';
export type { LifecycleProposal } from './lifecycle/client';
