/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The page's data: the audited state (GET /api/state, fetched again when the server announces a
 * new version), the live round (server-sent events), and the chain as verified in this browser.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { DashboardState, LiveStatus, MembersStatus } from '../../types';
import { createBrowserVerifier } from '../crypto/browserVerifier';
import { extendVerdict } from '../verify/chain';
import type { ChainVerdict } from '../verify/chain';

export interface DashboardData {
  readonly state: DashboardState | undefined;
  readonly live: LiveStatus | undefined;
  /** Each member's node health and chain activity (live mode), pushed as it changes. */
  readonly members: MembersStatus | undefined;
  /** The client clock minus the ledger's, at the last round read (for count-downs). */
  readonly ledgerOffsetMs: number;
  /** The served chain as this browser's own verification finds it. */
  readonly verdict: ChainVerdict | undefined;
  readonly error: string | undefined;
  /** Whether the event stream is connected (live updates arrive). */
  readonly connected: boolean;
}

/** One verifier for the page: it parses each certificate once. */
export const verifier = createBrowserVerifier();

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new Error(`${url}: ${response.status} ${body.error ?? response.statusText}`);
  }
  return (await response.json()) as T;
}

/** Subscribes the page to the server. */
export function useDashboardData(): DashboardData {
  const [state, setState] = useState<DashboardState>();
  const [live, setLive] = useState<LiveStatus>();
  const [members, setMembers] = useState<MembersStatus>();
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<string>();
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    let version = 0;
    let stopped = false;
    const load = (): void => {
      getJson<DashboardState>('/api/state')
        .then((next) => {
          if (stopped || next.version <= version) return;
          version = next.version;
          setState(next);
          setError(undefined);
        })
        .catch((err: unknown) => { setError(err instanceof Error ? err.message : String(err)); });
    };
    load();
    const events = new EventSource('/api/events');
    events.addEventListener('open', () => { setConnected(true); });
    events.addEventListener('error', () => { setConnected(false); });
    events.addEventListener('state', (event) => {
      const announced = (JSON.parse((event as MessageEvent<string>).data) as { version: number }).version;
      if (announced > version) load();
    });
    events.addEventListener('round', (event) => {
      const status = JSON.parse((event as MessageEvent<string>).data) as LiveStatus;
      if (status.round !== null) setOffset(Date.now() - Date.parse(status.round.now));
      setLive(status);
    });
    events.addEventListener('members', (event) => {
      setMembers(JSON.parse((event as MessageEvent<string>).data) as MembersStatus);
    });
    return () => {
      stopped = true;
      events.close();
    };
  }, []);

  const earlier = useRef<{ blocks: readonly unknown[]; verdict: ChainVerdict }>(undefined);
  const verdict = useMemo(() => {
    if (state === undefined) return undefined;
    const next = extendVerdict(earlier.current, state.chain, verifier);
    earlier.current = { blocks: state.chain, verdict: next };
    return next;
  }, [state]);
  return { state, live, members, ledgerOffsetMs: offset, verdict, error, connected };
}

/** The current time, re-rendered every second (count-downs). */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => { setNow(Date.now()); }, 1000);
    return () => { clearInterval(timer); };
  }, []);
  return now;
}
