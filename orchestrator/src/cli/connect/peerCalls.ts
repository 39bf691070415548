/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The peer calls `mgmt connect` makes before it knows any channel: the channel-less proposal of
 * `peer channel list` (cscc GetChannels, checked against the peer's own MSP), and the channel's
 * config block read from the peer's Deliver service.
 */
import type * as grpc from '@grpc/grpc-js';
import { common, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { createHash, randomBytes } from 'node:crypto';
import { readConfigBlock, readLastConfigIndex } from 'fabric-config/configtx';
import type { EnvelopeSigner } from '../../channelConfig/ordererClient';
import { fetchPeerBlock } from '../../channelConfig/ordererClient';

/** A proposal without channel, as protoutil.CreateProposalFromCIS makes for `peer channel list`. */
function channellessProposal(signer: EnvelopeSigner, chaincode: string, args: readonly string[]): peer.SignedProposal {
  const creator = signer.serialize();
  const nonce = randomBytes(24);
  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName(chaincode);
  const extension = new peer.ChaincodeHeaderExtension();
  extension.setChaincodeId(chaincodeId);
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setChannelId('');
  channelHeader.setTxId(createHash('sha256').update(nonce).update(creator).digest('hex'));
  channelHeader.setTimestamp(Timestamp.fromDate(new Date()));
  channelHeader.setExtension$(extension.serializeBinary());
  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creator);
  signatureHeader.setNonce(nonce);
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());
  const input = new peer.ChaincodeInput();
  input.setArgsList(args.map((a) => Buffer.from(a, 'utf8')));
  const spec = new peer.ChaincodeSpec();
  spec.setType(peer.ChaincodeSpec.Type.GOLANG);
  spec.setChaincodeId(chaincodeId);
  spec.setInput(input);
  const cis = new peer.ChaincodeInvocationSpec();
  cis.setChaincodeSpec(spec);
  const payload = new peer.ChaincodeProposalPayload();
  payload.setInput(cis.serializeBinary());
  const proposal = new peer.Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(payload.serializeBinary());
  const signed = new peer.SignedProposal();
  signed.setProposalBytes(proposal.serializeBinary());
  signed.setSignature(signer.sign(signed.getProposalBytes_asU8()));
  return signed;
}

function processProposal(client: grpc.Client, signed: peer.SignedProposal, timeoutMs: number): Promise<peer.ProposalResponse> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/protos.Endorser/ProcessProposal',
      (m: peer.SignedProposal) => Buffer.from(m.serializeBinary()),
      (b: Buffer) => peer.ProposalResponse.deserializeBinary(b),
      signed,
      { deadline: Date.now() + timeoutMs },
      (err, value) => {
        if (err) reject(err);
        else if (value) resolve(value);
        else reject(new Error('the peer sent no proposal response'));
      },
    );
  });
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
