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
import { buildConfigUpdateEnvelope, channelModelUpdate, readConfigBlock, signConfigUpdate } from 'fabric-config/configtx';
import type { ChannelModel } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import type { ConfigBlock, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { broadcast, fetchConfigBlock } from '../orchestrator/src/channelConfig/ordererClient';
import { channelModelOfCb } from '../orchestrator/src/primary/cbModel';
import { managementLinkTxId } from '../orchestrator/src/primary/managementLink';
import { endingOf } from '../orchestrator/src/cli/errors';
import { registerAudit } from '../orchestrator/src/cli/audit';
import { newGrpcConnection } from '../orchestrator/src/gateway';
import { closeSessions, genesisParams, json, MemberSession, openSessions, seal as sealBy, sleep, vote } from './support/mgmt';
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
/** `appliedIn` as it was when each export was written (a later test applies CB 2 again). */
const appliedAtExport = new Map<string, ReadonlyMap<number, number>>();

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
  const block = await sealBy(s[3], proposal.id);
  cbs.push(block);
  return block;
}

async function produceCb(config: { batchTimeoutMs: number; maxMessageCount: number }): Promise<ConfigBlock> {
  const r = await waitForCycle();
  const proposer = s.find((x) => x.member.mspId === r.expectedProposer) as MemberSession;
  return seal(await json<Proposal>(proposer.mgmt.submitTransaction('Propose', JSON.stringify(config))));
}

