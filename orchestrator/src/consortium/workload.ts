/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A steady workload on the primary channel: `Put(key, value)` on the assets chaincode at a
 * fixed rate, spread over the members' gateways, so that the twins have something to observe.
 */
import type { Contract } from '@hyperledger/fabric-gateway';

/** Options of {@link Workload}. */
export interface WorkloadOptions {
  /** The assets contract through each member's gateway; transactions go round-robin. */
  readonly contracts: readonly Contract[];
  /** Transactions per second. */
  readonly tps: number;
  /** Most transactions awaiting commit at once (excess ticks are skipped). Default 64. */
  readonly maxInFlight?: number;
  /** Key prefix. Default `load`. */
  readonly keyPrefix?: string;
  /** Called for each failed transaction (the workload carries on). */
  readonly onError?: (err: unknown) => void;
}

/** Counts of a workload. */
export interface WorkloadStats {
  readonly submitted: number;
  readonly committed: number;
  readonly failed: number;
  /** Submissions skipped because `maxInFlight` were pending. */
  readonly skipped: number;
}

const TICK_MS = 50;

/**
 * A paced workload: every 50 ms it submits what the rate owes, without waiting for commits.
 *
 * @example
 * const load = new Workload({ contracts, tps: 20 });
 * load.start();
 * const stats = await load.stop();
 */
export class Workload {
  private readonly options: Readonly<WorkloadOptions>;
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<void>>();
  private startedAtMs = 0;
  private due = 0;
  private submitted = 0;
  private committed = 0;
  private failed = 0;
  private skipped = 0;

  /** @throws Error for a negative rate or no contracts. */
  constructor(options: Readonly<WorkloadOptions>) {
    if (!(options.tps >= 0)) throw new Error(`workload rate must be >= 0 tx/s, got ${options.tps}`);
    if (options.contracts.length === 0) throw new Error('the workload needs at least one contract');
    this.options = options;
  }

  /** Starts submitting; a rate of 0 submits nothing. */
  start(): void {
    if (this.timer !== undefined || this.options.tps === 0) return;
    this.startedAtMs = Date.now();
    this.timer = setInterval(() => {
      this.tick();
    }, TICK_MS);
  }

  /** Stops submitting and waits for the transactions in flight. */
  async stop(): Promise<WorkloadStats> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.pending]);
    return this.stats();
  }

  /** The counts so far. */
  stats(): WorkloadStats {
    return { submitted: this.submitted, committed: this.committed, failed: this.failed, skipped: this.skipped };
  }

  private tick(): void {
    const owed = Math.floor(((Date.now() - this.startedAtMs) * this.options.tps) / 1000) - this.due;
    const maxInFlight = this.options.maxInFlight ?? 64;
    for (let i = 0; i < owed; i++) {
      this.due++;
      if (this.pending.size >= maxInFlight) {
        this.skipped++;
        continue;
      }
      const n = this.submitted++;
      const contract = this.options.contracts[n % this.options.contracts.length];
      const tx = this.submit(contract, `${this.options.keyPrefix ?? 'load'}-${n}`, String(Date.now())).finally(() => this.pending.delete(tx));
      this.pending.add(tx);
    }
  }

  private async submit(contract: Contract, key: string, value: string): Promise<void> {
    try {
      const commit = await contract.submitAsync('Put', { arguments: [key, value] });
      const status = await commit.getStatus();
      if (status.successful) this.committed++;
      else {
        this.failed++;
        this.options.onError?.(new Error(`transaction ${status.transactionId} committed with code ${status.code}`));
      }
    } catch (err) {
      this.failed++;
      this.options.onError?.(err);
    }
  }
}
