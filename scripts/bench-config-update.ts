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
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import { common } from '@hyperledger/fabric-protos';
import { buildConfigUpdateEnvelope, computeUpdate, readConfigBlock, signConfigUpdate, withBatchParams } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import type { BackendName } from 'network-backends';
import { broadcast, fetchBlock, fetchConfigBlock } from 'mgmt-orchestrator/dist/channelConfig/ordererClient';
import { BenchError, benchMain, percentile, positiveInt, progress } from './benchSupport';
import type { BenchSession } from './benchSupport';

interface Options {
  updates: number;
  basePort: number;
  backend: BackendName;
  json?: boolean;
}

async function bench(s: BenchSession, opts: Options): Promise<number> {
  progress(`${opts.backend} up`);
  const { network } = await s.start();
  const connection = network.connection;
  const admins = connection.members.map((m) => SigningIdentity.fromMspDir(m.adminMspDir, m.mspId));
  const orderer = await s.orderer(connection.members[0]);
  const gateway = await s.connect(connection.members[1]);
  const submitToAck: number[] = [];
  const submitToInForce: number[] = [];
  for (let i = 0; i < opts.updates; i++) {
    s.checkOpen();
    const config = readConfigBlock(await fetchConfigBlock(orderer, 'primary', admins[0])).config;
    const update = computeUpdate('primary', config, withBatchParams(config, { batchTimeout: i % 2 === 0 ? '150ms' : '250ms' })).serializeBinary();
    const envelope = buildConfigUpdateEnvelope('primary', update, admins.slice(0, 3).map((a) => signConfigUpdate(update, a)), admins[0]);
    // From the next block on, fixed before submitting, so the config block cannot slip past.
    const next = BigInt((await fetchBlock(orderer, 'primary', admins[0], 'newest')).getHeader()?.getNumber() ?? 0) + 1n;
    const events = await gateway.getNetwork('primary').getBlockEvents({ startBlock: next });
    const started = performance.now();
    const ack = await broadcast(orderer, envelope);
    if (ack.statusName !== 'SUCCESS') throw new BenchError(`update ${i} refused: ${ack.statusName} ${ack.info}`);
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
  return 0;
}

benchMain<Options>({
  program: new Command('bench-config-update')
    .option('--updates <n>', 'number of config updates', positiveInt, 20)
    .option('--base-port <port>', 'port grid of the network it starts', (v) => Number(v), 21225)
    .option('--backend <name>', 'devnet, or native (Fabric v3 binaries from FABRIC_BIN or PATH)', (v: string): BackendName => {
      if (v !== 'devnet' && v !== 'native') throw new InvalidArgumentError('devnet or native');
      return v;
    }, 'devnet' as BackendName)
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  npm run bench:config-update -- --updates 20'),
  session: (o) => ({ backend: o.backend, basePort: o.basePort }),
  run: bench,
});
