/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The project's local-endpoint rules, shared with the orchestrator's operations endpoint: they
 * live in fabric-config (fabric-config/localEndpoint); this module keeps the devnet's imports.
 */
export * from 'fabric-config/localEndpoint';
