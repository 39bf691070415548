#!/usr/bin/env node
/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * devnet up | down | status | deploy | add-peer | run
 *
 * Exit codes: 0 success, 1 the operation failed (`status`: the devnet or one of its deployed
 * chaincodes is not running), 2 bad usage.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { AdminApiError, adminEndpointOf, adminRequest as callAdmin } from './admin/client';
import { isProcessAlive } from './chaincode/leftovers';
import { Devnet, DEVNET_CONSENSUS_TYPES, DevnetError } from './devnet';
import type { DevnetConsensusType } from './devnet';
import type { MemberConnection } from 'fabric-config/connection';
import { MAX_PEER_PORT, MIN_PEER_PORT } from './peers/request';
import { DEFAULT_BASE_PORT, ORG_COUNT } from './topology';
import type { TopologyOptions } from './topology';
import { setTimeout as sleep } from 'node:timers/promises';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const DEFAULT_DATA = process.env.DEVNET_DATA ?? path.join(REPO_ROOT, '.devnet');
// Start-up relaunches every deployed chaincode, with a few tries each, before it reports success.
const UP_DEADLINE_MS = 120_000;
const DOWN_DEADLINE_MS = 15_000;

interface GlobalOptions {
  data: string;
  json?: boolean;
}

class UsageError extends Error {}

function parsePort(value: string): number {
  const n = Number(value);
  // The grid reaches base+6001 (Org4's peer).
  if (!Number.isInteger(n) || n < 1024 || n > 65535 - 6001) throw new InvalidArgumentError(`a port between 1024 and ${65535 - 6001}`);
  return n;
}

function parsePeerPort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < MIN_PEER_PORT || n > MAX_PEER_PORT) throw new InvalidArgumentError(`a port between ${MIN_PEER_PORT} and ${MAX_PEER_PORT}`);
  return n;
}

function parseConsensusType(value: string): DevnetConsensusType {
  const known = DEVNET_CONSENSUS_TYPES.find((t) => t === value);
  if (known === undefined) throw new InvalidArgumentError(`one of ${DEVNET_CONSENSUS_TYPES.join(', ')}`);
  return known;
}

function parseOrgs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > ORG_COUNT) throw new InvalidArgumentError(`an integer from 1 to ${ORG_COUNT}`);
  return n;
}

interface StartOptions {
  basePort: number;
  batchTimeout?: string;
  orgs?: number;
  ordererOrg?: boolean;
  consensusType?: DevnetConsensusType;
  chaincodePerOrg?: boolean;
}

/** The topology asked on the command line, or undefined to keep the folder's (or the default). */
function topologyOption(o: StartOptions): TopologyOptions | undefined {
  if (o.orgs === undefined && o.ordererOrg !== true) return undefined;
  return { orgs: o.orgs ?? ORG_COUNT, ordererOrg: o.ordererOrg === true };
}

function pidFile(data: string): string {
  return path.join(data, 'devnet.pid');
}

function runningPid(data: string): number | undefined {
  const file = pidFile(data);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  // A devnet killed after `up` exited is an orphan that may stay a zombie: that is not running.
  return isProcessAlive(pid) ? pid : undefined;
}

function logTail(file: string, lines = 60): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}


function print(opts: GlobalOptions, human: string, machine: unknown): void {
  process.stdout.write(opts.json ? JSON.stringify(machine) + '\n' : human + '\n');
}

