/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `mgmt` command through the same factory the binary uses: parsing, help, exit codes and
 * the one-line refusals, with a fake ledger in place of the network.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigBlock, GenesisParams, JsonObject, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
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
  return { getRound: unused, getParams: unused, getLatest: unused, getBlocks: unused, initLedger: unused, propose: unused, proposeParams: unused, vote: unused, tally: unused, events: unused, ...overrides };
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
    expect(program.commands.map((c) => c.name())).toEqual(expect.arrayContaining(['blocks', 'consortium', 'init', 'latest', 'node', 'propose', 'round', 'tally', 'trace', 'vote']));
    for (const text of texts) expect(text).toMatch(/Example:\n {2}.*\bmgmt /);
  });

  it('prints its version with --version, as the operations endpoint\'s /version states it', async () => {
    const result = await run(['--version']);
    expect(result.code).toBe(0);
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(result.out).toMatch(new RegExp(`^mgmt ${pkg.version.replace(/\./g, '\\.')} \\((commit [0-9a-f]{12}, )?Node\\.js ${process.version.replace(/\./g, '\\.')}\\)\\n$`));
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
    [['node', '--members-file', path.join(dir, 'members.json')], /✖ --members-file is an operator twin option: add --twin operator/],
    [['node', '--twin', 'http', '--twin-url', 'http://127.0.0.1:1/', '--members-file', path.join(dir, 'members.json')], /✖ --members-file is an operator twin option: add --twin operator/],
    [['blocks', '--from', '3', '--to', '1'], /✖ --to \(1\) is below --from \(3\)/],
  ])('exits 2 with one line for %j', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err.trim().split('\n')).toHaveLength(1);
  });

  it('prints an expected refusal as one line without a stack and exits 1', async () => {
    const ledger = fakeLedger({ ...proposeLedger().ledger, propose: () => Promise.reject(refusal('Propose', 'MGMT_NOT_PROPOSER', 'expected Org2MSP for cycle 1, got Org1MSP')) });
    const result = await run(['propose', '-'], ledger, '{"version":2,"orderer":{"batchTimeoutMs":200}}');
    expect(result).toMatchObject({ code: 1, out: '' });
    // Before it, stderr has the channel warning and the change list of `mgmt propose`.
    expect(result.err.endsWith('\n✖ MGMT_NOT_PROPOSER: expected Org2MSP for cycle 1, got Org1MSP\n')).toBe(true);
    expect(result.err).not.toMatch(/\n\s+at /);
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

  it('proposes a whole configuration read from stdin, listing what it changes', async () => {
    const { ledger, sent } = proposeLedger();
    const result = await run(['propose', '-'], ledger, '{"version": 2, "orderer": {"batchTimeoutMs": 500}}');
    expect(result.code).toBe(0);
    expect(sent).toEqual([{ version: 2, orderer: { batchTimeoutMs: 500 } }]);
    expect(result.out).toMatch(/^proposal d{64} for CB #4 \(cycle 1\) by Org1MSP, open until e\nconfig \{"version":2,"orderer":\{"batchTimeoutMs":500\}\}\n$/);
    expect(result.err).toContain(['changes to the configuration of CB #3:', '  /orderer/batchTimeoutMs: 2000 -> 500', '  /orderer/batchSize: {"maxMessageCount":10} -> (none)', '  /application: {'].join('\n'));
    expect((await run(['propose', '-'], ledger, '{"a": 1, "a": 2}')).err).toMatch(/not valid JSON.*duplicate/i);
  });
});

const SCHEMA = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'schemas', 'channel-config.schema.json'), 'utf8')) as JsonObject;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The configuration in force; frozen, so that changing it in place throws. */
const CURRENT: JsonObject = deepFreeze({
  version: 2,
  orderer: { batchTimeoutMs: 2000, batchSize: { maxMessageCount: 10 } },
  application: { policies: { Endorsement: { type: 'Signature', rule: "OutOf(1, 'Org1MSP.peer', 'Org2MSP.peer')" } } },
});
const LATEST: ConfigBlock = deepFreeze({ height: 3, hash: 'b'.repeat(64), prevHash: 'a'.repeat(64), proposer: 'Org1MSP', cycle: 0, timestamp: '2026-01-01T00:00:00.000Z', config: CURRENT, proof: [] });
const PARAMS: GenesisParams = { members: [], cbiSeconds: 30, cycleTimeoutSeconds: 10, clockToleranceSeconds: 5, configSchema: SCHEMA };

