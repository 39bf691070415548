/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What the network says before the file is written: the channels a member's peer has joined
 * (which one is primary, which one is the management channel) and the primary channel's config.
 */
import type { common } from '@hyperledger/fabric-protos';
import { SigningIdentity } from 'fabric-config/msp';
import { newGrpcConnection } from '../../gateway';
import { CliError, UsageError } from '../errors';
import type { DraftEndpoint, DraftOrg } from './draft';
import { endpointProblem, mspProblem } from './check';
import { listChannels, readConfigFromPeer } from './peerCalls';

export const DEFAULT_MANAGEMENT_CHANNEL = 'mgmt';

export interface Discovery {
  /** The member whose peer answered. */
  readonly via: DraftOrg & { mspId: string; peer: DraftEndpoint };
  /** The channels that peer has joined. */
  readonly joined: readonly string[];
  readonly channels: { readonly management: string; readonly primary: string };
  readonly config: common.Config;
  readonly notes: readonly string[];
}

/**
 * The primary and management channels among those a peer has joined.
 *
 * @throws {@link UsageError} when a named channel is not joined, or the choice is not clear
 *   (saying which channels there are and which flag to pass).
 */
export function chooseChannels(joined: readonly string[], peer: string, primary: string | undefined, management: string | undefined): { channels: { management: string; primary: string }; notes: string[] } {
  const notes: string[] = [];
  const list = joined.length === 0 ? 'none' : joined.join(', ');
  let mgmt = management;
  if (mgmt === undefined) {
    if (!joined.includes(DEFAULT_MANAGEMENT_CHANNEL)) throw new UsageError(`peer ${peer} has not joined a channel named ${DEFAULT_MANAGEMENT_CHANNEL} (it has joined: ${list}): name the management channel with --management-channel <name>`);
    mgmt = DEFAULT_MANAGEMENT_CHANNEL;
  } else if (!joined.includes(mgmt)) {
    notes.push(`management channel ${mgmt}: peer ${peer} has not joined it yet (it has joined: ${list})`);
  }
  if (primary !== undefined) {
    if (!joined.includes(primary)) throw new UsageError(`peer ${peer} has not joined channel ${primary} (--channel); it has joined: ${list}`);
    if (primary === mgmt) throw new UsageError(`--channel ${primary} is the management channel; name the channel the consortium governs`);
    return { channels: { management: mgmt, primary }, notes };
  }
  const candidates = joined.filter((c) => c !== mgmt);
  if (candidates.length !== 1) {
    throw new UsageError(`peer ${peer} has joined ${candidates.length === 0 ? 'no channel' : candidates.join(', ')} besides the management channel ${mgmt}: name the governed channel with --channel <name>`);
  }
  return { channels: { management: mgmt, primary: candidates[0] }, notes };
}

/**
 * Asks the first member whose peer answers (only `self` with --member) for its channels and the
 * primary channel's config, read from the peer's Deliver service.
 *
 * @throws {@link CliError} listing, per member tried, why it did not answer; {@link UsageError}
 *   from {@link chooseChannels}.
 */
export async function discover(drafts: readonly DraftOrg[], self: string | undefined, primary: string | undefined, management: string | undefined): Promise<Discovery> {
  const candidates = drafts.filter((d): d is DraftOrg & { mspId: string; peer: DraftEndpoint } => d.mspId !== undefined && d.peer !== undefined && (self === undefined || d.mspId === self));
  if (candidates.length === 0) {
    throw new UsageError(self === undefined ? 'no member with a peer was given' : `--member ${self}: no organisation ${self} with a peer in the source (members given: ${drafts.filter((d) => d.peer !== undefined).map((d) => d.mspId).join(', ')}); --member writes a voting member's own file, a signer organisation's is not written by mgmt connect`);
  }
  const problems: string[] = [];
  for (const member of candidates) {
    if (member.userMsp === undefined) {
      problems.push(`${member.mspId}: no client user MSP folder to ask its peer with`);
      continue;
    }
    const mspIssue = mspProblem(member.userMsp.path, `${member.mspId}'s user MSP folder (from ${member.userMsp.from})`);
    const tlsIssue = mspIssue ?? (await endpointProblem(`${member.mspId}'s peer`, member.peer));
    if (tlsIssue !== undefined) {
      problems.push(tlsIssue);
      continue;
    }
    const signer = SigningIdentity.fromMspDir(member.userMsp.path, member.mspId);
    const client = await newGrpcConnection({ endpoint: member.peer.endpoint, hostAlias: member.peer.hostAlias, tlsCaCertPath: member.peer.tlsCaCert.path });
    try {
      let joined: string[];
      try {
        joined = await listChannels(client, signer);
      } catch (err) {
        problems.push(`${member.mspId}'s peer ${member.peer.endpoint} did not list its channels for ${member.mspId}'s user: ${(err as Error).message.split('\n')[0]}; is ${member.mspId} the MSP ID of that peer's organisation?`);
        continue;
      }
      const { channels, notes } = chooseChannels(joined, member.peer.endpoint, primary, management);
      const config = await readConfigFromPeer(client, channels.primary, signer).catch((err: unknown) => {
        throw new CliError(`${member.mspId}'s peer ${member.peer.endpoint} did not deliver ${channels.primary}'s config block: ${(err as Error).message.split('\n')[0]}`);
      });
      return { via: member, joined, channels, config, notes };
    } finally {
      client.close();
    }
  }
  throw new CliError(`no peer told its channels:\n  ${problems.join('\n  ')}`);
}
