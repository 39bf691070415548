/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The client side of `_lifecycle`, as the peer CLI builds it (internal/peer/lifecycle/chaincode):
 * a signed proposal whose input is the function name and its argument proto, and the transaction
 * made of the endorsed responses. The devnet's `deploy` uses it; tests use it without the CLI.
 */
import { common, peer } from '@hyperledger/fabric-protos';
import { chaincodeProposal } from 'fabric-config/configtx';
import type { SignedChaincodeProposal } from 'fabric-config/configtx';
import type { Signer } from '../protoutil';
import { LIFECYCLE } from './definitions';

export type LifecycleProposal = SignedChaincodeProposal;

/** A `_lifecycle` proposal on a channel ('' for install and the installed-package queries). */
export function lifecycleProposal(signer: Signer, channelId: string, fn: string, arg: Uint8Array): LifecycleProposal {
  return chaincodeProposal(signer, channelId, LIFECYCLE, [fn, arg]);
}

/**
 * The transaction of endorsed responses to one proposal, signed by the proposal's creator, as
 * protoutil.CreateSignedTx builds it.
 * @throws Error when a response failed, is not endorsed, or the payloads differ.
 */
export function endorsedTransaction(proposal: peer.Proposal, responses: readonly peer.ProposalResponse[], signer: Signer): common.Envelope {
  if (responses.length === 0) throw new Error('at least one proposal response is required');
  for (const r of responses) {
    const status = r.getResponse()?.getStatus() ?? 0;
    if (status < 200 || status >= 400) throw new Error(`proposal response was not successful, error code ${status}, msg ${r.getResponse()?.getMessage() ?? ''}`);
    if (!r.getEndorsement()) throw new Error('a proposal response is not endorsed');
  }
  const payloadBytes = responses[0].getPayload_asU8();
  if (responses.some((r) => !Buffer.from(r.getPayload_asU8()).equals(Buffer.from(payloadBytes)))) throw new Error('ProposalResponsePayloads do not match');
  const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
  const cpp = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
  const withoutTransient = new peer.ChaincodeProposalPayload();
  withoutTransient.setInput(cpp.getInput_asU8());
  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(payloadBytes);
  endorsed.setEndorsementsList(responses.map((r) => r.getEndorsement() ?? new peer.Endorsement()));
  const actionPayload = new peer.ChaincodeActionPayload();
  actionPayload.setChaincodeProposalPayload(withoutTransient.serializeBinary());
  actionPayload.setAction(endorsed);
  const action = new peer.TransactionAction();
  action.setHeader(header.getSignatureHeader_asU8());
  action.setPayload(actionPayload.serializeBinary());
  const tx = new peer.Transaction();
  tx.setActionsList([action]);
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(tx.serializeBinary());
  const bytes = payload.serializeBinary();
  const envelope = new common.Envelope();
  envelope.setPayload(bytes);
  envelope.setSignature(signer.sign(bytes));
  return envelope;
}
