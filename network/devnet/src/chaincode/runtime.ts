/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The peer side of chaincode as a service behind one object, in the place of Fabric's
 * ChaincodeSupport (core/chaincode/chaincode_support.go): ./launcher.ts starts and supervises the
 * unmodified fabric-shim servers, ./handler.ts speaks each one's Connect stream, and
 * ./stateRequests.ts serves the shim's state requests of each transaction through the ledger's
 * StateAccess.
 */
import { EventEmitter } from 'node:events';
import { ChaincodeError } from './errors';
import type { ChaincodeAttach, ChaincodeLaunch, ChaincodeRuntimeEvents } from './launcher';
import { ChaincodeLauncher } from './launcher';
import type { InvokeRequest, InvokeResult } from './transactionContext';

/** Settings of a {@link ChaincodeRuntime}; every field has a Fabric-like default. */
export interface ChaincodeRuntimeOptions {
  /** Per-invoke deadline unless the request sets one (Fabric `chaincode.executetimeout` 30 s). */
  executeTimeoutMs?: number;
  /** From spawn to READY (Fabric `chaincode.startuptimeout` is 300 s; a local Node server needs a few seconds). */
  launchTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
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
  private readonly launcher: ChaincodeLauncher;
  private readonly executeTimeoutMs: number;

  constructor(options: Readonly<ChaincodeRuntimeOptions> = {}) {
    super();
    this.executeTimeoutMs = options.executeTimeoutMs ?? 30_000;
    this.launcher = new ChaincodeLauncher(this, {
      launchTimeoutMs: options.launchTimeoutMs ?? 60_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
    });
  }

  /**
   * Starts `node <parent watch> <fabric-shim cli.js> server --chaincode-address <address> --chaincode-id <ccid>` in
   * the chaincode's folder for the peer of `options.mspId` (its CORE_PEER_LOCALMSPID), waits
   * until its port accepts a gRPC connection, dials `/protos.Chaincode/Connect` and completes the handshake (REGISTER from the chaincode, then
   * REGISTERED and READY from the devnet). The shim is resolved from the chaincode folder, so a
   * chaincode's own install wins over the devnet's. The process gets a pipe on stdin that this
   * process never writes or closes: the preloaded parent watch (./parentWatch.ts) ends the server
   * when the pipe closes, so a chaincode never outlives its runtime's process, even one killed
   * with SIGKILL. Launched again for another organisation (at another address), the name gets one
   * process per organisation, as each Fabric peer runs its own, and {@link ChaincodeRuntime.invoke}
   * runs each organisation's transactions on that organisation's process.
   *
   * @throws ChaincodeError `ALREADY_RUNNING` if a chaincode of that name is running or launching
   *   for that organisation (one whose stream has died is stopped first instead).
   * @throws ChaincodeError `LAUNCH_FAILED` if fabric-shim is not installed for the folder, the process
   *   exits, or the handshake does not finish within the launch timeout; the message ends with the
   *   tail of the log file. The process is killed before this is thrown.
   */
  async launch(options: Readonly<ChaincodeLaunch>): Promise<void> {
    await this.launcher.launch(options);
  }

  /**
   * Dials a chaincode server that runs on its own (a ccaas package's server, started with
   * CHAINCODE_ID set to its package id) and completes the handshake; nothing is spawned. When its
   * stream ends, an 'exit' is emitted as for a process, so an owner that restarts chaincodes dials
   * it again.
   * @throws ChaincodeError `ALREADY_RUNNING`, or `LAUNCH_FAILED` when it does not answer in time.
   */
  async attach(options: Readonly<ChaincodeAttach>): Promise<void> {
    await this.launcher.attach(options);
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
   * @param peerOrg - the organisation whose peer executes it: its own instance of the chaincode
   *   runs it when it has one (see {@link ChaincodeRuntime.launch}), otherwise the name's first
   *   (a server shared by every organisation).
   */
  invoke(chaincodeName: string, request: InvokeRequest, peerOrg?: string): Promise<InvokeResult> {
    const handler = this.launcher.handlerOf(chaincodeName, peerOrg);
    if (!handler?.ready) {
      return Promise.reject(new ChaincodeError('NOT_RUNNING', `chaincode ${chaincodeName} is not running`, chaincodeName, request.txId));
    }
    return handler.execute(request, request.timeoutMs ?? this.executeTimeoutMs);
  }

  /** True once launch() has completed the handshake and until the process or its stream ends (of every instance of the name). */
  isRunning(name: string): boolean {
    return this.launcher.isRunning(name);
  }

  /**
   * True when the process `name` runs for `mspId` (launched with that organisation as its local
   * MSP) is up; an owner that restarts chaincodes relaunches only the organisations where it is not.
   */
  isRunningFor(name: string, mspId: string): boolean {
    return this.launcher.isRunningFor(name, mspId);
  }

  /**
   * The organisations `name` was launched for, each with a process of its own and its own
   * CORE_PEER_LOCALMSPID (empty for a server attached for every organisation). The transactions of
   * any other organisation run on the first of them, as one server shared by several peers; an
   * endorser that asks several of these organisations runs the transaction once for each, as
   * Fabric's peers each do.
   */
  organisationsOf(name: string): string[] {
    return this.launcher.organisationsOf(name);
  }

  /** The process ids of every instance of `name`, in launch order. */
  pidsOf(name: string): number[] {
    return this.launcher.pidsOf(name);
  }

  /** The ccid a running (or launching) chaincode registered with. */
  packageIdOf(name: string): string | undefined {
    return this.launcher.packageIdOf(name);
  }

  /** The process id of a running (or launching) chaincode, for health checks and logs. */
  pidOf(name: string): number | undefined {
    return this.launcher.pidOf(name);
  }

  /** Names of the chaincodes whose processes this runtime currently owns. */
  names(): string[] {
    return this.launcher.names();
  }

  /**
   * Stops one chaincode (every organisation's process of it): fails its in-flight transactions with "chaincode stream terminated", closes
   * the stream, sends SIGTERM to the process it started and SIGKILL if it has not exited within the
   * stop timeout. Resolves once the process is gone; unknown names resolve at once. The 'exit' event
   * reports `requested: true`.
   *
   * @throws never; kill errors of an already-dead process are ignored.
   */
  async stop(name: string): Promise<void> {
    await this.launcher.stop(name);
  }

  /**
   * Stops every chaincode this runtime started, in parallel.
   *
   * @throws never.
   */
  async stopAll(): Promise<void> {
    await this.launcher.stopAll();
  }
}
