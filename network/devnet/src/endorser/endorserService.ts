/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * protos.Endorser/ProcessProposal, for Fabric's `peer` CLI and the legacy SDKs. As in Fabric, a
 * proposal that fails its checks (header, creator, signature, uniqueness, the peer/Propose ACL)
 * is a gRPC error with status UNKNOWN and the reason, one refused later (unknown channel or
 * chaincode, a simulation that fails) a 500 response with no payload, and a chaincode error the
 * chaincode's response without an endorsement.
 */
import * as grpc from '@grpc/grpc-js';
import { peer } from '@hyperledger/fabric-protos';
import type { Signer } from '../protoutil';
import { Endorser, ProposalError, toProposalResponse } from './endorser';

export function endorserService(endorser: Endorser, localPeer: Signer): peer.IEndorserServer {
  return {
    processProposal: (call: grpc.ServerUnaryCall<peer.SignedProposal, peer.ProposalResponse>, callback: grpc.sendUnaryData<peer.ProposalResponse>): void => {
      endorser
        .simulate(call.request)
        .then((sim) => { callback(null, toProposalResponse(sim, localPeer)); })
        .catch((err: unknown) => {
          // Fabric's handler returns the error with its response, and gRPC then sends only the error.
          if (err instanceof ProposalError && err.stage === 'preprocess') {
            callback(Object.assign(new Error(err.message), { code: grpc.status.UNKNOWN, details: err.message, metadata: new grpc.Metadata() }));
            return;
          }
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
