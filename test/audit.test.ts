/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt audit` against a live network: CBs produced through the management chaincode, primary
 * config updates signed by a majority of admins and carrying their CB's link, then the audit of
 * the live chains, its JSON export re-verified with the network gone, and tampered exports.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildConfigUpdateEnvelope, computeUpdate, formatGoDuration, readConfigBlock, signConfigUpdate, withBatchParams } from 'fabric-devnet/dist/configtx';
import type { BatchChange } from 'fabric-devnet/dist/configtx';
import { SigningIdentity } from 'fabric-devnet/dist/msp';
import type { ConfigBlock, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { broadcast, fetchConfigBlock } from '../orchestrator/src/channelConfig/ordererClient';
import { endingOf } from '../orchestrator/src/cli/errors';
import { registerAudit } from '../orchestrator/src/cli/audit';
import { newGrpcConnection } from '../orchestrator/src/gateway';
import { closeSessions, genesisParams, json, MemberSession, openSessions, sleep, tally, vote } from './support/mgmt';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

// 63050 was assigned, but the devnet's grid reaches base + 6001 (Org4's peer), past 65535. This base
// ends in 450, so its ports (base + {0, 1, 9, 1000, 2000, 2001, 3000, 4001, 6001}) never meet a
// grid based on ...050 as the other suites use.
const BASE_PORT = 20550;
let net: TestNetwork;
let s: MemberSession[];
let ordererClient: grpc.Client;
let admins: SigningIdentity[];
let dir: string;
const cbs: ConfigBlock[] = [];
/** Primary config block number that applied each CB height. */
const appliedIn = new Map<number, number>();

beforeAll(async () => {
  net = await startNetwork({ basePort: BASE_PORT });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), 'mgmt', 'mgmt');
  s = await openSessions(net.connection);
  admins = net.connection.members.map((m) => SigningIdentity.fromMspDir(m.adminMspDir, m.mspId));
  ordererClient = await newGrpcConnection(net.connection.members[0].orderer);
  dir = mkdtempSync(path.join(os.tmpdir(), 'audit-e2e-'));
});

afterAll(async () => {
  if (s) closeSessions(s);
  ordererClient?.close();
  await net?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `mgmt audit <args>` on a fresh program as `runCli` does: exit codes from `endingOf`, output captured. */
async function audit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const program = new Command('mgmt')
    .exitOverride()
    .configureOutput({ writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t) });
  registerAudit(program, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  let code = 0;
  try {
    await program.parseAsync(['audit', ...args], { from: 'user' });
  } catch (err) {
    const ending = endingOf(err);
    stderr += ending.text;
    code = ending.code;
  }
  return { code, stdout, stderr };
}

async function round(): Promise<Round> {
  return json<Round>(s[0].mgmt.evaluateTransaction('GetRound'));
}

/** Waits for an open cycle without a proposal of its own. */
async function waitForCycle(): Promise<Round> {
  for (let i = 0; i < 150; i++) {
    const r = await round();
    if (r.phase === 'cycle' && (!r.proposal || r.proposal.header.cycle !== r.cycle || r.proposal.header.height !== r.nextHeight)) return r;
    await sleep(200);
  }
  throw new Error('no cycle opened');
}

/** Seals a CB with exactly a quorum (3 of 4) of approvals, so that dropping one breaks it. */
async function seal(proposal: Proposal): Promise<ConfigBlock> {
  for (const x of s.slice(0, 3)) await vote(x, proposal.hash, true, 'audit e2e');
  const block = await json<ConfigBlock>(tally(s[3], proposal.id));
  cbs.push(block);
  return block;
}

async function produceCb(config: { batchTimeoutMs: number; maxMessageCount: number }): Promise<ConfigBlock> {
  const r = await waitForCycle();
  const proposer = s.find((x) => x.member.mspId === r.expectedProposer) as MemberSession;
  return seal(await json<Proposal>(proposer.mgmt.submitTransaction('Propose', JSON.stringify(config))));
}

/** A majority-signed update of `primary`'s batch parameters carrying the CB's link; returns the new config block's number. */
async function applyToPrimary(cb: ConfigBlock, change: BatchChange): Promise<number> {
  const current = readConfigBlock(await fetchConfigBlock(ordererClient, 'primary', admins[0])).config;
  const update = computeUpdate('primary', current, withBatchParams(current, change)).serializeBinary();
  const signers = admins.slice(1, 4);
  const envelope = buildConfigUpdateEnvelope('primary', update, signers.map((a) => signConfigUpdate(update, a)), signers[0], {
    managementLink: { height: cb.height, hash: cb.hash },
  });
  expect(await broadcast(ordererClient, envelope)).toMatchObject({ statusName: 'SUCCESS' });
  // SUCCESS means accepted for ordering; the update is in force once its config block is.
  let block = await fetchConfigBlock(ordererClient, 'primary', admins[0]);
  for (let i = 0; i < 300 && readConfigBlock(block).config.getSequence() <= current.getSequence(); i++) {
    await new Promise((r) => setTimeout(r, 100));
    block = await fetchConfigBlock(ordererClient, 'primary', admins[0]);
  }
  const number = block.getHeader()?.getNumber() ?? -1;
  appliedIn.set(cb.height, number);
  return number;
}

function batchOf(cb: ConfigBlock): BatchChange {
  return { batchTimeout: formatGoDuration(cb.config.batchTimeoutMs as number), maxMessageCount: cb.config.maxMessageCount as number };
}

describe('mgmt audit on the devnet', () => {
  it('passes on the live chains: exit 0 and a table naming every CB and the primary blocks that applied it', async () => {
    const genesis = await json<Proposal>(s[0].mgmt.submitTransaction('InitLedger', genesisParams(net.connection, { cbiSeconds: 2, cycleTimeoutSeconds: 3 })));
    await seal(genesis);
    const cb1 = await produceCb({ batchTimeoutMs: 200, maxMessageCount: 20 });
    await applyToPrimary(cb1, batchOf(cb1));
    const cb2 = await produceCb({ batchTimeoutMs: 300, maxMessageCount: 30 });
    await applyToPrimary(cb2, batchOf(cb2));

    const result = await audit('--connection', net.connectionFile);
    expect(result.stderr).toContain('· found 3 config blocks on primary');
    expect(result.code).toBe(0);
    const row = (cb: ConfigBlock, applied: string, changes: string): RegExp =>
      new RegExp(`^${cb.height} +${cb.timestamp} +${cb.proposer} +${cb.cycle} +Org1MSP,Org2MSP,Org3MSP +${applied} +verified +${changes}$`, 'm');
    expect(result.stdout).toMatch(row(cbs[0], '-', 'batchTimeoutMs: \\(none\\)→100, maxMessageCount: \\(none\\)→10'));
    expect(result.stdout).toMatch(row(cb1, String(appliedIn.get(1)), 'batchTimeoutMs: 100→200, maxMessageCount: 10→20'));
    expect(result.stdout).toMatch(row(cb2, String(appliedIn.get(2)), 'batchTimeoutMs: 200→300, maxMessageCount: 20→30'));
    expect(result.stdout).toMatch(new RegExp(`^${appliedIn.get(2)} +2 +\\S+ +300ms +30 +yes +Org2MSP,Org3MSP,Org4MSP +CB 2 ${cb2.hash.slice(0, 12)}…$`, 'm'));
    expect(result.stdout).toContain('✔ audit passed: CBs 0..2 verified, anchored in the mgmt channel config; 3 config blocks of primary, 2 linked to their CB');

    const csv = await audit('--connection', net.connectionFile, '--member', 'Org3MSP', '--csv');
    expect(csv.code).toBe(0);
    expect(csv.stderr).toContain('as Org3MSP');
    expect(csv.stdout.split('\r\n').filter((l) => l !== '')).toHaveLength(4);
  });

  it('exports JSON with the CBs exactly as GetBlocks returns them, the channel CA certificates and the links', async () => {
    const file = path.join(dir, 'audit.json');
    const result = await audit('--connection', net.connectionFile, '--json', '--out', file);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    const exported = JSON.parse(readFileSync(file, 'utf8')) as {
      format: string;
      version: number;
      managementChain: unknown[];
      managementChannel: { msps: { mspId: string; rootCerts: string[] }[] };
      primaryChannel: { configBlocks: { number: number; link: unknown }[] };
    };
    expect(exported).toMatchObject({ format: 'mgmt-audit-export', version: 1 });
    expect(exported.managementChain).toEqual(await json<unknown[]>(s[2].mgmt.evaluateTransaction('GetBlocks', '0', '99')));
    expect(exported.managementChannel.msps.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    expect(exported.managementChannel.msps[1].rootCerts).toEqual([readFileSync(net.connection.members[1].caCertPath, 'utf8')]);
    expect(exported.primaryChannel.configBlocks.map((b) => [b.number, b.link])).toEqual([
      [0, null],
      [appliedIn.get(1), { height: 1, hash: cbs[1].hash }],
      [appliedIn.get(2), { height: 2, hash: cbs[2].hash }],
    ]);
  });

  it('fails on the live chains, naming the primary block, when a linked update does not put its CB in force', async () => {
    const number = await applyToPrimary(cbs[2], { ...batchOf(cbs[2]), maxMessageCount: 99 });
    const result = await audit('--connection', net.connectionFile);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `AUDIT_BATCH_MISMATCH at primary block ${number} (CB 2): BatchTimeout 300ms (300 ms), MaxMessageCount 99 differ from CB 2's batchTimeoutMs 300 and maxMessageCount 30`,
    );
  });
});

