#!/usr/bin/env node
/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The README's screenshots of `mgmt dashboard`, from a real run: `mgmt consortium --keep` (four
 * management nodes with rules twins, a workload on `primary`) seals a few CBs on a devnet of its
 * own and puts each in force; then, with the nodes stopped and the devnet still up, the
 * dashboard serves that member's live view, a proposal is opened and voted by two members, and
 * Debian's Chromium (playwright-core) captures each page into docs/images/dashboard-*.png,
 * including a tampered export dropped on the verify page and the overview on a phone.
 *
 * Port grid with the default --base-port 21425 (below the ephemeral range, clear of the test
 * files' and benchmarks' grids); the dashboard listens on base + 5.
 *
 * Example:
 *   npm run dashboard:screenshots -- --rounds 5
 *
 * Exit codes: 0 screenshots written, 1 the run failed, 2 bad usage.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import type { ConfigBlock, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { auditEvidence, buildExport, collectEvidence, openEvidenceSources, serializeExport } from 'mgmt-orchestrator/dist/audit';
import { newSecret, openLiveSource, startDashboardServer } from 'mgmt-orchestrator/dist/dashboard';
import { readConnectionFile } from 'mgmt-orchestrator/dist/gateway';
import { closeSessions, json, openSessions, sleep, vote } from 'mgmt-orchestrator/dist/testing/cbRounds';
import { DEVNET_CLI } from 'network-backends';
import { parsePort, positiveInt, progress, REPO_ROOT, runProgram } from './benchSupport';

interface Options {
  rounds: number;
  basePort: number;
  out: string;
  chromium: string;
}

async function shoot(page: Page, file: string, ready: string): Promise<void> {
  await page.locator(ready).first().waitFor();
  // Count-downs and charts settle within a frame or two.
  await sleep(400);
  await page.screenshot({ path: file, fullPage: true });
  progress(`wrote ${path.relative(process.cwd(), file)}`);
}

/** With the nodes stopped: the dashboard, an open proposal with two votes, and every page captured. */
async function capture(connectionFile: string, options: Options): Promise<void> {
  const connection = readConnectionFile(connectionFile);
  const member = connection.members[1];
  const opened = await openEvidenceSources(connection, member);
  const source = await openLiveSource({ sources: opened.sources, label: `${member.mspId} via ${member.peer.endpoint}`, pollMs: 300, closeSources: () => { opened.close(); } });
  const server = await startDashboardServer({ source, port: options.basePort + 5, token: newSecret() });
  const sessions = await openSessions(connection);
  const browser = await chromium.launch({ executablePath: options.chromium, headless: true, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await page.goto(server.loginUrl());
    const state = source.state();
    const chain = state.chain as unknown as ConfigBlock[];
    const newest = chain[chain.length - 1];
    // An open proposal (the newest configuration again) with two of four votes, for the round view.
    let round: Round | undefined;
    for (let i = 0; i < 200; i++) {
      round = await json<Round>(sessions[0].mgmt.evaluateTransaction('GetRound'));
      if (round.phase === 'cycle' && round.proposal?.header.height !== round.nextHeight) break;
      await sleep(200);
    }
    const proposer = sessions.find((x) => x.member.mspId === round?.expectedProposer) ?? sessions[0];
    const proposal = await json<Proposal>(proposer.mgmt.submitTransaction('Propose', JSON.stringify(newest.config)));
    for (const x of sessions.slice(0, 2)) await vote(x, proposal.hash, true, `within the bounds of ${x.member.mspId}'s twin`);
    await page.goto(`${server.url}#/`);
    await page.locator('[data-testid=votes] tr', { hasText: 'approve' }).nth(1).waitFor();
    await shoot(page, path.join(options.out, 'dashboard-live.png'), '[data-testid=round]');
    await page.goto(`${server.url}#/chain`);
    await shoot(page, path.join(options.out, 'dashboard-chain.png'), '[data-testid=chain]');
    const applied = state.report.blocks.find((b) => b.height > 0 && b.appliedIn.length > 0);
    if (applied !== undefined) {
      await page.goto(`${server.url}#/cb/${applied.height}`);
      await shoot(page, path.join(options.out, 'dashboard-cb.png'), '[data-testid=proof-verdict]');
      await page.goto(`${server.url}#/block/${applied.appliedIn[0]}`);
      await shoot(page, path.join(options.out, 'dashboard-block.png'), '[data-testid=block-link]');
    }
    await page.goto(`${server.url}#/charts`);
    await shoot(page, path.join(options.out, 'dashboard-charts.png'), '[data-testid=chart-delays] canvas');
    // A tampered export: CB 1's timestamp edited after it was sealed.
    const evidence = await collectEvidence(opened.sources, undefined, { headEvidence: true });
    const doc = JSON.parse(serializeExport(buildExport(evidence, auditEvidence(evidence)))) as { managementChain: { timestamp: string }[] };
    doc.managementChain[1].timestamp = doc.managementChain[1].timestamp.replace(/\d\d\dZ$/, '999Z');
    await page.goto(`${server.url}#/verify`);
    await page.getByLabel('Export file').setInputFiles({ name: 'tampered-audit.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    await shoot(page, path.join(options.out, 'dashboard-verify.png'), '[data-testid=export-verdict]');
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${server.url}#/`);
    await shoot(phone, path.join(options.out, 'dashboard-phone.png'), '[data-testid=round]');
  } finally {
    await browser.close();
    closeSessions(sessions);
    await server.close();
    await source.close();
  }
}

/** Runs a node script to its end, its output shown with a prefix; rejects unless it exits 0. */
function run(args: readonly string[], show: (line: string) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '' && show(line)) progress(line);
    };
    child.stdout.on('data', lines);
    child.stderr.on('data', lines);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(args[0])} ${args[1]} exited with ${code}`));
    });
  });
}

async function main(options: Options): Promise<number> {
  mkdirSync(options.out, { recursive: true });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dashboard-screenshots-'));
  const mgmt = path.join(REPO_ROOT, 'orchestrator', 'dist', 'cli', 'index.js');
  try {
    // The one-command consortium, each CB put in force on `primary`; --keep leaves the devnet up.
    // A CBI of 8 s gives each member's primary runtime the time to apply a CB before the next.
    await run(
      [mgmt, 'consortium', '--rounds', String(options.rounds), '--cbi', '8', '--cycle-timeout', '4', '--workload-tps', '5', '--keep', '--data', dataDir, '--base-port', String(options.basePort)],
      (line) => /^(✔|devnet|\d+ management)/.test(line.trim()),
    );
    await capture(path.join(dataDir, 'connection.json'), options);
  } finally {
    await run([DEVNET_CLI, 'down', '--data', dataDir], () => false).catch((err: unknown) => {
      progress(`devnet down failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    rmSync(dataDir, { recursive: true, force: true });
  }
  return 0;
}

const program = new Command('dashboard-screenshots')
  .description("screenshots of mgmt dashboard's pages for the README, from a consortium run on a devnet of its own")
  .option('--rounds <n>', 'CBs the consortium seals before the screenshots', positiveInt, 5)
  .option('--base-port <port>', 'first port of the devnet grid (uses base..base+6001; the dashboard base+5)', parsePort, 21425)
  .option('--out <dir>', 'where to write the PNG files', path.join(REPO_ROOT, 'docs', 'images'))
  .option('--chromium <path>', 'the Chromium to drive', '/usr/bin/chromium')
  .addHelpText('after', '\nExample:\n  npm run dashboard:screenshots -- --rounds 5');

runProgram(program, () => main(program.opts<Options>()));
