/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A two-organisation consortium on a network whose orderer belongs to an organisation of its own
 * (OrdererMSP, as in fabric-samples' test-network): orderer values of `primary` are governed by
 * /Channel/Orderer/Admins, which only OrdererMSP's admin satisfies. The members agree on CBs (2 of
 * 2) and `mgmt signer` of OrdererMSP, which has no peer and is not in the management channel's
 * Application group, reads the management chain from the orderer, verifies it and signs and
 * submits the updates. The audit accepts OrdererMSP as a declared signer, also from an export.
 *
 * Devnet only: network/native runs four organisations that each order (its README says how to use
 * test-network with `mgmt connect` instead).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SigningIdentity } from 'fabric-config/msp';
import { newGrpcConnection } from '../orchestrator/src/gateway';
import { readChannelConfig } from '../orchestrator/src/primary/channelCheck';
import { readBatchParams } from 'fabric-config/configtx';
import { getLocal } from './support/http';
import type { Answer } from './support/http';
import { backend, REPO_ROOT, startNetwork } from './support/network';
import type { TestNetwork } from './support/network';

const BASE_PORT = 21450;
const OPERATIONS_PORT = 21490;
const MGMT_CLI = path.join(REPO_ROOT, 'orchestrator', 'dist', 'cli', 'index.js');
const onDevnet = backend() === 'devnet';

let net: TestNetwork;
let work: string;
let signer: ChildProcess | undefined;
let signerOutput = '';

function run(args: string[], deadlineMs: number): Promise<{ code: number | null; output: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MGMT_CLI, '--connection', net.connectionFile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mgmt ${args[0]} did not finish within ${deadlineMs} ms:\n${output}`));
    }, deadlineMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, stdout });
    });
  });
}

const operations = (route: string): Promise<Answer> => getLocal(OPERATIONS_PORT, route);

async function waitFor(what: string, test: () => boolean, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; signer output:\n${signerOutput}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const maybe = onDevnet ? describe : describe.skip;

beforeAll(async () => {
  if (!onDevnet) return;
  work = mkdtempSync(path.join(os.tmpdir(), 'signer-e2e-'));
  net = await startNetwork({ basePort: BASE_PORT, orgs: 2, ordererOrg: true });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), net.connection.channels.management, 'mgmt');
  await net.deploy(path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode'), net.connection.channels.primary, 'assets');
}, 120_000);

afterAll(async () => {
  if (signer !== undefined && signer.exitCode === null) {
    const exited = new Promise((r) => signer?.once('exit', r));
    signer.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    if (signer.exitCode === null) signer.kill('SIGKILL');
  }
  if (net !== undefined) await net.stop();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

maybe('a consortium whose orderer belongs to a separate organisation (OrdererMSP)', () => {
  it('the devnet writes the members and OrdererMSP as a declared signer', () => {
    expect(net.connection.members.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP']);
    expect(net.connection.signers?.map((s) => s.mspId)).toEqual(['OrdererMSP']);
    // Both members order through the orderer organisation's node.
    expect(new Set(net.connection.members.map((m) => m.orderer.hostAlias))).toEqual(new Set(['orderer.example.com']));
  });

  it('members seal CBs, mgmt signer of OrdererMSP signs and submits them, and the audit passes', async () => {
    signer = spawn(process.execPath, [MGMT_CLI, '--connection', net.connectionFile, '--verbose', 'signer', '--state-dir', path.join(work, 'signer-state'), '--operations-listen', `127.0.0.1:${OPERATIONS_PORT}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    signer.stdout?.on('data', (d: Buffer) => (signerOutput += d.toString()));
    signer.stderr?.on('data', (d: Buffer) => (signerOutput += d.toString()));

    const consortium = await run(['consortium', '--rounds', '3', '--cbi', '1', '--cycle-timeout', '3', '--workload-tps', '5', '--state-dir', path.join(work, 'observers')], 150_000);
    expect(consortium.code).toBe(0);
    const sealed = [...consortium.output.matchAll(/✔ CB #(\d+) sealed: .* approvals 2\/2/g)].map((m) => Number(m[1]));
    expect(sealed.length).toBeGreaterThanOrEqual(3);
    const newest = Math.max(...sealed);

    await waitFor(`CB ${newest} in force through the signer`, () => new RegExp(`CB ${newest} in force on the primary channel`).test(signerOutput), 60_000);
    // OrdererMSP alone satisfies /Channel/Orderer/Admins: the signer's submissions carry its signature.
    expect(signerOutput).toMatch(/submitted the update for CB \d+ \(sequence \d+, signed by OrdererMSP\): SUCCESS/);
    // Its operations endpoint: healthy once the newest CB is in force, and the CB height scraped.
    let health = { status: 0, body: '' };
    const healthy = Date.now() + 30_000;
    while (health.status !== 200 && Date.now() < healthy) {
      health = await operations('/healthz');
      if (health.status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(health).toMatchObject({ status: 200 });
    const metrics = await operations('/metrics');
    expect(metrics.body).toMatch(new RegExp(`mgmt_cb_height\\{member="OrdererMSP"\\} ${newest}`));

    // It never writes to the management channel: nothing in its output says it voted or proposed.
    expect(signerOutput).not.toMatch(/\bvoted\b|\bproposed\b/);

    // The channel runs the newest CB's orderer values (read from the orderer as a member would).
    const member = net.connection.members[0];
    const config = await readChannelConfig({
      connect: () => newGrpcConnection(member.orderer),
      channelId: net.connection.channels.primary,
      signer: SigningIdentity.fromMspDir(member.userMspDir, member.mspId),
    });
    const { batchTimeoutMs } = readBatchParams(config);
    const changes = [...consortium.output.matchAll(/orderer\.batchTimeoutMs: \d+ -> (\d+)/g)].map((m) => Number(m[1]));
    if (changes.length > 0) expect(batchTimeoutMs).toBe(changes[changes.length - 1]);

    // The audit accepts OrdererMSP as the connection file's declared signer, live and from an export.
    const audit = await run(['audit', '--json', '--out', path.join(work, 'export.json')], 60_000);
    expect(audit.output).toMatch(/audit passed/);
    expect(audit.code).toBe(0);
    const exported = JSON.parse(readFileSync(path.join(work, 'export.json'), 'utf8')) as { managementChannel: { declaredSigners?: { mspId: string }[] } };
    expect(exported.managementChannel.declaredSigners?.map((s) => s.mspId)).toEqual(['OrdererMSP']);
    // Offline, the auditor declares the signer itself: an export's own list is never trusted (a
    // forged export could declare the orderer organisation whose signatures it forged).
    const caFile = net.connection.signers?.[0]?.caCertPath ?? '';
    const verified = await run(['audit', '--verify-export', path.join(work, 'export.json'), '--declared-signer', `OrdererMSP=${caFile}`], 60_000);
    expect(verified.code).toBe(0);
    expect(verified.output).toMatch(/declared signers, accepted on the channels without being members: OrdererMSP/);
    const undeclared = await run(['audit', '--verify-export', path.join(work, 'export.json')], 60_000);
    expect(undeclared.code).toBe(1);
    expect(undeclared.output).toMatch(/the export declares OrdererMSP as signer\(s\); not accepted from the export: pass --declared-signer OrdererMSP=<its CA certificate>/);
    expect(undeclared.output).toMatch(/OrdererMSP has an MSP in the mgmt channel config .* but was never a member and is not a declared signer/);
  }, 300_000);
});
