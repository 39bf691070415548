/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { JsonObject } from 'mgmt-chaincode/dist/protocol';
import { parseIJson } from 'mgmt-chaincode/dist/protocol';
import * as path from 'node:path';
import { SigningIdentity } from 'fabric-config/msp';
import { managementChaincodeOf, newGrpcConnection } from '../../gateway';
import { MgmtClient } from '../../mgmtClient/client';
import { isRefusal } from '../../mgmtClient/errors';
import { consortiumOf, startMemberPrimary } from '../../member';
import { assertStateFolderFree } from '../../observer';
import { voteSignerFromMsp } from '../../managementNode/identity';
import { ManagementNode } from '../../managementNode/managementNode';
import type { MgmtLedger } from '../../managementNode/ledger';
import { channelCheck } from '../../primary/channelCheck';
import { tracedClientOptions } from '../../trace/contract';
import { tracePrimary } from '../../trace/primary';
import type { Tracer } from '../../trace/types';
import { HttpTwin } from '../../twins/httpTwin';
import { PrimaryMetricsCollector } from '../../twins/metrics';
import { OperatorTwin } from '../../twins/operatorTwin';
import { boundsFromSchema } from '../../twins/primaryConfig';
import type { PrimaryBounds } from '../../twins/primaryConfig';
import { RulesTwin } from '../../twins/rulesTwin';
import type { RulesTwinThresholds } from '../../twins/rulesTwin';
import type { DigitalTwin } from '../../twins/twin';
import type { CliContext, MemberSession } from '../context';
import { UsageError } from '../errors';
import { formatNodeEvent } from '../format';
import { readJsonObject } from '../input';
import { closeTraceFile, openTraceFile } from '../trace/open';
import { checkOperationsOptions, logNodeEvent, NodeOperations, openNodeLogs } from './operations';
import type { NodeLoggers } from './operations';
import type { NodeOptions } from './options';

async function boundsOf(ledger: MgmtLedger, schemaFile: string): Promise<PrimaryBounds> {
  try {
    return boundsFromSchema((await ledger.getParams()).configSchema);
  } catch (err) {
    if (isRefusal(err, 'MGMT_NOT_INITIALISED')) return boundsFromSchema(readJsonObject(schemaFile, 'schema'));
    throw err;
  }
}

/** Checks the twin options before anything connects. */
function checkTwinOptions(options: NodeOptions): void {
  if (options.twin === 'operator' && options.configFile === undefined && options.config === undefined) {
    throw new UsageError('the operator twin needs --config-file <file> or --config <json>');
  }
  if (options.twin === 'http' && options.twinUrl === undefined) throw new UsageError('the http twin needs --twin-url <url>');
  if (options.membersFile !== undefined && options.twin !== 'operator') throw new UsageError('--members-file is an operator twin option: add --twin operator');
}

