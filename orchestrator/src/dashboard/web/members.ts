/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The Members panel's words: each state said in text (the badge colour only repeats it), and a
 * one-line summary that screen readers hear when a node's state changes.
 */
import type { MemberActivity, MemberLiveness, NodeHealthState } from '../types';

/** How the page names a health state, and the badge tone that repeats it. */
export const HEALTH_WORDS: Readonly<Record<NodeHealthState, { readonly text: string; readonly tone: 'good' | 'bad' | 'warn' | 'neutral' }>> = {
  healthy: { text: 'healthy', tone: 'good' },
  unhealthy: { text: 'unhealthy', tone: 'bad' },
  unreachable: { text: 'unreachable', tone: 'bad' },
  pending: { text: 'checking…', tone: 'neutral' },
  'not-configured': { text: 'not configured', tone: 'neutral' },
};

/**
 * `3 of 4 nodes polled are healthy; unhealthy: Org2MSP; unreachable: Org3MSP`: states only, no
 * times, so that it changes (and is announced) only when a node's state does.
 */
export function membersSummary(members: readonly MemberLiveness[]): string {
  const polled = members.filter((m) => m.health.state !== 'not-configured');
  if (polled.length === 0) return 'No operations endpoint is configured: node health is not polled (see the chain evidence below).';
  const healthy = polled.filter((m) => m.health.state === 'healthy').length;
  const named = (state: NodeHealthState): string => {
    const ids = polled.filter((m) => m.health.state === state).map((m) => m.mspId);
    return ids.length === 0 ? '' : `; ${HEALTH_WORDS[state].text}: ${ids.join(', ')}`;
  };
  return `${healthy} of ${polled.length} node${polled.length === 1 ? '' : 's'} polled ${healthy === 1 ? 'is' : 'are'} healthy${named('unhealthy')}${named('unreachable')}${named('pending')}.`;
}

/** `approved CB 3` / `rejected height 4`; `none seen` without a vote. */
export function voteText(activity: MemberActivity): string {
  const vote = activity.lastVote;
  if (vote === undefined) return 'none seen';
  return `${vote.approve ? 'approved' : 'rejected'} height ${vote.height}`;
}

/** `height 3 (sealed)` / `height 4 (not sealed)`; `none` without a proposal. */
export function proposalText(activity: MemberActivity): string {
  const proposal = activity.lastProposal;
  if (proposal === undefined) return 'none seen';
  return `height ${proposal.height} (${proposal.sealed ? 'sealed' : 'not sealed'})`;
}

/** `yes` / `no` / `—` before genesis. */
export function votedInLatestText(activity: MemberActivity): string {
  return activity.votedInLatestCb === undefined ? '—' : activity.votedInLatestCb ? 'yes' : 'no';
}