describe('mgmt audit --verify-export with the network gone', () => {
  beforeAll(async () => {
    await net?.stop();
  });

  function tampered(name: string, edit: (chain: Record<string, unknown>[]) => void): string {
    const doc = JSON.parse(readFileSync(path.join(dir, 'audit.json'), 'utf8')) as { managementChain: Record<string, unknown>[] };
    edit(doc.managementChain);
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(doc));
    return file;
  }

  it('re-verifies the export offline: exit 0', async () => {
    const result = await audit('--verify-export', path.join(dir, 'audit.json'));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✔ audit passed: CBs 0..2 verified');
  });

  it.each([
    ['a changed config', (c: Record<string, unknown>[]) => ((c[2].config as Record<string, number>).maxMessageCount = 31), 2, /^hash [0-9a-f]{64} does not match the header \(recomputed [0-9a-f]{64}\)$/],
    ['a dropped vote', (c: Record<string, unknown>[]) => (c[1].proof as unknown[]).splice(2, 1), 1, /^proof has 2 approvals, quorum is 3$/],
    ['swapped blocks', (c: Record<string, unknown>[]) => c.splice(1, 2, c[2], c[1]), 1, /^height is 2, expected 1$/],
  ])('fails for %s, naming the height and reason: exit 1', async (name, edit, height, reason) => {
    const result = await audit('--verify-export', tampered(`${name.replace(/ /g, '-')}.json`, edit), '--json');
    expect(result.code).toBe(1);
    const report = (JSON.parse(result.stdout) as { report: { faults: { code: string; height?: number; reason: string }[] } }).report;
    expect(report.faults[0]).toMatchObject({ code: 'AUDIT_CB_INVALID', height });
    expect(report.faults[0].reason).toMatch(reason);
    expect(result.stderr).toMatch(new RegExp(`^✖ AUDIT_CB_INVALID at height ${height}: `, 'm'));
  });
});
