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
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import { percentile } from './benchSupport';
import type { Contract, Network } from '@hyperledger/fabric-gateway';
import type { Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { signVote } from 'mgmt-chaincode/dist/protocol';
import { connectGateway, newGrpcConnection, readConnectionFile } from 'mgmt-orchestrator';

const DEVNET_DIR = path.dirname(require.resolve('fabric-devnet/package.json'));
const DEVNET_CLI = path.join(DEVNET_DIR, 'dist', 'cli.js');
const CHAINCODE = path.resolve(DEVNET_DIR, '..', '..', 'chaincode');
const utf8 = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Member {
  mspId: string;
  mgmt: Contract;
  network: Network;
  key: string;
}

async function main(): Promise<void> {
  const program = new Command('bench-chaincode')
    .option('--rounds <n>', 'rounds to measure', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
      return n;
    }, 20)
    .option('--base-port <port>', 'devnet port grid', (v) => Number(v), 21425)
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  npm run bench:chaincode -- --rounds 20');
  program.parse();
  const opts = program.opts<{ rounds: number; basePort: number; json?: boolean }>();
  const data = mkdtempSync(path.join(os.tmpdir(), 'bench-chaincode-'));
  const cli = (...args: string[]): void => {
    execFileSync(process.execPath, [DEVNET_CLI, '--data', data, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  };
  const down = (): void => {
    try {
      cli('down');
    } catch {
      // already down
    }
  };
  process.on('SIGINT', () => {
    down();
    process.exit(130);
  });
  const closers: (() => void)[] = [];
  try {
    cli('up', '--base-port', String(opts.basePort));
    cli('deploy', CHAINCODE, 'mgmt', 'mgmt');
    const connection = readConnectionFile(path.join(data, 'connection.json'));
    const members: Member[] = [];
    for (const m of connection.members) {
      const client = await newGrpcConnection(m.peer);
      const gateway = await connectGateway(client, m);
      closers.push(() => { gateway.close(); client.close(); });
      const keystore = path.join(m.userMspDir, 'keystore');
      const network = gateway.getNetwork('mgmt');
      members.push({ mspId: m.mspId, mgmt: network.getContract('mgmt'), network, key: readFileSync(path.join(keystore, readdirSync(keystore)[0]), 'utf8') });
    }
    const vote = (m: Member, hash: string): Promise<Uint8Array> =>
      m.mgmt.submitTransaction('Vote', hash, 'true', signVote({ hash, approve: true, privateKeyPem: m.key }), 'bench');
    const schema = JSON.parse(readFileSync(path.resolve(DEVNET_DIR, '..', '..', 'orchestrator', 'schemas', 'primary-config.schema.json'), 'utf8')) as unknown;
    const params = {
      members: connection.members.map((m) => ({ mspId: m.mspId, caCertificate: readFileSync(m.caCertPath, 'utf8') })),
      cbiSeconds: 1,
      cycleTimeoutSeconds: 5,
      clockToleranceSeconds: 30,
      configSchema: schema,
    };
    const genesis = JSON.parse(utf8.decode(await members[0].mgmt.submitTransaction('InitLedger', JSON.stringify({ params, config: { batchTimeoutMs: 100, maxMessageCount: 10 } })))) as Proposal;
    await Promise.all(members.slice(0, 3).map((m) => vote(m, genesis.hash)));
    await members[0].mgmt.submitTransaction('Tally', genesis.id);

    const latencies: number[] = [];
    const blocks: number[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      let round: Round;
      for (;;) {
        round = JSON.parse(utf8.decode(await members[0].mgmt.evaluateTransaction('GetRound'))) as Round;
        if (round.phase === 'cycle' && round.proposal === null) break;
        await sleep(50);
      }
      const proposer = members.find((m) => m.mspId === round.expectedProposer) as Member;
      const started = performance.now();
      const submitted = await proposer.mgmt.submitAsync('Propose', { arguments: [JSON.stringify({ batchTimeoutMs: 100 + ((i % 5) + 1) * 50, maxMessageCount: 10 })] });
      const events = await members[1].network.getChaincodeEvents('mgmt', { startBlock: (await submitted.getStatus()).blockNumber });
      const proposal = JSON.parse(utf8.decode(submitted.getResult())) as Proposal;
      const proposeBlock = (await submitted.getStatus()).blockNumber;
      const voters = members.filter((m) => m !== proposer).slice(0, 2).concat(proposer);
      await Promise.all(voters.map((m) => vote(m, proposal.hash)));
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
  } finally {
    for (const close of closers) close();
    down();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
