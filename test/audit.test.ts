/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt audit` against a live network: CBs produced through the management chaincode, primary
 * config updates signed by a majority of admins and carrying their CB's link, then the audit of
 * the live chains, its JSON export re-verified with the network gone, and tampered exports. Then,
 * on a second network, a chain whose CBs are channel models: a policy and an ACL put in force with
 * their link, and updates made outside the management chain, of an ungoverned and a governed path.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { orderer } from '@hyperledger/fabric-protos';
import type { common } from '@hyperledger/fabric-protos';
import { buildConfigUpdateEnvelope, channelModelUpdate, computeUpdate, readConfigBlock, signConfigUpdate } from 'fabric-config/configtx';
import type { ChannelModel } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import type { ConfigBlock, JsonObject, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { broadcast, fetchConfigBlock } from '../orchestrator/src/channelConfig/ordererClient';
import { channelModelOfCb } from '../orchestrator/src/primary/cbModel';
import { managementLinkTxId } from '../orchestrator/src/primary/managementLink';
import { endingOf } from '../orchestrator/src/cli/errors';
import { registerAudit } from '../orchestrator/src/cli/audit';
import { newGrpcConnection } from '../orchestrator/src/gateway';
import { CHANNEL_MODEL_SCHEMA_FILE, readSchemaFile } from '../orchestrator/src/twins/primaryConfig';
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

/** A fresh network with the management chaincode deployed, its sessions, admins and a connection to Org1's orderer. */
async function startLive(): Promise<void> {
  net = await startNetwork({ basePort: BASE_PORT });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), 'mgmt', 'mgmt');
  s = await openSessions(net.connection);
  admins = net.connection.members.map((m) => SigningIdentity.fromMspDir(m.adminMspDir, m.mspId));
  ordererClient = await newGrpcConnection(net.connection.members[0].orderer);
}

beforeAll(async () => {
  await startLive();
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

async function produceCb(config: JsonObject): Promise<ConfigBlock> {
  const r = await waitForCycle();
  const proposer = s.find((x) => x.member.mspId === r.expectedProposer) as MemberSession;
  return seal(await json<Proposal>(proposer.mgmt.submitTransaction('Propose', JSON.stringify(config))));
}

async function primaryConfig(): Promise<common.Config> {
  return readConfigBlock(await fetchConfigBlock(ordererClient, 'primary', admins[0])).config;
}

/**
 * Submits an update of `primary` signed by Org2, Org3 and Org4's admins (a majority), carrying
 * `cb`'s link unless it is null, and waits for its config block; returns that block's number.
 */
async function updatePrimary(current: common.Config, update: common.ConfigUpdate, cb: ConfigBlock | null): Promise<number> {
  const bytes = update.serializeBinary();
  const signers = admins.slice(1, 4);
  const envelope = buildConfigUpdateEnvelope('primary', bytes, signers.map((a) => signConfigUpdate(bytes, a)), signers[0], {
    ...(cb === null ? {} : { txId: managementLinkTxId({ height: cb.height, hash: cb.hash }) }),
  });
  expect(await broadcast(ordererClient, envelope)).toMatchObject({ statusName: 'SUCCESS' });
  // SUCCESS means accepted for ordering; the update is in force once its config block is.
  let block = await fetchConfigBlock(ordererClient, 'primary', admins[0]);
  for (let i = 0; i < 300 && readConfigBlock(block).config.getSequence() <= current.getSequence(); i++) {
    await new Promise((r) => setTimeout(r, 100));
    block = await fetchConfigBlock(ordererClient, 'primary', admins[0]);
  }
  return block.getHeader()?.getNumber() ?? -1;
}

/** A majority-signed update of `primary` putting `model` in force with the CB's link; returns the new config block's number. */
async function applyToPrimary(cb: ConfigBlock, model: ChannelModel): Promise<number> {
  const current = await primaryConfig();
  // As the primary adapter does: a CB whose parameters equal the channel's still gets its config block.
  const number = await updatePrimary(current, channelModelUpdate('primary', current, model), cb);
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
    expect(result.stdout).toMatch(new RegExp(`^${appliedIn.get(2)} +2 +\\S+ +300ms +30 +2 \\(2 governed\\) +Org2MSP,Org3MSP,Org4MSP +CB 2 ${cb2.hash.slice(0, 12)}…$`, 'm'));
    // The full difference of each config block; on a chain of the two batch values, those are what is governed.
    expect(result.stdout).toMatch(new RegExp(`^${appliedIn.get(2)} +CB 2 \\(linked\\) +yes +- +Channel/Orderer/BatchSize/MaxMessageCount +20 → 30$`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^${appliedIn.get(2)} +CB 2 \\(linked\\) +yes +- +Channel/Orderer/BatchTimeout +200ms → 300ms$`, 'm'));
    expect(result.stdout).toContain('✔ audit passed: CBs 0..2 verified, anchored in the mgmt channel config; 3 config blocks of primary, 2 linked to their CB');

    const csv = await audit('--connection', net.connectionFile, '--member', 'Org3MSP', '--csv');
    expect(csv.code).toBe(0);
    expect(csv.stderr).toContain('as Org3MSP');
    const lines = csv.stdout.split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toMatch(/^record,height,/);
    expect(lines.filter((l) => l.startsWith('cb,'))).toHaveLength(3);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^change,,\\S+Z(,){10}${appliedIn.get(2)},2,${cb2.hash},Org2MSP;Org3MSP;Org4MSP,Channel/Orderer/BatchTimeout,modified,200ms,300ms,yes,$`)),
    );
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
    // Version 3: the signed blocks travel with the export (as in version 2), and the report lists every change.
    expect(exported).toMatchObject({ format: 'mgmt-audit-export', version: 3 });
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
      `AUDIT_BATCH_MISMATCH at primary block ${number} (CB 2): the config does not run CB 2's configuration at 1 governed path: Channel/Orderer/BatchSize/MaxMessageCount is 99, CB 2 wants 30`,
    );
    expect(result.stdout).toMatch(new RegExp(`^${number} +CB 2 \\(linked\\) +yes +AUDIT_BATCH_MISMATCH +Channel/Orderer/BatchSize/MaxMessageCount +40 → 99$`, 'm'));
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

  it('an untouched version 3 export verifies against its signed blocks and heads: exit 0, no notice', async () => {
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
    expect(csv.stderr).toMatch(/^! notice: this evidence \(export version 1\) carries no config blocks: the changes listed are those of the records' BatchTimeout and MaxMessageCount alone/m);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^record,height,time,proposer,cycle,approvals,changes,primary_blocks,status,hash,faults,primary_status,block,/);
    // The same cut that fails with head evidence passes unnoticed in version 1: what the notice warns of.
    const cut = await audit('--verify-export', edited('version1.json', 'version1-cut.json', (d) => d.primaryChannel.configBlocks.pop()));
    expect(cut.code).toBe(0);
  });
});

