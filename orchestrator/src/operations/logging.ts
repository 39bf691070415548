/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Component loggers for daemons (`mgmt node`): plain text lines as the terminal always had them,
 * or JSON lines (pino) with a level, a time and the component, for a log collector. Levels are
 * honoured per component from a logging spec (./logSpec).
 */
import pino from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { enabled, levelFor } from './logSpec';
import type { LogLevel, LogSpec } from './logSpec';

/** Output formats. */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Structured fields of a log line (JSON format only; text lines carry the message alone). */
export type LogFields = Readonly<Record<string, unknown>>;

/** One component's logger. */
export interface ComponentLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Whether a message at `level` would be written (to skip building costly fields). */
  isEnabled(level: 'debug' | 'info' | 'warn' | 'error'): boolean;
}

/** Where logs go and at which levels. */
export interface LogSink {
  readonly format: LogFormat;
  readonly spec: LogSpec;
  /** The logger of `component` (e.g. `node`, `primary`, `operations`), at its level under the spec. */
  component(name: string): ComponentLogger;
  /** Flushes and closes a log file; idempotent. */
  close(): Promise<void>;
}

/** Options of {@link createLogSink}. */
export interface LogSinkOptions {
  readonly format: LogFormat;
  readonly spec: LogSpec;
  /** Text lines, and JSON lines without `file` (stderr in the CLI). */
  readonly write: (text: string) => void;
  /** JSON lines go to this file (appended, created with its folder) instead of `write`. */
  readonly file?: string;
  /** Fields on every JSON line, e.g. `{ member: 'Org1MSP' }`. */
  readonly base?: LogFields;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

function textLogger(threshold: LogLevel, write: (text: string) => void): ComponentLogger {
  const at =
    (level: Level) =>
    (message: string): void => {
      if (enabled(level, threshold)) write(`${message}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), isEnabled: (level) => enabled(level, threshold) };
}

function jsonLogger(root: PinoLogger, name: string, threshold: LogLevel): ComponentLogger {
  const child = root.child({ component: name }, { level: threshold });
  const at =
    (level: Level) =>
    (message: string, fields?: LogFields): void => {
      if (fields === undefined) child[level](message);
      else child[level](fields, message);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), isEnabled: (level) => enabled(level, threshold) };
}

/**
 * A log sink. Text: each line as it is, nothing else (the terminal output of before). JSON: one
 * object per line, `{"level":"info","time":"…","component":"primary","msg":"…",…}`, written
 * synchronously so that nothing is lost when the process exits.
 *
 * @throws Error when the log file cannot be opened.
 */
export function createLogSink(options: Readonly<LogSinkOptions>): LogSink {
  const { spec } = options;
  const loggers = new Map<string, ComponentLogger>();
  if (options.format === 'text') {
    return {
      format: 'text',
      spec,
      component: (name) => textLogger(levelFor(spec, name), options.write),
      close: () => Promise.resolve(),
    };
  }
  const file = options.file === undefined ? undefined : pino.destination({ dest: options.file, sync: true, append: true, mkdir: true });
  const stream: DestinationStream = file ?? { write: (text: string) => { options.write(text); } };
  const root = pino(
    {
      level: 'debug',
      base: options.base === undefined ? null : { ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  let closed = false;
  return {
    format: 'json',
    spec,
    component: (name) => {
      let logger = loggers.get(name);
      if (logger === undefined) {
        logger = jsonLogger(root, name, levelFor(spec, name));
        loggers.set(name, logger);
      }
      return logger;
    },
    close: async () => {
      if (closed || file === undefined) return;
      closed = true;
      file.flushSync();
      await new Promise<void>((resolve) => {
        file.once('close', () => { resolve(); });
        file.end();
      });
    },
  };
}
