/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What every benchmark script shares: where things are, option parsing, progress lines, the
 * summary statistics (so that the figures in the README are computed one way), the network a
 * benchmark runs on (started through network/backends, the repository's one network backend)
 * with the connections to it, and the way a benchmark ends.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as grpc from '@grpc/grpc-js';
import { connect, hash } from '@hyperledger/fabric-gateway';
import type { Gateway } from '@hyperledger/fabric-gateway';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DEVNET_CLI, NetworkBackendError, REPO_ROOT, startNetwork } from 'network-backends';
import type { BackendName, RunningNetwork } from 'network-backends';
import { SigningIdentity } from 'fabric-config/msp';
import { connectGateway, DEFAULT_DEADLINES, newGrpcConnection } from 'mgmt-orchestrator';
import type { MemberConnection } from 'mgmt-orchestrator';
import { sleep } from 'mgmt-orchestrator/dist/testing/cbRounds';

export { REPO_ROOT, sleep };

/** The chaincode folders the benchmarks deploy. */
export const CHAINCODES = {
  /** The management chaincode (channel `mgmt`, name `mgmt`). */
  mgmt: path.join(REPO_ROOT, 'chaincode'),
  /** The test fixture with Put(key, value) (channel `primary`, name `assets`). */
  assets: path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode'),
} as const;

export interface Summary {
  count: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** A failure the benchmark explains in one line, without a stack. */
export class BenchError extends Error {
  override name = 'BenchError';
}

export const progress = (line: string): void => {
  process.stderr.write(`» ${line}\n`);
};

export const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
}

export function parsePort(value: string): number {
  const n = Number(value);
  // The devnet's grid reaches base + 6001 (Org4's peer).
  if (!Number.isInteger(n) || n < 1024 || n > 65535 - 6001) throw new InvalidArgumentError(`a port between 1024 and ${65535 - 6001}`);
  return n;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    mean: round(mean),
  };
}

