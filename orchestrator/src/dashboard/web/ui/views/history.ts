/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The management chain, one CB, one primary config block.
 */
import type { VNode } from 'preact';
import { useMemo } from 'preact/hooks';
import type { AuditedBlock, ConfigChange } from '../../../../audit/types';
import type { DashboardState } from '../../../types';
import { verifier } from '../data';
import { timeText, valueText } from '../../format';
import { html } from '../html';
import { checkProofEntries, membershipAt } from '../../verify/chain';
import type { ChainVerdict } from '../../verify/chain';
import { Badge, BlockLink, CbLink, FaultTable, Hash, Heading } from './common';

function changeSummary(changes: readonly ConfigChange[]): string {
  if (changes.length === 0) return 'nothing';
  const shown = changes.slice(0, 3).map((c) => (c.kind === 'changed' ? `${c.key}: ${valueText(c.before)} → ${valueText(c.after)}` : `${c.key} ${c.kind}`));
  return changes.length > 3 ? `${shown.join('; ')}; and ${changes.length - 3} more` : shown.join('; ');
}

function statusBadge(block: AuditedBlock, verdict: ChainVerdict | undefined): VNode {
  const here = verdict === undefined ? undefined : block.height < verdict.verified.length ? 'verified' : verdict.fault?.height === block.height ? 'invalid' : 'unverified';
  const tone = block.status === 'verified' ? 'good' : block.status === 'invalid' ? 'bad' : 'neutral';
  return html`<${Badge} tone=${tone}>${block.status}</${Badge}>${here !== undefined && here !== block.status ? html` <${Badge} tone="warn">browser: ${here}</${Badge}>` : ''}`;
}

export function ChainPage({ state, verdict }: { state: DashboardState; verdict: ChainVerdict | undefined }): VNode {
  const rows = [...state.report.blocks].reverse();
  return html`<${Heading}>Management chain</${Heading}>
    <p>${state.report.blocks.length} CBs on <code>${state.report.managementChannel}</code>, newest first. Each CB links to its page.</p>
    <div class="scroll" tabindex="0" role="region" aria-label="Configuration blocks"><table data-testid="chain">
      <caption>Configuration blocks</caption>
      <thead><tr><th scope="col">Height</th><th scope="col">Time</th><th scope="col">Proposer</th><th scope="col">Cycle</th><th scope="col">Approvals</th><th scope="col">What changed</th><th scope="col">Members</th><th scope="col">Status</th><th scope="col">In force in</th></tr></thead>
      <tbody>${rows.map(
        (b) => html`<tr>
          <th scope="row"><${CbLink} height=${b.height} hash=${b.hash} /></th>
          <td>${timeText(b.timestamp)}</td>
          <td>${b.proposer}</td>
          <td>${b.cycle}</td>
          <td>${b.approvals.join(', ')}</td>
          <td>${changeSummary(b.changes)}</td>
          <td>${verdict === undefined ? '' : membershipAt(verdict, b.height) || '—'}</td>
          <td>${statusBadge(b, verdict)}</td>
          <td>${b.appliedIn.length === 0 ? (b.primaryStatus ?? '—') : b.appliedIn.map((n, i) => html`${i === 0 ? '' : ', '}<${BlockLink} number=${n} />`)}</td>
        </tr>`,
      )}</tbody>
    </table></div>`;
}

function ChangeTable({ changes, caption }: { changes: readonly ConfigChange[]; caption: string }): VNode {
  if (changes.length === 0) return html`<p>No change against the previous CB.</p>`;
  return html`<div class="scroll" tabindex="0" role="region" aria-label=${caption}><table data-testid="cb-diff">
    <caption>${caption}</caption>
    <thead><tr><th scope="col">Key</th><th scope="col">Change</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
    <tbody>${changes.map(
      (c) => html`<tr><th scope="row"><code>${c.key}</code></th><td>${c.kind}</td><td><code>${c.kind === 'added' ? '' : valueText(c.before)}</code></td><td><code>${c.kind === 'removed' ? '' : valueText(c.after)}</code></td></tr>`,
    )}</tbody>
  </table></div>`;
}

