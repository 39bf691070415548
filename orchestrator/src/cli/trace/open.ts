/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `--trace <file>` of the daemons (`mgmt node`, `mgmt consortium`).
 */
import { Option } from 'commander';
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import { TraceWriter } from '../../trace/writer';
import type { CliContext } from '../context';
import { CliError } from '../errors';

/** The `--trace <file>` option. */
export function traceFileOption(): Option {
  return new Option('--trace <file>', 'append every step of every member to file as JSON lines; `mgmt trace <file>` reports where the time goes').env('MGMT_TRACE');
}

/**
 * Opens the trace file of `--trace`, or nothing without it. A write failure later is said once
 * on stderr; the daemon carries on untraced.
 *
 * @throws {@link CliError} when the file cannot be opened.
 */
export async function openTraceFile(ctx: CliContext, file: string | undefined): Promise<TraceWriter | undefined> {
  if (file === undefined) return undefined;
  try {
    return await TraceWriter.open(file, {
      onError: (err) => {
        ctx.progress(`writing the trace ${file} failed (${err.message}); tracing stops`);
      },
    });
  } catch (err) {
    throw new CliError(messageOf(err), { cause: err });
  }
}

/** Closes the trace file and says where it is and how to read it. */
export async function closeTraceFile(ctx: CliContext, writer: TraceWriter | undefined): Promise<void> {
  if (writer === undefined) return;
  await writer.close();
  ctx.progress(`trace: ${writer.lines} lines appended to ${writer.file}; \`mgmt trace ${writer.file}\` shows where the time goes`);
}
