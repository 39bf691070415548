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
  /** A complete new params (file or `-`): the CB changes the management parameters. */
  readonly params?: string;
  /** `<mspId>=<caCertFile>`: admit a member. */
  readonly addMember?: string;
  /** A file of `mgmt org new`: admit the organisation to the member set and to `primary` in one CB. */
  readonly addOrg?: string;
  /** MSP IDs of members to remove. */
  readonly removeMember?: string[];
  /** `<mspId>=<caCertFile>` each: replace a member's CA certificate (and add it to the org's roots on the channels). */
  readonly rotateCa?: string[];
  /** MSP IDs whose old roots leave the channels: only the CA in force stays. */
  readonly retireCa?: string[];
}

/** The options. */
export function proposeOptions(): Option[] {
  return [
    new Option('--edit', 'edit the configuration in force (the latest CB\'s) in $VISUAL or $EDITOR and propose the result').conflicts('patch'),
    new Option('--patch <file>', 'apply a JSON Patch (RFC 6902; a file, or - for stdin) to the configuration in force and propose the result').conflicts('edit'),
    new Option('--dry-run', 'check the configuration and show what changes, but propose nothing'),
    new Option('--params <file>', 'also change the management parameters: a complete new params object (a file, or - for stdin), in force from the next height').conflicts(['addMember', 'addOrg', 'removeMember', 'rotateCa']),
    new Option('--add-member <mspId=caCertFile>', 'admit one member (its MSP ID and the PEM of its CA certificate) from the next height').conflicts('addOrg'),
    new Option('--add-org <file>', "admit an organisation (the file `mgmt org new` writes) to the member set and to primary's channel configuration in one CB"),
    new Option('--remove-member <mspId...>', 'remove members from the next height (at most n - quorum(n) in one block)'),
    new Option('--rotate-ca <mspId=caCertFile...>', "replace members' CA certificates from the next height; on a chain of channel models the new CA also joins the organisation's root certificates on the channels, beside the old one"),
    new Option('--retire-ca <mspId...>', "finish a CA rotation: leave only the member's CA in force as the organisation's root on the channels (once its nodes and users hold certificates of it)"),
  ];
}
