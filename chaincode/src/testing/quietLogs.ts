/*
 * SPDX-License-Identifier: Apache-2.0
 */

// fabric-contract-api logs every decorator at info level and every refusal at error level; tests
// assert refusals themselves. CRITICAL maps to winston's 'fatal', which nothing logs at. Import this
// module before anything that loads fabric-contract-api.
process.env.CORE_CHAINCODE_LOGGING_LEVEL = process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'CRITICAL';

export {};
