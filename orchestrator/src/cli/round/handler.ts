/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { CliContext } from '../context';
import { roundTable } from '../format';

/**
 * `mgmt round`: the state of agreement (GetRound) as a table.
 *
 * @throws {@link LedgerCallError} from GetRound; {@link CliError} without a connection.
 */
export async function roundHandler(ctx: CliContext): Promise<void> {
  const round = await ctx.withSession((s) => s.ledger.getRound());
  ctx.print(roundTable(round), round);
}
