/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The organisations `mgmt connect` starts from, by source: a test-network folder (profiles and
 * material), a cryptogen folder with endpoints given by flags, or organisations given explicitly.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import type { DraftEndpoint, DraftOrg, Sourced } from './draft';
import type { Layout, LayoutOrg } from './layout';
import type { MaterialDir } from './material';
import type { NamedValue } from './options';
import { readConnectionProfile } from './profile';
import type { ProfileOrganization, ProfilePeer } from './profile';
import { certificateNames, issuerAmong, probeTls } from './tlsProbe';

function sourcedOf(p: string | undefined, from: string): Sourced | undefined {
  return p === undefined ? undefined : { path: p, from };
}

function orgMaterial(org: LayoutOrg, flag: string): Pick<DraftOrg, 'caCert' | 'adminMsp' | 'userMsp'> {
  return {
    caCert: sourcedOf(org.caCertPath, `${flag} ${org.orgDir}`),
    adminMsp: sourcedOf(org.adminMspDir, `${flag} ${org.orgDir}/users/Admin@${org.domain}`),
    userMsp: sourcedOf(org.userMspDir, `${flag} ${org.orgDir}/users/User1@${org.domain}`),
  };
}

/** The layout organisation a profile's organisation belongs to: by its peers' names, else the profile's folder. */
function layoutOrgOf(profileOrg: ProfileOrganization, profileDir: LayoutOrg, orgs: readonly LayoutOrg[]): LayoutOrg {
  const names = profileOrg.peers.flatMap((p) => [p.name, p.hostAlias]);
  return orgs.find((o) => o.kind === 'peer' && names.some((n) => n.endsWith(`.${o.domain}`))) ?? profileDir;
}

function profileEndpoint(peer: ProfilePeer, profileFile: string, material: MaterialDir, mspId: string): DraftEndpoint {
  const from = `${profileFile} ${peer.field}`;
  const tlsCaCert: Sourced =
    'pem' in peer.tlsCaCert
      ? { path: material.writePem(peer.tlsCaCert.pem, mspId, 'peer-tlsca.pem'), from: `${from}.tlsCACerts.pem` }
      : { path: peer.tlsCaCert.path, from: `${from}.tlsCACerts.path` };
  return { endpoint: peer.endpoint, hostAlias: peer.hostAlias, tlsCaCert, from, aliasFix: `${from}.grpcOptions.ssl-target-name-override (or --peer-host-alias ${mspId}=<host>)` };
}

/**
 * Organisations of a test-network `organizations/` folder: each peer organisation's MSP ID and
 * peer from its connection profile, its CA and users from its folder; orderer organisations
 * (named by the channel config later) from `ordererOrganizations/`.
 *
 * @throws {@link UsageError} when a peer organisation has no profile and no --peer flag names it.
 */
export function draftsFromTestNetwork(layout: Layout, material: MaterialDir, peerFlags: readonly NamedValue[]): DraftOrg[] {
  const flag = '--test-network';
  const drafts: DraftOrg[] = [];
  for (const org of layout.orgs.filter((o) => o.kind === 'peer')) {
    for (const file of org.profiles) {
      const profile = readConnectionProfile(file);
      for (const profileOrg of profile.organizations) {
        if (drafts.some((d) => d.mspId === profileOrg.mspId)) continue;
        const layoutOrg = layoutOrgOf(profileOrg, org, layout.orgs);
        const peer = profileOrg.peers[0] as ProfilePeer | undefined;
        drafts.push({
          mspId: profileOrg.mspId,
          domain: layoutOrg.domain,
          layout: layoutOrg,
          peer: peer === undefined ? undefined : profileEndpoint(peer, file, material, profileOrg.mspId),
          ...orgMaterial(layoutOrg, flag),
        });
      }
    }
  }
  const described = new Set(drafts.map((d) => d.domain));
  const bare = layout.orgs.filter((o) => o.kind === 'peer' && !described.has(o.domain));
  if (bare.length > 0 && peerFlags.length === 0) {
    throw new UsageError(`${flag}: ${bare.map((o) => o.orgDir).join(', ')} ${bare.length === 1 ? 'has' : 'have'} no connection profile (connection-<org>.json or .yaml): run test-network's organizations/ccp-generate.sh, or give the peers with --peer <mspId>=<host:port>`);
  }
  return [...drafts, ...layout.orgs.filter((o) => o.kind === 'orderer').map((o) => ({ mspId: undefined, domain: o.domain, layout: o, ...orgMaterial(o, flag) }))];
}

