/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Sealing genesis for a local consortium: the first member opens the genesis proposal, a quorum
 * of members approves it with their own keys, and one of them tallies. In a real consortium each
 * member's operator runs `mgmt vote` after reading the parameters; here the operators are us.
 */
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import { quorum } from 'mgmt-chaincode/dist/protocol';
import type { GenesisInput } from '../managementNode/genesis';
import type { VoteSigner } from '../managementNode/identity';
import type { MgmtLedger, TallyResult } from '../managementNode/ledger';
import { isRefusal } from '../mgmtClient';

/** A member that takes part in sealing genesis. */
export interface GenesisMember {
  readonly mspId: string;
  readonly ledger: MgmtLedger;
  readonly signVote: VoteSigner;
}

/** A genesis proposal someone else opened is still open: the message says how to go on. */
export class GenesisPendingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GenesisPendingError';
  }
}

/** What {@link sealGenesis} found or did. */
export interface GenesisOutcome {
  readonly block: ConfigBlock;
  /** False when the chain already had a genesis block (an existing network). */
  readonly created: boolean;
}

/**
 * Seals the genesis block, or returns the existing one.
 *
 * @throws {@link LedgerCallError} when a transaction fails (e.g. `MGMT_ALREADY_PROPOSED` while
 * another member's genesis proposal is open), {@link GenesisPendingError} while a genesis proposal made elsewhere is still open (a quorum-approved one is tallied), or Error when fewer members than a quorum are given.
 */
export async function sealGenesis(members: readonly GenesisMember[], input: GenesisInput, options: { readonly retryMs?: number; readonly attempts?: number } = {}): Promise<GenesisOutcome> {
  const first = members[0];
  if (first === undefined) throw new Error('no members to seal genesis with');
  const round = await first.ledger.getRound();
  if (round.phase !== 'genesis') {
    const [block] = await first.ledger.getBlocks(0, 0);
    return { block, created: false };
  }
  const q = quorum(input.params.members.length);
  if (members.length < q) throw new Error(`sealing genesis needs ${q} members, got ${members.length}`);
  const open = round.proposal;
  if (open !== null && round.outcome?.verdict === 'sealed') {
    // Approved by a quorum but not tallied yet (e.g. `mgmt init` and `mgmt vote` by hand): finish it.
    const result = await tallyOnceCaughtUp(first.ledger, open.id, options);
    if (result.outcome !== 'sealed') throw new Error(`genesis did not seal: ${result.failure.reason}`);
    return { block: result.block, created: false };
  }
  if (open !== null && round.outcome?.verdict === 'open') {
    // Someone (typically `mgmt init`) proposed genesis parameters; voting for them blindly would
    // seal parameters this consortium did not choose, so say how to finish or drop that proposal.
    throw new GenesisPendingError(
      `a genesis proposal ${open.id} by ${open.header.proposer} is already open (made by \`mgmt init\`?): approve it with \`mgmt --member <mspId> vote ${open.id} --approve\` from a quorum (${q}) of members and \`mgmt tally ${open.id}\`, after which \`mgmt consortium\` runs on that genesis; or wait for its cycle to end (\`mgmt round\` shows when) and run \`mgmt consortium\` again to propose its own`,
    );
  }
  const proposal = await first.ledger.initLedger(JSON.stringify(input));
  await Promise.all(members.slice(0, q).map((m) => m.ledger.vote(proposal.id, true, m.signVote(proposal.hash, true), 'genesis parameters agreed')));
  const result = await tallyOnceCaughtUp(first.ledger, proposal.id, options);
  if (result.outcome !== 'sealed') throw new Error(`genesis did not seal: ${result.failure.reason}`);
  return { block: result.block, created: true };
}

/**
 * Tally from the first member's peer, which may not have committed every vote yet: each voter
 * waited for its own peer, and on Fabric every peer commits on its own (a block apart on native).
 */
async function tallyOnceCaughtUp(ledger: MgmtLedger, proposalId: string, options: { readonly retryMs?: number; readonly attempts?: number }): Promise<TallyResult> {
  const attempts = options.attempts ?? 50;
  for (let attempt = 1; ; attempt++) {
    try {
      return await ledger.tally(proposalId);
    } catch (err) {
      if (attempt >= attempts || !isRefusal(err, 'MGMT_VOTES_PENDING')) throw err;
      await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 100));
    }
  }
}