function operatorConfig(text: string): JsonObject {
  let value: unknown;
  try {
    value = parseIJson(text, 'config');
  } catch (err) {
    throw new UsageError(`--config is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('--config must be a JSON object');
  return value as JsonObject;
}

function makeTwin(options: NodeOptions, bounds: PrimaryBounds): DigitalTwin {
  switch (options.twin) {
    case 'operator':
      return new OperatorTwin({
        configFile: options.configFile,
        config: options.config === undefined ? undefined : operatorConfig(options.config),
        allowance: options.allowance,
        membersFile: options.membersFile,
      });
    case 'http':
      return new HttpTwin({ url: options.twinUrl as string, timeoutMs: options.twinTimeout });
    case 'rules': {
      const thresholds = options.rules === undefined ? {} : (readJsonObject(options.rules, 'rules file') as Partial<RulesTwinThresholds>);
      return new RulesTwin({ ...thresholds, bounds });
    }
  }
}

/** The session's ledger, or with a tracer one whose transactions are traced step by step (gateway sessions only). */
function ledgerOf(s: MemberSession, tracer: Tracer | undefined): MgmtLedger {
  if (tracer === undefined || s.gateway === undefined) return s.ledger;
  const network = s.gateway.getNetwork(s.connection.channels.management);
  const chaincodeName = managementChaincodeOf(s.connection);
  return new MgmtClient(tracedClientOptions(network, chaincodeName, tracer));
}

/**
 * `mgmt node`: runs the selected member's management node until SIGINT/SIGTERM, printing one
 * line per event (JSON lines with --json).
 *
 * @throws {@link UsageError} for inconsistent twin options; {@link TwinError}, {@link MspReadError}
 * or {@link LedgerCallError} when the node cannot be set up.
 */
export async function nodeHandler(ctx: CliContext, options: NodeOptions): Promise<void> {
  checkTwinOptions(options);
  checkOperationsOptions(options);
  const signal = ctx.ioOptions.signal;
  const logs = openNodeLogs(ctx, options, ctx.globals.member);
  try {
    const trace = await openTraceFile(ctx, options.trace);
    try {
      await runNode(ctx, options, signal, trace === undefined ? undefined : (mspId) => trace.tracerFor(mspId), logs);
    } finally {
      await closeTraceFile(ctx, trace);
    }
  } finally {
    await logs.sink.close();
  }
}

/** The node (and its primary side) of the selected member until the signal aborts. */
async function runNode(ctx: CliContext, options: NodeOptions, signal: AbortSignal | undefined, tracerFor: ((mspId: string) => Tracer) | undefined, logs: NodeLoggers): Promise<void> {
  await ctx.withSession(async (s) => {
    const tracer = tracerFor?.(s.member.mspId);
    const operations = new NodeOperations(
      { mspId: s.member.mspId, peerEndpoint: s.member.peer.endpoint, client: s.client, ledger: ledgerOf(s, tracer), apply: options.apply },
      options,
    );
    try {
      await runSession(ctx, options, signal, s, tracer, logs, operations);
    } finally {
      await operations.close();
    }
  });
}

/** The node, its operations endpoint and its primary side on an open session, until the signal aborts. */
async function runSession(
  ctx: CliContext,
  options: NodeOptions,
  signal: AbortSignal | undefined,
  s: MemberSession,
  tracer: Tracer | undefined,
  logs: NodeLoggers,
  operations: NodeOperations,
): Promise<void> {
  const ledger = operations.ledger;
  const stateDir = options.stateDir ?? path.join('.mgmt', s.member.mspId);
  // Before anything acts: a second node on the same folder must not vote or propose even once.
  if (options.apply) await assertStateFolderFree(stateDir);
  const twin = makeTwin(options, await boundsOf(ledger, options.schema));
  const collector =
    options.metrics && s.gateway !== undefined
      ? new PrimaryMetricsCollector({
          network: s.gateway.getNetwork(s.connection.channels.primary),
          maxMessageCount: options.maxMessageCount,
          windowMs: options.metricsWindow * 1000,
          onError: (err) => { logs.metrics.info(`metrics stream: ${(err as Error).message}`); },
        })
      : undefined;
  const node = new ManagementNode({
    mspId: s.member.mspId,
    ledger,
    twin,
    signVote: voteSignerFromMsp(s.mspDir),
    metrics: collector === undefined ? undefined : () => collector.snapshot(),
    channelCheck: channelCheck({
      connect: () => newGrpcConnection(s.member.orderer),
      channelId: s.connection.channels.primary,
      signer: SigningIdentity.fromMspDir(s.member.userMspDir, s.member.mspId),
    }),
    tallyStaggerMs: options.tallyStagger,
    logger: { debug: (line) => { logs.node.debug(line); } },
    tracer,
  });
  node.on('event', (e) => { ctx.out(ctx.globals.json ? `${JSON.stringify(e)}\n` : `${formatNodeEvent(e)}\n`); });
  if (logs.sink.format === 'json') node.on('event', (e) => { logNodeEvent(logs.node, e); });
  operations.attachNode(node);
  const server = await operations.listen(options, logs);
  const where = `management node of ${s.member.mspId} (${twin.name} twin) on ${s.member.peer.endpoint}${server === undefined ? '' : `, operations on ${server.url}`}; Ctrl-C stops it`;
  if (logs.sink.format === 'json') logs.node.info(where);
  else ctx.progress(where);
  collector?.start();
  await node.start();
  // The observer waits for genesis, so the node (which may be the one to seal it) runs first.
  const primary =
    options.apply && s.gateway !== undefined
      ? await startMemberPrimary({
          member: s.member,
          chaincodeName: managementChaincodeOf(s.connection),
          genesisHash: s.connection.managementGenesisHash,
          gateway: s.gateway,
          channels: s.connection.channels,
          consortium: consortiumOf(s.connection),
          stateDir,
          signing: options.refuseSigning === true ? 'refuse' : 'sign',
          logger: { info: (line) => { logs.primary.info(line); }, warn: (line) => { logs.primary.warn(line); }, error: (line) => { logs.primary.error(line); } },
          onApplied: (a) => {
            ctx.out(ctx.globals.json ? `${JSON.stringify({ type: 'primaryInForce', height: a.height, outcome: a.result.outcome, submitted: a.result.submitted })}\n` : `CB ${a.height} in force on the primary channel (${a.result.outcome}${a.result.submitted ? ', submitted by us' : ''})\n`);
          },
          signal,
        })
      : undefined;
  if (primary !== undefined) operations.attachPrimary(primary);
  if (primary !== undefined && tracer !== undefined) tracePrimary(primary, tracer);
  await new Promise<void>((resolve) => {
    if (signal === undefined || signal.aborted) resolve();
    else signal.addEventListener('abort', () => { resolve(); }, { once: true });
  });
  await primary?.stop();
  await node.stop();
  await collector?.stop();
}
