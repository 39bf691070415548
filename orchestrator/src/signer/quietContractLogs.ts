/*
 * SPDX-License-Identifier: Apache-2.0
 */

// The replica runs the management contract's queries in this process, and fabric-contract-api logs
// every decorator at info level when the contract's module loads: noise on a signer's terminal.
// Imported before anything that loads fabric-contract-api; an operator's own setting wins.
process.env.CORE_CHAINCODE_LOGGING_LEVEL = process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'CRITICAL';

export {};
