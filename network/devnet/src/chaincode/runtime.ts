/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The peer side of chaincode as a service: starts the unmodified fabric-shim server
 * (`fabric-chaincode-node server`), dials its `/protos.Chaincode/Connect` stream the way a Fabric
 * peer's ccaas builder does, and serves the shim's state requests of each transaction through the
 * ledger's StateAccess. Wire facts: the shim sends REGISTER, the peer answers REGISTERED then READY; peer behaviour mirrored from
 * Fabric's core/chaincode/handler.go and query_response_generator.go.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ledger, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { parentWatchNodeArgs } from './parentWatch';
import type { StateAccess } from './stateAccess';

/** How the devnet reaches a chaincode server over TLS. Without it the dial is plaintext on 127.0.0.1. */
export interface ChaincodeTls {
  /** Server key and certificate PEM files for the chaincode process (`--chaincode-tls-key-file`, `--chaincode-tls-cert-file`). */
  keyFile: string;
  certFile: string;
  /** PEM of the CA that issued `certFile`; the devnet verifies the chaincode server against it. */
  rootCertPem: Uint8Array;
  /** Mutual TLS: the chaincode accepts only clients whose certificate this CA file issued (`--chaincode-tls-client-cacert-file`). */
  clientCaCertFile?: string;
  /** The devnet's client key and certificate PEM, needed when `clientCaCertFile` is set. */
  clientKeyPem?: Uint8Array;
  clientCertPem?: Uint8Array;
  /** Host name to expect in the server certificate when it does not name 127.0.0.1. */
  serverNameOverride?: string;
}

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

/** One transaction to execute on a launched chaincode. */
export interface InvokeRequest {
  channelId: string;
  txId: string;
  signedProposal: peer.SignedProposal;
  input: peer.ChaincodeInput;
  state: StateAccess;
  /** Send INIT instead of TRANSACTION. */
  isInit?: boolean;
  /** Defaults to the runtime's `executeTimeoutMs` (Fabric's `chaincode.executetimeout`, 30 s). */
  timeoutMs?: number;
}

/** What the chaincode answered. A status of 400 or more is a chaincode refusal, not a runtime failure. */
export interface InvokeResult {
  response: { status: number; message: string; payload: Uint8Array };
  /** The chaincode's `setEvent`; the peer adds chaincode_id and tx_id when it builds the ChaincodeAction. */
  event?: { eventName: string; payload: Uint8Array };
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

/** Settings of a {@link ChaincodeRuntime}; every field has a Fabric-like default. */
export interface ChaincodeRuntimeOptions {
  /** Per-invoke deadline unless the request sets one (Fabric `chaincode.executetimeout` 30 s). */
  executeTimeoutMs?: number;
  /** From spawn to READY (Fabric `chaincode.startuptimeout` is 300 s; a local Node server needs a few seconds). */
  launchTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
}

/** Why the runtime could not run a transaction or a chaincode; `message` matches the Fabric peer's text where one exists. */
export type ChaincodeErrorCode = 'NOT_RUNNING' | 'ALREADY_RUNNING' | 'LAUNCH_FAILED' | 'STREAM_TERMINATED' | 'TIMEOUT' | 'DUPLICATE_TXID';

/** A failure of the runtime itself (as opposed to a chaincode response with status 500). */
export class ChaincodeError extends Error {
  readonly code: ChaincodeErrorCode;
  readonly chaincodeName: string;
  readonly transactionId?: string;

