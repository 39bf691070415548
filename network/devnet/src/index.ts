/*
 * SPDX-License-Identifier: Apache-2.0
 */
import 'reflect-metadata';

export { Devnet, DevnetError, DEFAULT_BATCH_TIMEOUT, DEFAULT_MAX_MESSAGE_COUNT } from './devnet';
export type { DevnetOptions } from './devnet';
export { CONNECTION_FILE_VERSION } from './connectionProfile';
export type { ConnectionFile, MemberConnection, EndpointInfo } from './connectionProfile';
export { DEFAULT_BASE_PORT, orgTopology, adminPort } from './topology';
