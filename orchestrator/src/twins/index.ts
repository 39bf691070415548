/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Digital twins (docs/architecture.md, "Digital twins") behind one interface, and the primary-channel metrics that
 * feed them.
 */
export type { DigitalTwin, PrimaryMetrics, TwinState, Verdict } from './twin';
export { TwinError } from './errors';
export type { TwinErrorCode } from './errors';
export {
  boundsFromSchema,
  clamp,
  DEFAULT_PRIMARY_CONFIG,
  inRange,
  PRIMARY_CONFIG_KEYS,
  PRIMARY_CONFIG_SCHEMA_FILE,
  primaryConfigOf,
  readSchemaFile,
} from './primaryConfig';
export type { PrimaryBounds, PrimaryConfig, PrimaryConfigKey, Range } from './primaryConfig';
export { OperatorTwin } from './operatorTwin';
export type { OperatorTwinOptions } from './operatorTwin';
export { DEFAULT_RULES, opinions, RulesTwin } from './rulesTwin';
export type { Direction, RuleOpinion, RulesTwinOptions, RulesTwinThresholds } from './rulesTwin';
export { DEFAULT_HTTP_TWIN_TIMEOUT_MS, HttpTwin } from './httpTwin';
export type { HttpTwinOptions, HttpTwinRequest } from './httpTwin';
export { computeMetrics, NO_METRICS, PrimaryMetricsCollector, summariseBlock } from './metrics';
export type { BlockSample, BlockSummary, PrimaryMetricsCollectorOptions } from './metrics';