  constructor(code: ChaincodeErrorCode, message: string, chaincodeName: string, transactionId?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChaincodeError';
    this.code = code;
    this.chaincodeName = chaincodeName;
    this.transactionId = transactionId;
  }
}

// Fabric's own strings (core/chaincode/handler.go), so a gateway built on this reports what a peer
// would; the gateway treats the "chaincode stream terminated" suffix specially.
const ERROR_EXECUTION_TIMEOUT = 'timeout expired while executing transaction';
const ERROR_STREAM_TERMINATED = 'chaincode stream terminated';
const ERROR_NO_LEDGER_CONTEXT = 'no ledger context';

/** Results per QueryResponse when the chaincode does not paginate (Fabric `maxResultLimit`, chaincode_support.go). */
export const QUERY_BATCH_SIZE = 100;
/** Fabric's `ledger.state.totalQueryLimit`, the ceiling of a page size. */
export const TOTAL_QUERY_LIMIT = 100000;

// Longest single wait of the launch's connectivity watch; bounds the timer left behind when a launch fails.
const WATCH_STEP_MS = 250;

// Fabric allows 100 MiB chaincode messages; grpc-js defaults to 4 MiB.
const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

const Type = peer.ChaincodeMessage.Type;
type MessageType = peer.ChaincodeMessage.TypeMap[keyof peer.ChaincodeMessage.TypeMap];
const TYPE_NAMES = new Map<number, string>(Object.entries(Type).map(([label, value]) => [value, label]));
const EMPTY = new Uint8Array(0);

type ChatStream = grpc.ClientDuplexStream<peer.ChaincodeMessage, peer.ChaincodeMessage>;

/** Results of an unpaginated query still to be handed out by QUERY_STATE_NEXT. */
interface OpenQuery {
  results: Uint8Array[];
  next: number;
}

/** One transaction in flight on a chaincode stream. */
interface Transaction {
  readonly key: string;
  readonly request: InvokeRequest;
  readonly namespace: string;
  done: boolean;
  /** Shim requests of one transaction are served one after another, in arrival order. */
  queue: Promise<void>;
  readonly queries: Map<string, OpenQuery>;
  timer?: NodeJS.Timeout;
  resolve(result: InvokeResult): void;
  reject(error: Error): void;
}

/** One launched chaincode: its process and, once the handshake is done, its stream. */
interface Running {
  readonly name: string;
  readonly packageId: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly transactions: Map<string, Transaction>;
  client?: peer.ChaincodeClient;
  stream?: ChatStream;
  alive: boolean;
  ready: boolean;
  /** Set once launch() has returned: only then does an exit count as a running chaincode dying. */
  launched: boolean;
  stopRequested: boolean;
}

/**
 * Fabric's ccid is `label:sha256(package)`. The devnet installs no package file, so the hash covers
 * what a ccaas package would hold (its type, label and connection): the ccid stays the same across
 * restarts at one address and changes when the package would.
 */
export function ccaasPackageId(label: string, address: string, tlsRequired = false): string {
  const description = JSON.stringify({
    connection: { address, dial_timeout: '10s', tls_required: tlsRequired },
    metadata: { label, type: 'ccaas' },
  });
  return `${label}:${createHash('sha256').update(description).digest('hex')}`;
}

/**
 * Launches chaincode-as-a-service processes and executes transactions on them, playing the peer's
 * part of the chaincode protocol. Several transactions may run at once on one chaincode; their
 * messages are told apart by channel and txid, as the peer does.
 *
 * Children are killed on `process.on('exit')`, which Node does not reach on an unhandled signal:
 * a daemon owning this runtime should handle SIGINT/SIGTERM and call {@link ChaincodeRuntime.stopAll}.
 * When this process dies without either (SIGKILL, a crash), each child ends itself as its stdin
 * pipe closes (see ./parentWatch.ts).
 *
 * @example
 * const runtime = new ChaincodeRuntime();
 * runtime.on('exit', (name, code, { requested }) => { if (!requested) void relaunch(name); });
 * await runtime.launch({ name: 'basic', label: 'basic_1.0', folder, address: '127.0.0.1:9999', mspId: 'Org1MSP', logFile });
 * const { response, event } = await runtime.invoke('basic', { channelId, txId, signedProposal, input, state });
 */
export class ChaincodeRuntime extends EventEmitter<ChaincodeRuntimeEvents> {
  private readonly running = new Map<string, Running>();
  private readonly executeTimeoutMs: number;
  private readonly launchTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private exitHookInstalled = false;
  private readonly exitHook = (): void => {
    // Only synchronous work is possible in 'exit': signal our own children and leave.
    for (const cc of this.running.values()) {
      if (cc.alive) cc.child.kill('SIGKILL');
    }
  };

  constructor(options: Readonly<ChaincodeRuntimeOptions> = {}) {
    super();
    this.executeTimeoutMs = options.executeTimeoutMs ?? 30_000;
    this.launchTimeoutMs = options.launchTimeoutMs ?? 60_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  }

