/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The pure protocol core: no I/O and no Fabric imports, shared by the chaincode, the
 * orchestrator and the simulator (`import { verifyChain } from 'mgmt-chaincode/dist/protocol'`).
 */

export * from './agreement';
export * from './canonicalJson';
export * from './certificates';
export * from './config';
export * from './contractInterface';
export * from './cryptoVerifier';
export * from './errors';
export * from './hash';
export * from './members';
export * from './membership';
export * from './params';
export * from './proposer';
export * from './quorum';
export * from './reconfiguration';
export * from './round';
export * from './signatures';
export * from './tally';
export * from './time';
export * from './types';
export * from './updateSignatures';
export * from './verifyBlock';
