/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Option } from 'commander';

/** `mgmt tally` takes only the proposal id. */
export function tallyOptions(): Option[] {
  return [];
}
