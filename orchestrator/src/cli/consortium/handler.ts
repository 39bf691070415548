/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { quorum } from 'mgmt-chaincode/dist/protocol';
import { auditEvidence, collectEvidence, openEvidenceSources, renderTable } from '../../audit';
import type { AuditReport } from '../../audit';
import { GovernanceScenario, governanceSteps } from '../../consortium/governanceScenario';
import { MembershipScenario } from '../../consortium/membershipScenario';
import { managementChaincodeOf, readConnectionFile } from '../../gateway';
import { Consortium } from '../../consortium/runner';
import { consortiumOf, startMemberPrimary } from '../../member';
import { storedGenesisHash } from '../../observer';
import { tracePrimary } from '../../trace/primary';
import type { TraceWriter } from '../../trace/writer';
import type { CliContext } from '../context';
import { InterruptedExit, UsageError } from '../errors';
import { closeTraceFile, openTraceFile } from '../trace/open';
import type { ConsortiumCliOptions } from './options';
import type { NodeEvent } from '../../managementNode/events';

/** `mgmt audit` of a network, as its first member sees it. */
async function auditNetwork(connectionFile: string, progress: (line: string) => void): Promise<AuditReport> {
  const connection = readConnectionFile(connectionFile);
  const opened = await openEvidenceSources(connection, connection.members[0]);
  try {
    return auditEvidence(await collectEvidence(opened.sources, progress, { headEvidence: true }));
  } finally {
    opened.close();
  }
}

/** A connection file network/native wrote (its backend field says so); false when unreadable. */
function nativeConnection(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { backend?: unknown }).backend === 'native';
  } catch {
    return false;
  }
}

/** The scenario's driver and its folder of shared files, checked against the options. */
function scenariosOf(
  options: ConsortiumCliOptions,
  explicit: boolean,
  connectionFile: string,
  line: (text: string) => void,
): { governance: string | undefined; scenario: GovernanceScenario | undefined; membership: MembershipScenario | undefined } {
  if (options.scenario === 'tuning') return { governance: undefined, scenario: undefined, membership: undefined };
  if (!options.apply) throw new UsageError(`--scenario ${options.scenario} puts changes in force on the primary channel: drop --no-apply`);
  if (options.scenario === 'membership' && explicit && !nativeConnection(connectionFile)) {
    throw new UsageError("--scenario membership runs on a devnet it starts or on network/native (their scripts start the new member's peer): drop --connection, or give network/native's <data>/connection.json");
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), `mgmt-${options.scenario}-`));
  if (options.scenario === 'governance') {
    return { governance: dir, scenario: new GovernanceScenario({ steps: governanceSteps, desiredFile: path.join(dir, 'wanted.json'), output: line }), membership: undefined };
  }
  // The new member's peer takes the next port of the devnet's grid after its four members.
  const newOrg = { mspId: 'Org5MSP', domain: 'org5.example.com', peerPort: options.basePort + 8001 };
  return { governance: dir, scenario: undefined, membership: new MembershipScenario({ workDir: dir, newOrg, cliPath: path.join(__dirname, '..', 'index.js'), output: line }) };
}

/**
 * `mgmt consortium`: the whole local consortium in one command (see consortium/runner.ts).
 * Live lines go to stdout (stderr with --json, where stdout gets the summary as JSON).
 *
 * @throws {@link NetworkStartError}, {@link LedgerCallError} when it cannot be set up;
 * {@link InterruptedExit} when Ctrl-C came before --rounds blocks.
 */
