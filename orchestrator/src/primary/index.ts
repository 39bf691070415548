/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The primary side of the mechanism: Algorithm 2 for one node (PrimaryNodeRuntime), the seam to
 * the chain being reconfigured (PrimaryChainAdapter), and the Fabric `primary` channel behind it
 * (FabricPrimaryAdapter: majority-signed channel config updates linked to their CB, the link
 * being the update envelope's tx_id: managementLink).
 */
export type { ApplyContext, ApplyOutcome, ApplyResult, PrimaryChainAdapter } from './adapter';
export { channelModelOfCb, consensusTypeOf } from './cbModel';
export { channelCheck, channelRefusal, readChannelConfig, readLiveChannelModel } from './channelCheck';
export type { ChannelCheckSource } from './channelCheck';
export { PrimaryError } from './errors';
export type { PrimaryErrorCode, PrimaryErrorOptions } from './errors';
export { FabricPrimaryAdapter, describeWaiting } from './fabricAdapter';
export { MANAGEMENT_LINK_PREFIX, managementLinkTxId, readManagementLink } from './managementLink';
export type { ManagementLink } from './managementLink';
export type { ChannelConfigState, FabricPrimaryAdapterEvents, FabricPrimaryAdapterOptions, ManagementChannel, PrimaryChannelEvents } from './fabricAdapter';
export { PrimaryNodeRuntime } from './runtime';
export type { AppliedConfiguration, PrimaryNodeRuntimeOptions, PrimaryRuntimeEvents, ReceiveHints } from './runtime';
