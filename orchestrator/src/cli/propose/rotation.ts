/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A member's CA rotation on the channels, in Fabric's two steps. `--rotate-ca` puts the new root
 * beside the old one in the organisation's MSP (NodeOUs then bound to no root, so identities of
 * both CAs keep their roles) in the same CB that makes the new CA the member's in the params: the
 * organisation's peers, orderers and users keep working while its operator reissues their
 * certificates. `--retire-ca`, once they all hold certificates of the new CA, leaves only the CA
 * in force. Without the first step the member's new identities could not transact on `mgmt`, and
 * without the second the old CA would still be trusted by the channels.
 */
import type { common } from '@hyperledger/fabric-protos';
import { organizationGroupsOf, readOrganization } from 'fabric-config/configtx';
import type { OrganizationEntryModel } from 'fabric-config/configtx';
import { sameCertificate } from 'fabric-config/msp';
import type { GenesisParams, JsonObject } from 'mgmt-chaincode/dist/protocol';
import { CliError } from '../errors';

function entryOf(config: common.Config, mspId: string, option: string, channelId: string): OrganizationEntryModel {
  const groups = organizationGroupsOf(config, mspId);
  if (groups.length === 0) throw new CliError(`${option} ${mspId}: channel ${channelId} has no organisation ${mspId}; nothing proposed`);
  try {
    return { ...readOrganization(config, mspId), groups };
  } catch (err) {
    throw new CliError(`${option} ${mspId}: ${(err as Error).message}; nothing proposed`, { cause: err });
  }
}

/**
 * The `organizations` entries that start the rotations: each organisation as `channelId` has it,
 * with the member's new CA certificate (from `params`) added to its root certificates.
 *
 * @param config - the channel's config now.
 * @param rotated - MSP IDs whose CA the new params replace.
 * @param params - the params the CB carries.
 * @throws {@link CliError} when the channel lacks the organisation or the model cannot state it.
 */
export function rotationEntries(config: common.Config, channelId: string, rotated: readonly string[], params: GenesisParams): Record<string, JsonObject> {
  const entries: Record<string, JsonObject> = {};
  for (const mspId of rotated) {
    const entry = entryOf(config, mspId, '--rotate-ca', channelId);
    const ca = params.members.find((m) => m.mspId === mspId)?.caCertificate;
    if (ca === undefined) throw new CliError(`--rotate-ca ${mspId}: not a member of the new params; nothing proposed`);
    if (entry.rootCerts.some((root) => sameCertificate(root, ca))) continue;
    entries[mspId] = { ...entry, rootCerts: [...entry.rootCerts, ca] } as unknown as JsonObject;
  }
  return entries;
}

/**
 * The `organizations` entries that finish rotations: each organisation with only the CA the
 * params in force name for it as root.
 *
 * @throws {@link CliError} when an MSP ID is no member, the channel lacks it, its roots do not
 *   include the CA in force, or there is nothing to retire.
 */
export function retirementEntries(config: common.Config, channelId: string, retiring: readonly string[], params: GenesisParams): Record<string, JsonObject> {
  const entries: Record<string, JsonObject> = {};
  for (const mspId of retiring) {
    const ca = params.members.find((m) => m.mspId === mspId)?.caCertificate;
    if (ca === undefined) throw new CliError(`--retire-ca ${mspId}: not a member (members: ${params.members.map((m) => m.mspId).join(', ')}); nothing proposed`);
    const entry = entryOf(config, mspId, '--retire-ca', channelId);
    const inForce = entry.rootCerts.find((root) => sameCertificate(root, ca));
    if (inForce === undefined) {
      throw new CliError(`--retire-ca ${mspId}: the CA in force for ${mspId} is not among its root certificates on ${channelId}; rotate it first (--rotate-ca); nothing proposed`);
    }
    if (entry.rootCerts.length === 1) throw new CliError(`--retire-ca ${mspId}: its only root certificate on ${channelId} is the CA in force: nothing to retire; nothing proposed`);
    entries[mspId] = { ...entry, rootCerts: [inForce] } as unknown as JsonObject;
  }
  return entries;
}

/**
 * `model` with `entries` in its `organizations`. An organisation in `organizations` states its
 * anchor peers itself, so the model's `application.anchorPeers` of it move into its entry.
 */
export function withOrganizationEntries(model: JsonObject, entries: Readonly<Record<string, JsonObject>>): JsonObject {
  const application = (model.application ?? undefined) as JsonObject | undefined;
  const stated = (application?.anchorPeers ?? {}) as JsonObject;
  const anchorPeers = Object.fromEntries(Object.entries(stated).filter(([mspId]) => !Object.hasOwn(entries, mspId)));
  const organizations: JsonObject = { ...((model.organizations ?? {}) as JsonObject) };
  for (const [mspId, entry] of Object.entries(entries)) {
    organizations[mspId] = stated[mspId] === undefined ? entry : { ...entry, anchorPeers: stated[mspId] };
  }
  const next: JsonObject = { ...model, organizations };
  if (application?.anchorPeers !== undefined) next.application = { ...application, anchorPeers };
  return next;
}