/** A ledger for `mgmt propose`: successive answers of GetLatest (the last repeats), the params, and what was proposed. */
function proposeLedger(latest: readonly ConfigBlock[] = [LATEST]): { ledger: MgmtLedger; sent: JsonObject[] } {
  const sent: JsonObject[] = [];
  let calls = 0;
  const ledger = fakeLedger({
    getLatest: () => Promise.resolve(latest[Math.min(calls++, latest.length - 1)]),
    getParams: () => Promise.resolve(PARAMS),
    propose: (config) => {
      sent.push(config);
      const header = { height: 4, prevHash: latest[0].hash, proposer: 'Org1MSP', cycle: 1, timestamp: 't', config };
      return Promise.resolve({ id: 'd'.repeat(64), hash: 'd'.repeat(64), header, cycleStartsAt: 's', cycleEndsAt: 'e', status: 'open', txId: 'x' } as Proposal);
    },
  });
  return { ledger, sent };
}

/** The session's MSP folder (/x) is unreadable here: the channel check is skipped with this warning. */
const CHANNEL_WARNING = /! cannot read channel primary \(.+\): the configuration is not checked against it; the chaincode still enforces the genesis schema\n/;

describe('mgmt propose --patch', () => {
  const ENDORSEMENT = "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')";
  const patch = JSON.stringify([
    { op: 'test', path: '/orderer/batchTimeoutMs', value: 2000 },
    { op: 'replace', path: '/application/policies/Endorsement/rule', value: ENDORSEMENT },
  ]);

  it('applies a JSON Patch to the configuration in force and proposes the result', async () => {
    const { ledger, sent } = proposeLedger();
    const result = await run(['propose', '--patch', '-'], ledger, patch);
    expect(result.code).toBe(0);
    expect(sent).toEqual([{ ...CURRENT, application: { policies: { Endorsement: { type: 'Signature', rule: ENDORSEMENT } } } }]);
    expect(result.err).toMatch(CHANNEL_WARNING);
    expect(result.err).toContain(`changes to the configuration of CB #3:\n  /application/policies/Endorsement/rule: "OutOf(1, 'Org1MSP.peer', 'Org2MSP.peer')" -> ${JSON.stringify(ENDORSEMENT)}\n`);
    expect(LATEST.config).toEqual({ version: 2, orderer: { batchTimeoutMs: 2000, batchSize: { maxMessageCount: 10 } }, application: { policies: { Endorsement: { type: 'Signature', rule: "OutOf(1, 'Org1MSP.peer', 'Org2MSP.peer')" } } } });
  });

  it('reads the patch from a file and puts the changes in the --json output', async () => {
    const file = path.join(dir, 'patch.json');
    writeFileSync(file, JSON.stringify([{ op: 'replace', path: '/orderer/batchTimeoutMs', value: 500 }, { op: 'add', path: '/orderer/batchSize/preferredMaxBytes', value: 524288 }]));
    const { ledger } = proposeLedger();
    const result = await run(['propose', '--patch', file, '--json'], ledger);
    expect(result.code).toBe(0);
    expect(result.err).not.toMatch(/changes to/);
    expect(JSON.parse(result.out)).toMatchObject({
      id: 'd'.repeat(64),
      changes: [
        { path: '/orderer/batchTimeoutMs', before: 2000, after: 500 },
        { path: '/orderer/batchSize/preferredMaxBytes', after: 524288 },
      ],
    });
  });

  it.each([
    ['[{"op":"add","path":"/orderer/batchTimeoutMs","value":500},{"op":"replace","path":"/orderer/batchTimeout","value":500}]', 1, '✖ patch operation 1 (replace /orderer/batchTimeout): path does not exist; nothing proposed\n'],
    ['[{"op":"test","path":"/orderer/batchTimeoutMs","value":1000},{"op":"replace","path":"/orderer/batchTimeoutMs","value":500}]', 1, /^✖ patch operation 0 \(test \/orderer\/batchTimeoutMs\): test failed: the configuration has 2000 there, the patch expects 1000; the configuration in force is not the one the patch was written for/],
    ['[{"op":"replace","path":"","value":[]}]', 1, '✖ the configuration must be a JSON object, not an array; nothing proposed\n'],
    ['[{"op":"replace","path":"/orderer/batchTimeoutMs","value":20000}]', 1, /^✖ the configuration breaks the genesis schema \(the chaincode would refuse it with MGMT_INVALID_CONFIG\): config\.orderer\.batchTimeoutMs must be <= 10000; nothing proposed\n$/],
    ['[{"op":"replace","path":"/application/policies/Endorsement/rule","value":"OutOf(2,"}]', 1, /^✖ the configuration is not a valid channel model: config\.application\.policies\.Endorsement/],
    ['{"op":"replace","path":"/orderer/batchTimeoutMs","value":500}', 2, /^✖ the JSON Patch \(stdin\) must be an array of operations \(RFC 6902\)/],
    ['[{"op":"set","path":"/orderer/batchTimeoutMs","value":500}]', 2, /^✖ patch operation 0 \(set \/orderer\/batchTimeoutMs\): op must be one of add, remove, replace, move, copy, test\n$/],
    ['[{"op":"replace","path":"/orderer/batchTimeoutMs"}]', 2, /^✖ patch operation 0 \(replace \/orderer\/batchTimeoutMs\): value is missing\n$/],
    ['[{"op":"replace",', 2, /^✖ the JSON Patch \(stdin\) is not valid JSON/],
  ])('proposes nothing for %s (exit %i)', async (text, code, message) => {
    const { ledger, sent } = proposeLedger();
    const result = await run(['propose', '--patch', '-'], ledger, text);
    expect(result.code).toBe(code);
    const last = result.err.slice(result.err.lastIndexOf('✖'));
    if (typeof message === 'string') expect(last).toBe(message);
    else expect(last).toMatch(message);
    expect(sent).toEqual([]);
  });

  it('checks and shows the change but proposes nothing with --dry-run', async () => {
    const { ledger, sent } = proposeLedger();
    const human = await run(['propose', '--patch', '-', '--dry-run'], ledger, '[{"op":"replace","path":"/orderer/batchTimeoutMs","value":500}]');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/^dry run: the configuration passes the checks; nothing proposed\nconfig \{.*"batchTimeoutMs":500/);
    expect(human.err).toContain('  /orderer/batchTimeoutMs: 2000 -> 500\n');
    const json = await run(['propose', '--patch', '-', '--dry-run', '--json'], ledger, '[]');
    expect(JSON.parse(json.out)).toEqual({ dryRun: true, basedOn: { height: 3, hash: 'b'.repeat(64) }, config: CURRENT, changes: [] });
    expect(sent).toEqual([]);
  });

  it('takes exactly one of <configFile>, --edit and --patch', async () => {
    const none = await run(['propose']);
    expect(none.code).toBe(2);
    expect(none.err).toBe('✖ give exactly one of <configFile> (a whole configuration), --edit or --patch <file>\n');
    const both = await run(['propose', '-', '--patch', '-']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/exactly one of .*, not several/);
    const options = await run(['propose', '--edit', '--patch', '-']);
    expect(options.code).toBe(2);
    expect(options.err).toMatch(/option '--edit' cannot be used with option '--patch <file>'/);
  });
});

