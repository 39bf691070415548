/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The paper's three delays per CB for the dashboard's charts, from the members' trace files
 * (`--trace` of `mgmt node` and `mgmt consortium`): the evidence of an audit holds when a CB was
 * proposed and put in force, but not when each member's observer verified it.
 */
import { analyseTrace, readTraceFiles } from '../trace';
import type { DashboardSource } from './source';
import type { CbTimingRow } from './types';

/**
 * Each CB's agreement, propagation and update delays in the traces.
 * @throws Error naming a trace file that cannot be read.
 */
export function traceTimings(files: readonly string[]): CbTimingRow[] {
  const report = analyseTrace(readTraceFiles(files));
  return report.cbs.map((cb) => ({
    height: cb.height,
    ...(cb.spans.agreement === undefined ? {} : { agreementMs: cb.spans.agreement }),
    ...(cb.steps.verify === undefined ? {} : { propagationMs: cb.steps.verify }),
    ...(cb.spans.update === undefined ? {} : { updateMs: cb.spans.update }),
  }));
}

/** The source, its states carrying the traces' timings (read again at each state, as traces grow). */
export function withTraceTimings(source: DashboardSource, files: readonly string[]): DashboardSource {
  let cached: { version: number; timings: CbTimingRow[] } | undefined;
  return {
    mode: source.mode,
    state: () => {
      const state = source.state();
      if (cached?.version !== state.version) {
        let timings: CbTimingRow[];
        try {
          timings = traceTimings(files);
        } catch {
          // A trace being appended may end mid-line: keep the last good reading.
          timings = cached?.timings ?? [];
        }
        cached = { version: state.version, timings };
      }
      return { ...state, timings: cached.timings };
    },
    exportText: () => source.exportText(),
    csv: () => source.csv(),
    live: () => source.live(),
    members: () => source.members(),
    subscribe: (listener) => source.subscribe(listener),
    close: () => source.close(),
  };
}
