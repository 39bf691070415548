/*
 * SPDX-License-Identifier: Apache-2.0
 */

// fabric-contract-api logs every decorator at info level; tests only want errors. Import this
// module before anything that loads fabric-contract-api.
process.env.CORE_CHAINCODE_LOGGING_LEVEL = process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'ERROR';

export {};
