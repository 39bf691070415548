/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { Option } from 'commander';
import { DEFAULT_HTTP_TWIN_TIMEOUT_MS } from '../../twins/httpTwin';
import { CHANNEL_MODEL_SCHEMA_FILE, DEFAULT_PRIMARY_CONFIG } from '../../twins/primaryConfig';
import { loggingCliOptions, operationsCliOptions } from '../../operations/cliOptions';
import type { LoggingCliOptions, OperationsCliOptions } from '../../operations/cliOptions';
import { integerIn, keyNumbers } from '../input';
import { traceFileOption } from '../trace/open';

/** The built-in twins `mgmt node` can run. */
export const TWIN_KINDS = ['operator', 'rules', 'http'] as const;

/** Options of `mgmt node` (with those of the operations endpoint and of the logs). */
export interface NodeOptions extends OperationsCliOptions, LoggingCliOptions {
  readonly twin: (typeof TWIN_KINDS)[number];
  /** operator: the desired configuration file, re-read on every decision. */
  readonly configFile?: string;
  /** operator: the desired configuration as inline JSON. */
  readonly config?: string;
  /** operator: per-key allowance. */
  readonly allowance?: Record<string, number>;
  /** operator: the member set the operator wants (membership changes). */
  readonly membersFile?: string;
  /** http: the twin service's URL. */
  readonly twinUrl?: string;
  readonly twinTimeout: number;
  /** rules: a JSON file of thresholds (RulesTwinThresholds fields). */
  readonly rules?: string;
  /** Bounds for the twin before genesis exists (after genesis: the chain's schema). */
  readonly schema: string;
  /** False with --no-metrics. */
  readonly metrics: boolean;
  readonly metricsWindow: number;
  readonly maxMessageCount: number;
  readonly tallyStagger: number;
  /** False with --no-apply: the node decides but does not put CBs in force on the primary channel. */
  readonly apply: boolean;
  /** Observer state (checkpoint, verified chain); default .mgmt/<mspId>. */
  readonly stateDir?: string;
  /** Take no part in signing primary-channel updates (the others still form a majority). */
  readonly refuseSigning?: boolean;
  /** Append this member's steps to this file (JSON lines) for `mgmt trace`. */
  readonly trace?: string;
}

/** The options, each also from an `MGMT_` variable. */
export function nodeOptions(): Option[] {
  return [
    new Option('--twin <kind>', 'the digital twin').choices(TWIN_KINDS).default('rules').env('MGMT_TWIN'),
    new Option('--config-file <file>', 'operator twin: desired configuration file (re-read on every decision)').env('MGMT_TWIN_CONFIG_FILE').conflicts('config'),
    new Option('--config <json>', 'operator twin: desired configuration as JSON').env('MGMT_TWIN_CONFIG'),
    new Option('--allowance <key=n,...>', 'operator twin: approve values within n of the desired ones').argParser(keyNumbers).env('MGMT_TWIN_ALLOWANCE'),
    new Option('--members-file <file>', 'operator twin: {"members": [{"mspId", "caCertificate"}, …]}, the member set the operator wants: proposed when it differs from the one in force, and the only params change approved').env('MGMT_TWIN_MEMBERS_FILE'),
    new Option('--twin-url <url>', 'http twin: the service to POST questions to').env('MGMT_TWIN_URL'),
    new Option('--twin-timeout <ms>', 'http twin: answer timeout').argParser(integerIn(1)).default(DEFAULT_HTTP_TWIN_TIMEOUT_MS).env('MGMT_TWIN_TIMEOUT'),
    new Option('--rules <file>', 'rules twin: JSON thresholds, e.g. {"highFill":0.9,"lowLatencyMs":200}').env('MGMT_TWIN_RULES'),
    new Option('--schema <file>', 'bounds for the twin until genesis is sealed').default(CHANNEL_MODEL_SCHEMA_FILE).env('MGMT_SCHEMA'),
    new Option('--no-metrics', 'do not watch the primary channel (the twin sees no load)'),
    new Option('--metrics-window <seconds>', 'sliding window of the primary-channel metrics').argParser(integerIn(1)).default(30).env('MGMT_METRICS_WINDOW'),
    new Option('--max-message-count <n>', "the primary channel's MaxMessageCount at start (config blocks update it)").argParser(integerIn(1)).default(DEFAULT_PRIMARY_CONFIG.maxMessageCount).env('MGMT_MAX_MESSAGE_COUNT'),
    new Option('--no-apply', 'decide only: do not observe CBs and put them in force on the primary channel'),
    new Option('--state-dir <dir>', 'observer state (checkpoint, verified chain); default .mgmt/<mspId>').env('MGMT_STATE_DIR'),
    new Option('--refuse-signing', "never sign primary-channel updates (an operator withholding consent)").env('MGMT_REFUSE_SIGNING'),
    new Option('--tally-stagger <ms>', 'per-rank delay before a non-proposer tallies').argParser(integerIn(0)).default(300).env('MGMT_TALLY_STAGGER'),
    traceFileOption(),
    ...operationsCliOptions(),
    ...loggingCliOptions(),
  ];
}
