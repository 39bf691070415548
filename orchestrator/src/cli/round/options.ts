/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Option } from 'commander';

/** `mgmt round` takes only the global options. */
export function roundOptions(): Option[] {
  return [];
}
