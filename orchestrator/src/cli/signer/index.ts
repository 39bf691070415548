/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { Command, Option } from 'commander';
import * as path from 'node:path';
import { managementChaincodeOf } from '../../gateway';
import type { SignerConnection } from '../../gateway';
import { consortiumOf } from '../../member';
import { assertStateFolderFree } from '../../observer';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { CliError, UsageError } from '../errors';
import { inForceCheck, observerLagCheck, operationsCliOptions, operationsTlsOf, eventStreamCheck, peerCheck, MgmtMetrics, startOperationsServer, versionInfo } from '../../operations';
import { checkOperationsOptions } from '../node/operations';
import type { HealthCheck, OperationsCliOptions, OperationsServer } from '../../operations';
import type { RunningSigner } from '../../signer';

interface SignerCliOptions extends OperationsCliOptions {
  readonly signer?: string;
  readonly stateDir?: string;
}

/** The declared signer to run: the one named, or the only one in the file. */
function pickSigner(signers: readonly SignerConnection[], wanted: string | undefined, file: string): SignerConnection {
  if (signers.length === 0) {
    throw new CliError(`${file} declares no signers: add a "signers" entry (mspId, domain, orderer, caCertPath, adminMspDir) for the organisation whose admin must sign, or write the file with \`mgmt connect\``);
  }
  if (wanted === undefined) {
    if (signers.length > 1) throw new UsageError(`${file} declares several signers (${signers.map((s) => s.mspId).join(', ')}): choose one with --signer <mspId>`);
    return signers[0];
  }
  const found = signers.find((s) => s.mspId === wanted);
  if (found === undefined) throw new UsageError(`${wanted} is not a signer in ${file}; its signers are ${signers.map((s) => s.mspId).join(', ')}`);
  return found;
}

/**
 * The signer's operations endpoint: its orderer reachable, the management channel's block stream
 * live, the observer caught up with the chain, the newest CB in force within the grace.
 */
async function serveOperations(running: RunningSigner, mspId: string, ordererEndpoint: string, options: SignerCliOptions): Promise<OperationsServer | undefined> {
  if (options.operationsListen === undefined) return undefined;
  const metrics = new MgmtMetrics({ labels: { member: mspId } });
  const unwatch = metrics.watchPrimary(running.primary);
  const chainHeight = (): number => {
    const height = running.replica.latestCbHeight();
    metrics.noteHeight(height);
    return height;
  };
  const ready = (deadlineMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      running.orderer.waitForReady(Date.now() + deadlineMs, (err) => { if (err) reject(err); else resolve(); });
    });
  const checks: HealthCheck[] = [
    peerCheck({ component: 'orderer', endpoint: ordererEndpoint, probe: ready }),
    eventStreamCheck(() => running.streamState()),
    observerLagCheck({ chainHeight, verifiedHeight: () => running.primary.observer.latestHeight, maxLag: options.operationsMaxObserverLag }),
    inForceCheck({ chainHeight, inForceHeight: () => running.primary.runtime.inForceHeight, sealedAtMs: (h) => metrics.sealedAtMs(h), graceMs: options.operationsApplyGrace * 1000 }),
  ];
  try {
    const server = await startOperationsServer({ listen: options.operationsListen, tls: operationsTlsOf(options), checks, registry: metrics.registry, version: versionInfo() });
    return { url: server.url, host: server.host, port: server.port, close: async () => { unwatch(); await server.close(); } };
  } catch (err) {
    unwatch();
    throw new CliError(`cannot serve the operations endpoint on ${options.operationsListen}: ${(err as Error).message}`, { cause: err });
  }
}

async function signerHandler(ctx: CliContext, options: SignerCliOptions): Promise<void> {
  checkOperationsOptions(options);
  const connection = ctx.connection();
  const signer = pickSigner(connection.signers ?? [], options.signer, ctx.globals.connection);
  const stateDir = options.stateDir ?? path.join('.mgmt', signer.mspId);
  await assertStateFolderFree(stateDir);
  const signal = ctx.ioOptions.signal;
  ctx.progress(`signer of ${signer.mspId}: reading ${connection.channels.management} from ${signer.orderer.endpoint}, waiting for the genesis CB; Ctrl-C stops it`);
  // Loaded here, not with the CLI: the signer runs the management contract's code in-process.
  const { startSigner } = await import('../../signer');
  const running = await startSigner({
    signer,
    channels: connection.channels,
    chaincodeName: managementChaincodeOf(connection),
    genesisHash: connection.managementGenesisHash,
    stateDir,
    consortium: consortiumOf(connection),
    logger: { info: (line) => { ctx.verbose(line); }, warn: (line) => { ctx.progress(line); }, error: (line) => { ctx.progress(line); } },
    onApplied: (a) => {
      ctx.out(
        ctx.globals.json
          ? `${JSON.stringify({ type: 'primaryInForce', height: a.height, outcome: a.result.outcome, submitted: a.result.submitted })}\n`
          : `CB ${a.height} in force on the primary channel (${a.result.outcome}${a.result.submitted ? ', submitted by us' : ''})\n`,
      );
    },
    signal,
  });
  running.primary.adapter.on('submitted', (s) => {
    ctx.out(ctx.globals.json ? `${JSON.stringify({ type: 'submitted', ...s })}\n` : `submitted the update for CB ${s.height} (sequence ${s.sequence}, signed by ${s.signers.join(', ')}): ${s.status}\n`);
  });
  let operations: OperationsServer | undefined;
  try {
    operations = await serveOperations(running, signer.mspId, signer.orderer.endpoint, options);
  } catch (err) {
    await running.stop();
    throw err;
  }
  if (operations !== undefined) ctx.progress(`operations endpoint on ${options.operationsListen ?? ''} (/healthz, /metrics, /version)`);
  ctx.progress(`signer of ${signer.mspId} follows the chain (verified up to height ${running.primary.observer.chain.length - 1})`);
  await new Promise<void>((resolve) => {
    if (signal === undefined || signal.aborted) resolve();
    else signal.addEventListener('abort', () => { resolve(); }, { once: true });
  });
  await operations?.close();
  await running.stop();
}

/** Registers `mgmt signer`. */
export function registerSigner(program: Command, io: CliIo): Command {
  const command = program
    .command('signer')
    .description('sign, as a non-voting organisation (e.g. the orderer organisation), the config updates that put the CBs in force, until Ctrl-C')
    .addOption(new Option('--signer <mspId>', 'the declared signer to run (default: the only one in the connection file)').env('MGMT_SIGNER'))
    .addOption(new Option('--state-dir <dir>', 'observer state (checkpoint, verified chain); default .mgmt/<mspId>').env('MGMT_STATE_DIR'))
    .addHelpText(
      'after',
      [
        '',
        'The organisation reads the management channel from its orderer (it needs no peer and no membership of',
        "the channel's Application group), verifies every CB from genesis as members do, signs each update whose",
        'mod_policies count its admin, and submits it once its signature and the members\' shared ones satisfy them.',
        'It never proposes or votes. The connection file declares it under "signers" (see `mgmt connect`).',
        '',
        'Example:',
        '  mgmt --connection org-orderer.json signer --signer OrdererMSP',
      ].join('\n'),
    )
    .action(async (options: SignerCliOptions, cmd: Command) => signerHandler(new CliContext(cmd, io), options));
  for (const option of operationsCliOptions()) command.addOption(option);
  return command;
}
