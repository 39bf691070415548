/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt node`'s logs and operations endpoint: the log sink from `--log-*`, and with
 * `--operations-listen` the endpoint (../../operations) with the node's checks and metrics.
 */
import type * as grpc from '@grpc/grpc-js';
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import type { NodeEvent } from '../../managementNode/events';
import { stepFieldsOf } from '../../managementNode/reporting';
import type { ManagementNode } from '../../managementNode/managementNode';
import type { MgmtLedger } from '../../managementNode/ledger';
import type { MemberPrimary } from '../../member/memberPrimary';
import { checkLoggingOptions, operationsTlsOf, OptionCombinationError } from '../../operations/cliOptions';
import type { LoggingCliOptions, OperationsCliOptions } from '../../operations/cliOptions';
import type { HealthCheck } from '../../operations/health';
import { assertListenAllowed, OperationsConfigError, parseListenAddress } from '../../operations/listen';
import { createLogSink } from '../../operations/logging';
import type { ComponentLogger, LogSink } from '../../operations/logging';
import { parseLogSpec } from '../../operations/logSpec';
import { MgmtMetrics } from '../../operations/metrics';
import { eventStreamCheck, inForceCheck, observerLagCheck, peerCheck } from '../../operations/nodeChecks';
import { startOperationsServer } from '../../operations/server';
import type { OperationsServer } from '../../operations/server';
import { watchEventStream } from '../../operations/streamWatch';
import { versionInfo } from '../../operations/version';
import type { CliContext } from '../context';
import { CliError, UsageError } from '../errors';
import { formatNodeEvent } from '../format';

/** The loggers of the node's parts. */
export interface NodeLoggers {
  readonly sink: LogSink;
  readonly node: ComponentLogger;
  readonly primary: ComponentLogger;
  readonly metrics: ComponentLogger;
  readonly operations: ComponentLogger;
}

/**
 * The log sink of `--log-format/--log-spec/--log-file`. Text without a spec is the terminal of
 * before: warnings and errors always, the rest with --verbose only; JSON logs info and up.
 *
 * @throws {@link UsageError} for `--log-file` without JSON; {@link CliError} when the file cannot be opened.
 */
export function openNodeLogs(ctx: CliContext, options: LoggingCliOptions, mspId?: string): NodeLoggers {
  try {
    checkLoggingOptions(options);
  } catch (err) {
    if (err instanceof OptionCombinationError) throw new UsageError(err.message);
    throw err;
  }
  const fallback = options.logFormat === 'json' ? 'info' : ctx.globals.verbose ? 'debug' : 'warn';
  let sink: LogSink;
  try {
    sink = createLogSink({
      format: options.logFormat,
      spec: parseLogSpec(options.logSpec ?? '', fallback),
      write: (text) => { ctx.ioOptions.err(text); },
      file: options.logFile,
      base: mspId === undefined ? undefined : { member: mspId },
    });
  } catch (err) {
    throw new CliError(`cannot open the log file ${options.logFile ?? ''}: ${messageOf(err)}`, { cause: err });
  }
  return { sink, node: sink.component('node'), primary: sink.component('primary'), metrics: sink.component('metrics'), operations: sink.component('operations') };
}

/**
 * Checks the `--operations-*` options before anything connects.
 *
 * @throws {@link UsageError} for TLS options that do not fit, or an address beyond loopback
 * without client certificates.
 */
export function checkOperationsOptions(options: OperationsCliOptions): void {
  try {
    const tls = operationsTlsOf(options);
    if (options.operationsListen !== undefined) assertListenAllowed(parseListenAddress(options.operationsListen), tls?.clientCaFile !== undefined);
  } catch (err) {
    if (err instanceof OptionCombinationError || err instanceof OperationsConfigError) throw new UsageError(err.message);
    throw err;
  }
}

const WARN_EVENTS = new Set<NodeEvent['type']>(['warning', 'refused', 'twinFailed', 'disconnected']);

/** A node event as a structured log line (JSON logs only: text logs have it on stdout). */
export function logNodeEvent(log: ComponentLogger, e: NodeEvent): void {
  const level = WARN_EVENTS.has(e.type) ? 'warn' : 'info';
  if (!log.isEnabled(level)) return;
  log[level](formatNodeEvent(e), { event: e.type, ...stepFieldsOf(e) });
}

/** Waits until the gRPC channel to the peer is ready: no call, a connection (re)made if needed. */
function channelReady(client: grpc.Client, deadlineMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + deadlineMs, (err) => {
      if (err) reject(err);
      else resolve();
    });
  });
}

/** Without a gRPC client (test sessions): `GetRound` within the deadline. */
async function roundAnswers(ledger: MgmtLedger, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ledger.getRound(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => { reject(new Error('GetRound did not answer')); }, deadlineMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What {@link NodeOperations} needs of the session. */
export interface NodeOperationsContext {
  readonly mspId: string;
  readonly peerEndpoint: string;
  readonly client: grpc.Client | undefined;
  readonly ledger: MgmtLedger;
  readonly apply: boolean;
}

/**
 * The node's metrics and health, and its endpoint with `--operations-listen`. Give the node
 * {@link ledger} (its event stream is watched), then {@link attachNode}, {@link attachPrimary}.
 */
export class NodeOperations {
  readonly metrics: MgmtMetrics;
  /** The session's ledger with its event stream watched. */
  readonly ledger: MgmtLedger;
  private readonly checks: HealthCheck[];
  private node: ManagementNode | undefined;
  private primary: MemberPrimary | undefined;
  private unwatch: (() => void) | undefined;
  private server: OperationsServer | undefined;

  constructor(context: NodeOperationsContext, options: OperationsCliOptions) {
    this.metrics = new MgmtMetrics({ labels: { member: context.mspId } });
    const watch = watchEventStream(context.ledger);
    this.ledger = watch.ledger;
    const chainHeight = (): number => {
      const height = this.node?.status().height ?? -1;
      this.metrics.noteHeight(height);
      return height;
    };
    const client = context.client;
    this.checks = [
      peerCheck({ endpoint: context.peerEndpoint, probe: (ms) => (client === undefined ? roundAnswers(context.ledger, ms) : channelReady(client, ms)) }),
      eventStreamCheck(() => watch.state()),
    ];
    if (context.apply) {
      this.checks.push(
        observerLagCheck({ chainHeight, verifiedHeight: () => this.primary?.observer.latestHeight, maxLag: options.operationsMaxObserverLag }),
        inForceCheck({
          chainHeight,
          inForceHeight: () => this.primary?.runtime.inForceHeight,
          sealedAtMs: (h) => this.metrics.sealedAtMs(h),
          graceMs: options.operationsApplyGrace * 1000,
        }),
      );
    }
  }

  /** The health checks `/healthz` runs. */
  get healthChecks(): readonly HealthCheck[] {
    return this.checks;
  }

  /** Counts the node's events. */
  attachNode(node: ManagementNode): void {
    this.node = node;
    node.on('event', (e) => { this.metrics.onNodeEvent(e); });
  }

  /** Counts the primary side's events and reads its heights. */
  attachPrimary(primary: MemberPrimary): void {
    this.primary = primary;
    this.unwatch = this.metrics.watchPrimary(primary);
  }

  /**
   * Starts the endpoint when `--operations-listen` is given.
   *
   * @throws {@link UsageError} for TLS options that do not fit or an address beyond loopback
   * without client certificates; {@link CliError} when the address cannot be bound.
   */
  async listen(options: OperationsCliOptions, logs: NodeLoggers): Promise<OperationsServer | undefined> {
    checkOperationsOptions(options);
    const tls = operationsTlsOf(options);
    if (options.operationsListen === undefined) return undefined;
    try {
      this.server = await startOperationsServer({
        listen: options.operationsListen,
        tls,
        checks: this.checks,
        registry: this.metrics.registry,
        version: versionInfo(),
        logSpec: () => logs.sink.spec.text,
        logger: logs.operations,
      });
    } catch (err) {
      if (err instanceof OperationsConfigError) throw new UsageError(err.message);
      throw new CliError(`cannot serve the operations endpoint on ${options.operationsListen}: ${messageOf(err)}`, { cause: err });
    }
    return this.server;
  }

  /** Stops the endpoint and the primary watch; idempotent. */
  async close(): Promise<void> {
    this.unwatch?.();
    this.unwatch = undefined;
    await this.server?.close();
  }
}
