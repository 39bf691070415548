/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Test fixtures (`fabric-config/testing`): member crypto, the devnet's channel profile, and config
 * updates accepted as an orderer would. For tests only.
 */
export { acceptConfigUpdate } from './configUpdates';
export type { AcceptedConfigUpdate } from './configUpdates';
export { generateTestOrgs, testChannelProfile } from './orgs';
export { signedEnvelope, signerOf, withBatch } from './configEdits';
export type { BatchEdit } from './configEdits';