async function up(opts: GlobalOptions & StartOptions): Promise<void> {
  const data = path.resolve(opts.data);
  const pid = runningPid(data);
  if (pid) throw new DevnetError(`a devnet is already running on ${data} (pid ${pid}); run 'devnet down' first, or 'devnet status'`);
  mkdirSync(path.join(data, 'logs'), { recursive: true });
  const connection = path.join(data, 'connection.json');
  rmSync(connection, { force: true });
  const logFile = path.join(data, 'logs', 'devnet.log');
  const started = Date.now();
  const fd = openSync(logFile, 'a');
  const args = [__filename, 'run', '--data', data, '--base-port', String(opts.basePort)];
  if (opts.batchTimeout) args.push('--batch-timeout', opts.batchTimeout);
  if (opts.orgs !== undefined) args.push('--orgs', String(opts.orgs));
  if (opts.ordererOrg === true) args.push('--orderer-org');
  if (opts.consensusType !== undefined) args.push('--consensus-type', opts.consensusType);
  if (opts.chaincodePerOrg === true) args.push('--chaincode-per-org');
  // Detached: its own process group, so `down` can stop it and its chaincodes together.
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  if (!opts.json) process.stderr.write(`starting devnet (pid ${child.pid}) on ${data} ...\n`);
  while (Date.now() - started < UP_DEADLINE_MS) {
    if (exited !== undefined) {
      throw new DevnetError(`the devnet exited during start-up (code ${String(exited)}). Last lines of ${logFile}:\n${logTail(logFile)}`);
    }
    if (existsSync(connection) && statSync(connection).mtimeMs >= started - 1000) {
      child.unref();
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      print(opts, `devnet up in ${seconds} s: channels mgmt and primary, connection file ${connection}`, {
        pid: child.pid,
        dataDir: data,
        connectionFile: connection,
        seconds: Number(seconds),
      });
      return;
    }
    await sleep(100);
  }
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    // already gone
  }
  throw new DevnetError(`the devnet did not come up within ${UP_DEADLINE_MS / 1000} s. Last lines of ${logFile}:\n${logTail(logFile)}`);
}

async function down(opts: GlobalOptions & { keepData?: boolean }): Promise<void> {
  const data = path.resolve(opts.data);
  const pid = runningPid(data);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + DOWN_DEADLINE_MS;
    while (Date.now() < deadline && runningPid(data) === pid) await sleep(100);
    if (runningPid(data) === pid) {
      // It did not stop in time: end it and its chaincodes (its process group).
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
    }
  }
  if (!opts.keepData) rmSync(data, { recursive: true, force: true });
  print(
    opts,
    pid ? `devnet stopped (pid ${pid})${opts.keepData ? '' : `, ${data} removed`}` : `no devnet was running on ${data}${opts.keepData ? '' : `; ${data} removed`}`,
    { stopped: pid ?? null, removed: !opts.keepData },
  );
}

async function adminRequest(data: string, method: 'GET' | 'POST', route: string, body?: unknown): Promise<unknown> {
  const connection = path.join(path.resolve(data), 'connection.json');
  if (!runningPid(data) || !existsSync(connection)) throw new DevnetError(`no devnet is running on ${path.resolve(data)}: run 'devnet up' first`);
  const endpoint = adminEndpointOf(connection);
  if (!endpoint) throw new DevnetError(`${connection} has no adminUrl: it was not written by the devnet`);
  try {
    // The token file sits in the data folder; the connection file names it.
    return await callAdmin(
      { url: endpoint.url, tokenPath: endpoint.tokenPath ?? path.join(path.resolve(data), 'admin.token') },
      method,
      route,
      body,
    );
  } catch (err) {
    if (err instanceof AdminApiError) throw new DevnetError(err.message);
    throw err;
  }
}

async function status(opts: GlobalOptions): Promise<void> {
  const data = path.resolve(opts.data);
  const pid = runningPid(data);
  if (!pid) {
    print(opts, `devnet: not running (data folder ${data})`, { running: false, dataDir: data });
    process.exitCode = 1;
    return;
  }
  const s = (await adminRequest(data, 'GET', '/status')) as {
    channels: { id: string; height: number; chaincodes: string[] }[];
    chaincodes: { name: string; running: boolean; pid?: number; pids?: number[] }[];
    addedPeers?: { mspId: string; endpoint: string; folder: string }[];
  };
  const down = s.chaincodes.filter((c) => !c.running).map((c) => c.name);
  const lines = [`devnet: running (pid ${pid}), data folder ${data}`];
  for (const c of s.channels) lines.push(`  channel ${c.id}: height ${c.height}, chaincodes: ${c.chaincodes.join(', ') || '(none)'}`);
  for (const c of s.chaincodes) lines.push(`  chaincode ${c.name}: ${c.running ? `running (${c.pids && c.pids.length > 1 ? `pids ${c.pids.join(', ')}, one per organisation` : `pid ${String(c.pid)}`})` : 'NOT running'}`);
  for (const p of s.addedPeers ?? []) lines.push(`  added peer of ${p.mspId}: ${p.endpoint} (material in ${p.folder})`);
  if (down.length > 0) {
    lines.push(`  ${down.join(', ')} not running: the devnet restarts a dead chaincode with backoff; see ${path.join(data, 'logs')}`);
    process.exitCode = 1;
  }
  print(opts, lines.join('\n'), { running: true, pid, dataDir: data, allChaincodesRunning: down.length === 0, ...s });
}

