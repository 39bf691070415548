/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Who submits a transaction and when, taken from the signed proposal's headers rather than from
 * its arguments, and whether that caller may act at all.
 */

import type { Context } from 'fabric-contract-api';

import { MgmtError, checkMemberCertificate, findMember } from '../protocol';
import type { GenesisParams, Member } from '../protocol';

interface Caller {
  readonly mspId: string;
  /** `x509::<subject>::<issuer>`, for messages. */
  readonly id: string;
  readonly certificate: string;
}

export function txTimeMs(ctx: Context): number {
  const ts = ctx.stub.getTxTimestamp();
  // Blocks carry milliseconds: truncate the nanoseconds.
  return Number(ts.seconds.toString()) * 1000 + Math.floor(ts.nanos / 1_000_000);
}

export function callerOf(ctx: Context): Caller {
  return {
    mspId: ctx.clientIdentity.getMSPID(),
    id: ctx.clientIdentity.getID(),
    certificate: Buffer.from(ctx.stub.getCreator().idBytes).toString('utf8'),
  };
}

/** Only members act, with a client or admin certificate issued by their own CA. */
export function authorise(caller: Caller, params: GenesisParams, atMs: number): Member {
  const member = findMember(params.members, caller.mspId);
  if (member === undefined) {
    throw new MgmtError('MGMT_NOT_MEMBER', `${caller.mspId} is not among ${params.members.map((m) => m.mspId).join(', ')} (caller ${caller.id})`);
  }
  checkMemberCertificate({ certificate: caller.certificate, mspId: member.mspId, caCertificate: member.caCertificate, atMs });
  return member;
}
