/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What Fabric's gateway reads from a signed proposal before it plans anything: the channel and the
 * chaincode (from the invocation spec, as the gateway does; the endorser reads the header's), with
 * its refusals worded as Evaluate (getChannelAndChaincodeFromSignedProposal) and Endorse word them.
 */
import { common, peer } from '@hyperledger/fabric-protos';
import { unmarshal } from '../fabricProto';

export interface ProposalTarget {
  channelId: string;
  /** '' when the spec names none (Endorse lets that through to planning). */
  chaincode: string;
}

/** The proposal's target, or the INVALID_ARGUMENT message the gateway's `step` refuses it with. */
export function proposalTarget(signed: peer.SignedProposal | undefined, step: 'evaluate' | 'endorse'): ProposalTarget | { refusal: string } {
  try {
    return step === 'evaluate' ? evaluateTarget(signed) : endorseTarget(signed);
  } catch (err) {
    const message = (err as Error).message;
    return { refusal: step === 'evaluate' ? `failed to unpack transaction proposal: ${message}` : message };
  }
}

function decodeParts(signed: peer.SignedProposal): { channelHeader: common.ChannelHeader; cis: peer.ChaincodeInvocationSpec } {
  const proposal = unmarshal(() => peer.Proposal.deserializeBinary(signed.getProposalBytes_asU8()), 'Proposal');
  const header = unmarshal(() => common.Header.deserializeBinary(proposal.getHeader_asU8()), 'Header');
  const channelHeader = unmarshal(() => common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()), 'ChannelHeader');
  const cpp = unmarshal(() => peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8()), 'ChaincodeProposalPayload');
  const cis = unmarshal(() => peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8()), 'ChaincodeInvocationSpec');
  return { channelHeader, cis };
}

function evaluateTarget(signed: peer.SignedProposal | undefined): ProposalTarget {
  if (!signed || signed.getProposalBytes_asU8().length === 0) throw new Error('a signed proposal is required');
  const { channelHeader, cis } = decodeParts(signed);
  const channelId = channelHeader.getChannelId();
  if (channelId === '') throw new Error('no channel id provided');
  const spec = cis.getChaincodeSpec();
  if (!spec) throw new Error(`no chaincode spec is provided, channel id [${channelId}]`);
  const id = spec.getChaincodeId();
  if (!id) throw new Error(`no chaincode id is provided, channel id [${channelId}]`);
  if (id.getName() === '') throw new Error(`no chaincode name is provided, channel id [${channelId}]`);
  return { channelId, chaincode: id.getName() };
}

function endorseTarget(signed: peer.SignedProposal | undefined): ProposalTarget {
  if (!signed || signed.getProposalBytes_asU8().length === 0) throw new Error('the proposed transaction must contain a signed proposal');
  const { channelHeader, cis } = decodeParts(signed);
  return { channelId: channelHeader.getChannelId(), chaincode: cis.getChaincodeSpec()?.getChaincodeId()?.getName() ?? '' };
}
