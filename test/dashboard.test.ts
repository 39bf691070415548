/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt dashboard` in a real Chromium (Debian's, driven by playwright-core) against a devnet
 * consortium: the round view follows a CB as it is proposed, voted and sealed (server-sent
 * events, no reload); from a primary config block to its CB, whose proof entries the browser
 * verifies; a tampered export dropped on the page is reported invalid at its height with the
 * core's reason; another origin on 127.0.0.1 is refused; the Members panel shows Org1's node
 * (its operations endpoint, served in this process with the node's peer and observer checks)
 * healthy, then unhealthy, then unreachable, and Org3's (a --health URL where nothing listens)
 * unreachable, without reload; and the page logs no console error and loads nothing from outside
 * 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { Command } from 'commander';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildConfigUpdateEnvelope, channelModelUpdate, readConfigBlock, signConfigUpdate } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import type { ConfigBlock, JsonObject, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { verifyManagementChain } from '../orchestrator/src/audit';
import { broadcast, fetchConfigBlock } from '../orchestrator/src/channelConfig/ordererClient';
import { registerAudit } from '../orchestrator/src/cli/audit';
import { registerDashboard } from '../orchestrator/src/cli/dashboard';
import { endingOf } from '../orchestrator/src/cli/errors';
import { newGrpcConnection } from '../orchestrator/src/gateway';
import { MgmtMetrics, observerLagCheck, peerCheck, startOperationsServer, versionInfo } from '../orchestrator/src/operations';
import type { OperationsServer } from '../orchestrator/src/operations';
import { channelModelOfCb } from '../orchestrator/src/primary/cbModel';
import { managementLinkTxId } from '../orchestrator/src/primary/managementLink';
import { closeSessions, genesisParams, json, MemberSession, openSessions, seal, sleep, vote } from './support/mgmt';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const BASE_PORT = 21150;
/** Dashboard ports: live, export, and the foreign page of the cross-origin test. */
const LIVE_PORT = 21190;
const EXPORT_PORT = 21191;
const FOREIGN_PORT = 21192;
/** Org1's operations endpoint, and a port where nothing listens (Org3's --health). */
const OPERATIONS_PORT = 21193;
const DEAD_PORT = 21194;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let net: TestNetwork;
let s: MemberSession[];
let ordererClient: grpc.Client;
let admins: SigningIdentity[];
let dir: string;
let browser: Browser;
let context: BrowserContext;
const cbs: ConfigBlock[] = [];
/** Every request the dashboard's pages made, and every console error they logged. */
const requests: string[] = [];
const consoleErrors: string[] = [];
/** Org1's operations endpoint, and the height its observer claims to have verified (the test makes it lag). */
let operations: OperationsServer | undefined;
let org1Verified = 0;

interface RunningCommand {
  readonly stop: () => Promise<{ code: number; stderr: string }>;
  readonly info: { url: string; loginUrl: string; tokenFile: string; mode: string };
}

/** Starts `mgmt dashboard <args> --json` in this process, as `runCli` runs it; resolves once it printed its URLs. */
async function startDashboard(...args: string[]): Promise<RunningCommand> {
  let stdout = '';
  let stderr = '';
  const controller = new AbortController();
  const program = new Command('mgmt').exitOverride().configureOutput({ writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t) });
  registerDashboard(program, { out: (t) => (stdout += t), err: (t) => (stderr += t), signal: controller.signal });
  const done = program.parseAsync(['dashboard', ...args, '--json'], { from: 'user' }).then(
    () => 0,
    (err: unknown) => {
      const ending = endingOf(err);
      stderr += ending.text;
      return ending.code;
    },
  );
  for (let i = 0; i < 600 && !stdout.includes('\n'); i++) {
    const early = await Promise.race([done, sleep(100).then(() => undefined)]);
    if (early !== undefined) throw new Error(`mgmt dashboard ended with ${early}: ${stderr}`);
  }
  return {
    info: JSON.parse(stdout.split('\n')[0]) as RunningCommand['info'],
    stop: async () => {
      controller.abort();
      return { code: await done, stderr };
    },
  };
}

async function audit(...args: string[]): Promise<number> {
  const program = new Command('mgmt').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  registerAudit(program, { out: () => undefined, err: () => undefined });
  try {
    await program.parseAsync(['audit', ...args], { from: 'user' });
    return 0;
  } catch (err) {
    return endingOf(err).code;
  }
}

async function round(): Promise<Round> {
  return json<Round>(s[0].mgmt.evaluateTransaction('GetRound'));
}

/** Waits for an open cycle without a proposal of its own. */
async function waitForCycle(): Promise<Round> {
  for (let i = 0; i < 300; i++) {
    const r = await round();
    if (r.phase === 'cycle' && (!r.proposal || r.proposal.header.cycle !== r.cycle || r.proposal.header.height !== r.nextHeight)) return r;
    await sleep(200);
  }
  throw new Error('no cycle opened');
}

async function propose(config: JsonObject): Promise<Proposal> {
  const r = await waitForCycle();
  const proposer = s.find((x) => x.member.mspId === r.expectedProposer) as MemberSession;
  return json<Proposal>(proposer.mgmt.submitTransaction('Propose', JSON.stringify(config)));
}

/** Puts a CB in force on `primary` with its link, signed by a majority of admins; returns the config block's number. */
async function applyToPrimary(cb: ConfigBlock): Promise<number> {
  const current = readConfigBlock(await fetchConfigBlock(ordererClient, 'primary', admins[0])).config;
  const bytes = channelModelUpdate('primary', current, channelModelOfCb(cb.config, 'devnet')).serializeBinary();
  const signers = admins.slice(1, 4);
  const envelope = buildConfigUpdateEnvelope('primary', bytes, signers.map((a) => signConfigUpdate(bytes, a)), signers[0], {
    txId: managementLinkTxId({ height: cb.height, hash: cb.hash }),
  });
  expect(await broadcast(ordererClient, envelope)).toMatchObject({ statusName: 'SUCCESS' });
  let block = await fetchConfigBlock(ordererClient, 'primary', admins[0]);
  for (let i = 0; i < 300 && readConfigBlock(block).config.getSequence() <= current.getSequence(); i++) {
    await sleep(100);
    block = await fetchConfigBlock(ordererClient, 'primary', admins[0]);
  }
  return block.getHeader()?.getNumber() ?? -1;
}

/** A page of the dashboard's context, its requests and console errors recorded. */
async function newPage(): Promise<Page> {
  const page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`${page.url()}: ${err.message}`));
  return page;
}

let live: RunningCommand;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run npm run setup (it installs Debian's chromium), or set CHROMIUM_PATH`);
  dir = mkdtempSync(path.join(os.tmpdir(), 'dashboard-e2e-'));
  net = await startNetwork({ basePort: BASE_PORT });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), 'mgmt', 'mgmt');
  s = await openSessions(net.connection);
  admins = net.connection.members.map((m) => SigningIdentity.fromMspDir(m.adminMspDir, m.mspId));
  ordererClient = await newGrpcConnection(net.connection.members[0].orderer);
  // Long cycles: the test waits for the page after each vote.
  const genesis = await json<Proposal>(s[0].mgmt.submitTransaction('InitLedger', genesisParams(net.connection, { cbiSeconds: 2, cycleTimeoutSeconds: 60 })));
  for (const x of s.slice(0, 3)) await vote(x, genesis.hash, true, 'dashboard e2e');
  cbs.push(await seal(s[3], genesis.id));
  // Org1's node health, as `mgmt node --operations-listen` serves it: its peer answers, its observer keeps up.
  operations = await startOperationsServer({
    listen: `127.0.0.1:${OPERATIONS_PORT}`,
    checks: [
      peerCheck({ endpoint: s[0].member.peer.endpoint, probe: async () => { await s[0].mgmt.evaluateTransaction('GetRound'); }, cacheMs: 0 }),
      observerLagCheck({ chainHeight: () => cbs.length - 1, verifiedHeight: () => org1Verified }),
    ],
    registry: new MgmtMetrics({ labels: { member: 'Org1MSP' } }).registry,
    version: versionInfo(),
  });
  // The connection file names Org1's endpoint; Org3's comes from --health.
  const connectionFile = path.join(dir, 'connection.json');
  writeFileSync(connectionFile, JSON.stringify({ ...net.connection, members: net.connection.members.map((m, i) => (i === 0 ? { ...m, operations: { url: operations?.url } } : m)) }));
  live = await startDashboard(
    '--connection', connectionFile, '--member', 'Org2MSP', '--port', String(LIVE_PORT), '--poll-ms', '300', '--audit-every', '1', '--token-file', path.join(dir, 'live.token'),
    '--health', `Org3MSP=http://127.0.0.1:${DEAD_PORT}`, '--health-every', '1',
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const login = await newPage();
  await login.goto(live.info.loginUrl);
  await login.close();
});

