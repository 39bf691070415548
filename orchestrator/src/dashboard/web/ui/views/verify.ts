/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Verify an export in the browser: trusts neither this server nor the export's sender.
 */
import type { VNode } from 'preact';
import { html } from '../html';
import type { ExportVerdict } from '../../verify/chain';
import { Badge, CbLink, Heading } from './common';

export function VerifyPage({ result, onFile }: { result: { name: string; verdict: ExportVerdict } | undefined; onFile: (file: File) => void }): VNode {
  return html`<${Heading}>Verify an export</${Heading}>
    <p>Drop an export file (<code>mgmt audit --json</code>) anywhere on the page, or choose one. It is verified here, in this browser, with the protocol core (hashes, links, proposers, cycles, timing, proofs and certificates from genesis), and never sent anywhere.</p>
    <div class="dropzone" data-testid="dropzone">
      <label for="export-file">Export file</label>
      <input id="export-file" type="file" accept=".json,application/json" onChange=${(e: Event) => {
        const file = (e.target as HTMLInputElement).files?.[0];
        if (file !== undefined) onFile(file);
      }} />
    </div>
    <div aria-live="polite" data-testid="verify-result">${result === undefined ? '' : html`<${ExportResult} name=${result.name} verdict=${result.verdict} />`}</div>
    <p><small>The primary channel's orderer-signed blocks are checked by <code>mgmt audit --verify-export</code>; this page checks the management chain and its anchoring in the management channel.</small></p>`;
}

function ExportResult({ name, verdict }: { name: string; verdict: ExportVerdict }): VNode {
  if (verdict.unreadable !== undefined) return html`<p role="alert"><${Badge} tone="bad">not an export</${Badge}> ${name}: ${verdict.unreadable}</p>`;
  const upTo = verdict.verifiedHeight === null ? 'no CB verifies' : `CBs 0..${verdict.verifiedHeight} of ${verdict.blockCount} verify`;
  return html`<section class="panel">
    <h2>${name}</h2>
    <p data-testid="export-verdict">${verdict.ok ? html`<${Badge} tone="good">valid</${Badge}>` : html`<${Badge} tone="bad">invalid</${Badge}>`} ${upTo}
      ${verdict.fault === undefined ? '' : html`; <strong>invalid at height <span data-testid="fault-height">${verdict.fault.height}</span></strong>: <span data-testid="fault-reason">${verdict.fault.reason}</span>`}</p>
    ${verdict.anchoring.length === 0 ? '' : html`<ul>${verdict.anchoring.map((a) => html`<li>${a}</li>`)}</ul>`}
    <p>${verdict.managementChannel ?? '?'} → ${verdict.primaryChannel ?? '?'}, export version ${verdict.version}, written ${verdict.exportedAt}.
      ${verdict.statedOk === undefined ? '' : ` The file states its own audit ${verdict.statedOk ? 'passed' : 'failed'} (not trusted: recomputed above).`}
      ${verdict.fault === undefined ? '' : html` On this dashboard's chain: <${CbLink} height=${verdict.fault.height} />.`}</p>
  </section>`;
}
