/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Charts drawn with uPlot (bundled, no CDN), each with a caption, an aria description and its
 * data as a table (the text alternative).
 */
import type { VNode } from 'preact';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { DashboardState, LiveStatus } from '../../../types';
import { chartData } from '../../charts';
import type { ChartData } from '../../charts';
import { html } from '../html';
import { Heading } from './common';

const COLOURS = ['#1f5fbf', '#b3401d', '#2e7d32'];
const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

function Chart({ chart }: { chart: ChartData }): VNode {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (element === null) return undefined;
    const width = Math.max(280, element.clientWidth);
    const plot = new uPlot(
      {
        width,
        height: 260,
        scales: {
          x: { time: chart.id === 'failed-cycles' },
          // From zero, so that a flat series reads as what it is.
          y: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, Math.max(1, max * 1.1)] },
        },
        axes: [
          // CB heights and cycle counts are whole numbers: no ticks between them.
          { label: chart.xLabel, ...(chart.id === 'failed-cycles' ? {} : { incrs: WHOLE }) },
          { label: chart.yLabel, ...(chart.id === 'failed-cycles' ? { incrs: WHOLE } : {}) },
        ],
        series: [
          { label: chart.xLabel },
          ...chart.series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, points: { show: true, size: 6 }, spanGaps: false })),
        ],
      },
      [chart.x as number[], ...chart.series.map((s) => s.values as (number | null)[])],
      element,
    );
    return () => { plot.destroy(); };
  }, [chart]);
  const describedBy = `${chart.id}-description`;
  return html`<figure class="panel chart" data-testid=${`chart-${chart.id}`}>
    <figcaption><h2>${chart.title}</h2><p id=${describedBy}>${chart.description}</p></figcaption>
    <div ref=${box} role="img" aria-label=${chart.title} aria-describedby=${describedBy}></div>
    <details>
      <summary>Data of this chart as a table</summary>
      <div class="scroll" tabindex="0" role="region" aria-label=${`${chart.title}: data`}><table>
        <caption>${chart.title}</caption>
        <thead><tr><th scope="col">${chart.xLabel}</th>${chart.series.map((s) => html`<th scope="col">${s.label}</th>`)}</tr></thead>
        <tbody>${chart.x.map(
          (x, i) => html`<tr><th scope="row">${chart.id === 'failed-cycles' ? new Date(x * 1000).toISOString() : x}</th>${chart.series.map((s) => html`<td>${s.values[i] ?? '—'}</td>`)}</tr>`,
        )}</tbody>
      </table></div>
    </details>
  </figure>`;
}

export function ChartsPage({ state, live }: { state: DashboardState; live: LiveStatus | undefined }): VNode {
  const charts = useMemo(() => chartData(state.report, live, state.timings, state.chain), [state, live]);
  return html`<${Heading}>Charts</${Heading}>
    ${state.report.blocks.length < 2 ? html`<p>Charts need at least two CBs.</p>` : charts.map((chart) => html`<${Chart} key=${chart.id} chart=${chart} />`)}`;
}
