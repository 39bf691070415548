/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The devnet as a child process: `devnet run` in its own process group (so that stopping or
 * crashing it also ends the chaincode servers it launched, and a Ctrl-C in the terminal reaches
 * only its parent), its output in <data>/logs/devnet.log, deploys through its admin API. This is
 * the one place in the repository that starts the devnet's command line.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { adminEndpointFrom, adminRequest, isProcessAlive } from 'fabric-devnet';
import { readConnection } from './connection';
import { DEVNET_CLI } from './paths';
import { readPidFile, signalGroup, sleep, tail, within } from './process';
import { NetworkBackendError } from './types';
import type { DeployResult, RunningNetwork, StartNetworkOptions } from './types';

const STOP_GRACE_MS = 15_000;

/** The pid of a devnet that runs on a data folder (a zombie is not running), or undefined. */
export function runningDevnetPid(dataDir: string): number | undefined {
  const pid = readPidFile(path.join(dataDir, 'devnet.pid'));
  return pid !== undefined && isProcessAlive(pid) ? pid : undefined;
}

/**
 * Node options for the devnet process from DEVNET_NODE_ARGS (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it under a benchmark: Node refuses --cpu-prof
 * in NODE_OPTIONS, and NODE_OPTIONS would reach every process anyway.
 */
