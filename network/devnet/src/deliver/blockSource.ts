/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { common } from '@hyperledger/fabric-protos';
import type { EventEmitter } from 'node:events';
import type { LedgerStore } from '../ledger/store';

/** Committed blocks of a channel, and a way to wait for the next ones. */
export class BlockSource {
  constructor(
    private readonly store: LedgerStore,
    private readonly commits: EventEmitter,
  ) {}

  height(channel: string): Promise<number> {
    return this.store.height(channel);
  }

  async block(channel: string, num: number): Promise<common.Block | undefined> {
    const bytes = await this.store.getBlockBytes(channel, num);
    return bytes ? common.Block.deserializeBinary(bytes) : undefined;
  }

  /** Resolves once the channel's height exceeds `num`, or with false when `signal` aborts. */
  async waitFor(channel: string, num: number, signal: AbortSignal): Promise<boolean> {
    if ((await this.store.height(channel)) > num) return true;
    return new Promise<boolean>((resolve) => {
      const onBlock = (channelId: string): void => {
        if (channelId !== channel) return;
        void this.store.height(channel).then((h) => {
          if (h > num) done(true);
        });
      };
      const onAbort = (): void => { done(false); };
      const done = (value: boolean): void => {
        this.commits.off('block', onBlock);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      if (signal.aborted) {
        resolve(false);
        return;
      }
      this.commits.on('block', onBlock);
      signal.addEventListener('abort', onAbort);
      // The block may have landed between the height check and the subscription.
      onBlock(channel);
    });
  }
}