/** A majority-signed update of `primary`'s batch parameters carrying the CB's link; returns the new config block's number. */
async function applyToPrimary(cb: ConfigBlock, model: ChannelModel): Promise<number> {
  const current = readConfigBlock(await fetchConfigBlock(ordererClient, 'primary', admins[0])).config;
  // As the primary adapter does: a CB whose parameters equal the channel's still gets its config block.
  const update = channelModelUpdate('primary', current, model).serializeBinary();
  const signers = admins.slice(1, 4);
  const envelope = buildConfigUpdateEnvelope('primary', update, signers.map((a) => signConfigUpdate(update, a)), signers[0], {
    txId: managementLinkTxId({ height: cb.height, hash: cb.hash }),
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

function batchOf(cb: ConfigBlock): ChannelModel {
  return channelModelOfCb(cb.config, 'devnet');
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
    appliedAtExport.set('audit.json', new Map(appliedIn));
    expect(result).toMatchObject({ code: 0, stdout: '' });
    const exported = JSON.parse(readFileSync(file, 'utf8')) as {
      format: string;
      version: number;
      managementChain: unknown[];
      managementChannel: { msps: { mspId: string; rootCerts: string[] }[]; configBlock: string; headBlocks: string[] };
      primaryChannel: { configBlocks: { number: number; link: unknown; block: string }[]; headBlock: string };
    };
    // Version 2 (issue 15): the signed blocks travel with the export.
    expect(exported).toMatchObject({ format: 'mgmt-audit-export', version: 2 });
    expect(exported.primaryChannel.configBlocks.every((b) => b.block.length > 0)).toBe(true);
    expect(exported.primaryChannel.headBlock.length).toBeGreaterThan(0);
    expect(exported.managementChannel.configBlock.length).toBeGreaterThan(0);
    expect(exported.managementChannel.headBlocks.length).toBeGreaterThan(0);
    expect(exported.managementChain).toEqual(await json<unknown[]>(s[2].mgmt.evaluateTransaction('GetBlocks', '0', '99')));
    expect(exported.managementChannel.msps.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    expect(exported.managementChannel.msps[1].rootCerts).toEqual([readFileSync(net.connection.members[1].caCertPath, 'utf8')]);
    expect(exported.primaryChannel.configBlocks.map((b) => [b.number, b.link])).toEqual([
      [0, null],
      [appliedIn.get(1), { height: 1, hash: cbs[1].hash }],
      [appliedIn.get(2), { height: 2, hash: cbs[2].hash }],
    ]);
  });

  it('exports a history in which two CBs carry the same configuration, each applied by its own config block', async () => {
    // CB 3 and CB 4 both set 400 ms / 40; CB 3 is applied after CB 4 was sealed, then CB 4.
    const cb3 = await produceCb({ batchTimeoutMs: 400, maxMessageCount: 40 });
    const cb4 = await produceCb({ batchTimeoutMs: 400, maxMessageCount: 40 });
    await applyToPrimary(cb3, batchOf(cb3));
    await applyToPrimary(cb4, batchOf(cb4));
    const result = await audit('--connection', net.connectionFile, '--json', '--out', path.join(dir, 'same-config.json'));
    appliedAtExport.set('same-config.json', new Map(appliedIn));
    expect(result).toMatchObject({ code: 0, stdout: '' });
    const table = await audit('--verify-export', path.join(dir, 'same-config.json'));
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`In force on primary: CB 4 (config block ${appliedIn.get(4)}); skipped: CB 0`);
  });

  it('fails on the live chains, naming the primary block, when a linked update does not put its CB in force', async () => {
    const number = await applyToPrimary(cbs[2], { version: 2, orderer: { ...batchOf(cbs[2]).orderer, batchSize: { maxMessageCount: 99 } } });
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

  interface ExportDoc {
    version: number;
    headsReadAt?: string;
    managementChain: Record<string, unknown>[];
    managementChannel: Record<string, unknown>;
    primaryChannel: { configBlocks: Record<string, unknown>[]; headBlock?: string };
    report: { heads?: { primary: { headBlock: number } } };
  }

  /** Writes a copy of an export after `edit`; returns its path. */
  function edited(source: string, name: string, edit: (doc: ExportDoc) => void): string {
    const doc = JSON.parse(readFileSync(path.join(dir, source), 'utf8')) as ExportDoc;
    edit(doc);
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(doc));
    return file;
  }

  /** The same export as version 1 would have written it: no signed blocks. */
  function asVersion1(doc: ExportDoc): void {
    doc.version = 1;
    delete doc.headsReadAt;
    delete doc.managementChannel.configBlock;
    delete doc.managementChannel.headBlocks;
    delete doc.primaryChannel.headBlock;
    for (const record of doc.primaryChannel.configBlocks) delete record.block;
  }

  type Fault = { code: string; height?: number; primaryBlock?: number; managementBlock?: number; reason: string };

  async function faultsOf(file: string): Promise<{ code: number; faults: Fault[]; stderr: string }> {
    const result = await audit('--verify-export', file, '--json');
    const faults = (JSON.parse(result.stdout) as { report: { faults: Fault[] } }).report.faults;
    return { code: result.code, faults, stderr: result.stderr };
  }

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

  const applied = (file: string, height: number): number => appliedAtExport.get(file)?.get(height) as number;

  it('an untouched version 2 export verifies against its signed blocks and heads: exit 0, no notice', async () => {
    const result = await audit('--verify-export', path.join(dir, 'audit.json'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^  primary: head block \\d+, signed by the orderer of Org\\dMSP, names config block ${applied('audit.json', 2)} as the latest$`, 'm'));
    expect(result.stdout).toMatch(/^ {2}mgmt: head block \d+, signed by the orderer of Org\dMSP(, Org\dMSP)*; newest CB 2 written in block \d+, none after it up to the head$/m);
    expect(result.stdout).toContain(`In force on primary: CB 2 (config block ${applied('audit.json', 2)}); skipped: CB 0`);
    expect(result.stdout).not.toContain('Notice:');
    expect(result.stderr).toContain('against their signed blocks and heads');
  });

  it('fails an export cut after its last primary config block, naming the head, the config blocks and the reason: exit 1', async () => {
    const file = edited('audit.json', 'cut-primary.json', (d) => d.primaryChannel.configBlocks.pop());
    const head = (JSON.parse(readFileSync(path.join(dir, 'audit.json'), 'utf8')) as ExportDoc).report.heads?.primary.headBlock as number;
    const { code, faults, stderr } = await faultsOf(file);
    expect(code).toBe(1);
    const reason = `primary head block ${head} names config block ${applied('audit.json', 2)} as last config; the export ends at config block ${applied('audit.json', 1)}`;
    expect(faults).toContainEqual({ code: 'AUDIT_TRUNCATED', primaryBlock: head, reason });
    expect(stderr).toContain(`✖ AUDIT_TRUNCATED at primary block ${head}: ${reason}`);
  });

  it('fails an export cut after its last CB and the primary block linking it, at both heads: exit 1', async () => {
    const file = edited('audit.json', 'cut-both.json', (d) => {
      d.managementChain.pop();
      d.primaryChannel.configBlocks.pop();
    });
    const { code, faults, stderr } = await faultsOf(file);
    expect(code).toBe(1);
    expect(faults).toContainEqual(expect.objectContaining({ code: 'AUDIT_TRUNCATED', reason: expect.stringMatching(`names config block ${applied('audit.json', 2)} as last config; the export ends at config block ${applied('audit.json', 1)}$`) }));
    const mgmtCut = faults.find((f) => f.code === 'AUDIT_TRUNCATED' && f.height === 2);
    expect(mgmtCut?.reason).toMatch(/^mgmt block \d+ \(transaction \d+, [0-9a-f]+\) writes CB 2; the export ends at CB 1$/);
    expect(stderr).toMatch(new RegExp(`^✖ AUDIT_TRUNCATED at mgmt block ${mgmtCut?.managementBlock} \\(CB 2\\): `, 'm'));
  });

  it('fails a primary config block relinked to the next CB with the same configuration, naming the block, the CB and the reason: exit 1', async () => {
    const relink = (d: ExportDoc): void => {
      const record = d.primaryChannel.configBlocks.find((r) => r.number === applied('same-config.json', 3)) as Record<string, unknown>;
      record.link = { height: 4, hash: cbs[4].hash };
    };
    // Without the signed blocks (version 1) the relink passes: the configuration is the same and the block is after CB 4.
    const v1 = await audit('--verify-export', edited('same-config.json', 'relinked-v1.json', (d) => {
      asVersion1(d);
      relink(d);
    }));
    expect(v1.code).toBe(0);
    const { code, faults, stderr } = await faultsOf(edited('same-config.json', 'relinked.json', relink));
    expect(code).toBe(1);
    const reason =
      `the export's record of primary config block ${applied('same-config.json', 3)} differs from the signed block: ` +
      `link: the export says CB 4 (${cbs[4].hash.slice(0, 12)}…), the signed block CB 3 (${cbs[3].hash.slice(0, 12)}…)`;
    expect(faults).toEqual([{ code: 'AUDIT_EVIDENCE_MISMATCH', height: 4, primaryBlock: applied('same-config.json', 3), reason }]);
    expect(stderr).toContain(`✖ AUDIT_EVIDENCE_MISMATCH at primary block ${applied('same-config.json', 3)} (CB 4): ${reason}`);
  });

  it('still verifies a version 1 export, with a notice that it carries no head evidence: exit 0', async () => {
    const file = edited('audit.json', 'version1.json', asVersion1);
    const table = await audit('--verify-export', file);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('✔ audit passed: CBs 0..2 verified');
    expect(table.stdout).toMatch(/^Notice: this evidence \(export version 1\) carries no orderer-signed blocks: .*nothing shows whether the history was cut at the end/m);
    const csv = await audit('--verify-export', file, '--csv');
    expect(csv.code).toBe(0);
    expect(csv.stderr).toMatch(/^! notice: this evidence \(export version 1\) carries no orderer-signed blocks/m);
    expect(csv.stdout.split('\r\n')[0]).toBe('height,time,proposer,cycle,approvals,changes,primary_blocks,status,hash,faults');
    // The same cut that fails with head evidence passes unnoticed in version 1: what the notice warns of.
    const cut = await audit('--verify-export', edited('version1.json', 'version1-cut.json', (d) => d.primaryChannel.configBlocks.pop()));
    expect(cut.code).toBe(0);
  });
});
