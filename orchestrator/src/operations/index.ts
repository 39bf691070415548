/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The operations endpoint of the orchestrator's daemons (`/healthz`, `/metrics`, `/version`,
 * `/logspec`, after Fabric's operations service) and their structured logs.
 */
export { startOperationsServer } from './server';
export type { OperationsServer, OperationsServerOptions, OperationsTls } from './server';
export { cachedCheck, DEFAULT_CHECK_TIMEOUT_MS, runHealthChecks } from './health';
export type { CheckResult, FailedCheck, HealthCheck, HealthStatus } from './health';
export { assertListenAllowed, isLoopback, OperationsConfigError, parseListenAddress } from './listen';
export type { ListenAddress } from './listen';
export { MgmtMetrics } from './metrics';
export type { MgmtMetricsOptions, PrimaryHeights } from './metrics';
export { eventStreamCheck, inForceCheck, NODE_CHECK_DEFAULTS, observerLagCheck, peerCheck } from './nodeChecks';
export { watchEventStream } from './streamWatch';
export type { StreamState, WatchedLedger } from './streamWatch';
export { versionInfo } from './version';
export type { VersionInfo } from './version';
export { enabled, LOG_LEVELS, levelFor, LogSpecError, parseLogSpec } from './logSpec';
export type { LogLevel, LogSpec } from './logSpec';
export { createLogSink, LOG_FORMATS } from './logging';
export type { ComponentLogger, LogFields, LogFormat, LogSink, LogSinkOptions } from './logging';
export { checkLoggingOptions, loggingCliOptions, operationsCliOptions, operationsTlsOf, OptionCombinationError } from './cliOptions';
export type { LoggingCliOptions, OperationsCliOptions } from './cliOptions';
