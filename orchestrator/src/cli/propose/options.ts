/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Option } from 'commander';

/** `mgmt propose` takes its configuration as an argument (a file, or - for stdin). */
export function proposeOptions(): Option[] {
  return [];
}
