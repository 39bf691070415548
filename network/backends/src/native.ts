/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Native Fabric: network/native/network.sh (real Fabric v3 binaries from FABRIC_BIN or PATH) on
 * a data folder of its own. `up` is given a pid to watch, so that the network is stopped even
 * when whoever started it is killed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readConnection } from './connection';
import { runningDevnetPid } from './devnet';
import { NATIVE_SCRIPT } from './paths';
import { readPidFile, signalGroup, sleep } from './process';
import { NetworkBackendError } from './types';
import type { RunningNetwork, StartNetworkOptions } from './types';

/**
 * Starts (or restarts, on an existing data folder) the native network and waits until `up`
 * has written the connection file.
 *
 * @throws {@link NetworkBackendError} `NATIVE_FAILED` with network.sh's output (which names
 * the installer when the Fabric binaries are absent); the network is brought down again.
 */
export async function startNative(options: Readonly<StartNetworkOptions>): Promise<RunningNetwork> {
  if (options.orgs !== undefined || options.ordererOrg === true) {
    // network.sh runs four organisations that each order; a test that needs another topology must not pass silently.
    throw new NetworkBackendError('NATIVE_FAILED', 'the native network runs four member organisations with their own orderers; --orgs/--orderer-org are devnet options (for a separate orderer organisation on native Fabric, use fabric-samples\' test-network with `mgmt connect`)');
  }
  const log = options.log ?? ((): void => undefined);
  const dataDir = options.dataDir === undefined ? mkdtempSync(path.join(os.tmpdir(), 'native-')) : path.resolve(options.dataDir);
  const connectionFile = path.join(dataDir, 'connection.json');
  const common = ['--data', dataDir];
  if (options.basePort !== undefined) common.push('--base-port', String(options.basePort));

  const script = (args: readonly string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      // Its own process group: a Ctrl-C in the terminal must not cut `up` short while it starts nodes.
      const proc = spawn('bash', [NATIVE_SCRIPT, ...args, ...common], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
      proc.on('error', (err) => {
        reject(new NetworkBackendError('NATIVE_FAILED', `cannot run ${NATIVE_SCRIPT}: ${err.message}`, { cause: err }));
      });
      proc.on('close', (code) => {
        if (code === 0) resolve(output);
        else reject(new NetworkBackendError('NATIVE_FAILED', `network/native/network.sh ${args.join(' ')} failed (exit ${String(code)}):\n${output.trim()}`));
      });
    });

  const up = async (): Promise<void> => {
    const started = Date.now();
    const args = ['up'];
    const watchPid = options.watchPid ?? process.pid;
    if (watchPid > 0) args.push('--watch-pid', String(watchPid));
    if (options.batchTimeout !== undefined) args.push('--batch-timeout', options.batchTimeout);
    log(`starting the native network on ${dataDir}`);
    await script(args);
    log(`native network up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };

  if (options.fresh === true && existsSync(dataDir)) {
    log(`removing the data folder ${dataDir} first`);
    await script(['down']);
  }
  try {
    await up();
  } catch (err) {
    await script(['down']).catch(() => undefined);
    throw err;
  }
  let connection = readConnection(connectionFile);
  let detached = false;
  return {
    backend: 'native',
    get connection() {
      return connection;
    },
    connectionFile,
    dataDir,
    pid: undefined,
    logFile: undefined,
    processes: () => {
      const dir = path.join(dataDir, 'pids');
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((f) => f.endsWith('.pid') && f !== 'watchdog.pid')
        .flatMap((f) => readPidFile(path.join(dir, f)) ?? []);
    },
    deploy: async (folder, channel, name) => {
      try {
        await script(['deploy', path.resolve(folder), channel, name]);
      } catch (err) {
        throw new NetworkBackendError('DEPLOY_FAILED', `deploying ${folder} as ${name} on ${channel} failed: ${(err as Error).message}`, { cause: err });
      }
      return {};
    },
    crash: async () => {
      await script(['kill']);
    },
    rejoinOrderer: async (org, channel) => {
      await script(['rejoin', String(org), channel]);
    },
    stopOrderer: async (org) => {
      await script(['stop', `orderer0.org${String(org)}.example.com`]);
    },
    startOrderer: async (org) => {
      await script(['start', `orderer0.org${String(org)}.example.com`]);
    },
    restart: async () => {
      await up();
      connection = readConnection(connectionFile);
    },
    stop: async (stopOptions = {}) => {
      if (detached) return;
      await stopStrayDevnet(dataDir, options.log ?? ((line) => process.stderr.write(`${line}\n`)));
      await script(['down', ...(stopOptions.keepData === true ? ['--keep-data'] : [])]);
      if (stopOptions.keepData !== true) rmSync(dataDir, { recursive: true, force: true });
    },
    detach: () => {
      detached = true;
      // The watchdog would bring the network down when the watched process exits.
      const watchdog = readPidFile(path.join(dataDir, 'pids', 'watchdog.pid'));
      if (watchdog !== undefined) signalGroup(watchdog, 'SIGTERM');
    },
    kill: () => {
      if (!detached) spawnSync('bash', [NATIVE_SCRIPT, 'kill', ...common], { stdio: 'ignore' });
    },
  };
}

/**
 * A devnet-only test may have started a devnet through the devnet's CLI in the native data
 * folder: stop it (its process group) so that nothing outlives the run.
 */
async function stopStrayDevnet(dataDir: string, log: (line: string) => void): Promise<void> {
  const pid = runningDevnetPid(dataDir);
  if (pid === undefined) return;
  log(`stopping a devnet (pid ${pid}) that was started in the native data folder ${dataDir}`);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && runningDevnetPid(dataDir) === pid; i++) await sleep(100);
  if (runningDevnetPid(dataDir) !== pid) return;
  signalGroup(pid, 'SIGKILL');
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone with its group
  }
}
