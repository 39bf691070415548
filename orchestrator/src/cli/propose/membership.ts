/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The params a membership change asks for, built from the params in force: `--add-member`,
 * `--remove-member`, `--rotate-ca`, or a whole `--params` file. The chaincode checks the same
 * rules; checking here first says what is wrong before anyone is asked to vote.
 */
import { readFileSync } from 'node:fs';
import type { GenesisParams, Member } from 'mgmt-chaincode/dist/protocol';
import { membershipChange, membershipChangeProblem, messageOf, validateParams } from 'mgmt-chaincode/dist/protocol';
import type { MembershipChange } from 'mgmt-chaincode/dist/protocol';
import { CliError, UsageError } from '../errors';
import { readJsonObject } from '../input';
import { orgFileProblems } from '../org/orgFile';
import type { OrgFile } from '../org/orgFile';
import type { ProposeOptions } from './options';

/**
 * The organisation file of `--add-org`.
 *
 * @throws {@link UsageError} naming every problem.
 */
export function readOrgFile(file: string): OrgFile {
  const value = readJsonObject(file, 'organisation file');
  const problems = orgFileProblems(value);
  if (problems.length > 0) throw new UsageError(`--add-org ${file}: ${problems.join('; ')}`);
  return value as unknown as OrgFile;
}

/** Whether the options ask for a params change at all. */
export function changesParams(options: ProposeOptions): boolean {
  return options.params !== undefined || options.addMember !== undefined || options.addOrg !== undefined || (options.removeMember?.length ?? 0) > 0 || (options.rotateCa?.length ?? 0) > 0;
}

function memberSpec(spec: string, option: string): Member {
  const at = spec.indexOf('=');
  if (at <= 0 || at === spec.length - 1) throw new UsageError(`${option} takes <mspId>=<caCertFile>, got ${JSON.stringify(spec)}`);
  const file = spec.slice(at + 1);
  let caCertificate: string;
  try {
    caCertificate = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${option}: cannot read the CA certificate ${file}: ${messageOf(err)}`, { cause: err });
  }
  return { mspId: spec.slice(0, at), caCertificate };
}

/**
 * The new params: the whole `--params` object, or the params in force with the members added,
 * removed and rotated, validated as the chaincode validates them and within the safety rules.
 *
 * @throws {@link UsageError} for unreadable input; {@link CliError} naming the rule or field broken.
 */
export function newParams(options: ProposeOptions, inForce: GenesisParams, readStdin?: () => string): { params: GenesisParams; change: MembershipChange } {
  let candidate: unknown;
  if (options.params !== undefined) {
    candidate = readJsonObject(options.params, 'params', readStdin);
  } else {
    let members: Member[] = inForce.members.map((m) => ({ ...m }));
    for (const id of options.removeMember ?? []) {
      if (!members.some((m) => m.mspId === id)) throw new CliError(`--remove-member ${id}: not a member (members: ${members.map((m) => m.mspId).join(', ')})`);
      members = members.filter((m) => m.mspId !== id);
    }
    for (const spec of options.rotateCa ?? []) {
      const rotated = memberSpec(spec, '--rotate-ca');
      if (!members.some((m) => m.mspId === rotated.mspId)) throw new CliError(`--rotate-ca ${rotated.mspId}: not a member`);
      members = members.map((m) => (m.mspId === rotated.mspId ? rotated : m));
    }
    const added = options.addOrg !== undefined ? readOrgFile(options.addOrg).member : options.addMember === undefined ? undefined : memberSpec(options.addMember, '--add-member');
    if (added !== undefined) {
      if (members.some((m) => m.mspId === added.mspId)) throw new CliError(`${added.mspId} is already a member`);
      members.push(added);
    }
    candidate = { ...inForce, members };
  }
  let params: GenesisParams;
  try {
    params = validateParams(candidate);
  } catch (err) {
    throw new CliError(`${messageOf(err)}; nothing proposed`, { cause: err });
  }
  const problem = membershipChangeProblem(inForce, params);
  if (problem !== undefined) throw new CliError(`the new params ${problem}; nothing proposed`);
  return { params, change: membershipChange(inForce, params) };
}
