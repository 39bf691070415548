/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Supervision of chaincode-as-a-service processes, the devnet's counterpart of a peer's chaincode
 * launcher and external builder (core/chaincode/runtime_launcher.go, extcc): starts the unmodified
 * fabric-shim server (`fabric-chaincode-node server`), waits for its port, dials Connect as a ccaas
 * peer does and hands the stream to a ./handler.ts until the chaincode has registered; then ties the
 * two lifetimes together, so that a dead process fails its stream and a dead stream ends its process.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { peer } from '@hyperledger/fabric-protos';
import type { ChaincodeTls } from './dial';
import { dialChaincode, waitForReady } from './dial';
import { ChaincodeError } from './errors';
import { ChaincodeHandler } from './handler';
import { ccaasPackageId } from './packageId';
import { parentWatchNodeArgs } from './parentWatch';

/** One chaincode-as-a-service process to start. */
export interface ChaincodeLaunch {
  /** Chaincode name, the namespace of its state, and the key for invoke/stop. */
  name: string;
  /** Package label; the ccid is `label:sha256hex` (see {@link ccaasPackageId}) unless `packageId` is given. */
  label: string;
  /** The chaincode's own folder (package.json with `main`); the process runs there. */
  folder: string;
  /** `127.0.0.1:port` the chaincode server binds and the devnet dials. */
  address: string;
  /** CORE_PEER_LOCALMSPID for the process (`stub.getMspID()` throws without it). */
  mspId: string;
  /** stdout and stderr of the process are appended here. */
  logFile: string;
  /** Overrides the computed ccid, for a devnet that mirrors real package ids. */
  packageId?: string;
  tls?: ChaincodeTls;
  /** Extra environment for the process, e.g. `CORE_CHAINCODE_LOGGING_LEVEL`. */
  env?: Readonly<Record<string, string>>;
}

/** A chaincode server that runs on its own (a ccaas package's), for {@link ChaincodeLauncher.attach}. */
export interface ChaincodeAttach {
  name: string;
  packageId: string;
  /** `host:port` the server listens on. */
  address: string;
  tls?: ChaincodeTls;
}

/** Details of a chaincode process exit. */
export interface ChaincodeExitInfo {
  signal: NodeJS.Signals | null;
  /** True when stop()/stopAll() asked for it: an owner that restarts dead chaincodes skips these. */
  requested: boolean;
}

/** Events of {@link ChaincodeRuntime}. */
export type ChaincodeRuntimeEvents = {
  /** A chaincode process was spawned (before its handshake), e.g. to record its pid. */
  spawn: [name: string, pid: number, info: { packageId: string; address: string }];
  /** A launched chaincode process ended; `code` is null when a signal ended it. */
  exit: [name: string, code: number | null, info: ChaincodeExitInfo];
};

/** One launched chaincode: its process and, once dialled, its channel and stream. */
interface Running {
  readonly name: string;
  readonly packageId: string;
  /** Absent for an attached ccaas server, which runs on its own. */
  readonly child?: ChildProcess;
  readonly exited: Promise<void>;
  /** Marks an attached server's connection as ended (a spawned one ends with its process). */
  markExited?: () => void;
  readonly handler: ChaincodeHandler;
  client?: peer.ChaincodeClient;
  alive: boolean;
  /** Set once launch() has returned: only then does an exit count as a running chaincode dying. */
  launched: boolean;
  stopRequested: boolean;
}

/** The processes of one ChaincodeRuntime, by chaincode name; see its methods for the contract. */
export class ChaincodeLauncher {
  private readonly running = new Map<string, Running>();
  private readonly events: EventEmitter<ChaincodeRuntimeEvents>;
  private readonly launchTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private exitHookInstalled = false;
  private readonly exitHook = (): void => {
    // Only synchronous work is possible in 'exit': signal our own children and leave.
    for (const cc of this.running.values()) {
      if (cc.alive) cc.child?.kill('SIGKILL');
    }
  };

  constructor(events: EventEmitter<ChaincodeRuntimeEvents>, timeouts: { launchTimeoutMs: number; stopTimeoutMs: number }) {
    this.events = events;
    this.launchTimeoutMs = timeouts.launchTimeoutMs;
    this.stopTimeoutMs = timeouts.stopTimeoutMs;
  }

