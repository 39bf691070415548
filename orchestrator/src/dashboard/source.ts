/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { DashboardEvent, DashboardMode, DashboardState, LiveStatus, MembersStatus } from './types';

/** Where the dashboard's data comes from: an export file, or a live network (see exportSource, liveSource). */
export interface DashboardSource {
  readonly mode: DashboardMode;
  /** The latest audited state. */
  state(): DashboardState;
  /** The export file (`mgmt audit --json` format) of that state. */
  exportText(): string;
  /** The report as CSV (`mgmt audit --csv`). */
  csv(): string;
  /** The live round, or undefined with no network. */
  live(): LiveStatus | undefined;
  /** Each member's node health and chain activity, or undefined with no network. */
  members(): MembersStatus | undefined;
  /** Calls `listener` at each change; returns the unsubscribe function. */
  subscribe(listener: (event: DashboardEvent) => void): () => void;
  /** Stops reading and closes connections. */
  close(): Promise<void>;
}
