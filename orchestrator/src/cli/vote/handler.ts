/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { HASH_PATTERN, MAX_REASON_LENGTH } from 'mgmt-chaincode/dist/protocol';
import { voteSignerFromMsp } from '../../managementNode/identity';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import type { VoteOptions } from './options';

/**
 * `mgmt vote <proposalId> (--approve|--reject)`: signs `mgmt-cb-v1:<approve|reject>:<hash>` with
 * the key of the selected identity's MSP keystore and submits the vote.
 *
 * @throws {@link UsageError} for a malformed id, a missing verdict or a long reason;
 * {@link MspReadError} when the key cannot be read; {@link LedgerCallError} from Vote.
 */
export async function voteHandler(ctx: CliContext, proposalId: string, options: VoteOptions): Promise<void> {
  if (!HASH_PATTERN.test(proposalId)) throw new UsageError(`proposal id must be 64 lowercase hex digits (see \`mgmt round\`), got ${JSON.stringify(proposalId)}`);
  if (options.approve !== true && options.reject !== true) throw new UsageError('say --approve or --reject');
  if (options.reason.length > MAX_REASON_LENGTH) throw new UsageError(`--reason is longer than ${MAX_REASON_LENGTH} characters`);
  const approve = options.approve === true;
  const vote = await ctx.withSession(async (s) => {
    const sign = voteSignerFromMsp(s.mspDir);
    const signature = sign(proposalId, approve);
    ctx.verbose(`Vote ${proposalId} ${String(approve)} signed with the key of ${s.mspDir}`);
    return s.ledger.vote(proposalId, approve, signature, options.reason);
  });
  ctx.print(`${vote.mspId} ${approve ? 'approved' : 'rejected'} ${proposalId} at ${vote.timestamp} (tx ${vote.txId})`, vote);
}
