/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * protos.Endorser/ProcessProposal, for Fabric's `peer` CLI and the legacy SDKs. As in Fabric, a
 * proposal that fails its checks (header, creator, signature, uniqueness, the peer/Propose ACL)
 * is a gRPC error with status UNKNOWN and the reason, one refused later (unknown channel or
 * chaincode, a simulation that fails) a 500 response with no payload, and a chaincode error the
 * chaincode's response without an endorsement. The system chaincodes qscc and cscc answer too.
 */
import * as grpc from '@grpc/grpc-js';
import { peer } from '@hyperledger/fabric-protos';
import type { Endorser, LocalPeer } from './endorser';

export function endorserService(endorser: Endorser, localPeer: LocalPeer): peer.IEndorserServer {
  return {
    processProposal: (call: grpc.ServerUnaryCall<peer.SignedProposal, peer.ProposalResponse>, callback: grpc.sendUnaryData<peer.ProposalResponse>): void => {
      endorser
        .processProposal(call.request, localPeer)
        .then((pr) => { callback(null, pr); })
        .catch((err: unknown) => {
          // Fabric's handler returns the error with its response, and gRPC then sends only the
          // error, as UNKNOWN (the only errors left here are the proposal's own, ProposalError).
          const message = err instanceof Error ? err.message : String(err);
          callback(Object.assign(new Error(message), { code: grpc.status.UNKNOWN, details: message, metadata: new grpc.Metadata() }));
        });
    },
  };
}
