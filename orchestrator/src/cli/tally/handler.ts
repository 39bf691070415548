/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { HASH_PATTERN } from 'mgmt-chaincode/dist/protocol';
import type { CliContext } from '../context';
import { UsageError } from '../errors';

/**
 * `mgmt tally <proposalId>`: seals the CB when a quorum approved, or records the failed cycle.
 *
 * @throws {@link UsageError} for a malformed id; {@link LedgerCallError} from Tally (e.g.
 * `MGMT_VOTES_PENDING`).
 */
export async function tallyHandler(ctx: CliContext, proposalId: string): Promise<void> {
  if (!HASH_PATTERN.test(proposalId)) throw new UsageError(`proposal id must be 64 lowercase hex digits (see \`mgmt round\`), got ${JSON.stringify(proposalId)}`);
  const result = await ctx.withSession((s) => s.ledger.tally(proposalId));
  if (result.outcome === 'sealed') {
    const b = result.block;
    ctx.print(`CB #${b.height} sealed: ${b.hash}, proposer ${b.proposer}, cycle ${b.cycle}, approvals ${b.proof.map((p) => p.mspId).join(', ')}`, result);
  } else {
    const f = result.failure;
    const next = f.nextCycleStartsAt === null ? 'any member may open a new genesis proposal' : `next cycle starts ${f.nextCycleStartsAt}`;
    ctx.print(`cycle ${f.cycle} of CB #${f.height} failed (${f.reason}): ${f.approvals} approvals, ${f.rejections} rejections, quorum ${f.quorum}${f.roundAbandoned ? ', round abandoned' : ''}; ${next}`, result);
  }
}
