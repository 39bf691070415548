/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { AuditFault } from '../../../../audit/types';
import { blockHref, cbHref, shortHash } from '../../format';
import { html } from '../html';

/** The page's heading; focused when the page opens, so that keyboard and screen reader users land on it. */
export function Heading({ children }: { children: unknown }): VNode {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return html`<h1 tabindex="-1" ref=${ref}>${children}</h1>`;
}

export function CbLink({ height, hash }: { height: number; hash?: string }): VNode {
  return html`<a href=${cbHref(height)} title=${hash ?? ''}>CB ${height}</a>`;
}

export function BlockLink({ number }: { number: number }): VNode {
  return html`<a href=${blockHref(number)}>block ${number}</a>`;
}

/** A hash in a monospace span: short, with the whole hash for copying and for screen readers. */
export function Hash({ hash }: { hash: string }): VNode {
  return html`<code class="hash" title=${hash} aria-label=${`hash ${hash}`}>${shortHash(hash)}</code>`;
}

/** A status badge whose meaning is in its words, not only its colour. */
export function Badge({ tone, children }: { tone: 'good' | 'bad' | 'neutral' | 'warn'; children: unknown }): VNode {
  return html`<span class=${`badge badge-${tone}`}>${children}</span>`;
}

export function FaultRow({ fault }: { fault: AuditFault }): VNode {
  return html`<tr>
    <td><code>${fault.code}</code></td>
    <td>${fault.height === undefined ? '—' : html`<${CbLink} height=${fault.height} />`}</td>
    <td>${fault.primaryBlock === undefined ? '—' : html`<${BlockLink} number=${fault.primaryBlock} />`}</td>
    <td>${fault.reason}${fault.paths === undefined ? '' : html`<br /><small>${fault.paths.join(', ')}</small>`}</td>
  </tr>`;
}

export function FaultTable({ faults, caption }: { faults: readonly AuditFault[]; caption: string }): VNode {
  return html`<div class="scroll" tabindex="0" role="region" aria-label=${caption}><table>
    <caption>${caption}</caption>
    <thead><tr><th scope="col">Fault</th><th scope="col">CB</th><th scope="col">Primary block</th><th scope="col">Reason</th></tr></thead>
    <tbody>${faults.map((fault) => html`<${FaultRow} fault=${fault} />`)}</tbody>
  </table></div>`;
}
