/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Starts the network an end-to-end test runs against, and always stops it. FABRIC_BACKEND picks
 * the backend: `devnet` (default) starts a devnet process of its own on a private data folder and
 * port grid; `native` runs network/native/network.sh (real Fabric binaries from FABRIC_BIN or PATH)
 * on a private data folder and port grid, and fails loudly, never skips, when they are absent.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { adminEndpointOf, adminRequest } from '../../network/devnet/src/admin/client';
import { readConnectionFile, ConnectionFile } from '../../orchestrator/src/gateway';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DEVNET_CLI = path.join(REPO_ROOT, 'network', 'devnet', 'dist', 'cli.js');
const NATIVE_SCRIPT = path.join(REPO_ROOT, 'network', 'native', 'network.sh');

export interface TestNetwork {
  connection: ConnectionFile;
  connectionFile: string;
  dataDir: string;
  /** Kills the network's process group with SIGKILL (a crash), keeping the data folder. */
  crash(): Promise<void>;
  /** Starts the network again on the same data folder. */
  restart(): Promise<void>;
  deploy(folder: string, channel: string, name: string): Promise<void>;
  /** Stops everything and removes the data folder. */
  stop(): Promise<void>;
}

export function backend(): 'devnet' | 'native' {
  const b = process.env.FABRIC_BACKEND ?? 'devnet';
  if (b !== 'devnet' && b !== 'native') throw new Error(`FABRIC_BACKEND must be devnet or native, not '${b}'`);
  return b;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startNetwork(options: { basePort: number; batchTimeout?: string }): Promise<TestNetwork> {
  if (backend() === 'native') return startNativeNetwork(options);
  if (!existsSync(DEVNET_CLI)) throw new Error(`${DEVNET_CLI} is missing: run 'npm run build' first`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'devnet-e2e-'));
  const connectionFile = path.join(dataDir, 'connection.json');
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    rmSync(connectionFile, { force: true });
    const args = [DEVNET_CLI, 'run', '--data', dataDir, '--base-port', String(options.basePort)];
    if (options.batchTimeout) args.push('--batch-timeout', options.batchTimeout);
    const proc = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!existsSync(connectionFile)) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`devnet exited during start-up:\n${output}`);
      if (Date.now() > deadline) throw new Error(`devnet did not start within 60 s:\n${output}`);
      await sleep(50);
    }
  };

  const killGroup = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc?.pid || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => { resolve(); }));
    try {
      process.kill(-proc.pid, signal);
    } catch {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 20_000)))]);
    clearTimeout(timer);
  };

  await launch();
  const network: TestNetwork = {
    connectionFile,
    dataDir,
    connection: readConnectionFile(connectionFile),
    crash: async () => {
      await killGroup('SIGKILL');
    },
    restart: async () => {
      await launch();
      network.connection = readConnectionFile(connectionFile);
    },
    deploy: async (folder, channel, name) => {
      const endpoint = adminEndpointOf(connectionFile);
      if (!endpoint) throw new Error(`${connectionFile} names no admin API`);
      await adminRequest(endpoint, 'POST', '/deploy', { folder, channel, name }).catch((err: unknown) => {
        throw new Error(`deploy failed: ${(err as Error).message}`);
      });
    },
    stop: async () => {
      await killGroup('SIGTERM');
      await killGroup('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return network;
}

/**
 * The native backend: network/native/network.sh on a data folder of its own. `up` is given this
 * process's pid to watch, so the network is stopped even when the test run is killed.
 */
async function startNativeNetwork(options: { basePort: number; batchTimeout?: string }): Promise<TestNetwork> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'native-e2e-'));
  const connectionFile = path.join(dataDir, 'connection.json');
  const common = ['--data', dataDir, '--base-port', String(options.basePort)];

  const script = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      const proc = spawn('bash', [NATIVE_SCRIPT, ...args, ...common], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
      proc.on('error', (err) => { reject(new Error(`cannot run ${NATIVE_SCRIPT}: ${err.message}`)); });
      proc.on('close', (code) => {
        if (code === 0) resolve(output);
        else reject(new Error(`network/native/network.sh ${args.join(' ')} failed (exit ${String(code)}):\n${output}`));
      });
    });

  const up = async (): Promise<void> => {
    const args = ['up', '--watch-pid', String(process.pid)];
    if (options.batchTimeout) args.push('--batch-timeout', options.batchTimeout);
    await script(args);
  };

  try {
    await up();
  } catch (err) {
    await script(['down']).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const network: TestNetwork = {
    connectionFile,
    dataDir,
    connection: readConnectionFile(connectionFile),
    crash: async () => {
      await script(['kill']);
    },
    restart: async () => {
      await up();
      network.connection = readConnectionFile(connectionFile);
    },
    deploy: async (folder, channel, name) => {
      await script(['deploy', folder, channel, name]).catch((err: unknown) => {
        throw new Error(`deploy failed: ${(err as Error).message}`);
      });
    },
    stop: async () => {
      await stopStrayDevnet(dataDir);
      await script(['down']);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return network;
}

/**
 * A test that runs the devnet CLI on this data folder (devnet-only tests run on native) may have
 * started a detached devnet in it: stop it (its process group) so that nothing outlives the run.
 */
async function stopStrayDevnet(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'devnet.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!Number.isInteger(pid) || pid <= 0 || !alive()) return;
  process.stderr.write(`stopping a devnet (pid ${String(pid)}) that a test started in the native data folder ${dataDir}\n`);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(); i++) await sleep(100);
  if (alive()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      process.kill(pid, 'SIGKILL');
    }
  }
}

/*
 * Port grids of the end-to-end suites (base..base+6001, see network/devnet/src/topology.ts), all
 * below Linux's ephemeral range (32768+) so that no outgoing connection or chaincode port can take
 * one. Grids ending in 50 with distinct hundreds never share a port (benchmarks use bases ending
 * in 25, which never meet those either):
 *   19650 observer, 19750 primaryReconfiguration, 19950 managementNodes, 20050 devnet, 20150 devnetFaults,
 *   20250 devnetFaults (its crash-recovery devnet), 20350 channelConfig, 20450 mgmtChaincode, 20550 audit.
 */