/** The message of an expected failure (the benchmark's own, or the network's), the stack of an unexpected one. */
export function errorText(err: unknown): string {
  if (err instanceof BenchError || err instanceof NetworkBackendError) return err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/**
 * The first SIGINT/SIGTERM brings the network down (`close`) and exits 130/143; a second exits
 * at once, saying what may be left (`leftover`). Returns the exit code of an interruption, 0 if none.
 */
function closeOnSignals(close: () => Promise<void>, leftover: () => string): () => number {
  let signals = 0;
  let interrupted = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    interrupted = signal === 'SIGINT' ? 130 : 143;
    if (signals > 1) {
      process.stderr.write(`✖ ${signal} again: exiting now; ${leftover()}\n`);
      process.exit(1);
    }
    progress(`${signal}: bringing the network down (again to exit at once)`);
    void close().finally(() => process.exit(interrupted));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => interrupted;
}

// ---------------------------------------------------------------------------------------------
// The network of a benchmark and its connections: what must be undone, whatever happens

/** How the benchmark's clients sign: fabric-gateway's own signer, or node:crypto (OpenSSL). */
export type ClientSigner = 'fabric-gateway' | 'openssl';

export function parseClientSigner(value: string): ClientSigner {
  if (value !== 'fabric-gateway' && value !== 'openssl') throw new InvalidArgumentError("'openssl' or 'fabric-gateway'");
  return value;
}

/** connectGateway's gateway (its user, its deadlines), signing the unhashed message with node:crypto. */
function connectWithOpenssl(client: grpc.Client, member: MemberConnection): Gateway {
  const user = SigningIdentity.fromMspDir(member.userMspDir, member.mspId);
  return connect({
    client,
    identity: { mspId: user.mspId, credentials: user.credentials },
    // hash.none: the signer gets the message itself, which node:crypto hashes and signs in one call.
    hash: hash.none,
    signer: (message) => Promise.resolve(user.sign(message)),
    evaluateOptions: () => ({ deadline: Date.now() + DEFAULT_DEADLINES.evaluateMs }),
    endorseOptions: () => ({ deadline: Date.now() + DEFAULT_DEADLINES.endorseMs }),
    submitOptions: () => ({ deadline: Date.now() + DEFAULT_DEADLINES.submitMs }),
    commitStatusOptions: () => ({ deadline: Date.now() + DEFAULT_DEADLINES.commitStatusMs }),
  });
}

const CONNECT_DEADLINE_MS = 10_000;

/** Options of {@link BenchSession}. */
export interface BenchSessionOptions {
  readonly backend?: BackendName;
  readonly basePort: number;
  readonly batchTimeout?: string;
  /** Devnet: run each Node chaincode once per peer organisation (`--chaincode-per-org`). */
  readonly chaincodePerOrg?: boolean;
  /** Keep the data folder (logs, ledger) after the network is stopped. */
  readonly keepData?: boolean;
}

/**
 * A network of the benchmark's own (fresh temporary data folder, private port grid) and every
 * connection to it, all undone by one {@link close}: also on failure and on Ctrl-C.
 */
export class BenchSession {
  readonly backend: BackendName;
  private network: RunningNetwork | undefined;
  private starting: Promise<RunningNetwork> | undefined;
  private readonly clients: grpc.Client[] = [];
  private readonly gateways: Gateway[] = [];
  private readonly closers: (() => void | Promise<void>)[] = [];
  private teardown: Promise<void> | undefined;

  constructor(private readonly options: BenchSessionOptions) {
    this.backend = options.backend ?? 'devnet';
  }

  /** The running network; throws before {@link start}. */
  get net(): RunningNetwork {
    if (this.network === undefined) throw new BenchError('the network is not started');
    return this.network;
  }

  /** The data folder, once the network is started. */
  get dataDir(): string | undefined {
    return this.network?.dataDir;
  }

  /** Throws once close() has begun (Ctrl-C), so that no phase goes on against a stopping network. */
  checkOpen(): void {
    if (this.teardown !== undefined) throw new BenchError('interrupted');
  }

  /** Starts the network; resolves with it and how long it took to serve (ms). */
  async start(): Promise<{ network: RunningNetwork; wallMs: number }> {
    this.checkOpen();
    const started = performance.now();
    this.starting = startNetwork({ backend: this.backend, basePort: this.options.basePort, batchTimeout: this.options.batchTimeout, chaincodePerOrg: this.options.chaincodePerOrg, log: progress });
    this.network = await this.starting;
    return { network: this.network, wallMs: performance.now() - started };
  }

  /** Deploys a chaincode folder; resolves with what the backend reported and how long it took (ms). */
  async deploy(folder: string, channel: string, name: string): Promise<{ ccid?: string; wallMs: number }> {
    this.checkOpen();
    const started = performance.now();
    const result = await this.net.deploy(folder, channel, name);
    return { ...result, wallMs: performance.now() - started };
  }

  /**
   * A gateway to a member's peer, as its user, once the peer answers. `signer` 'openssl' signs
   * with node:crypto (fabric-config's SigningIdentity: the same P-256, low-S DER signatures over
   * the same bytes) instead of fabric-gateway's pure-JavaScript signer, which takes about ten times
   * the CPU (three signatures per transaction): a load generator that spends less of the machine.
   */
  async connect(member: MemberConnection, signer: ClientSigner = 'fabric-gateway'): Promise<Gateway> {
    this.checkOpen();
    const client = await newGrpcConnection(member.peer);
    this.clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.waitForReady(Date.now() + CONNECT_DEADLINE_MS, (err) => {
        if (err) reject(new BenchError(`cannot connect to ${member.mspId}'s peer at ${member.peer.endpoint}: ${err.message}`));
        else resolve();
      });
    });
    const gateway = signer === 'openssl' ? connectWithOpenssl(client, member) : await connectGateway(client, member, 'user');
    this.gateways.push(gateway);
    return gateway;
  }

  /** A gRPC connection to a member's orderer. */
  async orderer(member: MemberConnection): Promise<grpc.Client> {
    this.checkOpen();
    const client = await newGrpcConnection(member.orderer);
    this.clients.push(client);
    return client;
  }

  /** Something else to undo on close, before the connections close (last added runs first). */
  onClose(closer: () => void | Promise<void>): void {
    this.closers.push(closer);
  }

  /** Undoes what was added, closes the connections and stops the network; once. */
  close(): Promise<void> {
    this.teardown ??= (async (): Promise<void> => {
      for (const closer of this.closers.splice(0).reverse()) {
        try {
          await closer();
        } catch (err) {
          progress(`while closing: ${errorText(err)}`);
        }
      }
      for (const g of this.gateways.splice(0)) g.close();
      for (const c of this.clients.splice(0)) c.close();
      // A network that is still starting is stopped once it serves (or has failed to start).
      const network = this.network ?? (await this.starting?.catch(() => undefined));
      if (network === undefined) return;
      progress(`down: stopping the ${this.backend} on ${network.dataDir}`);
      try {
        await network.stop({ keepData: this.options.keepData === true });
        progress(`${this.backend} stopped${this.options.keepData === true ? `; data kept in ${network.dataDir}` : `, ${network.dataDir} removed`}`);
      } catch (err) {
        progress(`down failed: ${errorText(err)}`);
      }
    })();
    return this.teardown;
  }

  /** The synchronous last resort (a second Ctrl-C): SIGKILL to the network's processes. */
  kill(): void {
    this.network?.kill();
  }

  /** The last lines of the devnet's log, for a failure. */
  logTail(lines = 30): string {
    const file = this.network?.logFile;
    if (file === undefined || !existsSync(file)) return '(no devnet.log)';
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Lines of the network's logs that look like trouble. */
  logProblems(): string[] {
    const dir = this.dataDir === undefined ? undefined : path.join(this.dataDir, 'logs');
    if (dir === undefined || !existsSync(dir)) return [];
    const out: string[] = [];
    for (const file of readdirSync(dir).sort()) {
      for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
        if (/error|warn|fail|exited|restart|unhandled|exception/i.test(line)) out.push(`${file}: ${line.trim()}`);
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// How a benchmark ends

/** What {@link benchMain} needs of a benchmark. */
export interface BenchDefinition<O> {
  /** The command line; its options are parsed into `O`. */
  readonly program: Command;
  /** Bad usage commander cannot see: a message (exit 2) or undefined. */
  readonly check?: (options: O) => string | undefined;
  readonly session: (options: O) => BenchSessionOptions;
  /** Runs the benchmark, prints its results and resolves with the exit code. */
  readonly run: (session: BenchSession, options: O) => Promise<number>;
}

/**
 * Parses the command line (exit 2 on bad usage, 0 after --help), runs the benchmark on a session
 * that is always closed (also on failure and Ctrl-C: exit 130/143), prints a failure as one line
 * with the tail of the devnet's log (exit 1), and exits.
 */
export function benchMain<O>(bench: BenchDefinition<O>, argv: readonly string[] = process.argv): void {
  const main = async (): Promise<number> => {
    bench.program.exitOverride();
    try {
      bench.program.parse([...argv]);
    } catch (err) {
      return (err as { exitCode?: number }).exitCode === 0 ? 0 : 2;
    }
    const o = bench.program.opts<O & object>();
    const sessionOptions = bench.session(o);
    const usage = (sessionOptions.backend ?? 'devnet') === 'devnet' && !existsSync(DEVNET_CLI) ? `${DEVNET_CLI} is missing: run 'npm run build' first` : bench.check?.(o);
    if (usage !== undefined) {
      process.stderr.write(`✖ ${usage}\n`);
      return 2;
    }
    const session = new BenchSession(sessionOptions);
    const interrupted = closeOnSignals(
      () => session.close(),
      () => {
        session.kill();
        return `the network's processes were killed${session.dataDir === undefined ? '' : `; its data folder is ${session.dataDir}`}`;
      },
    );
    try {
      return await bench.run(session, o);
    } catch (err) {
      if (interrupted() !== 0) return interrupted();
      process.stderr.write(`✖ ${errorText(err)}\n`);
      if (session.dataDir !== undefined && session.backend === 'devnet') process.stderr.write(`last lines of ${path.join(session.dataDir, 'logs', 'devnet.log')}:\n${session.logTail()}\n`);
      return 1;
    } finally {
      await session.close();
    }
  };
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * For a benchmark that handles its own signals and networks (bench-backends, bench-management):
 * parses the command line, runs `main` (which reads `program.opts()`) and sets the exit code it
 * returns; an unexpected failure is printed with its stack (exit 1).
 */
export function runProgram(program: Command, main: () => Promise<number>): void {
  program
    .parseAsync(process.argv)
    .then(async () => {
      process.exitCode = await main();
    })
    .catch((err: unknown) => {
      process.stderr.write(`✖ ${errorText(err)}\n`);
      process.exitCode = 1;
    });
}