describe('mgmt audit of a chain of channel models', () => {
  const ACL = 'Channel/Application/ACLs/_lifecycle/CheckCommitReadiness';
  const ENDORSEMENT = 'Channel/Application/Policies/Endorsement';
  let peers: string;
  let model1: ChannelModel;
  let cb1: ConfigBlock;
  /** Primary config blocks: the one applying CB 1, then the unlinked ungoverned and governed updates. */
  const blocks = { linked: -1, ungoverned: -1, governed: -1 };

  beforeAll(async () => {
    // One port grid per test file: the second network starts once the first is gone.
    if (s) closeSessions(s);
    ordererClient?.close();
    await net?.stop();
    cbs.length = 0;
    appliedIn.clear();
    await startLive();
    peers = net.connection.members.map((m) => `'${m.mspId}.peer'`).join(', ');
    model1 = {
      version: 2,
      orderer: { batchTimeoutMs: 200, batchSize: { maxMessageCount: 20 } },
      application: {
        policies: { Endorsement: { type: 'Signature', rule: `OutOf(2, ${peers})` } },
        acls: { '_lifecycle/CheckCommitReadiness': '/Channel/Application/Writers' },
      },
    };
    const params = JSON.parse(genesisParams(net.connection, { cbiSeconds: 2, cycleTimeoutSeconds: 3 })) as { params: JsonObject; config: JsonObject };
    params.params.configSchema = readSchemaFile(CHANNEL_MODEL_SCHEMA_FILE);
    params.config = { version: 2, orderer: { batchTimeoutMs: 100, batchSize: { maxMessageCount: 10 } } };
    await seal(await json<Proposal>(s[0].mgmt.submitTransaction('InitLedger', JSON.stringify(params))));
  });

  it('passes when a CB changing a policy and an ACL is put in force with its link, listing those changes as governed', async () => {
    cb1 = await produceCb(model1 as unknown as JsonObject);
    blocks.linked = await applyToPrimary(cb1, model1);
    const result = await audit('--connection', net.connectionFile);
    expect(result.code).toBe(0);
    const row = (governed: string, fault: string, changePath: string, change: string): RegExp =>
      new RegExp(`^${blocks.linked} +CB 1 \\(linked\\) +${governed} +${fault} +${changePath} +${change}$`, 'm');
    expect(result.stdout).toMatch(row('yes', '-', ENDORSEMENT, `MAJORITY Endorsement → OutOf\\(2, ${peers.replace(/\./g, '\\.')}\\)`));
    expect(result.stdout).toMatch(row('yes', '-', ACL, '\\S.* → /Channel/Application/Writers'));
    expect(result.stdout).toMatch(row('yes', '-', 'Channel/Orderer/BatchSize/MaxMessageCount', '\\d+ → 20'));
    expect(result.stdout).toContain('✔ audit passed: CBs 0..1 verified');
  });

  it('lists an update made outside the management chain that changes an ungoverned path, without a fault', async () => {
    const current = await primaryConfig();
    const desired = current.cloneMessage();
    const restrictions = new orderer.ChannelRestrictions();
    restrictions.setMaxCount(5);
    desired.getChannelGroup()?.getGroupsMap().get('Orderer')?.getValuesMap().get('ChannelRestrictions')?.setValue(restrictions.serializeBinary());
    blocks.ungoverned = await updatePrimary(current, computeUpdate('primary', current, desired), null);
    const result = await audit('--connection', net.connectionFile);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${blocks.ungoverned} +CB 1 \\(in force\\) +no +- +Channel/Orderer/ChannelRestrictions/MaxCount +0 → 5$`, 'm'));
    const csv = await audit('--connection', net.connectionFile, '--csv');
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\r\n')).toContainEqual(
      expect.stringMatching(new RegExp(`^change,,\\S+Z(,){10}${blocks.ungoverned},,,Org2MSP;Org3MSP;Org4MSP,Channel/Orderer/ChannelRestrictions/MaxCount,modified,0,5,no,$`)),
    );
  });

  it('fails an update made outside the management chain that changes a governed path: AUDIT_UNLINKED_GOVERNED_CHANGE naming the path and the signers, exit 1', async () => {
    const current = await primaryConfig();
    blocks.governed = await updatePrimary(current, channelModelUpdate('primary', current, { version: 2, application: { acls: { '_lifecycle/CheckCommitReadiness': '/Channel/Application/Readers' } } }), null);
    const result = await audit('--connection', net.connectionFile);
    expect(result.code).toBe(1);
    const reason =
      `AUDIT_UNLINKED_GOVERNED_CHANGE at primary block ${blocks.governed}: an update without a management link, signed by Org2MSP, Org3MSP, Org4MSP, ` +
      `changed 1 path that CB 1's configuration governs: ${ACL} /Channel/Application/Writers → /Channel/Application/Readers`;
    expect(result.stdout).toContain(reason);
    expect(result.stderr).toContain(`✖ audit found 1 fault, the first: ${reason}`);
    expect(result.stdout).toMatch(new RegExp(`^${blocks.governed} +CB 1 \\(in force\\) +yes +AUDIT_UNLINKED_GOVERNED_CHANGE +${ACL} +/Channel/Application/Writers → /Channel/Application/Readers$`, 'm'));
    const csv = await audit('--connection', net.connectionFile, '--csv');
    expect(csv.code).toBe(1);
    expect(csv.stdout.split('\r\n')).toContainEqual(expect.stringMatching(new RegExp(`,${blocks.governed},,,Org2MSP;Org3MSP;Org4MSP,${ACL},modified,/Channel/Application/Writers,/Channel/Application/Readers,yes,AUDIT_UNLINKED_GOVERNED_CHANGE$`)));
  });

  it('exports version 3, whose verification offline recomputes the changes from the config blocks; as version 1 the ACL change is invisible', async () => {
    const file = path.join(dir, 'model.json');
    expect((await audit('--connection', net.connectionFile, '--json', '--out', file)).code).toBe(1);
    await net.stop();
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      version: number;
      primaryChannel: { configBlocks: Record<string, unknown>[] };
      report: { primaryConfigBlocks: { number: number; changes: { path: string; governed: boolean }[] }[] };
      [key: string]: unknown;
    };
    expect(doc.version).toBe(3);
    expect(doc.report.primaryConfigBlocks.find((p) => p.number === blocks.linked)?.changes).toContainEqual(expect.objectContaining({ path: ENDORSEMENT, governed: true }));
    // The stored report is for reading only: emptying its changes changes nothing.
    for (const p of doc.report.primaryConfigBlocks) p.changes = [];
    const forged = path.join(dir, 'model-forged.json');
    writeFileSync(forged, JSON.stringify(doc));
    const verified = await audit('--verify-export', forged);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toContain(`AUDIT_UNLINKED_GOVERNED_CHANGE at primary block ${blocks.governed}: `);
    expect(verified.stdout).toMatch(new RegExp(`^${blocks.linked} +CB 1 \\(linked\\) +yes +- +${ENDORSEMENT} +MAJORITY Endorsement → `, 'm'));
    // Without the config blocks only the batch values of the records are left: the ACL change cannot be seen, as the notice says.
    doc.version = 1;
    delete doc.headsReadAt;
    const management = doc.managementChannel as Record<string, unknown>;
    delete management.configBlock;
    delete management.headBlocks;
    delete (doc.primaryChannel as Record<string, unknown>).headBlock;
    for (const record of doc.primaryChannel.configBlocks) delete record.block;
    const v1 = path.join(dir, 'model-v1.json');
    writeFileSync(v1, JSON.stringify(doc));
    const old = await audit('--verify-export', v1);
    expect(old.code).toBe(0);
    expect(old.stdout).toMatch(/^Notice: this evidence \(export version 1\) carries no config blocks: .*the full difference from the previous config cannot be checked$/m);
  });
});
