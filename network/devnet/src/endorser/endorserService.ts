/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * protos.Endorser/ProcessProposal, for Fabric's `peer` CLI and the legacy SDKs. As in Fabric, a
 * proposal refused before simulation comes back as a 500 response with no payload, and a
 * chaincode error as the chaincode's response without an endorsement.
 */
import type * as grpc from '@grpc/grpc-js';
import { peer } from '@hyperledger/fabric-protos';
import type { Signer } from '../protoutil';
import { Endorser, toProposalResponse } from './endorser';

export function endorserService(endorser: Endorser, localPeer: Signer): peer.IEndorserServer {
  return {
    processProposal: (call: grpc.ServerUnaryCall<peer.SignedProposal, peer.ProposalResponse>, callback: grpc.sendUnaryData<peer.ProposalResponse>): void => {
      endorser
        .simulate(call.request)
        .then((sim) => { callback(null, toProposalResponse(sim, localPeer)); })
        .catch((err: unknown) => {
          const response = new peer.Response();
          response.setStatus(500);
          response.setMessage(err instanceof Error ? err.message : String(err));
          const pr = new peer.ProposalResponse();
          pr.setResponse(response);
          callback(null, pr);
        });
    },
  };
}
