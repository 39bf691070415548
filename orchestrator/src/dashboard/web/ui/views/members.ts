/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The live view's Members panel: each member node's health (its operations endpoint's /healthz,
 * polled by the server) beside the management chain's evidence of it (votes, proposals), pushed
 * by the server as either changes.
 */
import type { VNode } from 'preact';
import type { MemberLiveness, MembersStatus, NodeHealth } from '../../../types';
import { timeText } from '../../format';
import { HEALTH_WORDS, membersSummary, proposalText, votedInLatestText, voteText } from '../../members';
import { html } from '../html';
import { Badge } from './common';

function HealthCell({ health }: { health: NodeHealth }): VNode {
  const words = HEALTH_WORDS[health.state];
  return html`<td data-testid="member-health" data-state=${health.state} data-label="Node health">
    <${Badge} tone=${words.tone}>${words.text}</${Badge}>
    ${health.since === undefined ? '' : html` <small>since ${timeText(health.since)}</small>`}
    ${(health.failedChecks ?? []).length === 0
      ? ''
      : html`<ul class="checks" aria-label="Failed checks">${(health.failedChecks ?? []).map((c) => html`<li><code>${c.component}</code>: ${c.reason}</li>`)}</ul>`}
    ${health.error === undefined ? '' : html`<p class="wrap">${health.error}</p>`}
    ${health.url === undefined ? '' : html`<p><small class="wrap">${health.url}${health.checkedAt === undefined ? '' : `, checked ${timeText(health.checkedAt)}`}</small></p>`}
  </td>`;
}

function MemberRow({ member, latest }: { member: MemberLiveness; latest: number | null }): VNode {
  const a = member.activity;
  const vote = a.lastVote;
  const proposal = a.lastProposal;
  return html`<tr data-member=${member.mspId}>
    <th scope="row">${member.mspId}</th>
    <${HealthCell} health=${member.health} />
    <td data-testid="member-chain" data-label="Management chain">
      <dl class="facts compact">
        <dt>Last vote</dt><dd>${voteText(a)}${vote?.at === undefined ? '' : html` <small>at ${timeText(vote.at)}</small>`}</dd>
        <dt>Last proposal</dt><dd>${proposalText(a)}${proposal === undefined ? '' : html` <small>at ${timeText(proposal.at)}</small>`}</dd>
        <dt>${latest === null ? 'Approved the newest CB' : `Approved CB ${latest}`}</dt><dd data-testid="voted-latest">${votedInLatestText(a)}</dd>
      </dl>
    </td>
  </tr>`;
}

export function MembersPanel({ status }: { status: MembersStatus }): VNode {
  return html`<section class="panel" aria-labelledby="members-title" data-testid="members">
    <h2 id="members-title">Members</h2>
    <p role="status" data-testid="members-summary">${membersSummary(status.members)}</p>
    <div class="scroll" tabindex="0" role="region" aria-label="Members: node health and chain activity"><table class="members">
      <caption>Each member's node health (its operations endpoint's /healthz) and what the management chain shows of it</caption>
      <thead><tr><th scope="col">Member</th><th scope="col">Node health</th><th scope="col">Management chain</th></tr></thead>
      <tbody>${status.members.map((member) => html`<${MemberRow} key=${member.mspId} member=${member} latest=${status.latestCbHeight} />`)}</tbody>
    </table></div>
  </section>`;
}
