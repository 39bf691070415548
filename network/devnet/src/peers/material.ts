/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Loads and checks the material of an organisation whose peer the devnet is asked to start: the
 * folder `mgmt org new --out` wrote (cryptogen's layout). A Fabric peer would start with any
 * material and fail later, at every client or endorsement; these checks say what is wrong at once.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { loadOrgCrypto, MspRegistry, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import type { Channel } from '../channel';
import { PeerRequestError } from './request';
import type { AddPeerRequest } from './request';

export const ADDED_PEER_NAME = 'peer0';
// Loaded by loadOrgCrypto as every org's material has one; an added org runs its peer only.
const ORDERER_NAME = 'orderer0';

/** The org's material and its peer's identities, checked against each other and the channels. */
export interface PeerMaterial {
  crypto: OrgCrypto;
  signer: SigningIdentity;
  /** The peer's local MSP: its own organisation's CAs, as a Fabric peer loads its msp folder. */
  localMsp: MspRegistry;
}

/**
 * @param channels - the devnet's channels: an MSP ID they know must have this material's CA.
 * @throws PeerRequestError when the folder or the domain's material is missing or unreadable, the
 *   certificates were not issued by the org's CAs, or the MSP ID is not the one the material
 *   belongs to (per an organisation file in the folder or a channel's configuration).
 */
export async function loadPeerMaterial(request: AddPeerRequest, channels: Iterable<Channel>): Promise<PeerMaterial> {
  const { folder, mspId, domain } = request;
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new PeerRequestError(`folder ${folder} does not exist: give the folder passed to \`mgmt org new --out\``);
  }
  const orgDir = path.join(folder, 'organizations', 'peerOrganizations', domain);
  if (!existsSync(orgDir)) {
    const found = listDomains(folder);
    throw new PeerRequestError(
      `${folder} holds no material for ${domain} (no ${orgDir})${found.length > 0 ? `; it has ${found.join(', ')}` : ''}: check --domain, or make it with \`mgmt org new ${mspId} --domain ${domain} --out ${folder}\``,
    );
  }
  let crypto: OrgCrypto;
  try {
    crypto = await loadOrgCrypto(folder, { mspId, domain, peerName: ADDED_PEER_NAME, ordererName: ORDERER_NAME });
  } catch (err) {
    throw new PeerRequestError(`the material of ${domain} under ${folder} is incomplete: ${errorMessage(err)}`);
  }
  const localMsp = new MspRegistry([{ mspId, rootCerts: [crypto.caCertPem], tlsRootCerts: [crypto.tlsCaCertPem] }]);
  let signer: SigningIdentity;
  try {
    signer = new SigningIdentity(mspId, crypto.peer.signCertPem, crypto.peer.privateKeyPem);
    localMsp.deserialize(signer.serialize());
  } catch (err) {
    throw new PeerRequestError(`the peer certificate of ${domain} under ${folder} is not usable with its own CA (${orgDir}/ca): ${errorMessage(err)}`);
  }
  checkTlsCertificate(crypto, `${ADDED_PEER_NAME}.${domain}`);
  checkOrgFiles(folder, mspId, crypto.caCertPem);
  checkChannels(channels, mspId, crypto.caCertPem, orgDir);
  return { crypto, signer, localMsp };
}

function checkTlsCertificate(crypto: OrgCrypto, host: string): void {
  const cert = new X509Certificate(crypto.peer.tlsCertPem);
  if (!cert.verify(new X509Certificate(crypto.tlsCaCertPem).publicKey)) {
    throw new PeerRequestError(`the TLS certificate of ${host} was not issued by the org's TLS CA (${crypto.peer.tlsCaPath}): regenerate the material`);
  }
  if (cert.checkHost(host) === undefined) {
    throw new PeerRequestError(`the TLS certificate of ${host} does not name ${host}: clients could not verify the peer; regenerate the material`);
  }
}

/**
 * `mgmt org new` writes `<mspId>.json` beside the material: an organisation file naming this CA
 * under another MSP ID means the request names the wrong organisation.
 */
function checkOrgFiles(folder: string, mspId: string, caCertPem: string): void {
  for (const name of readdirSync(folder).filter((f) => f.endsWith('.json'))) {
    let file: { format?: unknown; organization?: { mspId?: unknown; rootCerts?: unknown } };
    try {
      file = JSON.parse(readFileSync(path.join(folder, name), 'utf8')) as typeof file;
    } catch {
      continue;
    }
    const org = file?.format === 'mgmt-org-v1' ? file.organization : undefined;
    if (org === undefined || typeof org.mspId !== 'string' || !Array.isArray(org.rootCerts)) continue;
    const names = org.rootCerts.some((pem) => typeof pem === 'string' && sameCertificate(pem, caCertPem));
    if (names && org.mspId !== mspId) {
      throw new PeerRequestError(`the material in ${folder} is ${org.mspId}'s (its organisation file ${path.join(folder, name)} says so), not ${mspId}'s: ask for mspId ${org.mspId}`);
    }
    if (!names && org.mspId === mspId) {
      throw new PeerRequestError(`${path.join(folder, name)} gives ${mspId} another CA certificate than the material's: the folder mixes two organisations' files`);
    }
  }
}

/** A channel that knows the CA under another MSP ID, or the MSP ID with other CAs, refuses this peer's endorsements. */
function checkChannels(channels: Iterable<Channel>, mspId: string, caCertPem: string, orgDir: string): void {
  for (const channel of channels) {
    const msps = channel.msps;
    for (const id of msps.mspIds()) {
      const definition = msps.definition(id);
      if (definition === undefined) continue;
      const hasCa = definition.rootCerts.some((pem) => sameCertificate(pem, caCertPem));
      if (hasCa && id !== mspId) {
        throw new PeerRequestError(`channel ${channel.id} knows the CA of ${orgDir} as ${id}'s, not ${mspId}'s: ask for mspId ${id}`);
      }
      if (!hasCa && id === mspId) {
        throw new PeerRequestError(`channel ${channel.id} defines ${mspId} with another CA than ${orgDir}/ca: the certificates are not ${mspId}'s`);
      }
    }
  }
}

function sameCertificate(a: string, b: string): boolean {
  try {
    return new X509Certificate(a).raw.equals(new X509Certificate(b).raw);
  } catch {
    return false;
  }
}

function listDomains(folder: string): string[] {
  const dir = path.join(folder, 'organizations', 'peerOrganizations');
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
