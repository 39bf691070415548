/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Connecting with what was written, as the management nodes will: each member's peer must answer
 * (qscc GetChainInfo of the primary channel through its gateway) and each orderer must serve the
 * channel's config block. Every problem names the value at fault, where it came from and what to
 * change.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { SigningIdentity } from 'fabric-config/msp';
import { connectGateway, newGrpcConnection } from '../../gateway';
import type { MemberConnection } from '../../gateway';
import { readChannelConfig } from '../../primary/channelCheck';
import type { DraftEndpoint } from './draft';
import type { ResolvedMember, ResolvedOrg } from './resolve';
import { probeTls } from './tlsProbe';

export interface CheckReport {
  /** What answered, one line each. */
  readonly passed: string[];
  readonly problems: string[];
}

/** Who the check connects as: a member's user (or a signer's admin) with its MSP folder. */
export interface CheckIdentity {
  readonly mspId: string;
  readonly mspDir: string;
}

/** Why an MSP folder cannot sign, or undefined. */
export function mspProblem(mspDir: string, what: string): string | undefined {
  const keystore = path.join(mspDir, 'keystore');
  const signcerts = path.join(mspDir, 'signcerts');
  if (!existsSync(mspDir)) return `${what} ${mspDir} does not exist`;
  if (!existsSync(signcerts) || readdirSync(signcerts).length === 0) return `${what} ${mspDir} has no certificate in signcerts/`;
  if (!existsSync(keystore) || readdirSync(keystore).length === 0) return `${what} ${mspDir} has no private key in keystore/`;
  return undefined;
}

/**
 * What is wrong with reaching an endpoint over TLS, or undefined when the handshake passes.
 *
 * @param what - e.g. `Org1MSP's peer`.
 */
