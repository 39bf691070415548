/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The health checks of `mgmt node`: its peer answers, its chaincode-event stream is live, its
 * observer keeps up with the chain, and the latest CB is in force on `primary` (or recently sealed).
 */
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import { cachedCheck } from './health';
import type { HealthCheck } from './health';
import type { StreamState } from './streamWatch';

/** Defaults of the checks. */
export const NODE_CHECK_DEFAULTS = {
  /** Deadline of the peer probe, ms. */
  peerDeadlineMs: 2000,
  /** How long a peer probe's answer is reused, ms. */
  peerCacheMs: 5000,
  /** CBs the observer may be behind the chain before the node is unhealthy. */
  maxObserverLag: 2,
  /** How long a sealed CB may take to be in force on primary before the node is unhealthy, ms. */
  applyGraceMs: 120_000,
} as const;

/**
 * The peer answers: `probe` (a cheap call, e.g. waiting for the gRPC channel to be ready) within
 * `deadlineMs`; its answer is reused for `cacheMs`.
 */
export function peerCheck(options: {
  /** `peer` by default; `orderer` for a signer, which has no peer. */
  readonly component?: string;
  readonly endpoint: string;
  readonly probe: (deadlineMs: number) => Promise<void>;
  readonly deadlineMs?: number;
  readonly cacheMs?: number;
  readonly clock?: () => number;
}): HealthCheck {
  const deadlineMs = options.deadlineMs ?? NODE_CHECK_DEFAULTS.peerDeadlineMs;
  const check: HealthCheck = {
    component: options.component ?? 'peer',
    check: async () => {
      try {
        await options.probe(deadlineMs);
        return undefined;
      } catch (err) {
        return `${options.component ?? 'peer'} ${options.endpoint} unreachable within ${deadlineMs} ms: ${messageOf(err)}`;
      }
    },
  };
  return cachedCheck(check, options.cacheMs ?? NODE_CHECK_DEFAULTS.peerCacheMs, options.clock);
}

/** The node's chaincode-event stream is connected. */
export function eventStreamCheck(state: () => StreamState, clock: () => number = Date.now): HealthCheck {
  return {
    component: 'eventStream',
    check: () => {
      const s = state();
      if (s.connected) return undefined;
      return `${s.reason} (down for ${Math.round((clock() - s.sinceMs) / 1000)} s; the node reopens it with backoff)`;
    },
  };
}

/**
 * The observer has verified the chain up to at most `maxLag` CBs below the node's height. An
 * observer not started yet (waiting for genesis) counts as at height -1.
 */
export function observerLagCheck(options: {
  readonly chainHeight: () => number;
  readonly verifiedHeight: () => number | undefined;
  readonly maxLag?: number;
}): HealthCheck {
  const maxLag = options.maxLag ?? NODE_CHECK_DEFAULTS.maxObserverLag;
  return {
    component: 'observer',
    check: () => {
      const chain = options.chainHeight();
      const verified = options.verifiedHeight() ?? -1;
      const lag = chain - verified;
      if (lag <= maxLag) return undefined;
      return `observer lags ${lag} CBs (verified ${verified}, chain ${chain}; at most ${maxLag} allowed)`;
    },
  };
}

/**
 * The latest CB is in force on `primary`, or every CB not yet in force was sealed less than
 * `graceMs` ago (putting one in force takes a round boundary and a majority of signatures).
 */
export function inForceCheck(options: {
  readonly chainHeight: () => number;
  /** Height in force on primary, undefined before the first apply (or before the runtime starts). */
  readonly inForceHeight: () => number | undefined;
  /** When this node first saw the CB at `height` sealed, epoch ms. */
  readonly sealedAtMs: (height: number) => number | undefined;
  readonly graceMs?: number;
  readonly clock?: () => number;
}): HealthCheck {
  const graceMs = options.graceMs ?? NODE_CHECK_DEFAULTS.applyGraceMs;
  const clock = options.clock ?? Date.now;
  return {
    component: 'primary',
    check: () => {
      const chain = options.chainHeight();
      const inForce = options.inForceHeight() ?? -1;
      if (chain < 0 || inForce >= chain) return undefined;
      // The oldest CB still waiting; a newer one in force would have passed it.
      const waitingSince = options.sealedAtMs(inForce + 1) ?? options.sealedAtMs(chain);
      if (waitingSince === undefined) return undefined;
      const waitedMs = clock() - waitingSince;
      if (waitedMs <= graceMs) return undefined;
      return `CB ${chain} sealed but ${inForce < 0 ? 'no CB is' : `CB ${inForce} is still what is`} in force on primary after ${Math.round(waitedMs / 1000)} s (grace ${Math.round(graceMs / 1000)} s)`;
    },
  };
}