describe('mgmt trace', () => {
  const t0 = 1_767_225_600_000;
  const lines = [
    { t: t0 + 40, member: 'Org2MSP', step: 'proposeSent', height: 1, cycle: 0 },
    { t: t0 + 190, member: 'Org2MSP', step: 'proposeCommitted', height: 1, cycle: 0, proposalId: 'p1' },
    ...['Org1MSP', 'Org2MSP', 'Org3MSP'].flatMap((m, i) => [
      { t: t0 + 200 + i * 10, member: m, step: 'voteSent', height: 1, cycle: 0, proposalId: 'p1', detail: 'approve' },
      { t: t0 + 350 + i * 10, member: m, step: 'voteCommitted', height: 1, cycle: 0, proposalId: 'p1', detail: 'approve' },
    ]),
    { t: t0 + 540, member: 'Org2MSP', step: 'committed', height: 1, cycle: 0, proposalId: 'p1', by: 'Org2MSP', at: t0 },
  ];
  const file = path.join(dir, 'trace.jsonl');
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"t":`);

  it('reports where the time goes, skipping an unreadable line with a word on stderr', async () => {
    const result = await run(['trace', file]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('agreement p50 540 ms, floor 3 × 150 ms = 450 ms (overhead 90 ms)');
    expect(result.err).toBe(`skipped 1 unreadable lines, the first at ${file}:10: not JSON\n`);
  });

  it('prints the report as JSON with --json, and merges several files', async () => {
    const other = path.join(dir, 'trace-org4.jsonl');
    writeFileSync(other, `${JSON.stringify({ t: t0 + 545, member: 'Org4MSP', step: 'committed', height: 1, cycle: 0, proposalId: 'p1', at: t0 })}\n`);
    const result = await run(['trace', file, other, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out) as { members: string[]; cbs: { height: number; spans: { agreement: number } }[]; spans: { agreement: { floorMs: number } } };
    expect(report.members).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    expect(report.cbs).toEqual([expect.objectContaining({ height: 1, spans: { agreement: 540 } })]);
    expect(report.spans.agreement.floorMs).toBe(450);
  });

  it('exits 1 with one line for a missing or empty trace', async () => {
    const missing = await run(['trace', path.join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^✖ cannot read the trace .*nope\.jsonl: (Error: )?ENOENT.*\n$/);
    const empty = path.join(dir, 'empty.jsonl');
    writeFileSync(empty, 'not a trace\n');
    const none = await run(['trace', empty]);
    expect(none.code).toBe(1);
    expect(none.err).toBe(`✖ no trace lines in ${empty} (${empty}:1: not JSON): write one with \`mgmt consortium --trace <file>\` or \`mgmt node --trace <file>\`\n`);
  });

  it('mgmt node --trace refuses a file it cannot write before connecting', async () => {
    let opened = false;
    const result = await runCli(['--connection', connectionFile, 'node', '--no-apply', '--trace', path.join(dir, 'missing', 't.jsonl')], {
      out: () => undefined,
      err: (t) => { expect(t).toMatch(/^✖ cannot write the trace file .*missing\/t\.jsonl: (Error: )?ENOENT/); },
      openSession: () => {
        opened = true;
        return Promise.reject(new Error('unexpected'));
      },
    });
    expect(result).toBe(1);
    expect(opened).toBe(false);
  });
});