/**
 * A member named only by a --peer flag (a cryptogen folder has no MSP IDs): its organisation is
 * the one whose TLS CA issued its peer's certificate, its host alias a name that certificate is
 * issued for.
 */
async function draftFromPeerCertificate(drafts: DraftOrg[], layout: Layout | undefined, name: string, value: string): Promise<void> {
  const from = `--peer ${name}=${value}`;
  const candidates = (layout?.orgs ?? []).filter((o) => o.kind === 'peer' && o.tlsCaCertPath !== undefined && !drafts.some((d) => d.domain === o.domain && d.mspId !== undefined));
  const probe = await probeTls({ endpoint: value, hostAlias: undefined, tlsCaPem: undefined });
  if (probe.kind === 'unreachable') throw new UsageError(`${from}: ${probe.reason}; is the peer up, and is this its address?`);
  const issuer = issuerAmong(probe.certificate, candidates.map((o) => ({ org: o, pem: readFileSync(o.tlsCaCertPath ?? '', 'utf8') })));
  if (issuer === undefined) {
    throw new UsageError(`${from}: no TLS CA of ${layout === undefined ? 'the given folder' : path.join(layout.root, 'peerOrganizations')} issued the certificate of ${value} (${probe.certificate.subject.replace(/\n/g, ', ')}); is this the right peer and folder?`);
  }
  const org = issuer.org;
  let draft = drafts.find((d) => d.domain === org.domain);
  if (draft === undefined) {
    draft = { mspId: name, domain: org.domain, layout: org, ...orgMaterial(org, '--crypto') };
    drafts.push(draft);
  } else {
    draft.mspId = name;
  }
  const host = certificateNames(probe.certificate).find((n) => n.endsWith(`.${org.domain}`));
  const tls = org.peers.find((p) => p.host === host)?.tlsCaCertPath ?? org.tlsCaCertPath ?? '';
  draft.peer = { endpoint: value, hostAlias: host ?? hostOf(value), tlsCaCert: { path: tls, from: `--crypto ${org.orgDir}` }, from, aliasFix: `--peer-host-alias ${name}=<host>` };
}

function hostOf(endpoint: string): string {
  return endpoint.slice(0, endpoint.lastIndexOf(':'));
}

/**
 * Applies --peer flags (a member's peer endpoint by MSP ID) and --peer-host-alias flags.
 *
 * @throws {@link UsageError} when a peer does not answer TLS, no organisation's TLS CA issued its
 *   certificate, or a host alias names no member with a peer.
 */
export async function applyPeerFlags(drafts: DraftOrg[], layout: Layout | undefined, peerFlags: readonly NamedValue[], aliasFlags: readonly NamedValue[]): Promise<void> {
  for (const { name, value } of peerFlags) {
    const from = `--peer ${name}=${value}`;
    const draft = drafts.find((d) => d.mspId === name || (d.domain !== '' && d.domain === name));
    if (draft === undefined) {
      await draftFromPeerCertificate(drafts, layout, name, value);
    } else if (draft.peer === undefined) {
      const org = draft.layout;
      const tls = org?.peers[0]?.tlsCaCertPath ?? org?.tlsCaCertPath;
      if (tls === undefined) throw new UsageError(`${from}: the TLS CA certificate of ${name}'s peer is unknown; give it with --org ${name},peer=${value},peerTls=<pem>`);
      draft.peer = { endpoint: value, hostAlias: org?.peers[0]?.host ?? hostOf(value), tlsCaCert: { path: tls, from: org?.orgDir ?? from }, from, aliasFix: `--peer-host-alias ${name}=<host>` };
    } else {
      draft.peer = { ...draft.peer, endpoint: value, from };
    }
  }
  for (const { name, value } of aliasFlags) {
    const draft = drafts.find((d) => d.mspId === name || d.domain === name);
    if (draft?.peer === undefined) throw new UsageError(`--peer-host-alias ${name}=${value}: no member ${name} with a peer; members are ${drafts.filter((d) => d.peer !== undefined).map((d) => d.mspId).join(', ')}`);
    draft.peer = { ...draft.peer, hostAlias: value, aliasFix: `--peer-host-alias ${name}=<host>` };
  }
}

/**
 * Organisations of a cryptogen output folder: none is a member until a --peer flag names it;
 * orderer organisations wait for the channel config to name them.
 */
export function draftsFromCrypto(layout: Layout): DraftOrg[] {
  return layout.orgs.filter((o) => o.kind === 'orderer').map((o) => ({ mspId: undefined, domain: o.domain, layout: o, ...orgMaterial(o, '--crypto') }));
}
