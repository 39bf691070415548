/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { EventEmitter } from 'node:events';
import type { CommitResult } from '../ledger/committer';
import type { LedgerStore, TxRecord } from '../ledger/store';

/** Resolves commit-status requests when their transaction commits (or at once if it already has). */
export class CommitWaiter {
  private readonly waiting = new Map<string, Set<(r: TxRecord) => void>>();

  constructor(
    private readonly store: LedgerStore,
    commits: EventEmitter,
  ) {
    commits.on('block', (channelId: string, result: CommitResult) => {
      const blockNum = result.block.getHeader()?.getNumber() ?? 0;
      for (const tx of result.txs) {
        const key = `${channelId}\u0000${tx.txId}`;
        const listeners = this.waiting.get(key);
        if (!listeners) continue;
        this.waiting.delete(key);
        for (const l of listeners) l({ blockNum, txNum: tx.txNum, validationCode: tx.validationCode });
      }
    });
  }

  async wait(channelId: string, txId: string, signal: AbortSignal): Promise<TxRecord | undefined> {
    const key = `${channelId}\u0000${txId}`;
    let resolveFn: (r: TxRecord | undefined) => void = () => undefined;
    const result = new Promise<TxRecord | undefined>((resolve) => {
      resolveFn = resolve;
    });
    // Subscribe before looking the tx up, so a commit in between is not missed.
    const listeners = this.waiting.get(key) ?? new Set();
    listeners.add(resolveFn);
    this.waiting.set(key, listeners);
    const cleanup = (): void => {
      listeners.delete(resolveFn);
      if (listeners.size === 0 && this.waiting.get(key) === listeners) this.waiting.delete(key);
    };
    signal.addEventListener('abort', () => {
      cleanup();
      resolveFn(undefined);
    });
    const existing = await this.store.getTx(channelId, txId);
    if (existing) {
      cleanup();
      return existing;
    }
    return result;
  }
}