export function CbPage({ state, verdict, height }: { state: DashboardState; verdict: ChainVerdict | undefined; height: number }): VNode {
  const block = state.report.blocks.find((b) => b.height === height);
  const raw = state.chain[height];
  // The params in force at this height, as this browser verified them; genesis's when the chain breaks earlier.
  const params = verdict?.paramsAt[height] ?? verdict?.paramsAt[verdict.paramsAt.length - 1];
  const proof = useMemo(() => (raw === undefined || params === undefined ? [] : checkProofEntries(raw, params, verifier)), [raw, params]);
  if (block === undefined) return html`<${Heading}>No CB ${height}</${Heading}><p>The chain has ${state.report.blocks.length} CBs. <a href="#/chain">See the chain</a>.</p>`;
  const faults = state.report.faults.filter((f) => f.height === height);
  const prev = height > 0 ? state.report.blocks.find((b) => b.height === height - 1) : undefined;
  return html`<${Heading}>CB ${height}</${Heading}>
    <nav aria-label="Neighbouring CBs" class="pager">
      ${height > 0 ? html`<a href=${`#/cb/${height - 1}`}>← CB ${height - 1}</a>` : ''}
      ${height + 1 < state.report.blocks.length ? html`<a href=${`#/cb/${height + 1}`}>CB ${height + 1} →</a>` : ''}
    </nav>
    <section class="panel" aria-labelledby="header-title">
      <h2 id="header-title">Header</h2>
      <dl class="facts">
        <dt>Hash</dt><dd><code class="wrap" data-testid="cb-hash">${block.hash}</code></dd>
        <dt>Previous</dt><dd>${prev === undefined ? '— (genesis)' : html`<${CbLink} height=${prev.height} hash=${prev.hash} /> <code class="wrap">${prev.hash}</code>`}</dd>
        <dt>Proposer</dt><dd>${block.proposer}</dd>
        <dt>Cycle</dt><dd>${block.cycle}</dd>
        <dt>Proposed</dt><dd>${timeText(block.timestamp)}</dd>
        <dt>Status</dt><dd>${statusBadge(block, verdict)}${block.primaryStatus === undefined ? '' : html` <${Badge} tone="neutral">${block.primaryStatus}</${Badge}>`}</dd>
      </dl>
    </section>
    <section class="panel" aria-labelledby="diff-title">
      <h2 id="diff-title">Configuration change</h2>
      <${ChangeTable} changes=${block.changes} caption=${height === 0 ? 'The genesis configuration' : `Against CB ${height - 1}`} />
    </section>
    <section class="panel" aria-labelledby="proof-title">
      <h2 id="proof-title">Proof: ${block.approvals.length} approvals</h2>
      <p>Each entry is checked in this browser with the protocol core: the certificate against the member's CA in force, then the vote signature over the hash.</p>
      <div class="scroll" tabindex="0" role="region" aria-label="Proof entries"><table data-testid="proof">
        <caption>Proof entries</caption>
        <thead><tr><th scope="col">Member</th><th scope="col">Certificate subject</th><th scope="col">Issuer</th><th scope="col">Verified</th></tr></thead>
        <tbody>${proof.map(
          (entry) => html`<tr data-member=${entry.mspId}>
            <th scope="row">${entry.mspId}</th>
            <td><pre class="dn">${entry.subject || '(unparseable)'}</pre></td>
            <td><pre class="dn">${entry.issuer}</pre></td>
            <td data-testid="proof-verdict">${entry.verified ? html`<${Badge} tone="good">verified</${Badge}>` : html`<${Badge} tone="bad">not verified</${Badge}> ${entry.reason}`}</td>
          </tr>`,
        )}</tbody>
      </table></div>
    </section>
    <section class="panel" aria-labelledby="applied-title">
      <h2 id="applied-title">Put in force by</h2>
      ${block.appliedIn.length === 0
        ? html`<p>No primary config block names this CB${block.primaryStatus === undefined ? '' : ` (${block.primaryStatus})`}.</p>`
        : html`<ul>${block.appliedIn.map((n) => html`<li><${BlockLink} number=${n} /> of <code>${state.report.primaryChannel}</code></li>`)}</ul>`}
    </section>
    ${faults.length === 0 ? '' : html`<section class="panel" aria-labelledby="faults-title"><h2 id="faults-title">Faults</h2><${FaultTable} faults=${faults} caption=${`Faults at CB ${height}`} /></section>`}`;
}

