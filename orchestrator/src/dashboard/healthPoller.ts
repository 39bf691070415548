/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Polls each member node's `/healthz` (orchestrator/src/operations/health.ts: 200, or 503 with
 * `failed_checks`) for the live dashboard. One loop per member: the next request is scheduled
 * only once the previous one ended, so at most one is in flight per member, and a slow endpoint
 * delays only its own member. node:http rather than fetch(): operations endpoints refuse the
 * Sec-Fetch-* headers fetch() sends.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { HealthTarget } from './healthTargets';
import type { FailedHealthCheck, NodeHealth } from './types';

/** Defaults of {@link startHealthPoller}. */
export const HEALTH_POLL_DEFAULTS = {
  everyMs: 5000,
  /** Above the node's own peer probe (2 s), which a 503 for a lost peer waits for. */
  timeoutMs: 4000,
} as const;

/** A `/healthz` answer larger than this is not one (the node's is a few hundred bytes). */
const MAX_BODY_BYTES = 64 * 1024;
/** What of a 503 body the page gets: enough to read, not enough to flood it. */
const MAX_CHECKS = 20;
const MAX_TEXT = 500;

/** The timers the poller uses; tests count them. */
export interface PollTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const REAL_TIMERS: PollTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => { clearTimeout(handle as NodeJS.Timeout); },
};

export interface HealthPollerOptions {
  readonly targets: readonly HealthTarget[];
  /** Milliseconds from the end of one request to the start of the next, per member. */
  readonly everyMs?: number;
  /** Milliseconds a request may take, answer included, before the node counts as unreachable. */
  readonly timeoutMs?: number;
  /** Called after each request with the member's health (also when it did not change). */
  readonly onResult?: (mspId: string, health: NodeHealth) => void;
  readonly timers?: PollTimers;
  readonly now?: () => number;
}

export interface HealthPoller {
  /** The latest health of each polled member (a member before its first answer has no `checkedAt`). */
  snapshot(): ReadonlyMap<string, NodeHealth>;
  /** Stops every loop, aborts requests in flight and waits for them; no timer is left. Idempotent. */
  stop(): Promise<void>;
}

type Verdict = Pick<NodeHealth, 'state' | 'failedChecks' | 'error'>;

