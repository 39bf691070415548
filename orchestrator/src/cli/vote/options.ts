/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { Option } from 'commander';

/** Options of `mgmt vote`: exactly one of --approve and --reject. */
export interface VoteOptions {
  readonly approve?: boolean;
  readonly reject?: boolean;
  readonly reason: string;
}

/** The options. */
export function voteOptions(): Option[] {
  return [
    new Option('--approve', 'approve the proposal').conflicts('reject'),
    new Option('--reject', 'reject the proposal').conflicts('approve'),
    new Option('--reason <text>', 'why (at most 1024 characters, recorded on the chain)').default('').env('MGMT_REASON'),
  ];
}
