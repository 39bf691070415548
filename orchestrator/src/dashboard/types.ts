/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What the dashboard's server sends the page: types only, shared by the server and the browser
 * app (esbuild drops type imports, so the page bundles none of the server's code).
 */
import type { JsonValue, Round } from 'mgmt-chaincode/dist/protocol';
import type { AuditReport } from '../audit/types';

/** Where the data comes from: an export file, or one member's view of a live network. */
export type DashboardMode = 'export' | 'live';

/** `GET /api/state`: the audited history. */
export interface DashboardState {
  readonly mode: DashboardMode;
  /** The export file's name, or `<mspId> via <peer>`. */
  readonly source: string;
  /** Raised by one at each new audit, so that the page fetches only when it changed. */
  readonly version: number;
  /** When this audit ran, ISO 8601 UTC. */
  readonly auditedAt: string;
  /** The version of the export file (export mode). */
  readonly exportVersion?: number;
  /** The audit's report: verdict, faults, CB rows, primary config blocks. */
  readonly report: AuditReport;
  /** The CBs exactly as read (untrusted: the page verifies them itself). */
  readonly chain: readonly JsonValue[];
  /**
   * Per CB, from the members' trace files (`mgmt dashboard --trace`, written by `mgmt node` or
   * `mgmt consortium --trace`): agreement (round open → CB committed), propagation (CB committed
   * → verified by the quorum-th observer) and update (CB committed → in force on primary), ms.
   */
  readonly timings?: readonly CbTimingRow[];
}

/** One CB's delays from a trace, ms (absent: the trace does not show both ends). */
export interface CbTimingRow {
  readonly height: number;
  readonly agreementMs?: number;
  readonly propagationMs?: number;
  readonly updateMs?: number;
}

/** `GET /api/live` and the SSE `round` event: the round as the member's peer answers GetRound. */
export interface LiveStatus {
  /** When the server read it, ISO 8601 UTC. */
  readonly readAt: string;
  /** Null until the first answer, or when the last read failed (see `error`). */
  readonly round: Round | null;
  /** Why the last read failed, if it did. */
  readonly error?: string;
  /**
   * When this server first saw each CB sealed (by height), and each proposal opened (by hash):
   * the agreement delay of the CBs sealed while the dashboard ran is sealedAt − proposal time.
   */
  readonly observed: {
    readonly sealedAt: Readonly<Record<string, string>>;
    readonly proposedAt: Readonly<Record<string, string>>;
  };
}

/**
 * A member node's health as its operations endpoint's `/healthz` answers: `healthy` (200),
 * `unhealthy` (503, with the failed checks), `unreachable` (no readable answer: refused, timed
 * out, TLS, or not `/healthz` JSON), `pending` (configured, no answer yet) or `not-configured`
 * (the dashboard knows no endpoint for the member).
 */
export type NodeHealthState = 'healthy' | 'unhealthy' | 'unreachable' | 'pending' | 'not-configured';

/** A check a 503 of `/healthz` names (its `failed_checks`). */
export interface FailedHealthCheck {
  readonly component: string;
  readonly reason: string;
}

export interface NodeHealth {
  readonly state: NodeHealthState;
  /** The `/healthz` URL polled; absent when not configured. */
  readonly url?: string;
  /** `unhealthy`: the checks the node names (may be empty when its 503 body is unreadable). */
  readonly failedChecks?: readonly FailedHealthCheck[];
  /** `unreachable`: why; `unhealthy` with an unreadable body: what was wrong with it. */
  readonly error?: string;
  /** When the last answer (or failure) came, ISO 8601 UTC; absent before the first. */
  readonly checkedAt?: string;
  /** Since when the node is in this state (as this dashboard saw it), ISO 8601 UTC. */
  readonly since?: string;
}

/**
 * A member's liveness as the management chain and the rounds this dashboard read show it: works
 * for members without an operations endpoint, and for other organisations' nodes.
 */
export interface MemberActivity {
  /**
   * Its newest vote: `at` is the vote's transaction time when the dashboard saw it in a round;
   * a vote known only from a CB's proof has no time.
   */
  readonly lastVote?: { readonly height: number; readonly approve: boolean; readonly at?: string };
  /** Its newest proposal (sealed or seen open/failed in a round), with the header's time. */
  readonly lastProposal?: { readonly height: number; readonly hash: string; readonly at: string; readonly sealed: boolean };
  /** Whether its approval is in the proof of the newest sealed CB; absent before genesis. */
  readonly votedInLatestCb?: boolean;
}

/** One member in the live view's Members panel. */
export interface MemberLiveness {
  readonly mspId: string;
  readonly health: NodeHealth;
  readonly activity: MemberActivity;
}

/** `GET /api/members` and the SSE `members` event (live mode only). */
export interface MembersStatus {
  /** The newest sealed CB's height, null before genesis. */
  readonly latestCbHeight: number | null;
  readonly members: readonly MemberLiveness[];
}

/** An event of `GET /api/events` (server-sent events, one `event:` name each). */
export type DashboardEvent =
  | { readonly type: 'state'; readonly version: number }
  | { readonly type: 'round'; readonly live: LiveStatus }
  | { readonly type: 'members'; readonly members: MembersStatus };
