/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { verifyChain } from 'mgmt-chaincode/dist/protocol';
import { fetchBlocks } from '../../mgmtClient/client';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { blockLine } from '../format';
import type { BlocksOptions } from './options';

/**
 * `mgmt blocks`: configuration blocks in a height range, paging GetBlocks 100 at a time; with
 * --json the array an offline verifier reads.
 *
 * @throws {@link UsageError} for an empty range; {@link LedgerCallError} from GetBlocks;
 * {@link BlockVerificationError} when --verify fails.
 */
export async function blocksHandler(ctx: CliContext, options: BlocksOptions): Promise<void> {
  if (options.to !== undefined && options.to < options.from) throw new UsageError(`--to (${options.to}) is below --from (${options.from})`);
  if (options.verify === true && options.from !== 0) throw new UsageError('--verify checks a chain from genesis: use --from 0');
  const blocks = await ctx.withSession(async (s) => {
    const round = await s.ledger.getRound();
    if (round.phase === 'genesis') return [];
    return fetchBlocks(s.ledger, options.from, Math.min(options.to ?? Number.MAX_SAFE_INTEGER, round.nextHeight - 1));
  });
  let verdict = '';
  if (options.verify === true && blocks.length > 0) {
    const verified = verifyChain(blocks);
    verdict = `verified: ${blocks.length} blocks from genesis ${blocks[0].hash.slice(0, 16)}… to #${verified.latest.height}`;
  }
  ctx.print(blocks.length === 0 ? 'no blocks in that range' : [...blocks.map(blockLine), ...(verdict === '' ? [] : [verdict])], blocks);
}