async function deploy(folder: string, channel: string, name: string, opts: GlobalOptions): Promise<void> {
  if (!existsSync(folder)) throw new UsageError(`chaincode folder ${folder} does not exist`);
  if (!opts.json) process.stderr.write(`deploying ${path.resolve(folder)} as ${name} on ${channel} ...\n`);
  const started = Date.now();
  const def = (await adminRequest(opts.data, 'POST', '/deploy', { folder: path.resolve(folder), channel, name })) as { ccid: string };
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  print(opts, `chaincode ${name} deployed on ${channel} in ${seconds} s (package id ${def.ccid})`, { ...def, seconds: Number(seconds) });
}

async function addPeer(folder: string, mspId: string, opts: GlobalOptions & { domain: string; port: number }): Promise<void> {
  if (!existsSync(folder)) throw new UsageError(`folder ${folder} does not exist: give the folder passed to \`mgmt org new --out\``);
  const started = Date.now();
  const { member } = (await adminRequest(opts.data, 'POST', '/peers', { folder: path.resolve(folder), mspId, domain: opts.domain, port: opts.port })) as { member: MemberConnection };
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  print(
    opts,
    [
      `peer of ${mspId} serving on ${member.peer.endpoint} (TLS name ${member.peer.hostAlias}) in ${seconds} s`,
      `its clients: user MSP ${member.userMspDir}, orderer ${member.orderer.endpoint}; it endorses once ${mspId} is in a channel's configuration`,
    ].join('\n'),
    { member, seconds: Number(seconds) },
  );
}

