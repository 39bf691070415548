/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The dashboard page: hash routes (shareable URLs), one layout, and the export drop anywhere.
 */
import { render } from 'preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useDashboardData, verifier } from './data';
import { parseRoute } from '../format';
import type { Route } from '../format';
import { html } from './html';
import { verifyExportText } from '../verify/chain';
import type { ExportVerdict } from '../verify/chain';
import { AuditPage, OverviewPage } from './views/audit';
import { ChartsPage } from './views/charts';
import { Heading } from './views/common';
import { BlockPage, CbPage, ChainPage } from './views/history';
import { VerifyPage } from './views/verify';

const NAV: readonly { readonly href: string; readonly label: string; readonly page: Route['page'] }[] = [
  { href: '#/', label: 'Overview', page: 'overview' },
  { href: '#/chain', label: 'Chain', page: 'chain' },
  { href: '#/audit', label: 'Audit', page: 'audit' },
  { href: '#/charts', label: 'Charts', page: 'charts' },
  { href: '#/verify', label: 'Verify an export', page: 'verify' },
];

function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => { setRoute(parseRoute(location.hash)); };
    addEventListener('hashchange', onChange);
    return () => { removeEventListener('hashchange', onChange); };
  }, []);
  return route;
}

function App(): VNode {
  const route = useRoute();
  const data = useDashboardData();
  const [checked, setChecked] = useState<{ name: string; verdict: ExportVerdict }>();

  const verifyFile = (file: File): void => {
    void file.text().then((text) => {
      setChecked({ name: file.name, verdict: verifyExportText(text, verifier) });
      if (location.hash !== '#/verify') location.hash = '#/verify';
    });
  };
  useEffect(() => {
    // A file dropped anywhere is verified; the browser must not open it instead.
    const over = (e: DragEvent): void => { e.preventDefault(); };
    const drop = (e: DragEvent): void => {
      e.preventDefault();
      const file = e.dataTransfer?.files[0];
      if (file !== undefined) verifyFile(file);
    };
    addEventListener('dragover', over);
    addEventListener('drop', drop);
    return () => {
      removeEventListener('dragover', over);
      removeEventListener('drop', drop);
    };
  }, []);

  const state = data.state;
  let page: VNode;
  if (route.page === 'verify') page = html`<${VerifyPage} result=${checked} onFile=${verifyFile} />`;
  else if (state === undefined) page = html`<${Heading}>Loading…</${Heading}>${data.error === undefined ? '' : html`<p role="alert">${data.error}</p>`}`;
  else if (route.page === 'overview') page = html`<${OverviewPage} state=${state} verdict=${data.verdict} live=${data.live} members=${data.members} offsetMs=${data.ledgerOffsetMs} connected=${data.connected} />`;
  else if (route.page === 'chain') page = html`<${ChainPage} state=${state} verdict=${data.verdict} />`;
  else if (route.page === 'cb') page = html`<${CbPage} key=${route.height} state=${state} verdict=${data.verdict} height=${route.height} />`;
  else if (route.page === 'block') page = html`<${BlockPage} key=${route.number} state=${state} number=${route.number} />`;
  else if (route.page === 'audit') page = html`<${AuditPage} state=${state} verdict=${data.verdict} />`;
  else if (route.page === 'charts') page = html`<${ChartsPage} state=${state} live=${data.live} />`;
  else page = html`<${Heading}>No such page</${Heading}><p>Nothing at <code>${route.path}</code>. <a href="#/">Back to the overview</a>.</p>`;

  return html`<a class="skip" href="#main" onClick=${(e: Event) => { e.preventDefault(); document.querySelector<HTMLElement>('main h1')?.focus(); }}>Skip to content</a>
    <header>
      <p class="brand">mgmt dashboard <span class="mode">${state === undefined ? '' : state.mode === 'live' ? `live · ${state.source}` : `export · ${state.source}`}</span></p>
      <nav aria-label="Pages"><ul>${NAV.map((item) => html`<li><a href=${item.href} aria-current=${route.page === item.page || (item.page === 'chain' && (route.page === 'cb' || route.page === 'block')) ? 'page' : undefined}>${item.label}</a></li>`)}</ul></nav>
    </header>
    <main id="main">${page}</main>
    <footer><p>Read-only. Every verdict marked "browser" is computed on this page with the protocol core.</p></footer>`;
}

const root = document.getElementById('app');
if (root !== null) render(html`<${App} />`, root);
