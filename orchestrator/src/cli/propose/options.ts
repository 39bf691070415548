/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { Option } from 'commander';

/** Options of `mgmt propose`: the configuration comes from exactly one of the file argument, --edit and --patch. */
export interface ProposeOptions {
  readonly edit?: boolean;
  /** A JSON Patch (RFC 6902) file, or `-` for stdin. */
  readonly patch?: string;
  readonly dryRun?: boolean;
}

/** The options. */
export function proposeOptions(): Option[] {
  return [
    new Option('--edit', 'edit the configuration in force (the latest CB\'s) in $VISUAL or $EDITOR and propose the result').conflicts('patch'),
    new Option('--patch <file>', 'apply a JSON Patch (RFC 6902; a file, or - for stdin) to the configuration in force and propose the result').conflicts('edit'),
    new Option('--dry-run', 'check the configuration and show what changes, but propose nothing'),
  ];
}
