/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Drives the management chaincode as all four members at once, for the end-to-end tests and the
 * benchmarks (scripts/), not for a member's node: one gateway per member, votes signed with each
 * member's own identity key, genesis parameters from the connection file and the C^prim schema
 * (orchestrator/schemas/primary-config.schema.json), and configuration blocks produced the way
 * management nodes produce them (wait for the round, the expected proposer proposes, members
 * approve, one tallies), and a wait until a member's primary runtime has put one in force. The
 * management nodes themselves are tested elsewhere.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { Contract, Gateway } from '@hyperledger/fabric-gateway';
import { signVote } from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, CycleFailure, GenesisParams, JsonObject, MgmtErrorCode, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { connectGateway, newGrpcConnection } from '../gateway';
import type { ConnectionFile, MemberConnection } from '../gateway';
import { isRefusal, MgmtClient } from '../mgmtClient';
import type { AppliedConfiguration, PrimaryNodeRuntime } from '../primary';
import { readSchemaFile } from '../twins/primaryConfig';

export const utf8 = new TextDecoder();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The JSON answer of a transaction. */
export async function json<T>(bytes: Promise<Uint8Array>): Promise<T> {
  return JSON.parse(utf8.decode(await bytes)) as T;
}

/** One member: its gateway (as its user) and the management contract through it. */
export interface MemberSession {
  member: MemberConnection;
  client: grpc.Client;
  gateway: Gateway;
  /** The raw contract, for tests that send what a client never would. */
  mgmt: Contract;
  /** The management chain's one client, as a member's node uses it. */
  ledger: MgmtClient;
  /** The user's identity key, which signs its votes. */
  privateKeyPem: string;
}

/** A session of `member` through `gateway` on the management channel; `privateKeyPem` signs its votes. */
export function sessionOver(member: MemberConnection, client: grpc.Client, gateway: Gateway, managementChannel: string, privateKeyPem: string): MemberSession {
  const network = gateway.getNetwork(managementChannel);
  return { member, client, gateway, mgmt: network.getContract('mgmt'), ledger: new MgmtClient({ network }), privateKeyPem };
}

/** A session per member of the connection file. */
export async function openSessions(connection: ConnectionFile): Promise<MemberSession[]> {
  return Promise.all(
    connection.members.map(async (member) => {
      const client = await newGrpcConnection(member.peer);
      const gateway = await connectGateway(client, member);
      const keystore = path.join(member.userMspDir, 'keystore');
      return sessionOver(member, client, gateway, connection.channels.management, readFileSync(path.join(keystore, readdirSync(keystore).sort()[0]), 'utf8'));
    }),
  );
}

export function closeSessions(sessions: MemberSession[]): void {
  for (const s of sessions) {
    s.gateway.close();
    s.client.close();
  }
}

/** A chain's genesis configuration schema and initial configuration, when not the two-value defaults. */
export interface GenesisChoice {
  readonly configSchema: JsonObject;
  readonly config: JsonObject;
}

/** InitLedger's argument: every member of the connection file, the C^prim schema, a small initial config. */
export function genesisParams(connection: ConnectionFile, timing: { cbiSeconds: number; cycleTimeoutSeconds: number }, genesis?: GenesisChoice): string {
  return JSON.stringify({
    params: {
      members: connection.members.map((m) => ({ mspId: m.mspId, caCertificate: readFileSync(m.caCertPath, 'utf8') })),
      cbiSeconds: timing.cbiSeconds,
      cycleTimeoutSeconds: timing.cycleTimeoutSeconds,
      clockToleranceSeconds: 30,
      configSchema: genesis?.configSchema ?? readSchemaFile(),
    },
    config: genesis?.config ?? { batchTimeoutMs: 100, maxMessageCount: 10 },
  });
}

/**
 * Retries while the member's own peer has not committed what the caller just saw committed on
 * another peer: on Fabric each peer commits on its own, so it can be a block behind.
 */
export async function onceCaughtUp<T>(action: () => Promise<T>, lagging: MgmtErrorCode): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (err) {
      if (attempt >= 50 || !isRefusal(err, lagging)) throw err;
      await sleep(100);
    }
  }
}

export async function vote(session: MemberSession, proposalHash: string, approve: boolean, reason = 'test'): Promise<void> {
  const signature = signVote({ hash: proposalHash, approve, privateKeyPem: session.privateKeyPem });
  await onceCaughtUp(() => session.ledger.vote(proposalHash, approve, signature, reason), 'MGMT_UNKNOWN_PROPOSAL');
}

/** Tally once the member's peer has every vote the caller saw committed: the sealed block, or the failed cycle. */
export async function tally(session: MemberSession, proposalId: string): Promise<ConfigBlock | CycleFailure> {
  const result = await onceCaughtUp(() => session.ledger.tally(proposalId), 'MGMT_VOTES_PENDING');
  return result.outcome === 'sealed' ? result.block : result.failure;
}