  /**
   * Starts `node <parent watch> <fabric-shim cli.js> server --chaincode-address <address> --chaincode-id <ccid>` in
   * the chaincode's folder, waits until its port accepts a gRPC connection, dials
   * `/protos.Chaincode/Connect` and completes the handshake (REGISTER from the chaincode, then
   * REGISTERED and READY from the devnet). The shim is resolved from the chaincode folder, so a
   * chaincode's own install wins over the devnet's. The process gets a pipe on stdin that this
   * process never writes or closes: the preloaded parent watch (./parentWatch.ts) ends the server
   * when the pipe closes, so a chaincode never outlives its runtime's process, even one killed
   * with SIGKILL.
   *
   * @throws ChaincodeError `ALREADY_RUNNING` if a chaincode of that name is running or launching
   *   (one whose stream has died is stopped first instead).
   * @throws ChaincodeError `LAUNCH_FAILED` if fabric-shim is not installed for the folder, the process
   *   exits, or the handshake does not finish within the launch timeout; the message ends with the
   *   tail of the log file. The process is killed before this is thrown.
   */
  async launch(options: Readonly<ChaincodeLaunch>): Promise<void> {
    const { name } = options;
    const existing = this.running.get(name);
    if (existing?.alive) {
      if (existing.ready || !existing.launched) {
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

    let markExited!: () => void;
    const cc: Running = {
      name,
      packageId,
      logFile: options.logFile,
      child,
      exited: new Promise<void>((resolve) => (markExited = resolve)),
      transactions: new Map(),
      alive: true,
      ready: false,
      launched: false,
      stopRequested: false,
    };
    this.running.set(name, cc);
    this.installExitHook();
    if (child.pid !== undefined) this.emit('spawn', name, child.pid, { packageId, address: options.address });

    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (!cc.alive) return;
      cc.alive = false;
      this.disconnect(cc);
      if (this.running.get(name) === cc) this.running.delete(name);
      this.removeExitHookIfIdle();
      markExited();
      if (cc.launched) this.emit('exit', name, code, { signal, requested: cc.stopRequested });
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
   * Executes one transaction: sends TRANSACTION (or INIT) with the input and the signed proposal,
   * serves the shim's requests through `request.state` until the chaincode answers COMPLETED or
   * ERROR, and resolves with the chaincode's response. A chaincode ERROR (a shim-level failure)
   * resolves as status 500 with the text "transaction returned with failure: <message>", as a peer
   * reports it.
   *
   * @throws ChaincodeError `NOT_RUNNING` if the chaincode is not launched or has died.
   * @throws ChaincodeError `DUPLICATE_TXID` if the same channel and txid is already in flight.
   * @throws ChaincodeError `STREAM_TERMINATED` ("chaincode stream terminated") if the chaincode's
   *   stream ends before it answers.
   * @throws ChaincodeError `TIMEOUT` ("timeout expired while executing transaction") after the timeout.
   */
  invoke(chaincodeName: string, request: InvokeRequest): Promise<InvokeResult> {
    const cc = this.running.get(chaincodeName);
    if (!cc || !cc.ready || !cc.stream) {
      return Promise.reject(new ChaincodeError('NOT_RUNNING', `chaincode ${chaincodeName} is not running`, chaincodeName, request.txId));
    }
    const key = transactionKey(request.channelId, request.txId);
    if (cc.transactions.has(key)) {
      return Promise.reject(
        new ChaincodeError('DUPLICATE_TXID', `txid: ${request.txId}(${request.channelId}) exists`, chaincodeName, request.txId),
      );
    }

    return new Promise<InvokeResult>((resolve, reject) => {
      const tx: Transaction = {
        key,
        request,
        namespace: chaincodeName,
        done: false,
        queue: Promise.resolve(),
        queries: new Map(),
        resolve,
        reject,
      };
      cc.transactions.set(key, tx);
      tx.timer = setTimeout(() => {
        this.finish(cc, tx, new ChaincodeError('TIMEOUT', ERROR_EXECUTION_TIMEOUT, chaincodeName, request.txId));
      }, request.timeoutMs ?? this.executeTimeoutMs);

      const message = new peer.ChaincodeMessage();
      message.setType(request.isInit ? Type.INIT : Type.TRANSACTION);
      message.setTxid(request.txId);
      message.setChannelId(request.channelId);
      message.setPayload(request.input.serializeBinary());
      // The SignedProposal travels as received: its proposal_bytes field is copied, never re-encoded.
      message.setProposal(request.signedProposal);
      if (!this.send(cc, message)) {
        this.finish(cc, tx, new ChaincodeError('STREAM_TERMINATED', ERROR_STREAM_TERMINATED, chaincodeName, request.txId));
      }
    });
  }

  /** True once launch() has completed the handshake and until the process or its stream ends. */
  isRunning(name: string): boolean {
    const cc = this.running.get(name);
    return cc !== undefined && cc.alive && cc.ready;
  }

  /** The ccid a running (or launching) chaincode registered with. */
  packageIdOf(name: string): string | undefined {
    return this.running.get(name)?.packageId;
  }

  /** The process id of a running (or launching) chaincode, for health checks and logs. */
  pidOf(name: string): number | undefined {
    return this.running.get(name)?.child.pid;
  }

  /** Names of the chaincodes whose processes this runtime currently owns. */
  names(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Stops one chaincode: fails its in-flight transactions with "chaincode stream terminated", closes
   * the stream, sends SIGTERM to the process it started and SIGKILL if it has not exited within the
   * stop timeout. Resolves once the process is gone; unknown names resolve at once. The 'exit' event
   * reports `requested: true`.
   *
   * @throws never; kill errors of an already-dead process are ignored.
   */
  async stop(name: string): Promise<void> {
    const cc = this.running.get(name);
    if (!cc) return;
    cc.stopRequested = true;
    this.disconnect(cc);
    if (cc.alive) {
      cc.child.kill('SIGTERM');
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
        cc.child.kill('SIGKILL');
        await cc.exited;
      }
    }
    if (this.running.get(name) === cc) this.running.delete(name);
    this.removeExitHookIfIdle();
  }

  /**
   * Stops every chaincode this runtime started, in parallel.
   *
   * @throws never.
   */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.stop(name)));
  }

