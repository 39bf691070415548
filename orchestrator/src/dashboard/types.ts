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

/** An event of `GET /api/events` (server-sent events, one `event:` name each). */
export type DashboardEvent = { readonly type: 'state'; readonly version: number } | { readonly type: 'round'; readonly live: LiveStatus };
