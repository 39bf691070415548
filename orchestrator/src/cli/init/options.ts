/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { Option } from 'commander';
import { PARAM_DEFAULTS } from 'mgmt-chaincode/dist/protocol';
import { CHANNEL_MODEL_SCHEMA_FILE } from '../../twins/primaryConfig';
import { integerIn } from '../input';

/** Options of `mgmt init`. */
export interface InitOptions {
  /** A complete InitLedger input `{"params": ..., "config": ...}`; excludes the generating options. */
  readonly params?: string;
  readonly cbi: number;
  readonly cycleTimeout: number;
  readonly clockTolerance: number;
  readonly schema: string;
  /** The initial configuration (file or `-`); the devnet's batch parameters by default. */
  readonly config?: string;
  readonly dryRun?: boolean;
}

/** The options, each also from an `MGMT_` variable. */
export function initOptions(): Option[] {
  return [
    new Option('--params <file>', 'complete InitLedger input {"params": {...}, "config": {...}} (file, or - for stdin)').env('MGMT_PARAMS').conflicts(['config']),
    new Option('--cbi <seconds>', 'configuration block interval').argParser(integerIn(1)).default(PARAM_DEFAULTS.cbiSeconds).env('MGMT_CBI'),
    new Option('--cycle-timeout <seconds>', 'length of one proposal cycle').argParser(integerIn(1)).default(PARAM_DEFAULTS.cycleTimeoutSeconds).env('MGMT_CYCLE_TIMEOUT'),
    new Option('--clock-tolerance <seconds>', 'how far a transaction time may be from an endorser clock').argParser(integerIn(0)).default(PARAM_DEFAULTS.clockToleranceSeconds).env('MGMT_CLOCK_TOLERANCE'),
    new Option('--schema <file>', 'JSON Schema 2020-12 of the primary configuration: the channel model (default) or the two batch values of older chains (schemas/primary-config.schema.json); its const/minimum/maximum/properties bound what CBs may say').default(CHANNEL_MODEL_SCHEMA_FILE).env('MGMT_SCHEMA'),
    new Option('--config <file>', 'initial primary configuration (file, or - for stdin); default: what the primary channel runs now (channel model schema), or {"batchTimeoutMs":100,"maxMessageCount":10}').env('MGMT_CONFIG'),
    new Option('--dry-run', 'print the InitLedger input and submit nothing'),
  ];
}
