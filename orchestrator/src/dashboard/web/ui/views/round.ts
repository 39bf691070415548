/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The live round: what GetRound answers, pushed by the server as it changes; the page counts
 * the seconds itself.
 */
import type { VNode } from 'preact';
import type { Vote } from 'mgmt-chaincode/dist/protocol';
import type { LiveStatus } from '../../../types';
import { useNow } from '../data';
import { duration, timeText } from '../../format';
import { html } from '../html';
import { Badge, Hash } from './common';

function voteOf(votes: readonly Vote[], mspId: string): Vote | undefined {
  return votes.find((v) => v.mspId === mspId);
}

export function RoundPanel({ live, members, offsetMs, connected }: { live: LiveStatus; members: readonly string[]; offsetMs: number; connected: boolean }): VNode {
  const now = useNow() - offsetMs;
  const round = live.round;
  if (round === null) {
    return html`<section class="panel" aria-labelledby="round-title"><h2 id="round-title">Current round</h2><p>${live.error ?? 'waiting for the first answer of GetRound…'}</p></section>`;
  }
  const left = (iso: string | null): string => (iso === null ? '—' : duration(Date.parse(iso) - now));
  const proposal = round.proposal;
  return html`<section class="panel" aria-labelledby="round-title" data-testid="round">
    <h2 id="round-title">Current round ${connected ? html`<${Badge} tone="good">live</${Badge}>` : html`<${Badge} tone="warn">reconnecting</${Badge}>`}</h2>
    ${live.error === undefined ? '' : html`<p role="alert">${live.error}</p>`}
    <dl class="facts">
      <dt>Next height</dt><dd data-testid="next-height">${round.nextHeight}</dd>
      <dt>Phase</dt><dd data-testid="phase">${round.phase}</dd>
      <dt>Round</dt><dd>${round.round ?? '—'}</dd>
      <dt>Cycle</dt><dd>${round.cycle ?? '—'}</dd>
      <dt>Expected proposer</dt><dd data-testid="expected-proposer">${round.expectedProposer ?? '—'}</dd>
      <dt>Time left in the cycle</dt><dd>${round.phase === 'cycle' ? left(round.cycleEndsAt) : '—'}</dd>
      <dt>Until the next round</dt><dd>${round.phase === 'waiting' ? left(round.opensAt) : '—'}</dd>
      <dt>Read</dt><dd>${timeText(live.readAt)}</dd>
    </dl>
    <h3>Open proposal</h3>
    ${proposal === null
      ? html`<p data-testid="proposal">no proposal for height ${round.nextHeight} yet</p>`
      : html`<p data-testid="proposal">
          <${Hash} hash=${proposal.hash} /> by <strong>${proposal.header.proposer}</strong>, cycle ${proposal.header.cycle}:${' '}
          <${Badge} tone=${proposal.status === 'failed' ? 'bad' : 'neutral'}>${proposal.status}</${Badge}>
          ${proposal.status === 'open' && round.cycle !== null && proposal.header.cycle !== round.cycle ? ` (its cycle ended: cycle ${round.cycle} runs now)` : ''}
        </p>
        <div class="scroll" tabindex="0" role="region" aria-label="Votes"><table data-testid="votes">
          <caption>Votes as they arrive</caption>
          <thead><tr><th scope="col">Member</th><th scope="col">Vote</th><th scope="col">Reason</th></tr></thead>
          <tbody aria-live="polite">
            ${members.map((mspId) => {
              const vote = voteOf(round.votes, mspId);
              return html`<tr data-member=${mspId}>
                <th scope="row">${mspId}</th>
                <td>${vote === undefined ? html`<${Badge} tone="neutral">not yet</${Badge}>` : vote.approve ? html`<${Badge} tone="good">approve</${Badge}>` : html`<${Badge} tone="bad">reject</${Badge}>`}</td>
                <td>${vote?.reason ?? ''}</td>
              </tr>`;
            })}
          </tbody>
        </table></div>`}
  </section>`;
}
