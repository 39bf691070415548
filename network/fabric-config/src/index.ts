/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Hyperledger Fabric channel configuration and identities, for any client of a Fabric network
 * and for the devnet: everything of `fabric-config/configtx`, `fabric-config/msp`,
 * `fabric-config/crypto` and `fabric-config/connection`. Test fixtures are `fabric-config/testing`.
 */
export * from './configtx';
export * from './connection';
export * from './crypto';
export * from './msp';
