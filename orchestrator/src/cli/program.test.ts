/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `mgmt` command through the same factory the binary uses: parsing, help, exit codes and
 * the one-line refusals, with a fake ledger in place of the network.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigBlock, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import type { ConnectionFile, MemberConnection } from '../gateway';
import { LedgerUnavailableError, MgmtRefusalError } from '../mgmtClient/errors';
import type { MgmtLedger } from '../managementNode/ledger';
import type { CliIo, GlobalOptions, MemberSession } from './context';
import { buildProgram, runCli } from './program';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mgmt-cli-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
afterEach(() => {
  delete process.env.MGMT_MEMBER;
});

const member = (n: number): MemberConnection => ({
  mspId: `Org${n}MSP`,
  domain: `org${n}.example.com`,
  peer: { endpoint: `127.0.0.1:${7051 + n}`, hostAlias: `peer0.org${n}.example.com`, tlsCaCertPath: '/x' },
  orderer: { endpoint: `127.0.0.1:${7050 + n}`, hostAlias: `orderer.org${n}.example.com`, tlsCaCertPath: '/x' },
  caCertPath: '/x',
  adminMspDir: '/x',
  userMspDir: '/x',
});
const connection: ConnectionFile = { version: 1, backend: 'devnet', channels: { management: 'mgmt', primary: 'primary' }, members: [member(1), member(2)] };
const connectionFile = path.join(dir, 'connection.json');
writeFileSync(connectionFile, JSON.stringify(connection));

const ROUND: Round = {
  now: '2026-01-01T00:00:05.000Z',
  nextHeight: 3,
  latestHash: 'c'.repeat(64),
  phase: 'cycle',
  round: 0,
  opensAt: '2026-01-01T00:00:04.000Z',
  cycle: 1,
  cycleStartsAt: '2026-01-01T00:00:04.000Z',
  cycleEndsAt: '2026-01-01T00:00:07.000Z',
  expectedProposer: 'Org2MSP',
  proposal: null,
  votes: [],
  outcome: null,
};

function refusal(transaction: string, code: 'MGMT_NOT_PROPOSER' | 'MGMT_NOT_INITIALISED', message: string): MgmtRefusalError {
  return new MgmtRefusalError({ step: 'endorse', transaction, code, message: `${code}: ${message}` });
}

/** A ledger whose answers the tests choose; unused calls fail loudly. */
function fakeLedger(overrides: Partial<MgmtLedger>): MgmtLedger {
  const unused = (): Promise<never> => Promise.reject(new Error('unexpected call'));
  return { getRound: unused, getParams: unused, getLatest: unused, getBlocks: unused, initLedger: unused, propose: unused, vote: unused, tally: unused, events: unused, ...overrides };
}

async function run(argv: string[], ledger: MgmtLedger = fakeLedger({}), stdin = ''): Promise<{ code: number; out: string; err: string; globals?: GlobalOptions }> {
  let out = '';
  let err = '';
  let globals: GlobalOptions | undefined;
  const io: CliIo = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    readStdin: () => stdin,
    openSession: (g, c, m): Promise<MemberSession> => {
      globals = g;
      return Promise.resolve({ member: m, connection: c, ledger, mspDir: '/x', gateway: undefined, client: undefined, close: () => undefined });
    },
  };
  const code = await runCli(['--connection', connectionFile, ...argv], io);
  return { code, out, err, globals };
}

