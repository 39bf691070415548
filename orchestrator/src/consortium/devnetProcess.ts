/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The devnet of `mgmt consortium`, started through the repository's network backend
 * (network/backends, package `network-backends`). That package is a development dependency: an
 * operator who installs the orchestrator against native Fabric gets neither it nor the devnet, so
 * it is loaded only when a devnet must be started, and its absence is a clear error, not a crash
 * at start-up.
 */
import type * as Backends from 'network-backends';

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
  readonly pid: number | undefined;
  readonly logFile: string | undefined;
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

/** The network backend, loaded on first use. */
async function loadBackends(): Promise<typeof Backends> {
  try {
    return await import('network-backends');
  } catch (err) {
    throw new NetworkStartError(
      'DEVNET_MISSING',
      `starting a devnet needs the package network-backends of a source checkout of this repository, and this installation has none (${(err as Error).message.split('\n')[0]}): run the consortium from a source checkout (npm ci && npm run build), or pass --connection <file> of a running network`,
      { cause: err },
    );
  }
}

/**
 * Starts a devnet on a data folder (a fresh one: leftovers of an earlier run are removed) and
 * waits until it writes its connection file.
 *
 * @throws {@link NetworkStartError} `DEVNET_MISSING` when the devnet or its backend is not there,
 * `DEVNET_RUNNING` when a devnet already runs on the folder, `DEVNET_EXITED`/`DEVNET_TIMEOUT`
 * with the tail of its log.
 */
export async function startDevnet(options: Readonly<DevnetProcessOptions>): Promise<DevnetHandle> {
  const backends = await loadBackends();
  try {
    return await backends.startNetwork({
      backend: 'devnet',
      dataDir: options.dataDir,
      fresh: true,
      basePort: options.basePort,
      batchTimeout: options.batchTimeout,
      deadlineMs: options.deadlineMs,
      log: options.log,
    });
  } catch (err) {
    if (err instanceof backends.NetworkBackendError && isStartCode(err.code)) throw new NetworkStartError(err.code, err.message, { cause: err });
    throw err;
  }
}

function isStartCode(code: string): code is NetworkStartError['code'] {
  return ['DEVNET_RUNNING', 'DEVNET_MISSING', 'DEVNET_EXITED', 'DEVNET_TIMEOUT', 'DEPLOY_FAILED'].includes(code);
}

/**
 * Deploys a chaincode folder through a devnet's admin API (what `devnet deploy` does), with the
 * bearer token from `adminTokenPath` (the connection file's field of that name; a devnet that
 * writes none needs no token). Works on any running devnet, also one this process did not start.
 *
 * @throws {@link NetworkStartError} `DEPLOY_FAILED` with the devnet's answer.
 */
export async function deployChaincode(adminUrl: string, folder: string, channel: string, name: string, adminTokenPath?: string): Promise<void> {
  const backends = await loadBackends();
  try {
    await backends.deployToDevnet({ url: adminUrl, ...(adminTokenPath === undefined ? {} : { tokenPath: adminTokenPath }) }, folder, channel, name);
  } catch (err) {
    throw new NetworkStartError('DEPLOY_FAILED', (err as Error).message, { cause: err });
  }
}
