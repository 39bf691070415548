/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * gRPC errors shaped as a Fabric peer's gateway sends them: the status and message, plus
 * `grpc-status-details-bin` holding a google.rpc.Status whose details are gateway.ErrorDetail
 * messages, which the fabric-gateway client decodes into GatewayError.details.
 */
import * as grpc from '@grpc/grpc-js';
import { gateway, google } from '@hyperledger/fabric-protos';
import { Any } from 'google-protobuf/google/protobuf/any_pb';

export interface ErrorDetailInfo {
  address: string;
  mspId: string;
  message: string;
}

export function gatewayError(code: grpc.status, message: string, details: ErrorDetailInfo[] = []): grpc.ServiceError {
  const status = new google.rpc.Status();
  status.setCode(code);
  status.setMessage(message);
  status.setDetailsList(
    details.map((d) => {
      const detail = new gateway.ErrorDetail();
      detail.setAddress(d.address);
      detail.setMspId(d.mspId);
      detail.setMessage(d.message);
      const any = new Any();
      any.setTypeUrl('type.googleapis.com/gateway.ErrorDetail');
      any.setValue(detail.serializeBinary());
      return any;
    }),
  );
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(status.serializeBinary()));
  const error: grpc.ServiceError = Object.assign(new Error(message), { code, details: message, metadata });
  return error;
}
