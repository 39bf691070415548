/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Completing the drafts with what the primary channel's config says: which organisations are
 * members (Application group) and which only order (signers), their MSP IDs (an orderer
 * organisation's folder does not name it: its CA certificate does), the orderer each member uses
 * and, where the source had none, CA and TLS CA certificates.
 */
import { lookup } from 'node:dns/promises';
import { sameCertificate } from 'fabric-config/msp';
import { readFileSync } from 'node:fs';
import type { ChannelConfigView, OrgView } from 'fabric-config/configtx';
import { UsageError } from '../errors';
import type { DraftEndpoint, DraftOrg, Sourced } from './draft';
import { draftName } from './draft';
import type { MaterialDir } from './material';
import type { NamedValue } from './options';

/** A draft the channel config names, with the orderer it uses. */
export interface ResolvedOrg extends DraftOrg {
  mspId: string;
  orderer: DraftEndpoint;
  caCert: Sourced;
}

/** A member: it has a peer. */
export interface ResolvedMember extends ResolvedOrg {
  peer: DraftEndpoint;
}

export interface Resolution {
  readonly members: ResolvedMember[];
  readonly signers: ResolvedOrg[];
  /** What was assumed or left out, for the user to read. */
  readonly notes: string[];
}

export interface ResolveInput {
  readonly drafts: DraftOrg[];
  readonly view: ChannelConfigView;
  readonly material: MaterialDir;
  readonly ordererFlags: readonly NamedValue[];
  readonly ordererAliasFlags: readonly NamedValue[];
  /** The host peers are dialled at (e.g. `localhost`), for orderer names that do not resolve. */
  readonly dialHost: string;
  /** Resolves a host name (tests replace it). */
  readonly resolves?: (host: string) => Promise<boolean>;
}

async function dnsResolves(host: string): Promise<boolean> {
  try {
    await lookup(host);
    return true;
  } catch {
    return false;
  }
}

function readPem(item: Sourced | undefined): string | undefined {
  if (item === undefined) return undefined;
  try {
    return readFileSync(item.path, 'utf8');
  } catch {
    return undefined;
  }
}

function hostOf(endpoint: string): string {
  return endpoint.slice(0, endpoint.lastIndexOf(':'));
}

/**
 * Matches drafts to the channel's organisations and completes them.
 *
 * @throws {@link UsageError} when a draft's MSP ID is not one the channel knows (naming those it
 *   knows), or a member of the channel has no peer in the source.
 */
export async function resolveWithChannel(input: ResolveInput): Promise<Resolution> {
  const { drafts, view, material } = input;
  const resolves = input.resolves ?? dnsResolves;
  const notes: string[] = [];
  const known = view.orgs.map((o) => o.mspId);
  // An orderer organisation's folder does not say its MSP ID; the channel knows its CA.
  for (const draft of drafts.filter((d) => d.mspId === undefined)) {
    const pem = readPem(draft.caCert);
    const org = pem === undefined ? undefined : view.orgs.find((o) => o.rootCerts.some((root) => sameCertificate(root, pem)));
    if (org !== undefined) draft.mspId = org.mspId;
    else notes.push(`${draft.domain}: its CA is not one of channel ${view.channelId}'s organisations; left out`);
  }
  for (const draft of drafts.filter((d) => d.mspId !== undefined && !known.includes(d.mspId))) {
    throw new UsageError(`${draftName(draft)} (from ${draft.peer?.from ?? draft.caCert?.from ?? 'the source'}) is not an organisation of channel ${view.channelId}; the channel knows ${known.join(', ')}: correct the MSP ID (a profile's organizations.<org>.mspid, or the flag)`);
  }
  const byId = (mspId: string): DraftOrg | undefined => drafts.find((d) => d.mspId === mspId);
  const appOrgs = view.orgs.filter((o) => o.memberOf.includes('Application'));
  const ordererOnly = view.orgs.filter((o) => o.memberOf.includes('Orderer') && !o.memberOf.includes('Application'));
  const missing = appOrgs.filter((o) => byId(o.mspId)?.peer === undefined);
  if (missing.length > 0) {
    throw new UsageError(`channel ${view.channelId}'s members ${appOrgs.map((o) => o.mspId).join(', ')} include ${missing.map((o) => o.mspId).join(', ')}, whose peer the source does not give: add --peer <mspId>=<host:port> (with --test-network or --crypto) or --org <mspId>,peer=...`);
  }

  /** @param named - the host name the channel config gives the orderer (a flag's endpoint may be an address). */
  const ordererEndpointOf = async (owner: OrgView, endpoint: string, flagged: boolean, named?: string): Promise<DraftEndpoint> => {
    const draft = byId(owner.mspId);
    const name = hostOf(endpoint);
    const aliasFlag = input.ordererAliasFlags.find((f) => f.name === owner.mspId || f.name === draft?.domain);
    let dial = endpoint;
    if (!flagged && !(await resolves(name))) {
      dial = `${input.dialHost}:${endpoint.slice(endpoint.lastIndexOf(':') + 1)}`;
      notes.push(`orderer ${endpoint} of ${owner.mspId}: ${name} does not resolve here, dialling ${dial} as the peers are (change with --orderer ${owner.mspId}=<host:port>)`);
    }
    const hostAlias = aliasFlag?.value ?? named ?? name;
    const fromLayout = draft?.layout?.orderers.find((o) => o.host === hostAlias)?.tlsCaCertPath ?? draft?.layout?.tlsCaCertPath;
    const tlsCaCert: Sourced =
      fromLayout !== undefined
        ? { path: fromLayout, from: draft?.layout?.orgDir ?? owner.mspId }
        : draft?.orderer !== undefined
          ? draft.orderer.tlsCaCert
          : { path: material.writePem(owner.tlsRootCerts[0] ?? '', owner.mspId, 'orderer-tlsca.pem'), from: `channel ${view.channelId}'s config (${owner.mspId} TLS root certificates)` };
    return {
      endpoint: dial,
      hostAlias,
      tlsCaCert,
      from: flagged ? `--orderer ${owner.mspId}=${endpoint}` : `channel ${view.channelId}'s config (${owner.mspId} orderer endpoints)`,
      aliasFix: `--orderer-host-alias ${owner.mspId}=<host>`,
    };
  };

  /** The orderer an organisation's own endpoints (or flag) give, if any. */
  const ownOrderer = async (org: OrgView): Promise<DraftEndpoint | undefined> => {
    const draft = byId(org.mspId);
    const flag = input.ordererFlags.find((f) => f.name === org.mspId || (draft !== undefined && f.name === draft.domain));
    const named = org.ordererEndpoints[0] === undefined ? undefined : hostOf(org.ordererEndpoints[0]);
    if (flag !== undefined) return ordererEndpointOf(org, flag.value, true, named);
    if (draft?.orderer !== undefined) return draft.orderer;
    const endpoint = org.ordererEndpoints[0];
    return endpoint === undefined ? undefined : ordererEndpointOf(org, endpoint, false);
  };

  const sharedOrderer = async (): Promise<DraftEndpoint | undefined> => {
    for (const org of ordererOnly) {
      const endpoint = await ownOrderer(org);
      if (endpoint !== undefined) return endpoint;
    }
    const global = view.ordererAddresses[0];
    const owner = view.orgs.find((o) => o.memberOf.includes('Orderer'));
    return global === undefined || owner === undefined ? undefined : ordererEndpointOf(owner, global, false);
  };

  const caCertOf = (org: OrgView, draft: DraftOrg): Sourced =>
    draft.caCert ?? { path: material.writePem(org.rootCerts[0] ?? '', org.mspId, 'ca.pem'), from: `channel ${view.channelId}'s config (${org.mspId} root certificates)` };

  const members: ResolvedMember[] = [];
  for (const org of appOrgs) {
    const draft = byId(org.mspId);
    // Checked above: every member of the channel has a draft with a peer.
    if (draft?.peer === undefined) throw new Error(`${org.mspId} has no peer`);
    const orderer = (await ownOrderer(org)) ?? (await sharedOrderer());
    if (orderer === undefined) throw new UsageError(`channel ${view.channelId} names no orderer endpoint for ${org.mspId}: give one with --orderer ${org.mspId}=<host:port>`);
    members.push({ ...draft, mspId: org.mspId, peer: draft.peer, orderer, caCert: caCertOf(org, draft) });
  }
  const signers: ResolvedOrg[] = [];
  for (const org of ordererOnly) {
    const draft = byId(org.mspId);
    if (draft?.adminMsp === undefined) {
      notes.push(`${org.mspId} orders ${view.channelId} but is not a member; no admin MSP folder for it was given, so it is not written as a signer (add --signer ${org.mspId},orderer=...,ordererTls=...,caCert=...,adminMsp=<dir>)`);
      continue;
    }
    const orderer = (await ownOrderer(org)) ?? (await sharedOrderer());
    if (orderer === undefined) {
      notes.push(`${org.mspId}: the channel names no orderer endpoint for it; not written as a signer (give --orderer ${org.mspId}=<host:port>)`);
      continue;
    }
    signers.push({ ...draft, mspId: org.mspId, orderer, caCert: caCertOf(org, draft) });
  }
  return { members, signers, notes: [...new Set(notes)] };
}
