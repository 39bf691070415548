/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { CliContext } from '../context';
import { readJsonObject } from '../input';

/**
 * `mgmt propose <configFile|->`: proposes a configuration as the selected member.
 *
 * @throws {@link UsageError} for an unreadable file; {@link LedgerCallError} from Propose
 * (e.g. `MGMT_NOT_PROPOSER`).
 */
export async function proposeHandler(ctx: CliContext, file: string): Promise<void> {
  const config = readJsonObject(file, 'configuration', ctx.ioOptions.readStdin);
  ctx.verbose(`Propose ${JSON.stringify(config)}`);
  const proposal = await ctx.withSession((s) => s.ledger.propose(config));
  ctx.print(
    [
      `proposal ${proposal.id} for CB #${proposal.header.height} (cycle ${proposal.header.cycle}) by ${proposal.header.proposer}, open until ${proposal.cycleEndsAt}`,
      `config ${JSON.stringify(proposal.header.config)}`,
    ],
    proposal,
  );
}