describe('mgmt', () => {
  it('has an Example: line in the help of the program and of every subcommand', () => {
    const program = buildProgram({ out: () => undefined, err: () => undefined });
    const texts = [program, ...program.commands].map((c) => {
      let text = '';
      c.configureOutput({ writeOut: (t) => (text += t) });
      c.outputHelp();
      return text;
    });
    expect(program.commands.map((c) => c.name())).toEqual(expect.arrayContaining(['blocks', 'consortium', 'init', 'latest', 'node', 'propose', 'round', 'tally', 'vote']));
    for (const text of texts) expect(text).toMatch(/Example:\n {2}.*\bmgmt /);
  });

  it('exits 0 on --help and 2 on usage errors', async () => {
    expect((await run(['--help'])).code).toBe(0);
    expect((await run(['round', '--help'])).code).toBe(0);
    const unknown = await run(['bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command 'bogus'/);
    expect((await run(['round', '--nope'])).code).toBe(2);
    expect((await run(['round', 'extra'])).code).toBe(2);
    expect((await run(['--role', 'root', 'round'])).code).toBe(2);
    expect((await run(['blocks', '--from', '-1'])).code).toBe(2);
    expect((await run(['vote', 'a'.repeat(64), '--approve', '--reject'])).code).toBe(2);
  });

  it.each([
    [['vote', 'a'.repeat(64)], /✖ say --approve or --reject/],
    [['vote', 'xyz', '--approve'], /✖ proposal id must be 64 lowercase hex digits/],
    [['tally', 'xyz'], /✖ proposal id must be 64 lowercase hex digits/],
    [['propose', path.join(dir, 'missing.json')], /✖ cannot read the configuration .*missing\.json/],
    [['--member', 'Org9MSP', 'round'], /✖ member Org9MSP is not in .*; pass --member with one of Org1MSP, Org2MSP/],
    [['node', '--twin', 'operator'], /✖ the operator twin needs --config-file <file> or --config <json>/],
    [['blocks', '--from', '3', '--to', '1'], /✖ --to \(1\) is below --from \(3\)/],
  ])('exits 2 with one line for %j', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err.trim().split('\n')).toHaveLength(1);
  });

  it('prints an expected refusal as one line without a stack and exits 1', async () => {
    const ledger = fakeLedger({ propose: () => Promise.reject(refusal('Propose', 'MGMT_NOT_PROPOSER', 'expected Org2MSP for cycle 1, got Org1MSP')) });
    const result = await run(['propose', '-'], ledger, '{"batchTimeoutMs":200,"maxMessageCount":20}');
    expect(result).toMatchObject({ code: 1, out: '', err: '✖ MGMT_NOT_PROPOSER: expected Org2MSP for cycle 1, got Org1MSP\n' });
  });

  it('says how to fix a missing connection file or an unreachable peer', async () => {
    let missingErr = '';
    const missing = await runCli(['--connection', path.join(dir, 'nope.json'), 'round'], { out: () => undefined, err: (t) => void (missingErr += t) });
    expect(missing).toBe(1);
    expect(missingErr).toMatch(/connection file .*nope\.json not found: run `npm run devnet -- up` or pass --connection/);
    const down = await run(['round'], fakeLedger({ getRound: () => Promise.reject(new LedgerUnavailableError({ step: 'evaluate', transaction: 'GetRound', code: 'UNAVAILABLE', grpcCode: 14, message: 'GetRound: peer unavailable (UNAVAILABLE): No connection established' })) }));
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/✖ GetRound: peer unavailable .*\n {2}is the network up\?/);
  });

  it('prints the stack of an unexpected failure and exits 1', async () => {
    const result = await run(['round'], fakeLedger({ getRound: () => Promise.reject(new TypeError('cannot read x of undefined')) }));
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/TypeError: cannot read x of undefined\n\s+at /);
  });

  it('shows the round as a table, or as JSON with --json (also after the subcommand)', async () => {
    const ledger = fakeLedger({ getRound: () => Promise.resolve(ROUND) });
    const human = await run(['round'], ledger);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/phase\s+cycle 1 of round 0/);
    expect(human.out).toMatch(/proposer\s+Org2MSP/);
    const json = await run(['round', '--json'], ledger);
    expect(JSON.parse(json.out)).toEqual(ROUND);
  });

  it('takes the member and role from MGMT_ variables, the flag winning over the variable', async () => {
    process.env.MGMT_MEMBER = 'Org2MSP';
    const ledger = fakeLedger({ getRound: () => Promise.resolve(ROUND) });
    expect((await run(['round'], ledger)).globals).toMatchObject({ member: 'Org2MSP', role: 'user' });
    expect((await run(['--member', 'Org1MSP', '--role', 'admin', 'round'], ledger)).globals).toMatchObject({ member: 'Org1MSP', role: 'admin' });
  });

  it('pages blocks 100 at a time up to the latest', async () => {
    const calls: [number, number][] = [];
    const block = (h: number): ConfigBlock => ({ height: h, hash: h.toString(16).padStart(64, '0'), prevHash: '', proposer: 'Org1MSP', cycle: 0, timestamp: '2026-01-01T00:00:00.000Z', config: {}, proof: [] });
    const ledger = fakeLedger({
      getRound: () => Promise.resolve({ ...ROUND, nextHeight: 250 }),
      getBlocks: (from, to) => {
        calls.push([from, to]);
        return Promise.resolve(Array.from({ length: Math.min(to, from + 99) - from + 1 }, (_x, i) => block(from + i)));
      },
    });
    const result = await run(['blocks', '--json'], ledger);
    expect(result.code).toBe(0);
    expect(calls).toEqual([[0, 99], [100, 199], [200, 249]]);
    expect((JSON.parse(result.out) as ConfigBlock[]).map((b) => b.height)).toEqual(Array.from({ length: 250 }, (_x, i) => i));
  });

  it('proposes a configuration read from stdin', async () => {
    let sent: unknown;
    const proposal = { id: 'd'.repeat(64), hash: 'd'.repeat(64), header: { height: 3, prevHash: '', proposer: 'Org1MSP', cycle: 1, timestamp: 't', config: { a: 1 } }, cycleStartsAt: 's', cycleEndsAt: 'e', status: 'open', txId: 'x' } as Proposal;
    const ledger = fakeLedger({
      propose: (config) => {
        sent = config;
        return Promise.resolve(proposal);
      },
    });
    const result = await run(['propose', '-'], ledger, '{"a": 1}');
    expect(result.code).toBe(0);
    expect(sent).toEqual({ a: 1 });
    expect(result.out).toMatch(/proposal d{64} for CB #3 \(cycle 1\) by Org1MSP/);
    expect((await run(['propose', '-'], ledger, '{"a": 1, "a": 2}')).err).toMatch(/not valid JSON.*duplicate/i);
  });
});
