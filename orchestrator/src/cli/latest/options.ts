/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Option } from 'commander';

/** `mgmt latest` takes only the global options. */
export function latestOptions(): Option[] {
  return [];
}