function devnetNodeArgs(): string[] {
  const args = (process.env.DEVNET_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const bad = args.find((a) => !a.startsWith('-'));
  if (bad !== undefined) throw new NetworkBackendError('DEVNET_EXITED', `DEVNET_NODE_ARGS holds '${bad}', which is not a Node option: give options only, e.g. DEVNET_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'`);
  return args;
}

/** One `devnet run` process and how it ended. */
interface Launched {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exit: Promise<void>;
  /** Its exit code or signal once it has exited. */
  ended(): string | undefined;
}

/**
 * Starts `devnet run` on a data folder and waits until it writes its connection file.
 *
 * @throws {@link NetworkBackendError} `DEVNET_MISSING` when the devnet is not built,
 * `DEVNET_RUNNING` when a devnet already runs on the folder, `DEVNET_EXITED`/`DEVNET_TIMEOUT`
 * with the tail of its log.
 */
export async function startDevnet(options: Readonly<StartNetworkOptions>): Promise<RunningNetwork> {
  const log = options.log ?? ((): void => undefined);
  if (!existsSync(DEVNET_CLI)) throw new NetworkBackendError('DEVNET_MISSING', `${DEVNET_CLI} is missing: run \`npm run build\` (or \`npm run setup\`) first`);
  const dataDir = options.dataDir === undefined ? mkdtempSync(path.join(os.tmpdir(), 'devnet-')) : path.resolve(options.dataDir);
  const connectionFile = path.join(dataDir, 'connection.json');
  const logFile = path.join(dataDir, 'logs', 'devnet.log');
  const refuseRunning = (): void => {
    const running = runningDevnetPid(dataDir);
    if (running === undefined) return;
    throw new NetworkBackendError(
      'DEVNET_RUNNING',
      `a devnet is already running on ${dataDir} (pid ${running}): stop it with \`npm run devnet -- --data ${dataDir} down\`, or use it with --connection ${connectionFile}`,
    );
  };
  refuseRunning();
  if (options.fresh === true && existsSync(dataDir)) {
    log(`removing the leftover data folder ${dataDir} (no devnet runs on it)`);
    rmSync(dataDir, { recursive: true, force: true });
  }

  const launch = async (): Promise<Launched> => {
    mkdirSync(path.dirname(logFile), { recursive: true });
    rmSync(connectionFile, { force: true });
    const args = [...devnetNodeArgs(), DEVNET_CLI, 'run', '--data', dataDir];
    if (options.basePort !== undefined) args.push('--base-port', String(options.basePort));
    if (options.batchTimeout !== undefined) args.push('--batch-timeout', options.batchTimeout);
    if (options.orgs !== undefined) args.push('--orgs', String(options.orgs));
    if (options.ordererOrg === true) args.push('--orderer-org');
    if (options.consensusType !== undefined) args.push('--consensus-type', options.consensusType);
    if (options.chaincodePerOrg === true) args.push('--chaincode-per-org');
    const started = Date.now();
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) throw new NetworkBackendError('DEVNET_EXITED', `cannot start ${DEVNET_CLI}`);
    let ended: string | undefined;
    const exit = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        ended = signal ?? String(code);
        resolve();
      });
    });
    log(`starting the devnet (pid ${pid}) on ${dataDir}`);
    const deadline = started + (options.deadlineMs ?? 60_000);
    while (!existsSync(connectionFile)) {
      if (ended !== undefined) throw new NetworkBackendError('DEVNET_EXITED', `the devnet exited during start-up (${ended}); last lines of ${logFile}:\n${tail(logFile)}`);
      if (Date.now() > deadline) {
        signalGroup(pid, 'SIGKILL');
        throw new NetworkBackendError('DEVNET_TIMEOUT', `the devnet did not come up within ${(deadline - started) / 1000} s; last lines of ${logFile}:\n${tail(logFile)}`);
      }
      await sleep(50);
    }
    log(`devnet up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { child, pid, exit, ended: () => ended };
  };

  let current = await launch();
  let connection = readConnection(connectionFile);
  let detached = false;
  const running = (): boolean => current.ended() === undefined;
  /** Ends the group, waits (up to `graceMs`) for the devnet to exit, then makes sure nothing of the group is left. */
  const end = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (running()) {
      signalGroup(current.pid, signal);
      await within(current.exit, graceMs);
      if (running()) {
        signalGroup(current.pid, 'SIGKILL');
        await current.exit;
      }
    }
    // The chaincode servers share the group; none may outlive the devnet.
    signalGroup(current.pid, 'SIGKILL');
  };

  return {
    backend: 'devnet',
    get connection() {
      return connection;
    },
    connectionFile,
    dataDir,
    get pid() {
      return current.pid;
    },
    logFile,
    processes: () => (running() ? [current.pid] : []),
    deploy: (folder, channel, name): Promise<DeployResult> => {
      const endpoint = adminEndpointFrom(connection, dataDir);
      if (endpoint === undefined) throw new NetworkBackendError('DEPLOY_FAILED', `${connectionFile} names no admin API`);
      return deployToDevnet(endpoint, folder, channel, name);
    },
    crash: () => end('SIGKILL', 20_000),
    // The devnet orders alone: a consenter list change has no node to join.
    rejoinOrderer: () => Promise.resolve(),
    stopOrderer: () => Promise.resolve(),
    startOrderer: () => Promise.resolve(),
    restart: async () => {
      if (running()) throw new NetworkBackendError('DEVNET_RUNNING', `the devnet (pid ${current.pid}) still runs on ${dataDir}: crash() or stop({ keepData: true }) it first`);
      refuseRunning();
      current = await launch();
      connection = readConnection(connectionFile);
    },
    stop: async (stopOptions = {}) => {
      if (detached) return;
      await end('SIGTERM', STOP_GRACE_MS);
      if (stopOptions.keepData !== true) rmSync(dataDir, { recursive: true, force: true });
    },
    detach: () => {
      detached = true;
      current.child.unref();
    },
    kill: () => {
      if (!detached) signalGroup(current.pid, 'SIGKILL');
    },
  };
}

/**
 * Deploys a chaincode folder through a running devnet's admin API (what `devnet deploy` does), on
 * any devnet, also one this process did not start.
 *
 * @param endpoint the admin URL and the bearer token file (the connection file's `adminUrl` and
 *   `adminTokenPath`; a devnet that names no token file needs none).
 * @throws {@link NetworkBackendError} `DEPLOY_FAILED` with the devnet's answer.
 */
export async function deployToDevnet(endpoint: { readonly url: string; readonly tokenPath?: string }, folder: string, channel: string, name: string): Promise<DeployResult> {
  try {
    const answer = await adminRequest<{ ccid?: unknown }>(endpoint, 'POST', '/deploy', { folder: path.resolve(folder), channel, name }, { timeoutMs: 120_000 });
    return { ccid: typeof answer.ccid === 'string' ? answer.ccid : undefined };
  } catch (err) {
    throw new NetworkBackendError('DEPLOY_FAILED', `deploying ${folder} as ${name} on ${channel} through ${endpoint.url} failed: ${(err as Error).message}`, { cause: err });
  }
}
