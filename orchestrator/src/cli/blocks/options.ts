/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { Option } from 'commander';
import { integerIn } from '../input';

/** Options of `mgmt blocks`. */
export interface BlocksOptions {
  readonly from: number;
  /** Inclusive; the latest block by default. */
  readonly to?: number;
  readonly verify?: boolean;
}

/** The options. */
export function blocksOptions(): Option[] {
  return [
    new Option('--from <height>', 'first height').argParser(integerIn(0)).default(0).env('MGMT_FROM'),
    new Option('--to <height>', 'last height, inclusive (default: the latest)').argParser(integerIn(0)).env('MGMT_TO'),
    new Option('--verify', 'verify the chain offline (hash links, proposers, proofs, schedule); needs --from 0'),
  ];
}