/** An error's message; by shape, not instanceof, as errors of node:net may come from another realm (jest's VM). */
function errorText(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message !== '' ? message : String(err);
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

function failedChecksOf(body: string): FailedHealthCheck[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const list = parsed !== null && typeof parsed === 'object' ? (parsed as { failed_checks?: unknown }).failed_checks : undefined;
  if (!Array.isArray(list)) return undefined;
  const checks: FailedHealthCheck[] = [];
  for (const item of list.slice(0, MAX_CHECKS)) {
    const { component, reason } = (item ?? {}) as { component?: unknown; reason?: unknown };
    if (typeof component !== 'string' || typeof reason !== 'string') return undefined;
    checks.push({ component: clip(component), reason: clip(reason) });
  }
  return checks;
}

/**
 * What an answer of `/healthz` says. 200 counts only with Fabric's body (`"status":"OK"`), so
 * that another service on the port is not taken for a healthy node.
 */
export function verdictOfAnswer(status: number, body: string): Verdict {
  if (status === 200) {
    let ok = false;
    try {
      ok = (JSON.parse(body) as { status?: unknown } | null)?.status === 'OK';
    } catch {
      // Not JSON: below.
    }
    return ok ? { state: 'healthy' } : { state: 'unreachable', error: 'answered 200 without /healthz JSON ({"status":"OK"}): is this an operations endpoint?' };
  }
  if (status === 503) {
    const checks = failedChecksOf(body);
    return checks === undefined
      ? { state: 'unhealthy', failedChecks: [], error: 'answered 503 without a readable failed_checks list' }
      : { state: 'unhealthy', failedChecks: checks };
  }
  let detail = '';
  try {
    const error = (JSON.parse(body) as { error?: unknown } | null)?.error;
    if (typeof error === 'string') detail = `: ${clip(error)}`;
  } catch {
    // No JSON error to quote.
  }
  return { state: 'unreachable', error: `answered HTTP ${status}${detail}` };
}

/** One GET of a target's `/healthz`; `abort` ends it early (the promise then rejects). */
function request(target: HealthTarget, timeoutMs: number, timers: PollTimers): { readonly answer: Promise<{ status: number; body: string }>; readonly abort: () => void } {
  let req: http.ClientRequest | undefined;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const get = target.url.protocol === 'https:' ? https.get : http.get;
    // agent: false: one connection per request, closed after it, so that stop() leaves no socket.
    const options: https.RequestOptions = { agent: false, headers: { accept: 'application/json' }, ...target.tls };
    const deadline = timers.set(() => { req?.destroy(new Error(`no answer within ${timeoutMs} ms`)); }, timeoutMs);
    const settle = (fn: () => void): void => {
      timers.clear(deadline);
      fn();
    };
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req?.destroy(new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes: not /healthz`));
        else chunks.push(chunk);
      });
      res.on('end', () => { settle(() => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }); }); });
      res.on('error', (err) => { settle(() => { reject(err); }); });
    };
    try {
      req = get(target.url, options, onResponse);
    } catch (err) {
      settle(() => { reject(err instanceof Error ? err : new Error(String(err))); });
      return;
    }
    req.on('error', (err) => { settle(() => { reject(err); }); });
  });
  return { answer, abort: () => { req?.destroy(new Error('stopped')); } };
}

/**
 * Starts polling every target at once, then every `everyMs` after each answer.
 *
 * @example
 * const poller = startHealthPoller({ targets, onResult: (mspId, health) => console.log(mspId, health.state) });
 * await poller.stop();
 */
export function startHealthPoller(options: HealthPollerOptions): HealthPoller {
  const timers = options.timers ?? REAL_TIMERS;
  const now = options.now ?? Date.now;
  const everyMs = options.everyMs ?? HEALTH_POLL_DEFAULTS.everyMs;
  const timeoutMs = options.timeoutMs ?? HEALTH_POLL_DEFAULTS.timeoutMs;
  const health = new Map<string, NodeHealth>();
  const waits = new Map<string, unknown>();
  const inFlight = new Map<string, { readonly done: Promise<void>; readonly abort: () => void }>();
  let stopped = false;

  const record = (target: HealthTarget, verdict: Verdict): void => {
    const checkedAt = new Date(now()).toISOString();
    const before = health.get(target.mspId);
    const since = before?.checkedAt !== undefined && before.state === verdict.state ? before.since : checkedAt;
    const next: NodeHealth = { url: target.url.href, ...verdict, checkedAt, since };
    health.set(target.mspId, next);
    options.onResult?.(target.mspId, next);
  };

  const poll = (target: HealthTarget): void => {
    waits.delete(target.mspId);
    if (stopped) return;
    const { answer, abort } = request(target, timeoutMs, timers);
    const done = answer.then(
      ({ status, body }) => { if (!stopped) record(target, verdictOfAnswer(status, body)); },
      (err: unknown) => { if (!stopped) record(target, { state: 'unreachable', error: errorText(err) }); },
    ).finally(() => {
      inFlight.delete(target.mspId);
      if (!stopped) waits.set(target.mspId, timers.set(() => { poll(target); }, everyMs));
    });
    inFlight.set(target.mspId, { done, abort });
  };

  for (const target of options.targets) {
    health.set(target.mspId, { state: 'pending', url: target.url.href });
    poll(target);
  }

  return {
    snapshot: () => health,
    stop: async () => {
      stopped = true;
      for (const handle of waits.values()) timers.clear(handle);
      waits.clear();
      const pending = [...inFlight.values()];
      for (const p of pending) p.abort();
      await Promise.all(pending.map((p) => p.done));
    },
  };
}
