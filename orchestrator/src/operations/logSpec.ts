/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A logging spec in the shape of Fabric's FABRIC_LOGGING_SPEC: `[<components>=]<level>` terms
 * joined by `:`, e.g. `info:primary=debug` or `warning:node,metrics=info`. A term without
 * components is the default level; a component's level also covers its dotted children
 * (`primary` covers `primary.observer`), the longest named prefix winning.
 */

/** Levels, lowest first; Fabric's `warning` and `panic` are read as `warn` and `fatal`. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const ALIASES: Readonly<Record<string, LogLevel>> = { warning: 'warn', panic: 'fatal', dpanic: 'fatal' };

/** A parsed spec. */
export interface LogSpec {
  readonly defaultLevel: LogLevel;
  /** Level per component name (lower case). */
  readonly components: ReadonlyMap<string, LogLevel>;
  /** The spec in force, canonical (`info:primary=debug`), for `/logspec` and messages. */
  readonly text: string;
}

/** A spec that cannot be parsed; the message names the bad term and the accepted shape. */
export class LogSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogSpecError';
  }
}

const COMPONENT = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;

function levelOf(word: string, term: string, spec: string): LogLevel {
  const lower = word.trim().toLowerCase();
  const level = ALIASES[lower] ?? LOG_LEVELS.find((l) => l === lower);
  if (level === undefined) {
    throw new LogSpecError(`logging spec '${spec}': '${word}' in '${term}' is not a level; use one of ${LOG_LEVELS.join(', ')} (or warning, panic)`);
  }
  return level;
}

/**
 * Parses a logging spec.
 *
 * @param fallback - the default level when the spec names none (only component terms).
 * @throws {@link LogSpecError} naming the term that is not `[<component>[,<component>…]=]<level>`.
 */
export function parseLogSpec(spec: string, fallback: LogLevel = 'info'): LogSpec {
  let defaultLevel = fallback;
  const components = new Map<string, LogLevel>();
  for (const raw of spec.split(':')) {
    const term = raw.trim();
    if (term === '') continue;
    const eq = term.indexOf('=');
    if (eq < 0) {
      defaultLevel = levelOf(term, term, spec);
      continue;
    }
    const level = levelOf(term.slice(eq + 1), term, spec);
    const names = term.slice(0, eq).split(',').map((n) => n.trim().toLowerCase());
    for (const name of names) {
      if (!COMPONENT.test(name)) {
        throw new LogSpecError(`logging spec '${spec}': '${name}' in '${term}' is not a component name (letters, digits, -, _, dotted), e.g. primary=debug`);
      }
      components.set(name, level);
    }
  }
  const text = [defaultLevel, ...[...components].map(([name, level]) => `${name}=${level}`)].join(':');
  return { defaultLevel, components, text };
}

/** The level of `component` under `spec`: its own, its nearest named parent's, or the default. */
export function levelFor(spec: LogSpec, component: string): LogLevel {
  let name = component.toLowerCase();
  for (;;) {
    const level = spec.components.get(name);
    if (level !== undefined) return level;
    const dot = name.lastIndexOf('.');
    if (dot < 0) return spec.defaultLevel;
    name = name.slice(0, dot);
  }
}

/** Whether a message at `level` passes a logger set to `threshold`. */
export function enabled(level: Exclude<LogLevel, 'silent'>, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}
