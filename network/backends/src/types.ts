/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The one interface of a local network, whichever backend runs it.
 */
import type { ConnectionFile } from 'fabric-devnet';

/** `devnet`: the devnet in one Node process; `native`: real Fabric binaries (network/native). */
export type BackendName = 'devnet' | 'native';

/** Options of {@link startNetwork}. */
export interface StartNetworkOptions {
  readonly backend: BackendName;
  /** First port of the port grid (devnet: base..base+6001; native: see network/native). Default: the backend's own. */
  readonly basePort?: number;
  /** Genesis BatchTimeout of the channels, a Go duration such as `250ms` (a fresh network only). */
  readonly batchTimeout?: string;
  /** Devnet only, a fresh network only: member organisations (1 to 4, default 4). */
  readonly orgs?: number;
  /** Devnet only, a fresh network only: the orderer belongs to a separate organisation, OrdererMSP. */
  readonly ordererOrg?: boolean;
  /** Devnet only, a fresh network only: the channels' consensus type, `devnet` (default) or `etcdraft` (a Fabric peer can join). */
  readonly consensusType?: 'devnet' | 'etcdraft';
  /** Devnet only: each Node chaincode runs once per peer organisation, with that organisation as its local MSP (`devnet run --chaincode-per-org`); native Fabric runs one per peer anyway, and ignores it. */
  readonly chaincodePerOrg?: boolean;
  /**
   * Data folder. Default: a fresh temporary folder. An existing folder holds a network to start
   * again on its data (a devnet refuses a folder another devnet still runs on).
   */
  readonly dataDir?: string;
  /** Remove what `dataDir` holds first, so that the network is made anew. Default false. */
  readonly fresh?: boolean;
  /** Start-up deadline of the devnet, ms. Default 60000 (native: network.sh's own deadlines). */
  readonly deadlineMs?: number;
  /**
   * Native only: network.sh stops the network when this process exits (`--watch-pid`), so that
   * nothing outlives a killed test run. Default this process; 0 watches none.
   */
  readonly watchPid?: number;
  /** Progress lines (start-up, stop). */
  readonly log?: (line: string) => void;
}

/** What a deploy reported. */
export interface DeployResult {
  /** The package id (the devnet reports it; native does not). */
  readonly ccid?: string;
}

/** Options of {@link RunningNetwork.stop}. */
export interface StopOptions {
  /** Keep the data folder (ledger, crypto material, logs). Default false: it is removed. */
  readonly keepData?: boolean;
}

/** A network started by {@link startNetwork}. */
export interface RunningNetwork {
  readonly backend: BackendName;
  /** The parsed connection file (read again by {@link restart}). */
  readonly connection: ConnectionFile;
  readonly connectionFile: string;
  readonly dataDir: string;
  /** The devnet's process (the leader of its process group); undefined for native Fabric. */
  readonly pid: number | undefined;
  /** Where the network's own output goes (devnet: <data>/logs/devnet.log; native: undefined, see <data>/logs/). */
  readonly logFile: string | undefined;
  /**
   * The network's top processes (devnet: the devnet process; native: every orderer, peer and
   * chaincode server it recorded), e.g. for measuring memory with their children.
   */
  processes(): number[];
  /** Deploys a chaincode folder as `name` on `channel` (devnet: its admin API; native: network.sh deploy). */
  deploy(folder: string, channel: string, name: string): Promise<DeployResult>;
  /** SIGKILL to every process of the network (devnet: its whole process group); the data is kept. */
  crash(): Promise<void>;
  /** Starts the network again on its data folder (after {@link crash} or `stop({ keepData: true })`). */
  restart(): Promise<void>;
  /** Stops the network (devnet: SIGTERM to its group, SIGKILL after 15 s); removes the data folder unless `keepData`. */
  stop(options?: StopOptions): Promise<void>;
  /**
   * Joins org `org`'s orderer (1-based, the connection file's order) to `channel` again from the
   * channel's latest config block, after a CB made it a consenter again (Fabric halts an evicted
   * node; its operator re-joins it with osnadmin). The devnet orders alone: nothing to do.
   */
  rejoinOrderer(org: number, channel: string): Promise<void>;
  /**
   * Stops org `org`'s orderer node (native: `network.sh stop`), as its operator does once a CB took
   * it out of the consenter set: an evicted etcdraft node answers Broadcast with "channel does not
   * exist", which Fabric's Gateway does not retry elsewhere, while a node that is down is skipped.
   * The devnet orders alone: nothing to do.
   */
  stopOrderer(org: number): Promise<void>;
  /** Starts org `org`'s orderer node again (native: `network.sh start`); the devnet: nothing to do. */
  startOrderer(org: number): Promise<void>;
    /** Leaves the network running after this process exits; `stop` then does nothing. */
  detach(): void;
  /** SIGKILL to every process of the network, synchronously: the last resort of a second Ctrl-C. */
  kill(): void;
}

/** What went wrong: the code says which step, the message what to do about it. */
export type NetworkBackendErrorCode = 'DEVNET_RUNNING' | 'DEVNET_MISSING' | 'DEVNET_EXITED' | 'DEVNET_TIMEOUT' | 'DEPLOY_FAILED' | 'NATIVE_FAILED' | 'CONNECTION_FILE';

/** A step of starting, deploying to or stopping a network failed. */
export class NetworkBackendError extends Error {
  readonly code: NetworkBackendErrorCode;

  constructor(code: NetworkBackendErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkBackendError';
    this.code = code;
  }
}