export async function endpointProblem(what: string, e: DraftEndpoint): Promise<string | undefined> {
  let pem: string;
  try {
    pem = readFileSync(e.tlsCaCert.path, 'utf8');
  } catch {
    return `${what}: TLS CA certificate ${e.tlsCaCert.path} cannot be read (from ${e.tlsCaCert.from}): is the folder complete, or give the right file`;
  }
  const probe = await probeTls({ endpoint: e.endpoint, hostAlias: e.hostAlias, tlsCaPem: pem });
  switch (probe.kind) {
    case 'ok':
      return undefined;
    case 'unreachable':
      return `${what} ${e.endpoint} (from ${e.from}): ${probe.reason}; is it up, and is this the address it is published at?`;
    case 'untrusted':
      return `${what} ${e.endpoint}: its TLS certificate (issuer ${probe.certificate.issuer.replace(/\n/g, ', ')}) is not from the TLS CA ${e.tlsCaCert.path} (from ${e.tlsCaCert.from}): ${probe.reason}; give the TLS CA of that node's organisation`;
    case 'wrong-host':
      return `${what} ${e.endpoint}: its TLS certificate is issued for ${probe.names.join(', ')}, not ${e.hostAlias}; set ${e.aliasFix} to one of those names`;
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const details = (err as { details?: { message?: string }[] }).details;
  const detail = Array.isArray(details) && details.length > 0 && typeof details[0].message === 'string' ? ` (${details[0].message})` : '';
  return `${text.split('\n')[0]}${detail}`;
}

/** Explains a peer's or orderer's refusal of an identity, naming the MSP ID it was given. */
function refusalHint(message: string, identity: CheckIdentity): string {
  if (/creator org unknown|unknown MSP|MSP .* not found|expected MSP ID|principal deserialization failure|could not deserialize|access denied|FORBIDDEN/i.test(message)) {
    return `: it does not accept ${identity.mspId}'s identity from ${identity.mspDir}; is ${identity.mspId} the MSP ID the channel gives that organisation, and is the certificate from its CA?`;
  }
  return '';
}

/** Asks a member's peer for the primary channel's height through its gateway. */
async function checkPeer(member: MemberConnection, endpoint: DraftEndpoint, primary: string, identity: CheckIdentity): Promise<string> {
  const client = await newGrpcConnection(member.peer);
  try {
    const gateway = await connectGateway(client, { ...member, mspId: identity.mspId, userMspDir: identity.mspDir }, 'user');
    try {
      const bytes = await gateway.getNetwork(primary).getContract('qscc').evaluateTransaction('GetChainInfo', primary);
      return `${member.mspId}'s peer ${member.peer.endpoint}: ${primary} at height ${common.BlockchainInfo.deserializeBinary(bytes).getHeight()} (asked as ${identity.mspId})`;
    } catch (err) {
      const message = firstLine(err);
      throw new Error(`${member.mspId}'s peer ${endpoint.endpoint} refused GetChainInfo of ${primary}: ${message}${refusalHint(message, identity)}`);
    } finally {
      gateway.close();
    }
  } finally {
    client.close();
  }
}

async function checkOrderer(org: { mspId: string; orderer: DraftEndpoint }, endpointInfo: MemberConnection['orderer'], primary: string, identity: CheckIdentity): Promise<string> {
  try {
    const config = await readChannelConfig({
      connect: () => newGrpcConnection(endpointInfo),
      channelId: primary,
      signer: SigningIdentity.fromMspDir(identity.mspDir, identity.mspId),
    });
    return `${org.mspId}'s orderer ${endpointInfo.endpoint}: serves ${primary}'s config (sequence ${config.getSequence()})`;
  } catch (err) {
    const message = firstLine(err);
    throw new Error(`${org.mspId}'s orderer ${org.orderer.endpoint} (from ${org.orderer.from}) did not serve ${primary}'s config block: ${message}${refusalHint(message, identity)}`);
  }
}

export interface CheckInput {
  readonly members: readonly { readonly resolved: ResolvedMember; readonly written: MemberConnection; readonly identity: CheckIdentity }[];
  readonly signers: readonly { readonly resolved: ResolvedOrg; readonly identity: CheckIdentity }[];
  readonly primary: string;
}

/** Checks every member's peer and orderer, and every signer's orderer; never throws. */
export async function checkConnections(input: CheckInput): Promise<CheckReport> {
  const passed: string[] = [];
  const problems: string[] = [];
  const attempt = async (run: () => Promise<string>): Promise<void> => {
    try {
      passed.push(await run());
    } catch (err) {
      problems.push((err as Error).message);
    }
  };
  const usable = (identity: CheckIdentity): boolean => {
    const problem = mspProblem(identity.mspDir, `the MSP folder of ${identity.mspId}`);
    if (problem !== undefined && !problems.includes(problem)) problems.push(problem);
    return problem === undefined;
  };
  for (const { resolved, written, identity } of input.members) {
    const peer = resolved.peer;
    const peerProblem = await endpointProblem(`${resolved.mspId}'s peer`, peer);
    if (peerProblem !== undefined) problems.push(peerProblem);
    else if (usable(identity)) await attempt(() => checkPeer(written, peer, input.primary, identity));
    const ordererProblem = await endpointProblem(`${resolved.mspId}'s orderer`, resolved.orderer);
    if (ordererProblem !== undefined) problems.push(ordererProblem);
    else if (usable(identity)) await attempt(() => checkOrderer(resolved, written.orderer, input.primary, identity));
  }
  for (const { resolved, identity } of input.signers) {
    const ordererProblem = await endpointProblem(`${resolved.mspId}'s orderer`, resolved.orderer);
    if (ordererProblem !== undefined) problems.push(ordererProblem);
    else if (usable(identity)) {
      const info = { endpoint: resolved.orderer.endpoint, hostAlias: resolved.orderer.hostAlias, tlsCaCertPath: resolved.orderer.tlsCaCert.path };
      await attempt(() => checkOrderer(resolved, info, input.primary, identity));
    }
  }
  return { passed, problems: [...new Set(problems)] };
}
