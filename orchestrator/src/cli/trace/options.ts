/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Option } from 'commander';

/** `mgmt trace` takes only the global options (`--json`). */
export function traceOptions(): Option[] {
  return [];
}
