/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt node` with its operations endpoint and logs, through the CLI factory with a fake ledger
 * (no network): usage errors before connecting, the endpoint serving while the node runs, JSON
 * logs per component, and the text terminal output as before.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateOrgCrypto } from 'fabric-config/msp';
import type { Round } from 'mgmt-chaincode/dist/protocol';
import type { ConnectionFile, MemberConnection } from '../../gateway';
import type { EventStream, MgmtEvent, MgmtLedger } from '../../managementNode/ledger';
import { MgmtRefusalError } from '../../mgmtClient/errors';
import type { CliIo, MemberSession } from '../context';
import { runCli } from '../program';

let dir: string;
let connectionFile: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mgmt-node-ops-'));
  const org = await generateOrgCrypto(dir, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  const member: MemberConnection = {
    mspId: 'Org1MSP',
    domain: 'org1.example.com',
    peer: { endpoint: '127.0.0.1:7051', hostAlias: 'peer0.org1.example.com', tlsCaCertPath: '/x' },
    orderer: { endpoint: '127.0.0.1:7050', hostAlias: 'orderer0.org1.example.com', tlsCaCertPath: '/x' },
    caCertPath: '/x',
    adminMspDir: org.admin.mspDir,
    userMspDir: org.user.mspDir,
  };
  const connection: ConnectionFile = { version: 1, backend: 'devnet', channels: { management: 'mgmt', primary: 'primary' }, members: [member] };
  connectionFile = path.join(dir, 'connection.json');
  writeFileSync(connectionFile, JSON.stringify(connection));
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const GENESIS_ROUND: Round = {
  now: '2026-01-01T00:00:00.000Z',
  nextHeight: 0,
  latestHash: '',
  phase: 'genesis',
  round: null,
  opensAt: null,
  cycle: null,
  cycleStartsAt: null,
  cycleEndsAt: null,
  expectedProposer: null,
  proposal: null,
  votes: [],
  outcome: null,
};

/** A chain before genesis whose event stream stays open until closed, or fails at once. */
function genesisLedger(stream: 'open' | 'failing'): MgmtLedger {
  const unused = (): Promise<never> => Promise.reject(new Error('unexpected call'));
  const events = (): Promise<EventStream<MgmtEvent>> => {
    if (stream === 'failing') return Promise.reject(new Error('UNAVAILABLE: no connection established'));
    let close: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (close = resolve));
    return Promise.resolve({
      close,
      async *[Symbol.asyncIterator]() {
        await closed;
        yield* [];
      },
    });
  };
  const notInitialised = new MgmtRefusalError({ step: 'evaluate', transaction: 'GetParams', code: 'MGMT_NOT_INITIALISED', message: 'MGMT_NOT_INITIALISED: no genesis yet' });
  return {
    getRound: () => Promise.resolve(GENESIS_ROUND),
    getParams: () => Promise.reject(notInitialised),
    getLatest: unused,
    getBlocks: unused,
    initLedger: unused,
    propose: unused,
    proposeParams: unused,
    vote: unused,
    tally: unused,
    events,
  };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // No keep-alive: a reused socket of a closed server would hang up instead of being refused.
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }); });
      })
      .on('error', reject);
  });
}

/**
 * Runs `mgmt node <args>` from its first event until `whileRunning` resolves, then stops it as
 * Ctrl-C would. The operations URL is read from the start line (text logs).
 */
async function runNode(args: string[], ledger: MgmtLedger, whileRunning: (url: string | undefined) => Promise<void>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const abort = new AbortController();
  let started: () => void = () => undefined;
  const startLine = new Promise<void>((resolve) => (started = resolve));
  const io: CliIo = {
    out: (t) => {
      out += t;
      // The node's first event, after the endpoint and the start line.
      if (/Org1MSP started: /.test(out)) started();
    },
    err: (t) => (err += t),
    signal: abort.signal,
    openSession: (_g, c, m): Promise<MemberSession> =>
      Promise.resolve({ member: m, connection: c, ledger, mspDir: m.userMspDir, gateway: undefined, client: undefined, close: () => undefined }),
  };
  const running = runCli(['--connection', connectionFile, 'node', '--no-apply', '--no-metrics', ...args], io);
  const ended = running.then(() => undefined);
  await Promise.race([startLine, ended]);
  try {
    const url = /operations on (http:\/\/127\.0\.0\.1:\d+)/.exec(err)?.[1];
    await whileRunning(url);
  } finally {
    abort.abort();
  }
  return { code: await running, out, err };
}

describe('mgmt node: operations options', () => {
  it.each([
    [['--operations-listen', '0.0.0.0:9443'], /✖ refusing to listen on 0\.0\.0\.0: .*--operations-tls-client-ca/],
    [['--operations-listen', 'localhost:9443'], /'localhost' is not an IP address/],
    [['--operations-listen', '127.0.0.1:0', '--operations-tls-cert', 'c.pem'], /✖ operations TLS needs both --operations-tls-cert <file> and --operations-tls-key <file>/],
    [['--operations-tls-cert', 'c.pem', '--operations-tls-key', 'k.pem'], /✖ --operations-tls-\* options need --operations-listen/],
    [['--log-spec', 'info:primary=loud'], /'loud' in 'primary=loud' is not a level/],
    [['--log-file', 'x.jsonl'], /✖ --log-file writes JSON lines: add --log-format json/],
    [['--log-format', 'yaml'], /Allowed choices are text, json/],
  ])('%j is a usage error (exit 2) found before connecting', async (args, message) => {
    let err = '';
    let opened = false;
    const code = await runCli(['--connection', connectionFile, 'node', '--no-apply', ...args], {
      out: () => undefined,
      err: (t) => (err += t),
      openSession: () => {
        opened = true;
        return Promise.reject(new Error('unexpected'));
      },
    });
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(opened).toBe(false);
  });
});

describe('mgmt node --operations-listen', () => {
  it('serves /healthz while the node runs, 503 naming the event stream when it cannot be opened', async () => {
    const seen: { status: number; body: string }[] = [];
    const result = await runNode(['--operations-listen', '127.0.0.1:0'], genesisLedger('failing'), async (url) => {
      expect(url).toBeDefined();
      seen.push(await get(`${String(url)}/healthz`));
      seen.push(await get(`${String(url)}/metrics`));
    });
    expect(result.code).toBe(0);
    expect(seen[0]?.status).toBe(503);
    const body = JSON.parse(seen[0]?.body ?? '{}') as { failed_checks: { component: string; reason: string }[] };
    expect(body.failed_checks.map((c) => c.component)).toEqual(['eventStream']);
    expect(body.failed_checks[0]?.reason).toMatch(/^the event stream cannot be opened: UNAVAILABLE/);
    expect(seen[1]?.body).toMatch(/^mgmt_cb_height\{member="Org1MSP"\} -1$/m);
  });

  it('answers 200 with a live stream, and closes the endpoint when the node stops', async () => {
    let endpoint = '';
    const result = await runNode(['--operations-listen', '127.0.0.1:0'], genesisLedger('open'), async (url) => {
      endpoint = String(url);
      // The stream opens in the background just after start.
      let answer = await get(`${endpoint}/healthz`);
      for (let i = 0; i < 50 && answer.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 20));
        answer = await get(`${endpoint}/healthz`);
      }
      expect(answer.status).toBe(200);
    });
    expect(result.code).toBe(0);
    await expect(get(`${endpoint}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('mgmt node logs', () => {
  it('text by default: the terminal output of before, nothing structured', async () => {
    const result = await runNode([], genesisLedger('open'), () => Promise.resolve());
    expect(result.code).toBe(0);
    expect(result.err).toBe('management node of Org1MSP (rules twin) on 127.0.0.1:7051; Ctrl-C stops it\n');
    expect(result.out).toMatch(/^\S+ Org1MSP started: next height 0, genesis$/m);
    expect(result.out).not.toMatch(/"level"/);
  });

  it('--log-format json: JSON lines per component at the spec levels, events included; stdout unchanged', async () => {
    const file = path.join(dir, 'logs', 'node.jsonl');
    const result = await runNode(['--log-format', 'json', '--log-spec', 'warn:node=debug', '--log-file', file, '--operations-listen', '127.0.0.1:0'], genesisLedger('open'), () => Promise.resolve());
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(result.out).toMatch(/started/);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('management node of Org1MSP'))).toMatchObject({ level: 'info', component: 'node', member: 'Org1MSP' });
    expect(lines.find((l) => l.event === 'started')).toMatchObject({ level: 'info', component: 'node', detail: 'genesis' });
    expect(lines.some((l) => l.level === 'debug' && l.component === 'node')).toBe(true);
    // operations is at warn: its debug lines (none here) and info lines stay out.
    expect(lines.filter((l) => l.component === 'operations')).toEqual([]);
  });
});
