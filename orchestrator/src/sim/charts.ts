/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Box-plot figures rendered server-side: Vega-Lite compiles the spec, Vega renders SVG without a
 * browser, resvg rasterises it to PNG. The boxes are drawn from summaries (whiskers p5-p95, box
 * p25-p75, tick at the median, diamond at the mean), so a figure stays small however many samples
 * it stands for, and sources with few samples (live runs) draw the same way as simulated ones.
 *
 * Vega 5 and Vega-Lite 5 are used because they ship CommonJS builds: Vega 6 is ESM-only with
 * top-level await (which `require` cannot load) and Vega-Lite 6 needs Node 22.
 */

import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

import { compareX } from './samples';
import type { SummaryRow } from './samples';

/** One faceted box-plot figure. */
export interface BoxFigure {
  readonly title: string;
  /** Summaries to draw; each becomes one box. */
  readonly rows: readonly SummaryRow[];
  /** Which field makes the facet columns. */
  readonly facet: 'metric' | 'source';
  /** Which field makes the side-by-side series within an x value. */
  readonly series: 'metric' | 'source';
  readonly xTitle: string;
  readonly yTitle: string;
  /** Order of facets and series (values not listed go last). */
  readonly order?: readonly string[];
}

/** The Vega-Lite spec of a figure (exported for tests and for users who want to restyle it). */
export function boxFigureSpec(fig: BoxFigure): TopLevelSpec {
  const values = fig.rows.map((r) => ({
    x: r.x,
    facet: r[fig.facet],
    series: r[fig.series],
    p5: r.p5,
    p25: r.p25,
    median: r.median,
    p75: r.p75,
    p95: r.p95,
    mean: r.mean,
    n: r.n,
  }));
  const xs = [...new Set(fig.rows.map((r) => r.x))].sort(compareX);
  const order = fig.order ?? [];
  const rank = (v: string): number => {
    const i = order.indexOf(v);
    return i < 0 ? order.length : i;
  };
  const facets = [...new Set(values.map((v) => v.facet))].sort((a, b) => rank(a) - rank(b));
  const series = [...new Set(values.map((v) => v.series))].sort((a, b) => rank(a) - rank(b));
  const y = (field: string): Record<string, unknown> => ({ field, type: 'quantitative', title: fig.yTitle });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: fig.title, anchor: 'start' },
    data: { values },
    facet: { column: { field: 'facet', type: 'nominal', sort: facets, title: null, header: { labelFontSize: 12 } } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: { step: 36 },
      height: 220,
      encoding: {
        x: { field: 'x', type: 'ordinal', sort: xs, title: fig.xTitle, axis: { labelAngle: 0 } },
        xOffset: { field: 'series', type: 'nominal', sort: series },
        color: { field: 'series', type: 'nominal', sort: series, title: null, legend: series.length > 1 ? { orient: 'bottom' } : null },
        tooltip: [
          { field: 'series', type: 'nominal' },
          { field: 'x', type: 'ordinal' },
          { field: 'median', type: 'quantitative', format: '.3f' },
          { field: 'mean', type: 'quantitative', format: '.3f' },
          { field: 'n', type: 'quantitative' },
        ],
      },
      layer: [
        { mark: { type: 'rule' }, encoding: { y: y('p5'), y2: { field: 'p95' } } },
        { mark: { type: 'bar', width: { band: 0.8 } }, encoding: { y: y('p25'), y2: { field: 'p75' } } },
        // A zero-height bar with a stroke: unlike a tick, it honours the xOffset of its series.
        {
          mark: { type: 'bar', width: { band: 0.8 }, stroke: 'black', strokeWidth: 2 },
          encoding: { y: y('median'), y2: { field: 'median' }, color: { value: 'black' } },
        },
        { mark: { type: 'point', shape: 'diamond', filled: true, size: 22 }, encoding: { y: y('mean'), color: { value: '#222' } } },
      ],
    },
    config: { font: 'DejaVu Sans', view: { stroke: '#ddd' } },
  };
}

/** Renders a figure to SVG text. */
export async function renderSvg(fig: BoxFigure): Promise<string> {
  const compiled = compile(boxFigureSpec(fig)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG text to PNG bytes at twice the SVG's size. */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return resvg.render().asPng();
}
