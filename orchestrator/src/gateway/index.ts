/*
 * SPDX-License-Identifier: Apache-2.0
 */
export { ConnectionSetupError } from './connect';
export { managementChaincodeOf, readConnectionFile, CONNECTION_FILE_VERSION } from './connectionFile';
export type { ConnectionFile, MemberConnection, EndpointInfo, SignerConnection } from './connectionFile';
export { connectGateway, newGrpcConnection, newIdentity, newSigner, DEFAULT_DEADLINES } from './connect';
export type { Role } from './connect';
