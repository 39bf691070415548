/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A signed chaincode proposal as Fabric's protoutil builds one (CreateChaincodeProposalWithTxIDNonceAndTransient
 * and CreateProposalFromCIS): the form the peer CLI sends to system chaincodes (`_lifecycle`,
 * `cscc`, `qscc`), which the devnet serves and clients without a gateway call directly.
 */
import { common, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { createHash, randomBytes } from 'node:crypto';

/** Who signs the proposal: its serialized identity and a signature over bytes. */
export interface ProposalSigner {
  serialize(): Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** A proposal, signed, with its transaction ID. */
export interface SignedChaincodeProposal {
  readonly signed: peer.SignedProposal;
  readonly proposal: peer.Proposal;
  readonly txId: string;
}

/**
 * A signed proposal invoking `chaincode` with `args` on `channelId` ('' for a channel-less call,
 * as `peer channel list` and `peer lifecycle chaincode install` make).
 *
 * @param args - the chaincode input, function name first; strings are UTF-8 encoded.
 */
export function chaincodeProposal(signer: ProposalSigner, channelId: string, chaincode: string, args: readonly (string | Uint8Array)[]): SignedChaincodeProposal {
  const creator = signer.serialize();
  const nonce = randomBytes(24);
  // Fabric's transaction ID: hex SHA-256 of nonce || creator.
  const txId = createHash('sha256').update(nonce).update(creator).digest('hex');
  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName(chaincode);
  const extension = new peer.ChaincodeHeaderExtension();
  extension.setChaincodeId(chaincodeId);
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setChannelId(channelId);
  channelHeader.setTxId(txId);
  channelHeader.setTimestamp(Timestamp.fromDate(new Date()));
  channelHeader.setExtension$(extension.serializeBinary());
  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creator);
  signatureHeader.setNonce(nonce);
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());
  const input = new peer.ChaincodeInput();
  input.setArgsList(args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'utf8') : a)));
  const spec = new peer.ChaincodeSpec();
  spec.setType(peer.ChaincodeSpec.Type.GOLANG);
  spec.setChaincodeId(chaincodeId);
  spec.setInput(input);
  const invocation = new peer.ChaincodeInvocationSpec();
  invocation.setChaincodeSpec(spec);
  const payload = new peer.ChaincodeProposalPayload();
  payload.setInput(invocation.serializeBinary());
  const proposal = new peer.Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(payload.serializeBinary());
  const proposalBytes = proposal.serializeBinary();
  const signed = new peer.SignedProposal();
  signed.setProposalBytes(proposalBytes);
  signed.setSignature(signer.sign(proposalBytes));
  return { signed, proposal, txId };
}
