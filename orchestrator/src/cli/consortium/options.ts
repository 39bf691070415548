/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { Option } from 'commander';
import { CYCLE_TIMEOUT_DEFAULTS } from '../../consortium/defaults';
import { DEFAULT_DATA_DIR } from '../../consortium/runner';
import { CHANNEL_MODEL_SCHEMA_FILE } from '../../twins/primaryConfig';
import { integerIn, nonNegativeNumber } from '../input';
import { traceFileOption } from '../trace/open';

/** Options of `mgmt consortium`. */
export interface ConsortiumCliOptions {
  readonly rounds: number;
  readonly cbi: number;
  /** Undefined: the backend's default ({@link defaultCycleTimeout}). */
  readonly cycleTimeout?: number;
  /** Observer state per member, kept across runs; default inside the devnet's data folder or .mgmt/consortium. */
  readonly stateDir?: string;
  readonly workloadTps: number;
  readonly keep?: boolean;
  readonly data: string;
  readonly basePort: number;
  readonly batchTimeout?: string;
  readonly schema: string;
  /** False with --no-apply: CBs are agreed but not put in force on the primary channel. */
  readonly apply: boolean;
  /** `tuning`: rules twins tune batch values; `governance`: operators change a policy, a capability and an ACL. */
  readonly scenario: 'tuning' | 'governance' | 'membership';
  /** Append every member's steps to this file (JSON lines) for `mgmt trace`. */
  readonly trace?: string;
}

/** The options, each also from an `MGMT_` variable. */
export function consortiumOptions(): Option[] {
  return [
    new Option('--rounds <n>', 'stop after n configuration blocks (0: run until Ctrl-C)').argParser(integerIn(0)).default(0).env('MGMT_ROUNDS'),
    new Option('--cbi <seconds>', 'configuration block interval of the new chain').argParser(integerIn(1)).default(5).env('MGMT_CBI'),
    new Option(
      '--cycle-timeout <seconds>',
      `length of one proposal cycle of a new chain; default ${CYCLE_TIMEOUT_DEFAULTS.devnet} s on the devnet, ${CYCLE_TIMEOUT_DEFAULTS.native} s on native Fabric. A cycle holds three ordering rounds (Propose, votes, Tally): pick at least twice the p95 agreement delay that \`npm run bench:management\` prints on your network`,
    )
      .argParser(integerIn(1))
      .env('MGMT_CYCLE_TIMEOUT'),
    new Option('--workload-tps <rate>', 'transactions per second on the primary channel').argParser(nonNegativeNumber).default(20).env('MGMT_WORKLOAD_TPS'),
    new Option('--keep', 'leave the devnet running afterwards (stop it with `npm run devnet -- down`)').env('MGMT_KEEP'),
    new Option('--data <dir>', 'data folder of the devnet it starts').default(DEFAULT_DATA_DIR).env('MGMT_DATA'),
    new Option('--base-port <port>', 'first port of the devnet port grid (uses base..base+6001)').argParser(integerIn(1024, 59534)).default(7050).env('MGMT_BASE_PORT'),
    new Option('--batch-timeout <duration>', "the devnet channels' genesis BatchTimeout, e.g. 100ms").env('MGMT_BATCH_TIMEOUT'),
    new Option('--no-apply', 'agree on CBs only: do not put them in force on the primary channel'),
    new Option('--state-dir <dir>', "members' observer state, kept across runs (default: observers/ beside the connection file, in the devnet's data folder when it starts one)").env('MGMT_STATE_DIR'),
    new Option('--schema <file>', 'JSON Schema of the primary configuration for genesis (default: the channel model, schemas/channel-config.schema.json)').default(CHANNEL_MODEL_SCHEMA_FILE).env('MGMT_SCHEMA'),
    new Option(
      '--scenario <name>',
      'tuning: rules twins tune the batch values under the workload; governance: the operators change an endorsement policy, a capability and an ACL, one after the other, then audit; membership (devnet): Org5 admitted, its peer endorsing, Org5 proposing in its turn, Org4 removed and its vote no longer counted, then audit',
    )
      .choices(['tuning', 'governance', 'membership'])
      .default('tuning')
      .env('MGMT_SCENARIO'),
    traceFileOption(),
  ];
}
