/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Pure helpers of the page: short hashes, durations, values, routes.
 */

/** The first 12 hex digits of a hash, for tables (the full hash is in the title and on the CB page). */
export function shortHash(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}

/** `1 h 02 min`, `3 min 05 s`, `12 s`, `0.4 s`; negative as `0 s`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A JSON value as compact text for diff tables. */
export function valueText(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** An ISO time as `2026-01-01 00:00:30 UTC`. */
export function timeText(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '')} UTC` : iso;
}

/** The page a hash route names. */
export type Route =
  | { readonly page: 'overview' }
  | { readonly page: 'chain' }
  | { readonly page: 'cb'; readonly height: number }
  | { readonly page: 'block'; readonly number: number }
  | { readonly page: 'audit' }
  | { readonly page: 'charts' }
  | { readonly page: 'verify' }
  | { readonly page: 'missing'; readonly path: string };

/** Reads `#/cb/3`, `#/block/12`, `#/chain`, ...; the empty fragment is the overview. */
export function parseRoute(fragment: string): Route {
  const path = fragment.replace(/^#/, '') || '/';
  const parts = path.split('/').filter((p) => p !== '');
  const index = (text: string | undefined): number | undefined => (text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined);
  if (parts.length === 0) return { page: 'overview' };
  if (parts.length === 1 && ['chain', 'audit', 'charts', 'verify'].includes(parts[0])) return { page: parts[0] as 'chain' | 'audit' | 'charts' | 'verify' };
  if (parts.length === 2 && parts[0] === 'cb' && index(parts[1]) !== undefined) return { page: 'cb', height: index(parts[1]) as number };
  if (parts.length === 2 && parts[0] === 'block' && index(parts[1]) !== undefined) return { page: 'block', number: index(parts[1]) as number };
  return { page: 'missing', path };
}

export const cbHref = (height: number): string => `#/cb/${height}`;
export const blockHref = (n: number): string => `#/block/${n}`;