export function BlockPage({ state, number }: { state: DashboardState; number: number }): VNode {
  const index = state.report.primaryConfigBlocks.findIndex((b) => b.number === number);
  const block = state.report.primaryConfigBlocks[index];
  if (block === undefined) return html`<${Heading}>No config block ${number}</${Heading}><p>Block ${number} of <code>${state.report.primaryChannel}</code> is not a config block in the evidence.</p>`;
  const previous = index > 0 ? state.report.primaryConfigBlocks[index - 1] : undefined;
  const next = state.report.primaryConfigBlocks[index + 1];
  const faults = state.report.faults.filter((f) => f.primaryBlock === number);
  return html`<${Heading}>Primary config block ${number}</${Heading}>
    <nav aria-label="Neighbouring config blocks" class="pager">
      ${previous === undefined ? '' : html`<a href=${`#/block/${previous.number}`}>← block ${previous.number}</a>`}
      ${next === undefined ? '' : html`<a href=${`#/block/${next.number}`}>block ${next.number} →</a>`}
    </nav>
    <section class="panel" aria-labelledby="block-title">
      <h2 id="block-title">On <code>${state.report.primaryChannel}</code></h2>
      <dl class="facts">
        <dt>Config sequence</dt><dd>${block.sequence}</dd>
        <dt>Made</dt><dd>${timeText(block.timestamp)}</dd>
        <dt>Puts in force</dt><dd data-testid="block-link">${block.link === null ? 'no CB (genesis, or an update without a management link)' : html`<${CbLink} height=${block.link.height} hash=${block.link.hash} /> <${Hash} hash=${block.link.hash} />`}</dd>
        <dt>Governed by</dt><dd>${block.governedBy === null ? '—' : html`<${CbLink} height=${block.governedBy} />`}</dd>
        <dt>Signers</dt><dd>${block.signers.length === 0 ? '—' : block.signers.join(', ')}</dd>
        <dt>BatchTimeout, MaxMessageCount</dt><dd>${block.batchTimeout}, ${block.maxMessageCount}</dd>
      </dl>
    </section>
    <section class="panel" aria-labelledby="pdiff-title">
      <h2 id="pdiff-title">Config change</h2>
      ${block.changes.length === 0
        ? html`<p>${previous === undefined ? 'The first config block: nothing to compare with.' : 'No change against the previous config block.'}</p>`
        : html`<div class="scroll" tabindex="0" role="region" aria-label="Config change"><table data-testid="block-diff">
            <caption>Against ${previous === undefined ? 'the previous config' : `block ${previous.number}`}${block.changesComplete ? '' : ' (batch values only: the evidence has no config)'}</caption>
            <thead><tr><th scope="col">Path</th><th scope="col">Change</th><th scope="col">Before</th><th scope="col">After</th><th scope="col">Governed</th></tr></thead>
            <tbody>${block.changes.map(
              (c) => html`<tr><th scope="row"><code>${c.path}</code></th><td>${c.kind}</td><td><code>${valueText(c.before)}</code></td><td><code>${valueText(c.after)}</code></td><td>${c.governed ? 'yes' : 'no'}</td></tr>`,
            )}</tbody>
          </table></div>`}
    </section>
    ${faults.length === 0 ? '' : html`<section class="panel" aria-labelledby="bfaults-title"><h2 id="bfaults-title">Faults</h2><${FaultTable} faults=${faults} caption=${`Faults at block ${number}`} /></section>`}`;
}
