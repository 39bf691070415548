/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { CliContext } from '../context';
import { blockTable } from '../format';

/**
 * `mgmt latest`: the latest sealed configuration block.
 *
 * @throws {@link LedgerCallError} from GetLatest (`MGMT_NOT_INITIALISED` before genesis).
 */
export async function latestHandler(ctx: CliContext): Promise<void> {
  const block = await ctx.withSession((s) => s.ledger.getLatest());
  ctx.print(blockTable(block), block);
}
