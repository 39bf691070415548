#!/usr/bin/env node
/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Figure for the README (management chaincode issue): latency from `Propose` submitted to
 * `ConfigBlockCommitted` received through the chaincode-event stream, over N rounds driven
 * directly through the gateway as the four members (Propose by the expected proposer, three
 * concurrent votes, Tally), and how many ordering rounds (blocks) that spans. It starts a devnet
 * of its own (base port 21425) and always brings it down.
 *
 * Example:
 *   npm run bench:chaincode -- --rounds 20
 */
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import type { Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { closeSessions, openSessions, produceGenesis, utf8, vote } from 'mgmt-orchestrator/dist/testing/cbRounds';
import { BenchError, benchMain, CHAINCODES, percentile, positiveInt, sleep } from './benchSupport';
import type { BenchSession } from './benchSupport';

interface Options {
  rounds: number;
  basePort: number;
  json?: boolean;
}

async function bench(s: BenchSession, opts: Options): Promise<number> {
  const { network } = await s.start();
  await s.deploy(CHAINCODES.mgmt, 'mgmt', 'mgmt');
  const connection = network.connection;
  const members = await openSessions(connection);
  s.onClose(() => {
    closeSessions(members);
  });
  await produceGenesis(members, connection, { cbiSeconds: 1, cycleTimeoutSeconds: 5 });

  const latencies: number[] = [];
  const blocks: number[] = [];
  for (let i = 0; i < opts.rounds; i++) {
    let round: Round;
    for (;;) {
      s.checkOpen();
      round = await members[0].ledger.getRound();
      if (round.phase === 'cycle' && round.proposal === null) break;
      await sleep(50);
    }
    const proposer = members.find((m) => m.member.mspId === round.expectedProposer);
    if (proposer === undefined) throw new BenchError(`the expected proposer ${String(round.expectedProposer)} is not a member of the connection file`);
    const started = performance.now();
    const submitted = await proposer.mgmt.submitAsync('Propose', { arguments: [JSON.stringify({ batchTimeoutMs: 100 + ((i % 5) + 1) * 50, maxMessageCount: 10 })] });
    const events = await members[1].gateway.getNetwork('mgmt').getChaincodeEvents('mgmt', { startBlock: (await submitted.getStatus()).blockNumber });
    const proposal = JSON.parse(utf8.decode(submitted.getResult())) as Proposal;
    const proposeBlock = (await submitted.getStatus()).blockNumber;
    const voters = members.filter((m) => m !== proposer).slice(0, 2).concat(proposer);
    await Promise.all(voters.map((m) => vote(m, proposal.hash, true, 'bench')));
    const tally = await proposer.mgmt.submitAsync('Tally', { arguments: [proposal.id] });
    let committedBlock = 0n;
    try {
      for await (const event of events) {
        if (event.eventName === 'ConfigBlockCommitted') {
          committedBlock = event.blockNumber;
          break;
        }
      }
    } finally {
      events.close();
    }
    latencies.push(performance.now() - started);
    blocks.push(Number(committedBlock - proposeBlock) + 1);
    await tally.getStatus();
    process.stderr.write(`\r» round ${i + 1}/${opts.rounds}`);
  }
  process.stderr.write('\n');
  const sorted = [...latencies].sort((a, b) => a - b);
  const result = {
    rounds: opts.rounds,
    proposeToCommittedMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95) },
    blocksSpanned: { min: Math.min(...blocks), max: Math.max(...blocks) },
  };
  if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(`Propose submitted → ConfigBlockCommitted received, devnet (BatchTimeout 100ms), ${opts.rounds} rounds\n`);
    process.stdout.write(`  p50 ${result.proposeToCommittedMs.p50.toFixed(0)} ms, p95 ${result.proposeToCommittedMs.p95.toFixed(0)} ms\n`);
    process.stdout.write(`  ordering rounds (blocks from Propose to Tally): ${result.blocksSpanned.min}..${result.blocksSpanned.max} (Propose, the votes, Tally)\n`);
  }
  return 0;
}

benchMain<Options>({
  program: new Command('bench-chaincode')
    .option('--rounds <n>', 'rounds to measure', positiveInt, 20)
    .option('--base-port <port>', 'devnet port grid', (v) => Number(v), 21425)
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  npm run bench:chaincode -- --rounds 20'),
  session: (o) => ({ basePort: o.basePort }),
  run: bench,
});
