/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The devnet as a child process of the consortium: `devnet run` in its own process group (so
 * that stopping it also stops the chaincode servers it launched), its output in
 * <data>/logs/devnet.log, and a stop that always ends the whole group.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { adminRequest } from 'fabric-devnet/dist/admin/client';

/** Where the devnet's CLI is, from its workspace package. */
export const DEVNET_CLI = path.join(path.dirname(require.resolve('fabric-devnet/package.json')), 'dist', 'cli.js');

/** A step of bringing the consortium's network up failed. */
export class NetworkStartError extends Error {
  readonly code: 'DEVNET_RUNNING' | 'DEVNET_MISSING' | 'DEVNET_EXITED' | 'DEVNET_TIMEOUT' | 'DEPLOY_FAILED';

  constructor(code: NetworkStartError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkStartError';
    this.code = code;
  }
}

/** Options of {@link startDevnet}. */
export interface DevnetProcessOptions {
  /** Data folder; a leftover folder with no devnet running on it is removed first. */
  readonly dataDir: string;
  readonly basePort?: number;
  /** Genesis BatchTimeout, a Go duration such as `100ms`. */
  readonly batchTimeout?: string;
  /** Start-up deadline, ms. Default 60000. */
  readonly deadlineMs?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** A running devnet started by {@link startDevnet}. */
export interface DevnetHandle {
  readonly dataDir: string;
  readonly connectionFile: string;
  readonly pid: number;
  readonly logFile: string;
  /**
   * Stops the devnet (SIGTERM to its group, SIGKILL after 15 s) and removes its data folder
   * unless `keepData`.
   */
  stop(options?: { readonly keepData?: boolean }): Promise<void>;
  /** Leaves the devnet running after this process exits (`npm run devnet -- down` stops it). */
  detach(): void;
  /** SIGKILL to the whole group, synchronously: the last resort of a second Ctrl-C. */
  kill(): void;
}

function runningPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'devnet.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function tail(file: string, lines = 15): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `devnet run` on a data folder and waits until it writes its connection file.
 *
 * @throws {@link NetworkStartError} `DEVNET_RUNNING` when a devnet already runs on the folder,
 * `DEVNET_MISSING` when the devnet is not built, `DEVNET_EXITED`/`DEVNET_TIMEOUT` with the tail
 * of its log.
 */
export async function startDevnet(options: Readonly<DevnetProcessOptions>): Promise<DevnetHandle> {
  const dataDir = path.resolve(options.dataDir);
  const log = options.log ?? ((): void => undefined);
  if (!existsSync(DEVNET_CLI)) throw new NetworkStartError('DEVNET_MISSING', `${DEVNET_CLI} is missing: run \`npm run build\` (or \`npm run setup\`) first`);
  const running = runningPid(dataDir);
  if (running !== undefined) {
    throw new NetworkStartError(
      'DEVNET_RUNNING',
      `a devnet is already running on ${dataDir} (pid ${running}): stop it with \`npm run devnet -- --data ${dataDir} down\`, or use it with --connection ${path.join(dataDir, 'connection.json')}`,
    );
  }
  if (existsSync(dataDir)) {
    log(`removing the leftover data folder ${dataDir} (no devnet runs on it)`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  const logFile = path.join(dataDir, 'logs', 'devnet.log');
  const connectionFile = path.join(dataDir, 'connection.json');
  const args = [DEVNET_CLI, 'run', '--data', dataDir];
  if (options.basePort !== undefined) args.push('--base-port', String(options.basePort));
  if (options.batchTimeout !== undefined) args.push('--batch-timeout', options.batchTimeout);
  const fd = openSync(logFile, 'a');
  const started = Date.now();
  let child: ChildProcess;
  try {
    // Its own process group: the terminal's Ctrl-C reaches only us, and we stop it after the
    // management nodes, then end the group (the chaincode servers with it).
    child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new NetworkStartError('DEVNET_EXITED', `cannot start ${DEVNET_CLI}`);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ?? String(code);
      resolve();
    });
  });
  log(`starting the devnet (pid ${pid}) on ${dataDir}`);

  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const deadline = started + (options.deadlineMs ?? 60_000);
  while (!(existsSync(connectionFile) && statSync(connectionFile).mtimeMs >= started - 1000)) {
    if (exited !== undefined) throw new NetworkStartError('DEVNET_EXITED', `the devnet exited during start-up (${exited}); last lines of ${logFile}:\n${tail(logFile)}`);
    if (Date.now() > deadline) {
      killGroup('SIGKILL');
      throw new NetworkStartError('DEVNET_TIMEOUT', `the devnet did not come up within ${(deadline - started) / 1000} s; last lines of ${logFile}:\n${tail(logFile)}`);
    }
    await sleep(100);
  }
  log(`devnet up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  let detached = false;
  return {
    dataDir,
    connectionFile,
    pid,
    logFile,
    stop: async (stopOptions = {}): Promise<void> => {
      if (detached) return;
      if (exited === undefined) {
        killGroup('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exit, new Promise<void>((resolve) => (timer = setTimeout(resolve, 15_000)))]);
        clearTimeout(timer);
        if (exited === undefined) {
          killGroup('SIGKILL');
          await exit;
        }
      }
      // The chaincode servers share the group; make sure none outlives the devnet.
      killGroup('SIGKILL');
      if (stopOptions.keepData !== true) rmSync(dataDir, { recursive: true, force: true });
    },
    detach: (): void => {
      detached = true;
      child.unref();
    },
    kill: (): void => {
      if (!detached) killGroup('SIGKILL');
    },
  };
}

/**
 * Deploys a chaincode folder through the devnet's admin API (what `devnet deploy` does), with the
 * bearer token from `adminTokenPath` (the connection file's field of that name; a devnet that
 * writes none needs no token).
 *
 * @throws {@link NetworkStartError} `DEPLOY_FAILED` with the devnet's answer.
 */
export async function deployChaincode(adminUrl: string, folder: string, channel: string, name: string, adminTokenPath?: string): Promise<void> {
  try {
    await adminRequest({ url: adminUrl, tokenPath: adminTokenPath }, 'POST', '/deploy', { folder, channel, name }, { timeoutMs: 120_000 });
  } catch (err) {
    throw new NetworkStartError('DEPLOY_FAILED', `deploying ${folder} as ${name} on ${channel} through ${adminUrl} failed: ${(err as Error).message}`, { cause: err });
  }
}
