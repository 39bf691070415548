/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The audit's verdict and faults, and the overview.
 */
import type { VNode } from 'preact';
import type { DashboardState, LiveStatus, MembersStatus } from '../../../types';
import { timeText } from '../../format';
import { html } from '../html';
import type { ChainVerdict } from '../../verify/chain';
import { Badge, CbLink, FaultTable, Heading } from './common';
import { MembersPanel } from './members';
import { RoundPanel } from './round';

function Verdict({ state }: { state: DashboardState }): VNode {
  const report = state.report;
  return report.ok
    ? html`<p data-testid="verdict"><${Badge} tone="good">no fault</${Badge}> CBs 0..${report.verifiedHeight ?? '—'} and ${report.primaryConfigBlocks.length} config blocks of <code>${report.primaryChannel}</code> hold.</p>`
    : html`<p data-testid="verdict"><${Badge} tone="bad">${report.faults.length} fault${report.faults.length === 1 ? '' : 's'}</${Badge}> the first: ${report.faults[0].reason}</p>`;
}

function BrowserVerdict({ verdict }: { verdict: ChainVerdict | undefined }): VNode {
  if (verdict === undefined) return html`<p>Verifying in this browser…</p>`;
  const upTo = verdict.verified.length === 0 ? 'no CB' : `CBs 0..${verdict.verified.length - 1}`;
  return html`<p data-testid="browser-verdict">
    Verified in this browser with the protocol core: ${upTo}
    ${verdict.fault === undefined ? html` <${Badge} tone="good">valid</${Badge}>` : html` <${Badge} tone="bad">invalid at <${CbLink} height=${verdict.fault.height} /></${Badge}> ${verdict.fault.reason}`}
  </p>`;
}

export function AuditPage({ state, verdict }: { state: DashboardState; verdict: ChainVerdict | undefined }): VNode {
  const report = state.report;
  return html`<${Heading}>Audit</${Heading}>
    <${Verdict} state=${state} />
    <${BrowserVerdict} verdict=${verdict} />
    <p class="actions">
      <a class="button" href="/api/export.json" download="mgmt-audit-export.json">Download the export (JSON)</a>
      <a class="button" href="/api/report.csv" download="mgmt-audit-report.csv">Download the report (CSV)</a>
    </p>
    ${report.faults.length === 0 ? html`<p>No fault.</p>` : html`<${FaultTable} faults=${report.faults} caption="Every fault, with its CB or primary block and the reason" />`}
    ${(report.notices ?? []).length === 0 ? '' : html`<section class="panel" aria-labelledby="notices-title"><h2 id="notices-title">Notices</h2><ul>${(report.notices ?? []).map((n) => html`<li>${n}</li>`)}</ul></section>`}
    ${report.heads === undefined
      ? ''
      : html`<section class="panel" aria-labelledby="heads-title"><h2 id="heads-title">Signed heads</h2><dl class="facts">
          <dt>Read at</dt><dd>${timeText(report.heads.readAt)}</dd>
          <dt>Primary head</dt><dd>${report.heads.primary === null ? '—' : `block ${report.heads.primary.headBlock} (last config ${report.heads.primary.lastConfig}), signed by ${report.heads.primary.signers.join(', ')}`}</dd>
          <dt>Management head</dt><dd>${report.heads.management === null ? '—' : `block ${report.heads.management.headBlock}, newest CB ${report.heads.management.cbHeight ?? '—'}, signed by ${report.heads.management.signers.join(', ')}`}</dd>
        </dl></section>`}`;
}

export function OverviewPage({ state, verdict, live, members, offsetMs, connected }: { state: DashboardState; verdict: ChainVerdict | undefined; live: LiveStatus | undefined; members: MembersStatus | undefined; offsetMs: number; connected: boolean }): VNode {
  const report = state.report;
  const newest = report.blocks[report.blocks.length - 1];
  const inForce = report.inForce;
  const latestConfig = report.primaryConfigBlocks[report.primaryConfigBlocks.length - 1];
  return html`<${Heading}>${state.mode === 'live' ? 'Live consortium' : 'Export'}: ${report.managementChannel} → ${report.primaryChannel}</${Heading}>
    <p>${state.mode === 'live' ? `As ${state.source} sees it; audited ${timeText(state.auditedAt)}.` : `From ${state.source} (export version ${state.exportVersion ?? '?'}); no network, so no member node health (a live dashboard shows it).`} Members: ${report.members.join(', ')}.</p>
    <${Verdict} state=${state} />
    <${BrowserVerdict} verdict=${verdict} />
    ${live === undefined ? '' : html`<${RoundPanel} live=${live} members=${report.members} offsetMs=${offsetMs} connected=${connected} />`}
    ${state.mode === 'live' && members !== undefined ? html`<${MembersPanel} status=${members} />` : ''}
    <section class="panel" aria-labelledby="sealed-title">
      <h2 id="sealed-title">Sealed</h2>
      <dl class="facts">
        <dt>CBs sealed</dt><dd data-testid="cb-count">${report.blocks.length}</dd>
        <dt>Newest CB</dt><dd>${newest === undefined ? '—' : html`<${CbLink} height=${newest.height} hash=${newest.hash} /> by ${newest.proposer}, ${timeText(newest.timestamp)}`}</dd>
        <dt>In force on ${report.primaryChannel}</dt><dd data-testid="in-force">${inForce?.height === null || inForce === undefined ? 'no CB yet' : html`<${CbLink} height=${inForce.height} /> since <a href=${`#/block/${inForce.block ?? 0}`}>block ${inForce.block}</a>`}${inForce?.pending === null || inForce === undefined ? '' : html`; CB ${inForce.pending} pending`}</dd>
        <dt>Config in force on ${report.primaryChannel}</dt><dd data-testid="config-in-force">${latestConfig === undefined
          ? '—'
          : html`<a href=${`#/block/${latestConfig.number}`}>block ${latestConfig.number}</a> (sequence ${latestConfig.sequence}, ${timeText(latestConfig.timestamp)}): BatchTimeout ${latestConfig.batchTimeout}, MaxMessageCount ${latestConfig.maxMessageCount}${latestConfig.link === null ? ', no management link' : ''}`}</dd>
      </dl>
    </section>`;
}