  /** Waits for the port, dials Connect and runs the handshake. */
  private async connect(cc: Running, options: Readonly<ChaincodeLaunch>, deadline: number): Promise<void> {
    let abort!: (error: Error) => void;
    const aborted = new Promise<never>((_, reject) => (abort = reject));
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      abort(new Error(`the process exited (${signal ?? `code ${String(code)}`}) before the handshake`));
    };
    const onSpawnError = (err: Error): void => {
      abort(new Error(`the process could not start: ${err.message}`));
    };
    cc.child.once('exit', onEarlyExit);
    cc.child.once('error', onSpawnError);
    aborted.catch(() => undefined);
    let settled = false;

    try {
      const client = new peer.ChaincodeClient(options.address, credentials(options.tls), channelOptions(options.tls));
      cc.client = client;
      await Promise.race([waitForReady(client, deadline, options.address, () => settled), aborted]);

      const stream = client.connect();
      cc.stream = stream;
      let handshake!: { resolve: () => void; reject: (error: Error) => void };
      const registered = new Promise<void>((resolve, reject) => (handshake = { resolve, reject }));
      // The stream can also fail after the race below is decided (timeout, early exit).
      registered.catch(() => undefined);
      stream.on('data', (message: peer.ChaincodeMessage) => {
        if (cc.ready) this.onMessage(cc, message);
        else this.onHandshakeMessage(cc, message, handshake);
      });
      const onStreamDown = (err?: Error): void => {
        handshake.reject(new Error(`the chaincode stream ended during the handshake${err ? `: ${err.message}` : ''}`));
        this.onStreamDown(cc);
      };
      stream.on('error', onStreamDown);
      stream.on('end', () => {
        onStreamDown();
      });

      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error('no REGISTER from the chaincode before the launch deadline'));
        }, Math.max(0, deadline - Date.now()));
      });
      try {
        await Promise.race([registered, aborted, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      settled = true;
      cc.child.off('exit', onEarlyExit);
      cc.child.off('error', onSpawnError);
    }
  }

  /** The chaincode speaks first (REGISTER); the peer answers REGISTERED then READY (handler.go HandleRegister). */
  private onHandshakeMessage(
    cc: Running,
    message: peer.ChaincodeMessage,
    handshake: { resolve: () => void; reject: (error: Error) => void },
  ): void {
    if (message.getType() !== Type.REGISTER) {
      handshake.reject(new Error(`expected REGISTER from the chaincode, got ${typeName(message.getType())}`));
      return;
    }
    let registeredAs: string;
    try {
      registeredAs = peer.ChaincodeID.deserializeBinary(message.getPayload_asU8()).getName();
    } catch (err) {
      handshake.reject(new Error(`REGISTER payload is not a ChaincodeID: ${String(err)}`));
      return;
    }
    if (registeredAs !== cc.packageId) {
      handshake.reject(new Error(`the chaincode registered as "${registeredAs}", expected "${cc.packageId}"`));
      return;
    }
    const registered = new peer.ChaincodeMessage();
    registered.setType(Type.REGISTERED);
    const ready = new peer.ChaincodeMessage();
    ready.setType(Type.READY);
    if (!this.send(cc, registered) || !this.send(cc, ready)) {
      handshake.reject(new Error('the chaincode stream closed during the handshake'));
      return;
    }
    cc.ready = true;
    handshake.resolve();
  }

  /** Routes a message of a ready stream to its transaction. */
  private onMessage(cc: Running, message: peer.ChaincodeMessage): void {
    const tx = cc.transactions.get(transactionKey(message.getChannelId(), message.getTxid()));
    const type = message.getType();
    if (type === Type.COMPLETED || type === Type.ERROR) {
      // A late answer to a transaction that already timed out has nobody waiting: drop it, as the peer does.
      // Queued behind the transaction's requests so that writes sent before COMPLETED are applied first.
      if (tx) {
        this.enqueue(tx, () => {
          this.complete(cc, tx, message);
        });
      }
      return;
    }
    if (!tx) {
      this.replyError(cc, message, ERROR_NO_LEDGER_CONTEXT);
      return;
    }
    this.enqueue(tx, () => this.serve(cc, tx, message));
  }

  private enqueue(tx: Transaction, work: () => Promise<void> | void): void {
    tx.queue = tx.queue.then(work).catch(() => undefined);
  }

  /** Answers one shim request; every request gets exactly one RESPONSE or ERROR. */
  private async serve(cc: Running, tx: Transaction, message: peer.ChaincodeMessage): Promise<void> {
    if (tx.done) {
      // The transaction ended (timeout, stop): its StateAccess may be finished, so it is not touched.
      this.replyError(cc, message, ERROR_NO_LEDGER_CONTEXT);
      return;
    }
    let payload: Uint8Array;
    try {
      payload = await this.handleRequest(tx, message);
    } catch (err) {
      this.replyError(cc, message, err instanceof Error ? err.message : String(err));
      return;
    }
    this.reply(cc, message, Type.RESPONSE, payload);
  }

  /** The peer's answer to each shim request kind (handler.go Handle*), as response payload bytes. */
  private async handleRequest(tx: Transaction, message: peer.ChaincodeMessage): Promise<Uint8Array> {
    const { state } = tx.request;
    const bytes = message.getPayload_asU8();
    switch (message.getType()) {
      case Type.GET_STATE: {
        const request = peer.GetState.deserializeBinary(bytes);
        publicOnly(request.getCollection());
        return (await state.getState(request.getKey())) ?? EMPTY;
      }
      case Type.PUT_STATE: {
        const request = peer.PutState.deserializeBinary(bytes);
        publicOnly(request.getCollection());
        state.putState(request.getKey(), request.getValue_asU8());
        return EMPTY;
      }
      case Type.DEL_STATE: {
        const request = peer.DelState.deserializeBinary(bytes);
        publicOnly(request.getCollection());
        state.deleteState(request.getKey());
        return EMPTY;
      }
      case Type.GET_STATE_BY_RANGE:
        return this.rangeQuery(tx, peer.GetStateByRange.deserializeBinary(bytes));
      case Type.QUERY_STATE_NEXT: {
        const id = peer.QueryStateNext.deserializeBinary(bytes).getId();
        const open = tx.queries.get(id);
        if (!open) throw new Error('query iterator not found');
        return nextBatch(tx, id, open).serializeBinary();
      }
      case Type.QUERY_STATE_CLOSE: {
        const id = peer.QueryStateClose.deserializeBinary(bytes).getId();
        tx.queries.delete(id);
        const response = new peer.QueryResponse();
        response.setHasMore(false);
        response.setId(id);
        return response.serializeBinary();
      }
      case Type.GET_HISTORY_FOR_KEY: {
        const key = peer.GetHistoryForKey.deserializeBinary(bytes).getKey();
        const entries = await state.getHistoryForKey(key);
        const results = entries.map((entry) => {
          const modification = new ledger.queryresult.KeyModification();
          modification.setTxId(entry.txId);
          modification.setValue(entry.value);
          modification.setIsDelete(entry.isDelete);
          // The shim calls timestamp.toObject() on every entry, so it must always be set (iterators.js).
          const timestamp = new Timestamp();
          timestamp.setSeconds(entry.timestamp.seconds);
          timestamp.setNanos(entry.timestamp.nanos);
          modification.setTimestamp(timestamp);
          return modification.serializeBinary();
        });
        return openQuery(tx, results).serializeBinary();
      }
      case Type.GET_STATE_METADATA: {
        const request = peer.GetStateMetadata.deserializeBinary(bytes);
        publicOnly(request.getCollection());
        const metadata = await state.getStateMetadata(request.getKey());
        const result = new peer.StateMetadataResult();
        // Go's map order is random; sorted entries keep the devnet's replies deterministic.
        for (const metakey of [...metadata.keys()].sort()) {
          const entry = new peer.StateMetadata();
          entry.setMetakey(metakey);
          entry.setValue(metadata.get(metakey) ?? EMPTY);
          result.addEntries(entry);
        }
        return result.serializeBinary();
      }
      case Type.PUT_STATE_METADATA: {
        const request = peer.PutStateMetadata.deserializeBinary(bytes);
        publicOnly(request.getCollection());
        const entry = request.getMetadata();
        if (!entry) throw new Error('PutStateMetadata has no metadata entry');
        state.putStateMetadata(request.getKey(), entry.getMetakey(), entry.getValue_asU8());
        return EMPTY;
      }
      case Type.GET_QUERY_RESULT:
        publicOnly(peer.GetQueryResult.deserializeBinary(bytes).getCollection());
        // The devnet's state database behaves as LevelDB, which has no rich queries (stateleveldb.go).
        throw new Error('ExecuteQuery not supported for leveldb');
      case Type.GET_PRIVATE_DATA_HASH:
      case Type.PURGE_PRIVATE_DATA:
        throw new Error(PRIVATE_DATA_UNSUPPORTED);
      case Type.INVOKE_CHAINCODE:
        throw new Error('chaincode-to-chaincode invocation is not supported by the devnet');
      default:
        throw new Error(`Fabric side handler cannot handle message (${typeName(message.getType())}) while in ready state`);
    }
  }

  /** GET_STATE_BY_RANGE: paginated when QueryMetadata has a page size or a bookmark (handler.go isMetadataSetForPagination). */
  private async rangeQuery(tx: Transaction, request: peer.GetStateByRange): Promise<Uint8Array> {
    publicOnly(request.getCollection());
    const metadataBytes = request.getMetadata_asU8();
    const metadata = metadataBytes.length > 0 ? peer.QueryMetadata.deserializeBinary(metadataBytes) : undefined;
    const paginated = metadata !== undefined && (metadata.getPagesize() !== 0 || metadata.getBookmark() !== '');
    const toKv = (row: { key: string; value: Uint8Array }): Uint8Array => {
      const kv = new ledger.queryresult.KV();
      kv.setNamespace(tx.namespace);
      kv.setKey(row.key);
      kv.setValue(row.value);
      return kv.serializeBinary();
    };

    if (!paginated) {
      const page = await tx.request.state.getStateByRange(request.getStartkey(), request.getEndkey());
      return openQuery(tx, page.results.map(toKv)).serializeBinary();
    }

    // A page comes back whole, with has_more false and the bookmark in the metadata (query_response_generator.go).
    const requested = metadata.getPagesize();
    const pageSize = requested > 0 && requested < TOTAL_QUERY_LIMIT ? requested : TOTAL_QUERY_LIMIT;
    const page = await tx.request.state.getStateByRange(request.getStartkey(), request.getEndkey(), {
      pageSize,
      bookmark: metadata.getBookmark(),
    });
    const responseMetadata = new peer.QueryResponseMetadata();
    responseMetadata.setFetchedRecordsCount(page.results.length);
    responseMetadata.setBookmark(page.bookmark);
    const response = new peer.QueryResponse();
    response.setResultsList(page.results.map(toKv).map(resultBytes));
    response.setHasMore(false);
    response.setId(randomUUID());
    response.setMetadata(responseMetadata.serializeBinary());
    return response.serializeBinary();
  }

  /** COMPLETED or ERROR from the chaincode (chaincode_support.go processChaincodeExecutionResult). */
  private complete(cc: Running, tx: Transaction, message: peer.ChaincodeMessage): void {
    if (message.getType() === Type.ERROR) {
      const text = Buffer.from(message.getPayload_asU8()).toString('utf8');
      this.finish(cc, tx, { response: { status: 500, message: `transaction returned with failure: ${text}`, payload: EMPTY } });
      return;
    }
    let response: peer.Response;
    try {
      response = peer.Response.deserializeBinary(message.getPayload_asU8());
    } catch {
      this.finish(cc, tx, {
        response: { status: 500, message: `failed to unmarshal response for transaction ${tx.request.txId}`, payload: EMPTY },
      });
      return;
    }
    const result: InvokeResult = {
      response: { status: response.getStatus(), message: response.getMessage(), payload: response.getPayload_asU8() },
    };
    const event = message.getChaincodeEvent();
    if (event) result.event = { eventName: event.getEventName(), payload: event.getPayload_asU8() };
    this.finish(cc, tx, result);
  }

  /** Settles a transaction once and forgets it together with its open queries. */
  private finish(cc: Running, tx: Transaction, outcome: InvokeResult | Error): void {
    if (tx.done) return;
    tx.done = true;
    clearTimeout(tx.timer);
    tx.queries.clear();
    if (cc.transactions.get(tx.key) === tx) cc.transactions.delete(tx.key);
    if (outcome instanceof Error) tx.reject(outcome);
    else tx.resolve(outcome);
  }

  /**
   * The stream is gone: a chaincode-as-a-service server would accept a new dial, but a fresh launch
   * is the one recovery path the owner already has (via 'exit'), so a live process is killed too.
   */
  private onStreamDown(cc: Running): void {
    this.disconnect(cc);
    if (cc.alive && !cc.stopRequested) cc.child.kill('SIGTERM');
  }

  /** Fails every in-flight transaction and closes the stream and the channel. Idempotent. */
  private disconnect(cc: Running): void {
    cc.ready = false;
    for (const tx of [...cc.transactions.values()]) {
      this.finish(cc, tx, new ChaincodeError('STREAM_TERMINATED', ERROR_STREAM_TERMINATED, cc.name, tx.request.txId));
    }
    const { stream, client } = cc;
    cc.stream = undefined;
    cc.client = undefined;
    stream?.cancel();
    client?.close();
  }

  private reply(cc: Running, request: peer.ChaincodeMessage, type: MessageType, payload: Uint8Array): void {
    const message = new peer.ChaincodeMessage();
    message.setType(type);
    message.setPayload(payload);
    message.setTxid(request.getTxid());
    message.setChannelId(request.getChannelId());
    this.send(cc, message);
  }

  /** ERROR text as the peer words it: "<TYPE> failed: transaction ID: <txid>: <reason>". */
  private replyError(cc: Running, request: peer.ChaincodeMessage, reason: string): void {
    const text = `${typeName(request.getType())} failed: transaction ID: ${request.getTxid()}: ${reason}`;
    this.reply(cc, request, Type.ERROR, Buffer.from(text, 'utf8'));
  }

  /** Writes to the stream if it is open; false when it is not. KEEPALIVE is never sent: the Node shim exits on it. */
  private send(cc: Running, message: peer.ChaincodeMessage): boolean {
    const stream = cc.stream;
    if (!stream || stream.writableEnded || stream.destroyed) return false;
    try {
      stream.write(message);
      return true;
    } catch {
      return false;
    }
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

const PRIVATE_DATA_UNSUPPORTED = 'private data is not supported by the devnet (no collection configuration)';

/** Fabric answers private-data calls only with collection configs and membership checks, which the devnet has not. */
function publicOnly(collection: string): void {
  if (collection !== '') throw new Error(`${PRIVATE_DATA_UNSUPPORTED}: collection "${collection}"`);
}

function resultBytes(bytes: Uint8Array): peer.QueryResultBytes {
  const result = new peer.QueryResultBytes();
  result.setResultbytes(bytes);
  return result;
}

/** First batch of an unpaginated query; the rest stays with the transaction for QUERY_STATE_NEXT. */
function openQuery(tx: Transaction, results: Uint8Array[]): peer.QueryResponse {
  return nextBatch(tx, randomUUID(), { results, next: 0 });
}

/**
 * Up to {@link QUERY_BATCH_SIZE} results with has_more set when more remain; an exhausted query is
 * forgotten at once, as the peer cleans up its context (a later QUERY_STATE_CLOSE is still answered).
 */
function nextBatch(tx: Transaction, id: string, open: OpenQuery): peer.QueryResponse {
  const end = Math.min(open.next + QUERY_BATCH_SIZE, open.results.length);
  const response = new peer.QueryResponse();
  response.setResultsList(open.results.slice(open.next, end).map(resultBytes));
  response.setId(id);
  response.setHasMore(end < open.results.length);
  if (end < open.results.length) tx.queries.set(id, { results: open.results, next: end });
  else tx.queries.delete(id);
  return response;
}

/** The peer keys transaction contexts by channel and txid (transaction_contexts.go). */
function transactionKey(channelId: string, txId: string): string {
  return `${channelId}\u0000${txId}`;
}

function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `UNKNOWN(${type})`;
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

function credentials(tls: ChaincodeTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const key = tls.clientKeyPem ? Buffer.from(tls.clientKeyPem) : null;
  const cert = tls.clientCertPem ? Buffer.from(tls.clientCertPem) : null;
  return grpc.credentials.createSsl(Buffer.from(tls.rootCertPem), key, cert);
}

function channelOptions(tls: ChaincodeTls | undefined): grpc.ChannelOptions {
  const options: grpc.ChannelOptions = {
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    // A freshly spawned server binds within a second; the default 1 s first backoff would double the wait.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
    // A relaunch on the same address must not inherit a shared subchannel stuck in backoff.
    'grpc.use_local_subchannel_pool': 1,
  };
  if (tls?.serverNameOverride) {
    options['grpc.ssl_target_name_override'] = tls.serverNameOverride;
    options['grpc.default_authority'] = tls.serverNameOverride;
  }
  return options;
}

/**
 * Resolves once the channel to the chaincode is READY. grpc-js's own `waitForReady` leaves its
 * deadline timer running when the channel closes mid-wait (a failed launch would keep the devnet
 * alive until the launch deadline), so this watches in short steps and stops when `cancelled()`.
 */
function waitForReady(client: grpc.Client, deadline: number, address: string, cancelled: () => boolean): Promise<void> {
  const channel = client.getChannel();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (cancelled()) {
        reject(new Error('launch abandoned'));
        return;
      }
      try {
        const state = channel.getConnectivityState(true);
        if (state === grpc.connectivityState.READY) {
          resolve();
          return;
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          reject(new Error(`no gRPC server at ${address} before the launch deadline`));
          return;
        }
        // A step deadline passing is not a failure, only a reason to look again.
        channel.watchConnectivityState(state, Date.now() + Math.min(remaining, WATCH_STEP_MS), check);
      } catch (err) {
        reject(new Error(`the channel to ${address} closed: ${err instanceof Error ? err.message : String(err)}`));
      }
    };
    check();
  });
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