afterAll(async () => {
  await browser?.close();
  const stopped = await live?.stop();
  if (stopped !== undefined && stopped.code !== 0) process.stderr.write(stopped.stderr);
  await operations?.close();
  if (s) closeSessions(s);
  ordererClient?.close();
  await net?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('mgmt dashboard on a live devnet consortium', () => {
  it('prints its URLs, writes the bearer token with mode 0600 and listens on 127.0.0.1', () => {
    expect(live.info).toMatchObject({ url: `http://127.0.0.1:${LIVE_PORT}/`, mode: 'live' });
    expect(live.info.loginUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${LIVE_PORT}/login\\?token=[0-9a-f]{64}$`));
    expect(statSync(live.info.tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(live.info.tokenFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it('updates the round view while a CB is proposed, voted and sealed, with no reload', async () => {
    const page = await newPage();
    await page.goto(live.info.url);
    await expect(page.getByTestId('cb-count').textContent()).resolves.toBe('1');
    await page.getByTestId('next-height').filter({ hasText: '1' }).waitFor();
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));

    const proposal = await propose({ batchTimeoutMs: 250, maxMessageCount: 25 });
    await page.getByTestId('proposal').filter({ hasText: proposal.header.proposer }).filter({ hasText: proposal.hash.slice(0, 12) }).waitFor();
    for (const x of s.slice(0, 3)) {
      await vote(x, proposal.hash, true, `approved by ${x.member.mspId}`);
      await page.locator(`[data-testid=votes] tr[data-member=${x.member.mspId}]`).filter({ hasText: 'approve' }).waitFor();
    }
    await expect(page.locator('[data-testid=votes] tr[data-member=Org4MSP]').textContent()).resolves.toContain('not yet');
    const block = await seal(s[3], proposal.id);
    cbs.push(block);
    await page.getByTestId('cb-count').filter({ hasText: '2' }).waitFor();
    await page.getByTestId('next-height').filter({ hasText: '2' }).waitFor();
    expect(navigations).toEqual([]);
    await page.close();
  });

  it('goes from a primary config block to its CB, whose proof entries the browser verifies', async () => {
    const number = await applyToPrimary(cbs[1]);
    const page = await newPage();
    await page.goto(`${live.info.url}#/block/${number}`);
    // The dashboard audits again within a second or so; the block's page then exists.
    await page.getByTestId('block-link').waitFor({ timeout: 30_000 });
    await page.getByTestId('block-link').getByRole('link', { name: 'CB 1' }).click();
    await page.waitForURL(/#\/cb\/1$/);
    await expect(page.getByTestId('cb-hash').textContent()).resolves.toBe(cbs[1].hash);
    const verdicts = page.locator('[data-testid=proof] [data-testid=proof-verdict]');
    await verdicts.first().waitFor();
    await expect(verdicts.allTextContents()).resolves.toEqual(['verified', 'verified', 'verified']);
    await expect(page.locator('[data-testid=proof] tbody th').allTextContents()).resolves.toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    await expect(page.locator('[data-testid=proof] tbody tr').first().textContent()).resolves.toContain('OU=client');
    await page.getByRole('link', { name: `block ${number}` }).click();
    await page.waitForURL(new RegExp(`#/block/${number}$`));
    await page.close();
  });

  it('reports a tampered export dropped on the page invalid at its height, with the core reason', async () => {
    const file = path.join(dir, 'audit.json');
    expect(await audit('--connection', net.connectionFile, '--json', '--out', file)).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { managementChain: { config: Record<string, number> }[] };
    doc.managementChain[1].config.maxMessageCount = 26;
    const tampered = JSON.stringify(doc);
    const expected = verifyManagementChain(doc.managementChain).fault;
    expect(expected?.height).toBe(1);

    const page = await newPage();
    await page.goto(`${live.info.url}#/chain`);
    await page.getByTestId('chain').waitFor();
    // Runs in the page (the DOM's DataTransfer and File): a file dropped as a user drops one.
    const dataTransfer = await page.evaluateHandle(
      `(() => { const t = new DataTransfer(); t.items.add(new File([${JSON.stringify(tampered)}], 'tampered.json', { type: 'application/json' })); return t; })()`,
    );
    await page.dispatchEvent('main', 'drop', { dataTransfer });
    await page.waitForURL(/#\/verify$/);
    await expect(page.getByTestId('export-verdict').textContent()).resolves.toMatch(/^invalid/);
    await expect(page.getByTestId('fault-height').textContent()).resolves.toBe('1');
    await expect(page.getByTestId('fault-reason').textContent()).resolves.toBe(expected?.reason);

    // The untampered export passes, through the keyboard-reachable file input.
    await page.getByLabel('Export file').setInputFiles({ name: 'audit.json', mimeType: 'application/json', buffer: readFileSync(file) });
    await page.getByTestId('export-verdict').filter({ hasText: 'valid' }).filter({ hasText: 'CBs 0..1 of 2 verify' }).waitFor();
    await page.close();
  });

  // Before the export dashboard's test: its login replaces this context's cookie for 127.0.0.1
  // (cookies are per host, not per port), which signs the live dashboard's pages out.
  it("shows each member node's health and chain activity, and a node turning unhealthy, then unreachable, without reload", async () => {
    const page = await newPage();
    await page.goto(live.info.url);
    const row = (mspId: string) => page.locator(`[data-testid=members] tr[data-member=${mspId}]`);
    const health = (mspId: string) => row(mspId).getByTestId('member-health');
    await health('Org1MSP').and(page.locator('[data-state=healthy]')).waitFor();
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    await expect(health('Org1MSP').textContent()).resolves.toContain(`http://127.0.0.1:${OPERATIONS_PORT}/healthz`);
    await health('Org3MSP').and(page.locator('[data-state=unreachable]')).filter({ hasText: 'ECONNREFUSED' }).waitFor();
    await expect(health('Org2MSP').getAttribute('data-state')).resolves.toBe('not-configured');
    await expect(health('Org4MSP').textContent()).resolves.toContain('not configured');
    // The chain's evidence: Org1..3 approved CB 1 (the newest), Org4 only sealed genesis.
    const newest = cbs.length - 1;
    await expect(row('Org1MSP').getByTestId('voted-latest').textContent()).resolves.toBe('yes');
    await expect(row('Org4MSP').getByTestId('voted-latest').textContent()).resolves.toBe('no');
    await expect(row('Org1MSP').getByTestId('member-chain').textContent()).resolves.toContain(`approved height ${newest}`);
    await expect(page.getByTestId('members-summary').textContent()).resolves.toBe('1 of 2 nodes polled is healthy; unreachable: Org3MSP.');

    // Org1's observer falls behind: /healthz answers 503 naming the check.
    org1Verified = -5;
    await health('Org1MSP').and(page.locator('[data-state=unhealthy]')).filter({ hasText: 'observer' }).filter({ hasText: 'observer lags' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('members-summary').filter({ hasText: 'unhealthy: Org1MSP' }).waitFor();
    // Org1's node stops: nothing answers any more.
    await operations?.close();
    operations = undefined;
    await health('Org1MSP').and(page.locator('[data-state=unreachable]')).filter({ hasText: 'ECONNREFUSED' }).waitFor({ timeout: 20_000 });
    expect(navigations).toEqual([]);
    await page.close();
  });

  it('shows the same export with no network, and offers it as JSON and CSV', async () => {
    const shown = await startDashboard('--export', path.join(dir, 'audit.json'), '--port', String(EXPORT_PORT), '--token-file', path.join(dir, 'export.token'));
    const page = await newPage();
    try {
      await page.goto(shown.info.loginUrl);
      await page.goto(`${shown.info.url}#/chain`);
      await page.getByTestId('chain').waitFor();
      await expect(page.locator('[data-testid=chain] tbody tr').count()).resolves.toBe(2);
      // By keyboard: a link followed with Enter opens the CB's page, and focus lands on its heading.
      await page.getByRole('link', { name: 'CB 1', exact: true }).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/#\/cb\/1$/);
      await page.getByRole('heading', { level: 1, name: 'CB 1' }).waitFor();
      await expect(page.evaluate('document.activeElement && document.activeElement.textContent')).resolves.toBe('CB 1');
      await page.getByRole('link', { name: 'Audit' }).click();
      await page.getByTestId('verdict').waitFor();
      const download = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Download the report (CSV)' }).click();
      expect((await download).suggestedFilename()).toBe('mgmt-audit-report.csv');
    } finally {
      // Closed before the server stops, or its event stream would retry and log errors.
      await page.close();
      expect((await shown.stop()).code).toBe(0);
    }
  });

  it('refuses a page of another origin on 127.0.0.1 even though the browser sends the session cookie', async () => {
    // Another port of 127.0.0.1 is the same site: SameSite=Strict does not keep the cookie from it.
    const foreign = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><a id="go" href="${live.info.url}#/audit">dashboard</a><script>fetch('${live.info.url}api/state', { credentials: 'include' }).catch(() => undefined);</script>`);
    });
    await new Promise<void>((resolve) => foreign.listen(FOREIGN_PORT, '127.0.0.1', resolve));
    const page = await context.newPage();
    try {
      // The browser withholds a refused cross-origin answer from the page (no CORS header): the
      // DevTools protocol shows the headers it really sent and the status it really got.
      const cdp = await context.newCDPSession(page);
      const sent = new Map<string, Record<string, string>>();
      const status = new Map<string, number>();
      let stateRequest: string | undefined;
      cdp.on('Network.requestWillBeSent', (e) => {
        if (e.request.url === `${live.info.url}api/state`) stateRequest = e.requestId;
      });
      cdp.on('Network.requestWillBeSentExtraInfo', (e) => sent.set(e.requestId, e.headers as Record<string, string>));
      cdp.on('Network.responseReceivedExtraInfo', (e) => status.set(e.requestId, e.statusCode));
      await cdp.send('Network.enable');
      await page.goto(`http://127.0.0.1:${FOREIGN_PORT}/`);
      for (let i = 0; i < 100 && (stateRequest === undefined || !status.has(stateRequest)); i++) await sleep(50);
      const id = stateRequest ?? '';
      expect(sent.get(id)?.Cookie ?? sent.get(id)?.cookie).toMatch(/mgmt_dashboard=/);
      expect(sent.get(id)?.['Sec-Fetch-Site'] ?? sent.get(id)?.['sec-fetch-site']).toBe('same-site');
      expect(status.get(id)).toBe(403);
      // A link followed from that page: a navigation, whose answer the browser shows.
      const [answer] = await Promise.all([page.waitForResponse((r) => r.url() === live.info.url), page.click('#go')]);
      expect(answer.status()).toBe(403);
      expect(await answer.text()).toContain('CROSS_SITE');
      await cdp.detach();
    } finally {
      await page.close();
      await new Promise<void>((resolve) => foreign.close(() => { resolve(); }));
    }
  });

  it('has no serious or critical accessibility violation (axe-core) on any page, at laptop and phone widths', async () => {
    // axe is injected into the page, which the dashboard's CSP forbids: a context of its own bypasses it.
    const link = await new Promise<string>((resolve, reject) => {
      const headers = { host: `127.0.0.1:${LIVE_PORT}`, authorization: `Bearer ${readFileSync(live.info.tokenFile, 'utf8').trim()}` };
      http.get({ host: '127.0.0.1', port: LIVE_PORT, path: '/api/login-link', headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          resolve((JSON.parse(body) as { loginUrl: string }).loginUrl);
        });
      }).on('error', reject);
    });
    const audited = await browser.newContext({ bypassCSP: true });
    try {
      const page = await audited.newPage();
      await page.goto(link);
      const found: string[] = [];
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        for (const [route, ready] of [['#/', 'verdict'], ['#/chain', 'chain'], ['#/cb/1', 'proof-verdict'], ['#/audit', 'verdict'], ['#/charts', 'chart-delays'], ['#/verify', 'dropzone']]) {
          await page.goto(`${live.info.url}${route}`);
          await page.getByTestId(ready).first().waitFor();
          await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
          const violations = await page.evaluate<string[]>(
            'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id + " (" + v.nodes.map((n) => n.target.join(" ")).join(", ") + ")"))',
          );
          found.push(...violations.map((v) => `${width}px ${route}: ${v}`));
        }
      }
      expect(found).toEqual([]);
    } finally {
      await audited.close();
    }
  });

  it('logged no console error and loaded nothing from outside 127.0.0.1', () => {
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((url) => !url.startsWith('http://127.0.0.1:'))).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