  async launch(options: Readonly<ChaincodeLaunch>): Promise<void> {
    const { name } = options;
    const existing = this.running.get(name);
    if (existing?.alive) {
      if (existing.handler.ready || !existing.launched) {
        throw new ChaincodeError('ALREADY_RUNNING', `chaincode ${name} is already running`, name);
      }
      // Its stream is gone and the process is being killed: finish that before starting anew.
      await this.stop(name);
    }
    const packageId = options.packageId ?? ccaasPackageId(options.label, options.address, options.tls !== undefined);
    const fail = (reason: string, cause?: unknown): ChaincodeError =>
      new ChaincodeError('LAUNCH_FAILED', `could not launch chaincode ${packageId}: ${reason}${logTail(options.logFile)}`, name, undefined, { cause });

    let cli: string;
    try {
      cli = require.resolve('fabric-shim/cli.js', { paths: [options.folder] });
    } catch (err) {
      throw fail(`fabric-shim is not installed for ${options.folder}`, err);
    }
    const child = spawnServer(cli, options, packageId);

    let markExited!: () => void;
    const cc: Running = {
      name,
      packageId,
      child,
      exited: new Promise<void>((resolve) => (markExited = resolve)),
      handler: new ChaincodeHandler(name, packageId, () => {
        this.onStreamDown(cc);
      }),
      alive: true,
      launched: false,
      stopRequested: false,
    };
    this.running.set(name, cc);
    this.installExitHook();
    if (child.pid !== undefined) this.events.emit('spawn', name, child.pid, { packageId, address: options.address });

    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (!cc.alive) return;
      cc.alive = false;
      this.disconnect(cc);
      if (this.running.get(name) === cc) this.running.delete(name);
      this.removeExitHookIfIdle();
      markExited();
      if (cc.launched) this.events.emit('exit', name, code, { signal, requested: cc.stopRequested });
    };
    child.once('exit', onExit);
    // A spawn failure emits 'error' and no 'exit'. The listener stays for good because an unhandled
    // 'error' (a failed kill) would throw in the devnet; only one without a pid means "never started".
    child.on('error', () => {
      if (child.pid === undefined) onExit(null, null);
    });

    try {
      await this.connect(cc, options, Date.now() + this.launchTimeoutMs);
    } catch (err) {
      await this.stop(name);
      throw fail(err instanceof Error ? err.message : String(err), err);
    }
    cc.launched = true;
  }

  /**
   * Dials a chaincode server that runs on its own (a ccaas package's) and completes the handshake;
   * nothing is spawned, and stop() only closes the connection.
   * @throws ChaincodeError `ALREADY_RUNNING`, or `LAUNCH_FAILED` when the server does not answer in time.
   */
  async attach(options: Readonly<ChaincodeAttach>): Promise<void> {
    const { name, packageId } = options;
    const existing = this.running.get(name);
    if (existing?.alive) {
      if (existing.handler.ready || !existing.launched) throw new ChaincodeError('ALREADY_RUNNING', `chaincode ${name} is already running`, name);
      await this.stop(name);
    }
    let markExited!: () => void;
    const cc: Running = {
      name,
      packageId,
      exited: new Promise<void>((resolve) => (markExited = resolve)),
      handler: new ChaincodeHandler(name, packageId, () => {
        this.onStreamDown(cc);
      }),
      alive: true,
      launched: false,
      stopRequested: false,
    };
    cc.markExited = () => {
      cc.alive = false;
      markExited();
    };
    this.running.set(name, cc);
    try {
      await this.connect(cc, options, Date.now() + this.launchTimeoutMs);
    } catch (err) {
      await this.stop(name);
      const reason = err instanceof Error ? err.message : String(err);
      throw new ChaincodeError('LAUNCH_FAILED', `could not connect to chaincode ${packageId} at ${options.address} (start its server with CHAINCODE_ID=${packageId}): ${reason}`, name, undefined, { cause: err });
    }
    cc.launched = true;
  }

  async stop(name: string): Promise<void> {
    const cc = this.running.get(name);
    if (!cc) return;
    cc.stopRequested = true;
    this.disconnect(cc);
    if (cc.alive && !cc.child) cc.markExited?.();
    if (cc.alive && cc.child) {
      const child = cc.child;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          resolve(true);
        }, this.stopTimeoutMs);
      });
      const forced = await Promise.race([cc.exited.then(() => false), timedOut]);
      clearTimeout(timer);
      // Killing a process that exited in the meantime is a no-op.
      if (forced) {
        child.kill('SIGKILL');
        await cc.exited;
      }
    }
    if (this.running.get(name) === cc) this.running.delete(name);
    this.removeExitHookIfIdle();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.stop(name)));
  }

  /** The handler of a running (or launching) chaincode. */
  handlerOf(name: string): ChaincodeHandler | undefined {
    return this.running.get(name)?.handler;
  }

  isRunning(name: string): boolean {
    const cc = this.running.get(name);
    return cc !== undefined && cc.alive && cc.handler.ready;
  }

  packageIdOf(name: string): string | undefined {
    return this.running.get(name)?.packageId;
  }

  pidOf(name: string): number | undefined {
    return this.running.get(name)?.child?.pid;
  }

  names(): string[] {
    return [...this.running.keys()];
  }

  /** Waits for the port, dials Connect and lets the handler run the handshake, unless the process ends first. */
  private async connect(cc: Running, options: Readonly<Pick<ChaincodeLaunch, 'address' | 'tls'>>, deadline: number): Promise<void> {
    let abort!: (error: Error) => void;
    const aborted = new Promise<never>((_, reject) => (abort = reject));
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      abort(new Error(`the process exited (${signal ?? `code ${String(code)}`}) before the handshake`));
    };
    const onSpawnError = (err: Error): void => {
      abort(new Error(`the process could not start: ${err.message}`));
    };
    cc.child?.once('exit', onEarlyExit);
    cc.child?.once('error', onSpawnError);
    aborted.catch(() => undefined);
    let settled = false;

    try {
      const client = dialChaincode(options.address, options.tls);
      cc.client = client;
      await Promise.race([waitForReady(client, deadline, options.address, () => settled), aborted]);
      await cc.handler.register(client.connect(), deadline, aborted);
    } finally {
      settled = true;
      cc.child?.off('exit', onEarlyExit);
      cc.child?.off('error', onSpawnError);
    }
  }

  /**
   * The stream is gone: a chaincode-as-a-service server would accept a new dial, but a fresh launch
   * is the one recovery path the owner already has (via 'exit'), so a live process is killed too.
   */
  private onStreamDown(cc: Running): void {
    this.disconnect(cc);
    if (!cc.alive || cc.stopRequested) return;
    if (cc.child) {
      cc.child.kill('SIGTERM');
      return;
    }
    // An attached server's stream is gone: report it as an exit, so the owner dials it again.
    cc.markExited?.();
    if (this.running.get(cc.name) === cc) this.running.delete(cc.name);
    if (cc.launched) this.events.emit('exit', cc.name, null, { signal: null, requested: false });
  }

  /** Fails every in-flight transaction and closes the stream and the channel. Idempotent. */
  private disconnect(cc: Running): void {
    const { client } = cc;
    cc.client = undefined;
    cc.handler.disconnect();
    client?.close();
  }

  private installExitHook(): void {
    if (this.exitHookInstalled) return;
    process.on('exit', this.exitHook);
    this.exitHookInstalled = true;
  }

  private removeExitHookIfIdle(): void {
    if (!this.exitHookInstalled || this.running.size > 0) return;
    process.off('exit', this.exitHook);
    this.exitHookInstalled = false;
  }
}

