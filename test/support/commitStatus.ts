/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A transaction's validation code from the Gateway's CommitStatus, which answers once the block is
 * announced (as the peer CLI's wait on Deliver does), for the tests that order transactions
 * themselves.
 */
import type * as grpc from '@grpc/grpc-js';
import { gateway } from '@hyperledger/fabric-protos';
import type { SigningIdentity } from 'fabric-config/msp';

/** The validation code of `txId` on `channelId`, asked of the peer behind `client` as `user`. */
export async function validationCodeOf(client: grpc.Client, user: SigningIdentity, channelId: string, txId: string, deadlineMs = 60_000): Promise<number> {
  const request = new gateway.CommitStatusRequest();
  request.setTransactionId(txId);
  request.setChannelId(channelId);
  request.setIdentity(user.serialize());
  const signed = new gateway.SignedCommitStatusRequest();
  signed.setRequest(request.serializeBinary());
  signed.setSignature(user.sign(signed.getRequest_asU8()));
  const response = await new Promise<gateway.CommitStatusResponse>((resolve, reject) => {
    client.makeUnaryRequest(
      '/gateway.Gateway/CommitStatus',
      (m: gateway.SignedCommitStatusRequest) => Buffer.from(m.serializeBinary()),
      (b: Buffer) => gateway.CommitStatusResponse.deserializeBinary(b),
      signed,
      { deadline: Date.now() + deadlineMs },
      (err, value) => {
        if (err) reject(err);
        else if (value) resolve(value);
        else reject(new Error('no commit status'));
      },
    );
  });
  return response.getResult();
}
