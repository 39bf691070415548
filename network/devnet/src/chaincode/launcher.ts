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
  /**
   * CORE_PEER_LOCALMSPID for the process (`stub.getMspID()` throws without it): the organisation
   * whose peer this instance serves. Launching the same name for several organisations runs one
   * process each, as each Fabric peer runs its own.
   */
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
  /** The organisation whose peer dials this server; absent: it serves every organisation (one server shared by all peers). */
  mspId?: string;
  /** `host:port` the server listens on. */
  address: string;
  tls?: ChaincodeTls;
}

/** Details of a chaincode process exit. */
export interface ChaincodeExitInfo {
  signal: NodeJS.Signals | null;
  /** True when stop()/stopAll() asked for it: an owner that restarts dead chaincodes skips these. */
  requested: boolean;
  /** The organisation of the instance that ended, when its name runs one process per organisation. */
  mspId?: string;
}

/** Events of {@link ChaincodeRuntime}. */
export type ChaincodeRuntimeEvents = {
  /** A chaincode process was spawned (before its handshake), e.g. to record its pid; `mspId` names its instance. */
  spawn: [name: string, pid: number, info: { packageId: string; address: string; mspId: string }];
  /** A launched chaincode process (one organisation's instance, or the shared server) ended; `code` is null when a signal ended it. */
  exit: [name: string, code: number | null, info: ChaincodeExitInfo];
};

/** One launched chaincode: its process and, once dialled, its channel and stream. */
interface Running {
  readonly name: string;
  /** Its key in the launcher's map: the name and the organisation it serves ({@link instanceKey}). */
  readonly key: string;
  /** The organisation whose peer it serves; undefined for a server shared by every organisation. */
  readonly mspId?: string;
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

/** An instance's key: one per chaincode name and organisation, or one shared by all organisations. */
function instanceKey(name: string, mspId: string | undefined): string {
  return `${name}\u0000${mspId ?? '*'}`;
}

/**
 * The processes of one ChaincodeRuntime, by chaincode name and, for chaincodes launched per
 * organisation, by organisation; see its methods for the contract.
 */
export class ChaincodeLauncher {
  /** By {@link instanceKey}, in launch order: a name's first instance is its default. */
  private readonly running = new Map<string, Running>();
  /**
   * The organisations each name was launched or attached for, until stop(name): an organisation
   * whose own process is down gets no other organisation's process in its place.
   */
  private readonly organisations = new Map<string, Set<string>>();
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
    const { name, mspId } = options;
    const key = instanceKey(name, mspId);
    const existing = this.running.get(key);
    if (existing?.alive) {
      if (existing.handler.ready || !existing.launched) {
        throw new ChaincodeError('ALREADY_RUNNING', `chaincode ${name} is already running`, name);
      }
      // Its stream is gone and the process is being killed: finish that before starting anew.
      await this.stopInstance(existing);
    }
    this.declare(name, mspId);
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

    const { cc, markExited } = this.newInstance(name, key, mspId, packageId, child);
    this.running.set(key, cc);
    this.installExitHook();
    if (child.pid !== undefined) this.events.emit('spawn', name, child.pid, { packageId, address: options.address, mspId });

    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (!cc.alive) return;
      cc.alive = false;
      this.disconnect(cc);
      if (this.running.get(key) === cc) this.running.delete(key);
      this.removeExitHookIfIdle();
      markExited();
      if (cc.launched) this.events.emit('exit', name, code, { signal, requested: cc.stopRequested, ...this.organisationOf(cc) });
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
      await this.stopInstance(cc);
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
    const { name, packageId, mspId } = options;
    const key = instanceKey(name, mspId);
    const existing = this.running.get(key);
    if (existing?.alive) {
      if (existing.handler.ready || !existing.launched) throw new ChaincodeError('ALREADY_RUNNING', `chaincode ${name} is already running`, name);
      await this.stopInstance(existing);
    }
    if (mspId !== undefined) this.declare(name, mspId);
    const { cc, markExited } = this.newInstance(name, key, mspId, packageId, undefined);
    cc.markExited = () => {
      cc.alive = false;
      markExited();
    };
    this.running.set(key, cc);
    try {
      await this.connect(cc, options, Date.now() + this.launchTimeoutMs);
    } catch (err) {
      await this.stopInstance(cc);
      const reason = err instanceof Error ? err.message : String(err);
      throw new ChaincodeError('LAUNCH_FAILED', `could not connect to chaincode ${packageId} at ${options.address} (start its server with CHAINCODE_ID=${packageId}): ${reason}`, name, undefined, { cause: err });
    }
    cc.launched = true;
  }