export async function consortiumHandler(ctx: CliContext, options: ConsortiumCliOptions): Promise<void> {
  // An explicit --connection (or MGMT_CONNECTION) means: use that network, start none.
  const explicit = ctx.connectionSource === 'cli' || ctx.connectionSource === 'env';
  const json = ctx.globals.json;
  const stamp = (): string => new Date().toISOString().slice(11, 23);
  const line = (text: string): void => {
    if (json) ctx.progress(text);
    else ctx.out(`${text === '' ? '' : `${stamp()} `}${text}\n`);
  };
  // Observer state is kept across runs, as a member's `mgmt node` keeps it: a restart resumes
  // where each observer stopped instead of replaying the whole chain. It lives beside the
  // connection file (in a devnet's data folder, so it goes with the chain when the devnet is removed).
  const stateRoot = path.resolve(options.stateDir ?? path.join(explicit ? path.dirname(ctx.globals.connection) : options.data, 'observers'));
  // Per CB: when each member's observer received and verified it.
  const observed = new Map<number, { received: number[]; verified: number[] }>();
  let members = 0;
  const { governance, scenario, membership } = scenariosOf(options, explicit, ctx.globals.connection, line);
  const shown = new Set<number>();
  const shownSkips = new Set<string>();
  let trace: TraceWriter | undefined;
  try {
    trace = await openTraceFile(ctx, options.trace);
  } catch (err) {
    if (governance !== undefined) rmSync(governance, { recursive: true, force: true });
    throw err;
  }
  const consortium = new Consortium({
    rounds: options.rounds,
    cbiSeconds: options.cbi,
    cycleTimeoutSeconds: options.cycleTimeout,
    workloadTps: options.workloadTps,
    keep: options.keep === true,
    connectionFile: explicit ? ctx.globals.connection : undefined,
    dataDir: options.data,
    basePort: options.basePort,
    batchTimeout: options.batchTimeout,
    schemaFile: options.schema,
    ...(membership === undefined
      ? {}
      : {
          twinFor: () => membership.twin(),
          until: membership.done,
          twinLabel: 'operator (membership scenario)',
          // Its steps transact on `primary` through the new member's peer; a workload through the
          // member that is removed would only fail.
          workloadTps: 0,
          deployAssets: true,
          onNodeEvent: (e: NodeEvent) => { membership.onNodeEvent(e); },
          beforeStop: async (connectionFile: string) => {
            await membership.stop();
            line('');
            line('the audit of the membership changes (mgmt audit):');
            const report = await auditNetwork(connectionFile, (progress) => { line(`  · ${progress}`); });
            for (const row of renderTable(report).trimEnd().split('\n')) line(row);
          },
        }),
    ...(scenario === undefined
      ? {}
      : {
          twinFor: () => scenario.twin(),
          until: scenario.done,
          twinLabel: 'operator (governance scenario)',
          beforeStop: async (connectionFile: string) => {
            line('');
            line('the audit of what the operators changed (mgmt audit):');
            const report = await auditNetwork(connectionFile, (progress) => { line(`  · ${progress}`); });
            for (const row of renderTable(report).trimEnd().split('\n')) line(row);
          },
        }),
    signal: ctx.ioOptions.signal,
    verbose: ctx.globals.verbose,
    output: line,
    tracerFor: trace === undefined ? undefined : (mspId) => trace.tracerFor(mspId),
    // From the first member seeing the commit to the quorum-th member (2f+1) having verified it.
    propagationMs: () =>
      new Map(
        [...observed].flatMap(([height, o]) => {
          const verified = [...o.verified].sort((a, b) => a - b);
          const q = quorum(members) - 1;
          return verified.length > q ? [[height, verified[q] - Math.min(...o.received)] as [number, number]] : [];
        }),
      ),
    // Each member's observer and primary runtime put every sealed CB in force on `primary`.
    attach: options.apply
      ? async (member) => {
          members += 1;
          scenario?.begin(member.connection.members.map((m) => m.mspId));
          await membership?.begin(ctx.globals.connection, member.connection, member.genesis);
          const stateDir = path.join(stateRoot, member.member.mspId);
          const stored = await storedGenesisHash(stateDir);
          if (stored !== undefined && stored !== member.genesis.hash) {
            // The state of another chain (a network made anew): keep it aside, never mix it in.
            const aside = `${stateDir}.${new Date().toISOString().replace(/[:.]/g, '-')}.other-chain`;
            renameSync(stateDir, aside);
            line(`  ! ${member.member.mspId}: observer state of another chain (genesis ${stored.slice(0, 12)}…) moved to ${aside}`);
          }
          const primary = await startMemberPrimary({
            member: member.member,
            chaincodeName: managementChaincodeOf(member.connection),
            genesisHash: member.connection.managementGenesisHash,
            gateway: member.gateway,
            channels: member.connection.channels,
            consortium: consortiumOf(member.connection),
            stateDir,
            signal: ctx.ioOptions.signal,
            onApplied: (a) => {
              const cb = primary.observer.entries[a.height]?.block;
              if (cb !== undefined) scenario?.inForce(a.height, cb.config);
              if (cb !== undefined) membership?.inForce(a.height, cb.config);
              // One line per CB. SUCCESS from Broadcast means "accepted for ordering": two members'
              // updates can both be accepted and the orderer then drops the later one, so the first
              // report wins here.
              if (!a.result.submitted || shown.has(a.height)) return;
              shown.add(a.height);
              const block = primary.observer.entries[a.height];
              const committed = block?.receipt.receivedAtMs;
              const delay = committed === undefined ? '' : `, update delay ${((a.inForceAtMs - committed) / 1000).toFixed(2)} s`;
              line(`  ⇢ CB ${a.height} in force on ${member.connection.channels.primary} (update broadcast by ${member.member.mspId}${delay})`);
            },
          });
          if (trace !== undefined) tracePrimary(primary, trace.tracerFor(member.member.mspId));
          primary.runtime.on('skipped', (k) => {
            const key = `skipped:${k.heights.join(',')}:${k.inForce}`;
            if (shownSkips.has(key)) return;
            shownSkips.add(key);
            line(`  ⇢ CB ${k.heights.join(', ')} skipped: CB ${k.inForce} put in force directly (CBs came faster than updates were signed)`);
          });
          primary.observer.on('verified', (v) => {
            const o = observed.get(v.block.height) ?? { received: [], verified: [] };
            o.received.push(v.receipt.receivedAtMs);
            o.verified.push(v.receipt.verifiedAtMs);
            observed.set(v.block.height, o);
          });
          return { stop: () => primary.stop() };
        }
      : undefined,
  });
  ctx.ioOptions.onForce?.(() => {
    consortium.kill();
  });
  ctx.verbose(`consortium ${JSON.stringify(options)}${explicit ? ` on ${ctx.globals.connection}` : ''}`);
  let result: Awaited<ReturnType<Consortium['run']>>;
  try {
    result = await consortium.run();
  } finally {
    // On Ctrl-C or an error beforeStop does not run: the new member's node must not outlive the run.
    await membership?.stop();
    if (governance !== undefined) rmSync(governance, { recursive: true, force: true });
    await closeTraceFile(ctx, trace);
  }
  if (json) ctx.out(`${JSON.stringify(result)}\n`);
  if (result.interrupted && options.rounds > 0) throw new InterruptedExit();
}
