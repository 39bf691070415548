/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import { analyseTrace, readTraceFiles, renderReport } from '../../trace';
import type { ReadTrace } from '../../trace';
import type { CliContext } from '../context';
import { CliError } from '../errors';

/**
 * `mgmt trace <file...>`: where the time of each CB goes, from a trace written by `--trace`
 * (several files, one per `mgmt node`, are merged).
 *
 * @throws {@link CliError} when a file cannot be read or holds no trace line.
 */
export function traceHandler(ctx: CliContext, files: readonly string[]): Promise<void> {
  let trace: ReadTrace;
  try {
    trace = readTraceFiles(files);
  } catch (err) {
    throw new CliError(messageOf(err), { cause: err });
  }
  if (trace.lines.length === 0) {
    const why = trace.firstProblem === undefined ? '' : ` (${trace.firstProblem})`;
    throw new CliError(`no trace lines in ${files.join(', ')}${why}: write one with \`mgmt consortium --trace <file>\` or \`mgmt node --trace <file>\``);
  }
  if (trace.firstProblem !== undefined) ctx.progress(`skipped ${trace.unreadable} unreadable lines, the first at ${trace.firstProblem}`);
  const report = analyseTrace(trace);
  ctx.print(renderReport(report), report);
  return Promise.resolve();
}
