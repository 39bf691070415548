/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The command-line options of the operations endpoint and of the logs, for every daemon command
 * (`mgmt node`, and a later `mgmt signer`): their definitions, each also from an `MGMT_` variable,
 * and the checks that need more than one of them.
 */
import { InvalidArgumentError, Option } from 'commander';
import { NODE_CHECK_DEFAULTS } from './nodeChecks';
import { OperationsConfigError, parseListenAddress } from './listen';
import { LOG_FORMATS } from './logging';
import type { LogFormat } from './logging';
import { LogSpecError, parseLogSpec } from './logSpec';
import type { OperationsTls } from './server';

/** Options of the operations endpoint. */
export interface OperationsCliOptions {
  /** `host:port`; no endpoint without it. */
  readonly operationsListen?: string;
  readonly operationsTlsCert?: string;
  readonly operationsTlsKey?: string;
  readonly operationsTlsClientCa?: string;
  /** `/healthz`: CBs the observer may lag behind the chain. */
  readonly operationsMaxObserverLag: number;
  /** `/healthz`: seconds a sealed CB may take to be in force on primary. */
  readonly operationsApplyGrace: number;
}

/** Options of the logs. */
export interface LoggingCliOptions {
  readonly logFormat: LogFormat;
  /** A Fabric-style logging spec, e.g. `info:primary=debug`. */
  readonly logSpec?: string;
  /** JSON lines to this file instead of stderr. */
  readonly logFile?: string;
}

function listenAddress(value: string): string {
  try {
    parseListenAddress(value);
    return value;
  } catch (err) {
    throw new InvalidArgumentError(err instanceof OperationsConfigError ? err.message : String(err));
  }
}

function logSpec(value: string): string {
  try {
    parseLogSpec(value);
    return value;
  } catch (err) {
    throw new InvalidArgumentError(err instanceof LogSpecError ? err.message : String(err));
  }
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('an integer >= 0');
  return n;
}

/** `--operations-*` options. */
export function operationsCliOptions(): Option[] {
  return [
    new Option('--operations-listen <host:port>', 'serve /healthz, /metrics, /version and /logspec there (127.0.0.1 unless TLS with client certificates)')
      .argParser(listenAddress)
      .env('MGMT_OPERATIONS_LISTEN'),
    new Option('--operations-tls-cert <file>', 'operations endpoint: TLS certificate (PEM)').env('MGMT_OPERATIONS_TLS_CERT'),
    new Option('--operations-tls-key <file>', 'operations endpoint: TLS private key (PEM)').env('MGMT_OPERATIONS_TLS_KEY'),
    new Option('--operations-tls-client-ca <file>', 'operations endpoint: require client certificates issued by this CA (PEM); allows a non-loopback address').env(
      'MGMT_OPERATIONS_TLS_CLIENT_CA',
    ),
    new Option('--operations-max-observer-lag <n>', '/healthz fails when the observer is more than n CBs behind the chain')
      .argParser(nonNegativeInteger)
      .default(NODE_CHECK_DEFAULTS.maxObserverLag)
      .env('MGMT_OPERATIONS_MAX_OBSERVER_LAG'),
    new Option('--operations-apply-grace <seconds>', '/healthz fails when a sealed CB is not in force on primary after this long')
      .argParser(nonNegativeInteger)
      .default(NODE_CHECK_DEFAULTS.applyGraceMs / 1000)
      .env('MGMT_OPERATIONS_APPLY_GRACE'),
  ];
}

/** `--log-*` options. */
export function loggingCliOptions(): Option[] {
  return [
    new Option('--log-format <format>', 'log lines as plain text (the terminal output) or JSON lines').choices(LOG_FORMATS).default('text').env('MGMT_LOG_FORMAT'),
    new Option('--log-spec <spec>', "levels per component, Fabric-style: e.g. 'info:primary=debug' (components: node, primary, metrics, operations)")
      .argParser(logSpec)
      .env('MGMT_LOGGING_SPEC'),
    new Option('--log-file <file>', 'with --log-format json: append the JSON lines to this file instead of stderr').env('MGMT_LOG_FILE'),
  ];
}

/** A combination of options that does not work together; the message names the fix. */
export class OptionCombinationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionCombinationError';
  }
}

/**
 * The TLS of the operations endpoint from its options, or undefined without TLS.
 *
 * @throws {@link OptionCombinationError} when a certificate comes without its key (or the
 * reverse), or a client CA without both, or TLS options without `--operations-listen`.
 */
export function operationsTlsOf(options: OperationsCliOptions): OperationsTls | undefined {
  const { operationsTlsCert: certFile, operationsTlsKey: keyFile, operationsTlsClientCa: clientCaFile } = options;
  const any = certFile !== undefined || keyFile !== undefined || clientCaFile !== undefined;
  if (!any) return undefined;
  if (options.operationsListen === undefined) throw new OptionCombinationError('--operations-tls-* options need --operations-listen <host:port>');
  if (certFile === undefined || keyFile === undefined) {
    throw new OptionCombinationError('operations TLS needs both --operations-tls-cert <file> and --operations-tls-key <file>');
  }
  return { certFile, keyFile, clientCaFile };
}

/** @throws {@link OptionCombinationError} for `--log-file` without `--log-format json`. */
export function checkLoggingOptions(options: LoggingCliOptions): void {
  if (options.logFile !== undefined && options.logFormat !== 'json') {
    throw new OptionCombinationError('--log-file writes JSON lines: add --log-format json (text lines stay on stderr)');
  }
}
