/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Fabric's block cutter rules (orderer/common/blockcutter): cut when the batch reaches
 * MaxMessageCount, when a message would push it past PreferredMaxBytes (an oversized message goes
 * alone in its own batch), or when BatchTimeout has passed since the first pending message.
 */
import type { BatchSizeParams } from 'fabric-config/configtx';

export class BlockCutter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  /** Adds a message; returns the batches that are complete now (zero, one or two). */
  ordered(message: Uint8Array, params: BatchSizeParams): Uint8Array[][] {
    const batches: Uint8Array[][] = [];
    if (message.length > params.preferredMaxBytes) {
      if (this.pending.length > 0) batches.push(this.cut());
      batches.push([message]);
      return batches;
    }
    if (this.pendingBytes + message.length > params.preferredMaxBytes && this.pending.length > 0) {
      batches.push(this.cut());
    }
    this.pending.push(message);
    this.pendingBytes += message.length;
    if (this.pending.length >= params.maxMessageCount) batches.push(this.cut());
    return batches;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  cut(): Uint8Array[] {
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    return batch;
  }
}