  /** A new instance record (not yet in the map), and the function that resolves its `exited`. */
  private newInstance(name: string, key: string, mspId: string | undefined, packageId: string, child: ChildProcess | undefined): { cc: Running; markExited: () => void } {
    let markExited!: () => void;
    const cc: Running = {
      name,
      key,
      ...(mspId === undefined ? {} : { mspId }),
      packageId,
      ...(child === undefined ? {} : { child }),
      exited: new Promise<void>((resolve) => (markExited = resolve)),
      handler: new ChaincodeHandler(name, packageId, () => {
        this.onStreamDown(cc);
      }),
      alive: true,
      launched: false,
      stopRequested: false,
    };
    return { cc, markExited };
  }

  /** Stops every instance of `name` (each organisation's and a shared one). */
  async stop(name: string): Promise<void> {
    this.organisations.delete(name);
    await Promise.all(this.instancesOf(name).map((cc) => this.stopInstance(cc)));
  }

  private async stopInstance(cc: Running): Promise<void> {
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
    if (this.running.get(cc.key) === cc) this.running.delete(cc.key);
    this.removeExitHookIfIdle();
  }

  async stopAll(): Promise<void> {
    this.organisations.clear();
    await Promise.all([...this.running.values()].map((cc) => this.stopInstance(cc)));
  }

  /**
   * The handler that runs `name` for the peer of `mspId`: that organisation's own instance;
   * undefined when it has one that is down; for an organisation without one (or no `mspId`), the
   * name's first instance, shared as one chaincode server is shared by several Fabric peers.
   */
  handlerOf(name: string, mspId?: string): ChaincodeHandler | undefined {
    if (mspId !== undefined) {
      const own = this.running.get(instanceKey(name, mspId));
      if (own) return own.handler;
      if (this.organisations.get(name)?.has(mspId)) return undefined;
    }
    return this.instancesOf(name)[0]?.handler;
  }

  /** True when every organisation `name` was launched for has its instance, and every instance is ready. */
  isRunning(name: string): boolean {
    const instances = this.instancesOf(name);
    const declared = [...(this.organisations.get(name) ?? [])];
    return (
      instances.length > 0 &&
      instances.every((cc) => cc.alive && cc.handler.ready) &&
      declared.every((mspId) => this.running.has(instanceKey(name, mspId)))
    );
  }

  /** True when `mspId`'s own instance of `name` is alive and has completed its handshake. */
  isRunningFor(name: string, mspId: string): boolean {
    const own = this.running.get(instanceKey(name, mspId));
    return own !== undefined && own.alive && own.handler.ready;
  }

  /** The organisations `name` was launched (or attached) for, each with its own instance, in launch order. */
  organisationsOf(name: string): string[] {
    return [...(this.organisations.get(name) ?? [])];
  }

  packageIdOf(name: string): string | undefined {
    return this.instancesOf(name)[0]?.packageId;
  }

  /** The pid of `name`'s first instance. */
  pidOf(name: string): number | undefined {
    return this.instancesOf(name)[0]?.child?.pid;
  }

  /** The pids of every process of `name`, in launch order. */
  pidsOf(name: string): number[] {
    return this.instancesOf(name).flatMap((cc) => (cc.child?.pid !== undefined ? [cc.child.pid] : []));
  }

  names(): string[] {
    return [...new Set([...this.running.values()].map((cc) => cc.name))];
  }

  /** `{ mspId }` of an instance of a name that runs one process per organisation; `{}` otherwise. */
  private organisationOf(cc: Running): { mspId?: string } {
    return cc.mspId !== undefined && (this.organisations.get(cc.name)?.size ?? 0) > 1 ? { mspId: cc.mspId } : {};
  }

  private declare(name: string, mspId: string): void {
    const orgs = this.organisations.get(name) ?? new Set<string>();
    orgs.add(mspId);
    this.organisations.set(name, orgs);
  }

  private instancesOf(name: string): Running[] {
    return [...this.running.values()].filter((cc) => cc.name === name);
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
    if (this.running.get(cc.key) === cc) this.running.delete(cc.key);
    if (cc.launched) this.events.emit('exit', cc.name, null, { signal: null, requested: false, ...this.organisationOf(cc) });
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
