/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The connection file from the resolved organisations: every member's own MSP folders (a file for
 * the whole consortium, as the devnet writes), or, with --member, that member's own folders and
 * only public copies (certificates, no keystore/) of everyone else's.
 */
import { readFileSync } from 'node:fs';
import { CONNECTION_FILE_VERSION } from '../../gateway';
import type { ConnectionFile, EndpointInfo, MemberConnection, SignerConnection } from '../../gateway/connectionFile';
import { UsageError } from '../errors';
import type { DraftEndpoint } from './draft';
import type { MaterialDir } from './material';
import type { ResolvedOrg, Resolution } from './resolve';

/** The backend name written in files `mgmt connect` makes. */
export const CONNECT_BACKEND = 'fabric';
/** The management chaincode's name readers assume when the file names none. */
const DEFAULT_MANAGEMENT_CHAINCODE = 'mgmt';

function endpointInfo(e: DraftEndpoint): EndpointInfo {
  return { endpoint: e.endpoint, hostAlias: e.hostAlias, tlsCaCertPath: e.tlsCaCert.path };
}

function caPem(org: ResolvedOrg): string | undefined {
  try {
    return readFileSync(org.caCert.path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * @param self - with --member: the member whose file it is; undefined for everyone's.
 * @param managementChaincode - the management chaincode's name, written only when not the default.
 * @throws {@link UsageError} when an MSP folder the file needs is not known (naming the flag).
 */
export function buildConnectionFile(
  resolution: Resolution,
  channels: { management: string; primary: string },
  self: string | undefined,
  material: MaterialDir,
  managementChaincode: string = DEFAULT_MANAGEMENT_CHAINCODE,
): ConnectionFile {
  if (self !== undefined && !resolution.members.some((m) => m.mspId === self)) {
    throw new UsageError(`--member ${self} is not a member of channel ${channels.primary}; its members are ${resolution.members.map((m) => m.mspId).join(', ')}`);
  }
  const own = (org: ResolvedOrg, role: 'admin' | 'user'): string => {
    const dir = role === 'admin' ? org.adminMsp : org.userMsp;
    if (dir === undefined) {
      throw new UsageError(`no ${role} MSP folder for ${org.mspId}: give it (${role === 'admin' ? 'adminMsp=' : 'userMsp='} in --org, --${role === 'admin' ? 'admin-identity' : 'identity'} with --wallet, or users/${role === 'admin' ? 'Admin' : 'User1'}@<domain>/msp in the folder)${self === undefined ? `, or write only one member's file with --member <mspId>` : ''}`);
    }
    return dir.path;
  };
  const publicCopy = (org: ResolvedOrg, role: 'admin' | 'user'): string => material.publicMsp((role === 'admin' ? org.adminMsp : org.userMsp)?.path, caPem(org), 'public', org.mspId, role);
  const mspOf = (org: ResolvedOrg, role: 'admin' | 'user'): string => (self === undefined || org.mspId === self ? own(org, role) : publicCopy(org, role));
  const members: MemberConnection[] = resolution.members.map((m) => ({
    mspId: m.mspId,
    domain: m.domain,
    peer: endpointInfo(m.peer),
    orderer: endpointInfo(m.orderer),
    caCertPath: m.caCert.path,
    adminMspDir: mspOf(m, 'admin'),
    userMspDir: mspOf(m, 'user'),
  }));
  const signers: SignerConnection[] = resolution.signers.map((s) => ({
    mspId: s.mspId,
    domain: s.domain,
    orderer: endpointInfo(s.orderer),
    caCertPath: s.caCert.path,
    adminMspDir: self === undefined ? own(s, 'admin') : publicCopy(s, 'admin'),
  }));
  return {
    version: CONNECTION_FILE_VERSION,
    backend: CONNECT_BACKEND,
    channels,
    ...(managementChaincode === DEFAULT_MANAGEMENT_CHAINCODE ? {} : { chaincodes: { management: managementChaincode } }),
    members,
    ...(signers.length > 0 ? { signers } : {}),
  };
}
