/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The signed requests of the Gateway's CommitStatus and ChaincodeEvents, decoded and checked in
 * the order and with the words of Fabric's gateway (commitstatus.go, chaincodeevents.go), so a
 * client sees the same refusal on both backends.
 */
import * as grpc from '@grpc/grpc-js';
import { gateway } from '@hyperledger/fabric-protos';
import { unmarshalBare } from '../fabricProto';

/** A refusal: the gRPC status and its message. */
export interface RequestRefusal {
  code: grpc.status;
  message: string;
}

/** The CommitStatusRequest inside `signed`, or why Fabric's gateway refuses it before its ACL check. */
export function commitStatusRequest(signed: gateway.SignedCommitStatusRequest): { request: gateway.CommitStatusRequest } | { refusal: RequestRefusal } {
  const bytes = signed.getRequest_asU8();
  if (bytes.length === 0) return invalid('a commit status request is required');
  let request: gateway.CommitStatusRequest;
  try {
    request = unmarshalBare(() => gateway.CommitStatusRequest.deserializeBinary(bytes));
  } catch (err) {
    return invalid(`invalid status request: ${(err as Error).message}`);
  }
  if (request.getIdentity_asU8().length === 0) return invalid('no identity provided');
  if (request.getChannelId() === '') return invalid('no channel ID provided');
  if (request.getTransactionId() === '') return invalid('transaction ID should not be empty');
  return { request };
}

/** The ChaincodeEventsRequest inside `signed`, or why Fabric's gateway refuses it before its ACL check. */
export function chaincodeEventsRequest(signed: gateway.SignedChaincodeEventsRequest): { request: gateway.ChaincodeEventsRequest } | { refusal: RequestRefusal } {
  const bytes = signed.getRequest_asU8();
  if (bytes.length === 0) return invalid('a chaincode events request is required');
  try {
    return { request: unmarshalBare(() => gateway.ChaincodeEventsRequest.deserializeBinary(bytes)) };
  } catch (err) {
    return invalid(`invalid chaincode events request: ${(err as Error).message}`);
  }
}

/** Fabric's ACL check on a channel the peer has not joined fails before any policy: PERMISSION_DENIED. */
export function unknownChannelRefusal(channelId: string): RequestRefusal {
  return { code: grpc.status.PERMISSION_DENIED, message: `Failed to get policy manager for channel [${channelId}]` };
}

function invalid(message: string): { refusal: RequestRefusal } {
  return { refusal: { code: grpc.status.INVALID_ARGUMENT, message } };
}
