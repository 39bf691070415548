/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Private data collections on the devnet: one object the endorser, the gateway, discovery and the
 * committer share, since one process plays every peer (the registry of collections, each peer's
 * transient store, the commit side).
 */
import type { Channel } from '../channel';
import type { LedgerStore } from '../ledger/store';
import { PrivateDataCommitter } from './commit';
import { CollectionRegistry } from './registry';
import { TransientStore } from './transientStore';

export { BlockPrivateData, PrivateDataCommitter } from './commit';
export { CollectionRegistry } from './registry';
export { TransientStore } from './transientStore';
export type { PrivateContext, PrivateSummary } from './simulation';

export class PrivateData {
  readonly registry = new CollectionRegistry();
  readonly transient = new TransientStore();
  readonly committer: PrivateDataCommitter;

  constructor(store: LedgerStore, channels: ReadonlyMap<string, Channel>) {
    this.committer = new PrivateDataCommitter(store, this.registry, this.transient, channels);
  }
}