describe('mgmt propose --edit', () => {
  const saved = { VISUAL: process.env.VISUAL, EDITOR: process.env.EDITOR };
  const editorLog = path.join(dir, 'editor-log.json');
  /** Records what it was given, then changes the file as FAKE_EDITOR_MODE says. */
  const fakeEditor = path.join(dir, 'fake-editor.js');
  writeFileSync(
    fakeEditor,
    `const fs = require('node:fs');
const path = require('node:path');
const file = process.argv[2];
const text = fs.readFileSync(file, 'utf8');
fs.writeFileSync(process.env.FAKE_EDITOR_LOG, JSON.stringify({ file, text, mode: fs.statSync(file).mode & 0o777, dirMode: fs.statSync(path.dirname(file)).mode & 0o777 }));
switch (process.env.FAKE_EDITOR_MODE) {
  case 'set': { const c = JSON.parse(text); c.orderer.batchTimeoutMs = 500; fs.writeFileSync(file, JSON.stringify(c, null, 4)); break; }
  case 'reformat': fs.writeFileSync(file, JSON.stringify(JSON.parse(text))); break;
  case 'garble': fs.writeFileSync(file, text.slice(0, 12)); break;
  case 'outside': { const c = JSON.parse(text); c.orderer.batchTimeoutMs = 1; fs.writeFileSync(file, JSON.stringify(c, null, 2)); break; }
  case 'fail': process.exit(3);
}
`,
  );
  interface EditorLog { file: string; text: string; mode: number; dirMode: number }
  const logged = (): EditorLog => JSON.parse(readFileSync(editorLog, 'utf8')) as EditorLog;

  beforeEach(() => {
    delete process.env.VISUAL;
    // A command line with arguments, split by the shell as `code --wait` is.
    process.env.EDITOR = `${JSON.stringify(process.execPath)} ${JSON.stringify(fakeEditor)}`;
    process.env.FAKE_EDITOR_LOG = editorLog;
    rmSync(editorLog, { force: true });
  });
  afterEach(() => {
    // The developer's own editor variables come back after each test.
    if (saved.VISUAL === undefined) delete process.env.VISUAL;
    else process.env.VISUAL = saved.VISUAL;
    if (saved.EDITOR === undefined) delete process.env.EDITOR;
    else process.env.EDITOR = saved.EDITOR;
    delete process.env.FAKE_EDITOR_MODE;
    delete process.env.FAKE_EDITOR_LOG;
  });

  it('opens the configuration in force in $EDITOR, in a private file removed afterwards, and proposes what was saved', async () => {
    process.env.FAKE_EDITOR_MODE = 'set';
    const { ledger, sent } = proposeLedger();
    const result = await run(['propose', '--edit'], ledger);
    expect(result.code).toBe(0);
    const log = logged();
    expect(log.text).toBe(`${JSON.stringify(CURRENT, null, 2)}\n`);
    expect(log.mode).toBe(0o600);
    expect(log.dirMode).toBe(0o700);
    expect(existsSync(log.file)).toBe(false);
    expect(existsSync(path.dirname(log.file))).toBe(false);
    expect(sent).toEqual([{ ...CURRENT, orderer: { batchTimeoutMs: 500, batchSize: { maxMessageCount: 10 } } }]);
    expect(result.err).toContain('changes to the configuration of CB #3:\n  /orderer/batchTimeoutMs: 2000 -> 500\n');
  });

  it('prefers $VISUAL to $EDITOR', async () => {
    process.env.VISUAL = process.env.EDITOR;
    process.env.EDITOR = 'false';
    process.env.FAKE_EDITOR_MODE = 'set';
    const { ledger, sent } = proposeLedger();
    expect((await run(['propose', '--edit'], ledger)).code).toBe(0);
    expect(sent).toHaveLength(1);
  });

  it.each(['none', 'reformat'])('proposes nothing and exits 1 when the file is saved without a change (%s)', async (mode) => {
    process.env.FAKE_EDITOR_MODE = mode;
    const { ledger, sent } = proposeLedger();
    const result = await run(['propose', '--edit'], ledger);
    expect(result.code).toBe(1);
    expect(result.err.endsWith('\n✖ nothing changed, nothing proposed\n')).toBe(true);
    expect(sent).toEqual([]);
    expect(existsSync(path.dirname(logged().file))).toBe(false);
  });

  it('proposes nothing when the editor fails, and still removes the file', async () => {
    process.env.FAKE_EDITOR_MODE = 'fail';
    const { ledger, sent } = proposeLedger();
    const result = await run(['propose', '--edit'], ledger);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/✖ the editor `".*" ".*fake-editor\.js"` \(\$EDITOR\) exited with code 3: nothing proposed\n$/);
    expect(sent).toEqual([]);
    expect(existsSync(path.dirname(logged().file))).toBe(false);
  });

  it('refuses invalid JSON saved in the editor as bad input, and keeps the edit in a file of its own', async () => {
    process.env.FAKE_EDITOR_MODE = 'garble';
    const { ledger, sent } = proposeLedger();
    const result = await run(['propose', '--edit'], ledger);
    expect(result.code).toBe(2);
    const match = /✖ the edited configuration is not valid JSON: .*; nothing proposed \(your edit is kept in (.+\.json): fix it and run `mgmt propose \1`\)\n$/.exec(result.err);
    expect(match).not.toBeNull();
    const keptFile = (match as RegExpExecArray)[1];
    expect(readFileSync(keptFile, 'utf8')).toBe(`${JSON.stringify(CURRENT, null, 2)}\n`.slice(0, 12));
    expect(statSync(keptFile).mode & 0o777).toBe(0o600);
    rmSync(keptFile);
    expect(sent).toEqual([]);
    expect(existsSync(path.dirname(logged().file))).toBe(false);
  });

  it('keeps an edit the checks refuse', async () => {
    process.env.FAKE_EDITOR_MODE = 'outside';
    const { ledger, sent } = proposeLedger();
    const result = await run(['propose', '--edit'], ledger);
    expect(result.code).toBe(1);
    const match = /✖ the configuration breaks the genesis schema .*; nothing proposed \(your edit is kept in (.+\.json): fix it/.exec(result.err);
    expect(match).not.toBeNull();
    const keptFile = (match as RegExpExecArray)[1];
    expect((JSON.parse(readFileSync(keptFile, 'utf8')) as { orderer: { batchTimeoutMs: number } }).orderer.batchTimeoutMs).toBe(1);
    rmSync(keptFile);
    expect(sent).toEqual([]);
  });

  it('proposes nothing when a CB was sealed during the edit', async () => {
    process.env.FAKE_EDITOR_MODE = 'set';
    const { ledger, sent } = proposeLedger([LATEST, { ...LATEST, height: 4, hash: 'c'.repeat(64) }]);
    const result = await run(['propose', '--edit'], ledger);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/✖ CB #4 was sealed while you edited the configuration of CB #3; nothing proposed/);
    expect(sent).toEqual([]);
  });

  it('is a usage error without an editor (found before connecting) or with one that cannot be started', async () => {
    delete process.env.EDITOR;
    const none = await run(['propose', '--edit']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^✖ --edit needs an editor: set EDITOR \(or VISUAL\)/);
    process.env.EDITOR = path.join(dir, 'no-such-editor');
    const missing = await run(['propose', '--edit'], proposeLedger().ledger);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/✖ cannot start the editor `.*no-such-editor` \(\$EDITOR\): spawn .*ENOENT/);
  });
});