/** Tally, expecting the block to be sealed. @throws when the cycle failed instead. */
export async function seal(session: MemberSession, proposalId: string): Promise<ConfigBlock> {
  const result = await tally(session, proposalId);
  if (!('proof' in result)) throw new Error(`Tally(${proposalId}) failed the cycle: ${JSON.stringify(result)}`);
  return result;
}

/** A sealed block, when its Tally returned as committed and when its round opened (epoch ms). */
export interface ProducedBlock {
  readonly block: ConfigBlock;
  readonly committedAtMs: number;
  /** When the cycle it was proposed in started (genesis: when InitLedger was submitted). */
  readonly openedAtMs: number;
}

/** Opens, approves (3 of 4) and tallies the genesis block. */
export async function produceGenesis(
  sessions: readonly MemberSession[],
  connection: ConnectionFile,
  timing: { cbiSeconds: number; cycleTimeoutSeconds: number },
  genesis?: GenesisChoice,
): Promise<ProducedBlock> {
  const [first] = sessions as [MemberSession];
  const openedAtMs = Date.now();
  const proposal = await first.ledger.initLedger(genesisParams(connection, timing, genesis));
  await Promise.all(sessions.slice(0, 3).map((s) => vote(s, proposal.hash, true, 'genesis')));
  const block = await seal(first, proposal.id);
  return { block, committedAtMs: Date.now(), openedAtMs };
}

/** Waits until a cycle without a proposal of its own is running, and returns the round. */
export async function openCycle(sessions: readonly MemberSession[]): Promise<Round> {
  const [first] = sessions as [MemberSession];
  for (let attempt = 0; attempt < 200; attempt++) {
    const r = await first.ledger.getRound();
    const proposedThisCycle = r.proposal !== null && r.proposal.header.height === r.nextHeight && r.proposal.header.cycle === r.cycle;
    if (r.phase === 'cycle' && !proposedThisCycle) return r;
    // Sleep until the instant the schedule names, not a fixed poll.
    const until = r.phase === 'waiting' ? r.opensAt : r.cycleEndsAt;
    const waitMs = until === null ? 100 : Date.parse(until) - Date.parse(r.now);
    await sleep(Math.max(20, Math.min(waitMs + 20, 5_000)));
  }
  throw new Error('no agreement cycle opened');
}

/**
 * The next configuration block with `config` (and `newParams`, when given: a membership change):
 * proposed by the expected proposer as soon as its cycle opens, approved by `approvers` members
 * (3 by default: the quorum of 4), tallied. `sessions` are the members in force.
 */
export async function produceBlock(sessions: readonly MemberSession[], config: JsonObject, approvers = 3, newParams?: GenesisParams): Promise<ProducedBlock> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await openCycle(sessions);
    const proposer = sessions.find((s) => s.member.mspId === r.expectedProposer);
    if (proposer === undefined) throw new Error(`no session for ${String(r.expectedProposer)}`);
    let proposal: Proposal;
    try {
      proposal = newParams === undefined ? await proposer.ledger.propose({ ...config }) : await proposer.ledger.proposeParams({ ...config }, newParams);
    } catch (err) {
      // A configuration the chain refuses is the caller's answer; anything else is the cycle
      // rolling over between GetRound and Propose: try the next one.
      if (isRefusal(err, 'MGMT_INVALID_CONFIG', 'MGMT_INVALID_JSON', 'MGMT_INVALID_PARAMS')) throw err;
      continue;
    }
    const voters = [proposer, ...sessions.filter((s) => s !== proposer)].slice(0, approvers);
    await Promise.all(voters.map((s) => vote(s, proposal.hash, true, 'e2e')));
    const block = await seal(proposer, proposal.id);
    return { block, committedAtMs: Date.now(), openedAtMs: Date.parse(r.cycleStartsAt ?? r.now) };
  }
  throw new Error(`could not produce a block with ${JSON.stringify(config)}`);
}

/** Resolves when `runtime` reports configuration block `height` (or a later one) in force on its channel. */
export function inForce(runtime: PrimaryNodeRuntime, height: number, timeoutMs: number, name: string): Promise<void> {
  if ((runtime.inForceHeight ?? -1) >= height) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      runtime.off('applied', listener);
      reject(new Error(`${name}: block ${height} not in force within ${timeoutMs} ms (at ${String(runtime.inForceHeight)})`));
    }, timeoutMs);
    const listener = (a: AppliedConfiguration): void => {
      if (a.height < height) return;
      clearTimeout(timer);
      runtime.off('applied', listener);
      resolve();
    };
    runtime.on('applied', listener);
  });
}