/**
 * `node <parent watch> <fabric-shim cli.js> server ...` in the chaincode's folder, output appended to
 * its log file, with a pipe on stdin that this process never writes or closes (see ./parentWatch.ts).
 */
function spawnServer(cli: string, options: Readonly<ChaincodeLaunch>, packageId: string): ChildProcess {
  const args = [...parentWatchNodeArgs(), cli, 'server', '--chaincode-address', options.address, '--chaincode-id', packageId];
  if (options.tls) {
    args.push('--chaincode-tls-key-file', options.tls.keyFile, '--chaincode-tls-cert-file', options.tls.certFile);
    if (options.tls.clientCaCertFile) args.push('--chaincode-tls-client-cacert-file', options.tls.clientCaCertFile);
  }

  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const logFd = fs.openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, {
      cwd: options.folder,
      env: childEnv(options, packageId),
      stdio: ['pipe', logFd, logFd],
    });
  } finally {
    // The child holds its own copy of the descriptor.
    fs.closeSync(logFd);
  }
  // Kept open and never written: its end is the child's sign that this process is gone.
  child.stdin?.on('error', () => undefined);
  return child;
}

/**
 * The process gets the devnet's environment minus the CORE_* variables fabric-chaincode-node would
 * read as options (yargs `.env('CORE')`), so a stray CORE_CHAINCODE_TLS_* in the devnet's shell cannot
 * change how the chaincode serves; logging settings pass through.
 */
function childEnv(options: Readonly<ChaincodeLaunch>, packageId: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('CORE_') && !name.startsWith('CORE_CHAINCODE_LOGGING_')) continue;
    env[name] = value;
  }
  return {
    ...env,
    ...options.env,
    CORE_PEER_LOCALMSPID: options.mspId,
    // The name the Go shim and test-network's deployCCAAS.sh set; harmless to the Node shim.
    CORE_CHAINCODE_ID_NAME: packageId,
  };
}

/** The end of the chaincode's log, so a launch failure explains itself. */
function logTail(logFile: string): string {
  try {
    // Node prints the cause of a startup failure above a stack of ~20 lines, so keep enough of them.
    const text = fs.readFileSync(logFile, 'utf8');
    const lines = text.trimEnd().split('\n').slice(-40);
    return lines.length > 0 && lines[0] !== '' ? `\n--- last lines of ${logFile} ---\n${lines.join('\n')}` : ` (log ${logFile} is empty)`;
  } catch {
    return ` (no log at ${logFile})`;
  }
}
