/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The file `mgmt org new` writes and `mgmt propose --add-org` reads: what a consortium needs to
 * admit an organisation in one CB, the member entry of the management chain (MSP ID and CA
 * certificate) and the organisation as the channel model writes it into `primary`.
 */
import type { OrganizationModel } from 'fabric-config/configtx';
import { organizationProblems } from 'fabric-config/configtx';
import type { Member } from 'mgmt-chaincode/dist/protocol';

/** Format marker of the file, so that another JSON file is not taken for one. */
export const ORG_FILE_FORMAT = 'mgmt-org-v1';

/** An organisation to admit. */
export interface OrgFile {
  readonly format: typeof ORG_FILE_FORMAT;
  /** Its entry in the management chain's params. */
  readonly member: Member;
  /** Its groups in `primary` (a channel model `organizations` entry). */
  readonly organization: OrganizationModel & { readonly groups: readonly ('application' | 'orderer')[] };
}

/** Why a parsed value is not an organisation file (every problem), or an empty list. */
export function orgFileProblems(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return ['must be a JSON object'];
  const file = value as Record<string, unknown>;
  const problems: string[] = [];
  if (file.format !== ORG_FILE_FORMAT) problems.push(`format must be "${ORG_FILE_FORMAT}" (a file written by mgmt org new)`);
  const member = file.member as Record<string, unknown> | undefined;
  if (member === undefined || typeof member.mspId !== 'string' || typeof member.caCertificate !== 'string') problems.push('member must be {mspId, caCertificate}');
  const org = file.organization as Record<string, unknown> | undefined;
  if (org === undefined || typeof org !== 'object') {
    problems.push('organization is missing');
  } else {
    const { groups, ...definition } = org;
    if (!Array.isArray(groups) || groups.length === 0 || groups.some((g) => g !== 'application' && g !== 'orderer')) problems.push('organization.groups must list application and/or orderer');
    problems.push(...organizationProblems(definition, 'organization'));
    if (member !== undefined && definition.mspId !== member.mspId) problems.push('organization.mspId differs from member.mspId');
    if (member !== undefined && Array.isArray(definition.rootCerts) && typeof member.caCertificate === 'string' && String(definition.rootCerts[0]).trim() !== member.caCertificate.trim()) {
      problems.push("member.caCertificate must be the organisation's first root certificate (its votes are checked against it)");
    }
  }
  return problems;
}