async function run(opts: GlobalOptions & StartOptions): Promise<void> {
  const data = path.resolve(opts.data);
  const log = (line: string): void => {
    process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  };
  // The pid file comes before the connection file (written last by start), so that whoever sees
  // the connection file can also find the process to stop.
  mkdirSync(data, { recursive: true });
  writeFileSync(pidFile(data), `${process.pid}\n`);
  let devnet: Devnet;
  try {
    devnet = await Devnet.start({ dataDir: data, basePort: opts.basePort, batchTimeout: opts.batchTimeout, topology: topologyOption(opts), consensusType: opts.consensusType, chaincodePerOrg: opts.chaincodePerOrg === true, log });
  } catch (err) {
    rmSync(pidFile(data), { force: true });
    throw err;
  }
  log(`devnet serving; connection file ${devnet.connectionFilePath}`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: stopping`);
    devnet
      .stop()
      .catch((err: unknown) => { log(`error while stopping: ${errorMessage(err)}`); })
      .finally(() => {
        try {
          unlinkSync(pidFile(data));
        } catch {
          // removed by `down` already
        }
        process.exit(0);
      });
  };
  process.on('SIGINT', () => { shutdown('SIGINT'); });
  process.on('SIGTERM', () => { shutdown('SIGTERM'); });
}

export function buildCli(): Command {
  const program = new Command('devnet')
    .description('A Fabric-compatible network in one Node process: 4 orgs (or --orgs, --orderer-org), channels mgmt and primary, chaincode as a service')
    .option('--data <dir>', 'data folder (env DEVNET_DATA)', DEFAULT_DATA)
    .option('--json', 'machine-readable output')
    // Commander's own usage errors (a missing argument, an invalid option) exit 2 as documented, not its default 1.
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nExit codes: 0 success, 1 the operation failed (status: the devnet or a deployed chaincode is not running), 2 bad usage.\n' +
        '\nExample:\n  devnet up && devnet deploy ./chaincode mgmt mgmt && devnet status',
    );
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command('up')
    .description('start the devnet in the background and wait until it serves')
    .option('--base-port <port>', 'first port of the port grid (see README)', parsePort, DEFAULT_BASE_PORT)
    .option('--batch-timeout <duration>', 'genesis BatchTimeout of both channels, a Go duration such as 100ms or 2s')
    .option('--orgs <n>', `member organisations, 1 to ${ORG_COUNT} (a fresh data folder only; default ${ORG_COUNT})`, parseOrgs)
    .option('--orderer-org', 'the orderer belongs to a separate organisation, OrdererMSP, as in test-network (a fresh data folder only)')
    .option('--consensus-type <type>', `consensus type of the channels, ${DEVNET_CONSENSUS_TYPES.join(' or ')} (a fresh data folder only; default devnet; etcdraft lets a Fabric peer join them)`, parseConsensusType)
    .option('--chaincode-per-org', "run each Node chaincode once per peer organisation, with that organisation's MSP as its local MSP (stub.getMspID()), each endorser on its own (see README for the cost)")
    .action((o: StartOptions) => up({ ...globals(), ...o }));
  program
    .command('down')
    .description('stop the devnet and its chaincodes, and remove the data folder')
    .option('--keep-data', 'keep the data folder (ledger, crypto material)')
    .action((o: { keepData?: boolean }) => down({ ...globals(), ...o }));
  program
    .command('status')
    .description('whether the devnet runs, channel heights and chaincodes (exit 1 if it or a deployed chaincode is not running)')
    .addHelpText(
      'after',
      '\nExit codes:\n  0  the devnet runs and every deployed chaincode runs\n  1  the devnet is not running, one of its deployed chaincodes is not running, or its admin API does not answer\n  2  bad usage',
    )
    .action(() => status(globals()));
  program
    .command('deploy')
    .description('start a chaincode folder as a service and define it on a channel')
    .argument('<folder>', 'a Node chaincode folder (package.json with main; built)')
    .argument('<channel>', 'mgmt or primary')
    .argument('<name>', 'the chaincode name clients use')
    .action((folder: string, channel: string, name: string) => deploy(folder, channel, name, globals()));
  program
    .command('add-peer')
    .description("start a peer for an organisation admitted after the devnet was made (its material from `mgmt org new`)")
    .argument('<folder>', 'the folder given to `mgmt org new --out` (holds organizations/peerOrganizations/<domain>)')
    .argument('<mspId>', 'the organisation\'s MSP ID, e.g. Org5MSP')
    .requiredOption('--domain <domain>', 'its domain, e.g. org5.example.com (the peer is peer0.<domain>)')
    .requiredOption('--port <port>', `the port its peer listens on, on 127.0.0.1 (${MIN_PEER_PORT} to ${MAX_PEER_PORT}, outside the devnet's grid)`, parsePeerPort)
    .addHelpText(
      'after',
      '\nThe peer serves every channel of the devnet at once (the devnet has one ledger: nothing to catch up), and is started again\n' +
        'when the devnet restarts on the same data folder (<data>/peers.json). The devnet\'s connection.json is not changed:\n' +
        'use the printed (or --json) member entry in the new organisation\'s own connection file.\n' +
        '\nExit codes: 0 the peer serves, 1 refused (the reason is printed) or no devnet runs, 2 bad usage.',
    )
    .action((folder: string, mspId: string, o: { domain: string; port: number }) => addPeer(folder, mspId, { ...globals(), ...o }));
  program
    .command('run')
    .description('run the devnet in the foreground (what `up` starts)')
    .option('--base-port <port>', 'first port of the port grid', parsePort, DEFAULT_BASE_PORT)
    .option('--batch-timeout <duration>', 'genesis BatchTimeout of both channels')
    .option('--orgs <n>', `member organisations, 1 to ${ORG_COUNT}`, parseOrgs)
    .option('--orderer-org', 'the orderer belongs to a separate organisation, OrdererMSP')
    .option('--consensus-type <type>', `consensus type of the channels, ${DEVNET_CONSENSUS_TYPES.join(' or ')} (a fresh data folder only)`, parseConsensusType)
    .option('--chaincode-per-org', 'run each Node chaincode once per peer organisation')
    .action((o: StartOptions) => run({ ...globals(), ...o }));
  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
      if (err instanceof UsageError) {
        process.stderr.write(`✖ ${err.message}\n`);
        process.exit(2);
      }
      if (err instanceof DevnetError) {
        process.stderr.write(`✖ ${err.message}\n`);
        process.exit(1);
      }
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
}
