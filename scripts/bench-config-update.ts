#!/usr/bin/env node
/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Figure for the README (channel configuration issue): time from a majority-signed config update
 * submitted to the orderer until the new configuration is in force, i.e. its config block is
 * delivered by a peer (Fabric applies a config block before it cuts the next one). It starts a
 * devnet (or, with --backend native, a native Fabric network) of its own on a private port grid
 * (base 21225) and always brings it down.
 *
 * Example:
 *   npm run bench:config-update -- --updates 20
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import { percentile } from './benchSupport';
import { common } from '@hyperledger/fabric-protos';
import { buildConfigUpdateEnvelope, computeUpdate, readConfigBlock, signConfigUpdate, withBatchParams } from 'fabric-devnet/dist/configtx';
import { SigningIdentity } from 'fabric-devnet/dist/msp';
import { broadcast, fetchBlock, fetchConfigBlock } from 'mgmt-orchestrator/dist/channelConfig/ordererClient';
import { connectGateway, newGrpcConnection, readConnectionFile } from 'mgmt-orchestrator';

const DEVNET_CLI = path.join(path.dirname(require.resolve('fabric-devnet/package.json')), 'dist', 'cli.js');
const NATIVE_SCRIPT = path.resolve(path.dirname(require.resolve('fabric-devnet/package.json')), '..', 'native', 'network.sh');

async function main(): Promise<void> {
  const program = new Command('bench-config-update')
    .option('--updates <n>', 'number of config updates', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
      return n;
    }, 20)
    .option('--base-port <port>', 'port grid of the network it starts', (v) => Number(v), 21225)
    .option('--backend <name>', 'devnet, or native (Fabric v3 binaries from FABRIC_BIN or PATH)', 'devnet')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  npm run bench:config-update -- --updates 20');
  program.parse();
  const opts = program.opts<{ updates: number; basePort: number; backend: string; json?: boolean }>();
  if (opts.backend !== 'devnet' && opts.backend !== 'native') throw new InvalidArgumentError(`--backend must be devnet or native, not ${opts.backend}`);
  const data = mkdtempSync(path.join(os.tmpdir(), 'bench-config-'));
  const cli = (...args: string[]): void => {
    if (opts.backend === 'native') {
      // The native scripts take the same commands, with their options after the command.
      execFileSync('bash', [NATIVE_SCRIPT, ...args, '--data', data], { stdio: ['ignore', 'ignore', 'inherit'] });
    } else {
      execFileSync(process.execPath, [DEVNET_CLI, '--data', data, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    }
  };
  const stop = (): void => {
    try {
      cli('down');
    } catch {
      // already down
    }
  };
  process.on('SIGINT', () => {
    stop();
    process.exit(130);
  });
  try {
    process.stderr.write(`» ${opts.backend} up on ${data}\n`);
    cli('up', '--base-port', String(opts.basePort));
    const connection = readConnectionFile(path.join(data, 'connection.json'));
    const admins = connection.members.map((m) => SigningIdentity.fromMspDir(m.adminMspDir, m.mspId));
    const orderer = await newGrpcConnection(connection.members[0].orderer);
    const peerClient = await newGrpcConnection(connection.members[1].peer);
    const gateway = await connectGateway(peerClient, connection.members[1]);
    const submitToAck: number[] = [];
    const submitToInForce: number[] = [];
    try {
      for (let i = 0; i < opts.updates; i++) {
        const config = readConfigBlock(await fetchConfigBlock(orderer, 'primary', admins[0])).config;
        const update = computeUpdate('primary', config, withBatchParams(config, { batchTimeout: i % 2 === 0 ? '150ms' : '250ms' })).serializeBinary();
        const envelope = buildConfigUpdateEnvelope('primary', update, admins.slice(0, 3).map((a) => signConfigUpdate(update, a)), admins[0]);
        // From the next block on, fixed before submitting, so the config block cannot slip past.
        const next = BigInt((await fetchBlock(orderer, 'primary', admins[0], 'newest')).getHeader()?.getNumber() ?? 0) + 1n;
        const events = await gateway.getNetwork('primary').getBlockEvents({ startBlock: next });
        const started = performance.now();
        const ack = await broadcast(orderer, envelope);
        if (ack.statusName !== 'SUCCESS') throw new Error(`update ${i} refused: ${ack.statusName} ${ack.info}`);
        submitToAck.push(performance.now() - started);
        try {
          for await (const block of events) {
            const env = common.Envelope.deserializeBinary(block.getData()?.getDataList_asU8()[0] ?? new Uint8Array(0));
            const header = common.ChannelHeader.deserializeBinary(common.Payload.deserializeBinary(env.getPayload_asU8()).getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(0));
            if (header.getType() === common.HeaderType.CONFIG) break;
          }
        } finally {
          events.close();
        }
        submitToInForce.push(performance.now() - started);
        process.stderr.write(`\r» update ${i + 1}/${opts.updates}`);
      }
    } finally {
      gateway.close();
      peerClient.close();
      orderer.close();
    }
    process.stderr.write('\n');
    const ack = [...submitToAck].sort((a, b) => a - b);
    const inForce = [...submitToInForce].sort((a, b) => a - b);
    const result = {
      updates: opts.updates,
      backend: opts.backend,
      submitToOrdererAckMs: { p50: percentile(ack, 50), p95: percentile(ack, 95) },
      submitToInForceMs: { p50: percentile(inForce, 50), p95: percentile(inForce, 95) },
    };
    if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      process.stdout.write(`config updates (3 of 4 admins, BatchTimeout change), ${opts.backend}, ${opts.updates} updates\n`);
      process.stdout.write(`  submit → orderer SUCCESS      p50 ${result.submitToOrdererAckMs.p50.toFixed(1)} ms, p95 ${result.submitToOrdererAckMs.p95.toFixed(1)} ms\n`);
      process.stdout.write(`  submit → config block at peer p50 ${result.submitToInForceMs.p50.toFixed(1)} ms, p95 ${result.submitToInForceMs.p95.toFixed(1)} ms\n`);
    }
  } finally {
    stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
