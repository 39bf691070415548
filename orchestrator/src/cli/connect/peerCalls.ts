/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The peer calls `mgmt connect` makes before it knows any channel: the channel-less proposal of
 * `peer channel list` (cscc GetChannels, checked against the peer's own MSP), and the channel's
 * config block read from the peer's Deliver service.
 */
import type * as grpc from '@grpc/grpc-js';
import { common, peer } from '@hyperledger/fabric-protos';
import { chaincodeProposal, readConfigBlock, readLastConfigIndex } from 'fabric-config/configtx';
import type { EnvelopeSigner } from '../../channelConfig/ordererClient';
import { fetchPeerBlock, processProposal } from '../../channelConfig/ordererClient';

/** A proposal without channel, as protoutil.CreateProposalFromCIS makes for `peer channel list`. */
function channellessProposal(signer: EnvelopeSigner, chaincode: string, args: readonly string[]): peer.SignedProposal {
  return chaincodeProposal(signer, '', chaincode, args).signed;
}


/**
 * The channels the peer has joined (cscc GetChannels), as `peer channel list` asks: the signer
 * must belong to the peer's own organisation.
 *
 * @throws Error with the peer's answer when it refuses.
 */
export async function listChannels(client: grpc.Client, signer: EnvelopeSigner, timeoutMs = 10_000): Promise<string[]> {
  const response = (await processProposal(client, channellessProposal(signer, 'cscc', ['GetChannels']), timeoutMs)).getResponse();
  if (response === undefined || response.getStatus() !== 200) throw new Error(`GetChannels answered ${response?.getStatus() ?? 'nothing'}: ${response?.getMessage() ?? ''}`);
  return peer.ChannelQueryResponse.deserializeBinary(response.getPayload_asU8())
    .getChannelsList()
    .map((c) => c.getChannelId());
}

/** The channel's config in force, from the peer's Deliver service (newest block's last config). */
export async function readConfigFromPeer(client: grpc.Client, channelId: string, signer: EnvelopeSigner): Promise<common.Config> {
  const newest = await fetchPeerBlock(client, channelId, signer, 'newest');
  return readConfigBlock(await fetchPeerBlock(client, channelId, signer, readLastConfigIndex(newest))).config;
}
