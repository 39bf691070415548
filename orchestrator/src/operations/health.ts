/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Health checks in the shape of Fabric's operations service (`/healthz`): every check runs on
 * each request, all of them at once, each bounded by a deadline; the answer is 200
 * `{"status":"OK","time":…}` or 503 `{"status":"Service Unavailable","time":…,"failed_checks":
 * [{"component":…,"reason":…}]}`.
 */
import { messageOf } from 'mgmt-chaincode/dist/protocol';

/** A failing check says why; a passing one says nothing. */
export type CheckResult = string | undefined;

/** One health check. */
export interface HealthCheck {
  /** Names the checked part in `failed_checks`, e.g. `peer`. */
  readonly component: string;
  /** Why the part is unhealthy, or undefined; a throw counts as a failure with its message. */
  check(): CheckResult | Promise<CheckResult>;
}

/** A failed check as `/healthz` reports it. */
export interface FailedCheck {
  readonly component: string;
  readonly reason: string;
}

/** The body of a `/healthz` answer. */
export type HealthStatus =
  | { readonly status: 'OK'; readonly time: string }
  | { readonly status: 'Service Unavailable'; readonly time: string; readonly failed_checks: readonly FailedCheck[] };

/** Longest a single check may take before it counts as failed, ms. */
export const DEFAULT_CHECK_TIMEOUT_MS = 5000;

async function run(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(() => check.check()),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => { resolve(`no answer within ${timeoutMs} ms`); }, timeoutMs);
      }),
    ]);
  } catch (err) {
    return `the check failed: ${messageOf(err)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check at once and folds the results into Fabric's `/healthz` body. */
export async function runHealthChecks(checks: readonly HealthCheck[], options: { readonly timeoutMs?: number; readonly now?: () => number } = {}): Promise<HealthStatus> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const results = await Promise.all(checks.map(async (c) => ({ component: c.component, reason: await run(c, timeoutMs) })));
  const time = new Date((options.now ?? Date.now)()).toISOString();
  const failed = results.filter((r): r is FailedCheck => r.reason !== undefined);
  return failed.length === 0 ? { status: 'OK', time } : { status: 'Service Unavailable', time, failed_checks: failed };
}

/**
 * A check whose answer is kept for `ttlMs`, so that a scraper polling `/healthz` often does not
 * turn into as many calls to the peer; concurrent requests share one run.
 */
export function cachedCheck(check: HealthCheck, ttlMs: number, now: () => number = Date.now): HealthCheck {
  let cached: { readonly at: number; readonly result: Promise<CheckResult> } | undefined;
  return {
    component: check.component,
    check: () => {
      const t = now();
      if (cached === undefined || t - cached.at >= ttlMs) {
        cached = { at: t, result: Promise.resolve().then(() => check.check()).catch((err: unknown) => `the check failed: ${messageOf(err)}`) };
      }
      return cached.result;
    },
  };
}
