/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The management contract (chaincode/src/mgmtContract.ts) through one member's gateway, typed:
 * every transaction and query by its name in the contract's interface
 * (chaincode/src/protocol/contractInterface.ts), its arguments as the contract parses them, its
 * JSON answer decoded, and every failure translated once (./errors). Its chaincode events come
 * out decoded by name (./events follows them across reconnections).
 *
 * This is the orchestrator's one client of the management chain: the management node, the
 * observer, the primary adapter, the audit and every CLI command call the contract through it,
 * and nothing else calls `submitTransaction`/`evaluateTransaction` on it. It never closes the
 * gateway: whoever connected it closes it.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CommitError, GatewayError } from '@hyperledger/fabric-gateway';
import type { ChaincodeEvent, ChaincodeEventsOptions, Checkpoint, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
import { common, peer } from '@hyperledger/fabric-protos';
import type {
  ConfigBlock,
  CycleFailure,
  GenesisParams,
  JsonObject,
  Member,
  Proposal,
  Round,
  UpdateSignature,
  UpdateSignatureShared,
  Vote,
  VoteCast,
} from 'mgmt-chaincode/dist/protocol';
import { EVENTS, MAX_BLOCKS_PER_CALL } from 'mgmt-chaincode/dist/protocol';
import type { TRANSACTIONS } from 'mgmt-chaincode/dist/protocol';
import { decodeJson, LedgerCallError, toLedgerError } from './errors';

/** The management chaincode's name when none is given (docs/architecture.md, "Topology"). */
export const DEFAULT_MGMT_CHAINCODE = 'mgmt';

/** A transaction of the contract that changes the ledger (submitted). */
export type MgmtTransactionName = (typeof TRANSACTIONS.submit)[number];

/** A query of the contract (evaluated). */
export type MgmtQueryName = (typeof TRANSACTIONS.evaluate)[number];

// ---- what the client needs of fabric-gateway ----------------------------------------------------

/** The queries of a fabric-gateway `Contract`; a `Contract` fits. */
export interface MgmtQueryCalls {
  evaluateTransaction(name: string, ...args: string[]): Promise<Uint8Array>;
}

/** The calls of a fabric-gateway `Contract` the client makes; a `Contract` fits. */
export interface MgmtContractCalls extends MgmtQueryCalls {
  submitTransaction(name: string, ...args: string[]): Promise<Uint8Array>;
}

/** Where chaincode events come from; a fabric-gateway `Network` fits. */
export interface MgmtEventSource {
  getChaincodeEvents(chaincodeName: string, options?: ChaincodeEventsOptions): Promise<CloseableAsyncIterable<ChaincodeEvent>>;
}

/** A gateway network of the management channel that is only read (observer, audit); a `Network` fits. */
export interface MgmtQueryNetwork extends MgmtEventSource {
  getContract(chaincodeName: string): MgmtQueryCalls;
}

/** A gateway network of the management channel; a fabric-gateway `Network` fits. */
export interface MgmtNetwork extends MgmtEventSource {
  getContract(chaincodeName: string): MgmtContractCalls;
}

/**
 * Where a transaction is looked up by its id once committed: the peer's query system chaincode
 * (`qscc` `GetTransactionByID` on the channel `getName()` names). A fabric-gateway `Network` fits.
 */
export interface MgmtTransactionLookup {
  getName(): string;
  getContract(chaincodeName: string): MgmtQueryCalls;
}

/**
 * Where a client calls: a network of the management channel (its contract and events), or a
 * contract and an event source given apart (a test wraps the contract, say to delay calls).
 */
export type MgmtConnection<C extends MgmtQueryCalls> =
  | { readonly network: MgmtEventSource & { getContract(chaincodeName: string): C } }
  | { readonly contract: C; readonly events: MgmtEventSource };

/** Options of {@link MgmtReader}. */
export type MgmtReaderOptions = MgmtConnection<MgmtQueryCalls> & {
  /** The management chaincode's name, {@link DEFAULT_MGMT_CHAINCODE} by default. */
  readonly chaincodeName?: string;
};

/** Options of {@link MgmtClient}. */
export type MgmtClientOptions = MgmtConnection<MgmtContractCalls> & {
  /** The management chaincode's name, {@link DEFAULT_MGMT_CHAINCODE} by default. */
  readonly chaincodeName?: string;
  /**
   * Where a transaction whose submit to the orderers failed with an unknown outcome is looked up
   * (see {@link MgmtClient}). By default the `network`, or the `events` source when it is a
   * fabric-gateway `Network` (both have `getName` and `getContract`); without either the failure
   * is reported as it is.
   */
  readonly transactionLookup?: MgmtTransactionLookup;
  /**
   * How long such a transaction is looked for before the submit failure is reported:
   * {@link DEFAULT_COMMIT_LOOKUP_MS} by default, 0 never looks.
   */
  readonly commitLookupMs?: number;
  /**
   * Told when such a transaction was found committed (valid or not), before the call answers: a
   * trace records then that the transaction whose submit it saw fail did commit. Must not throw
   * (a throw is ignored).
   */
  readonly onCommitFound?: (found: CommitFound) => void;
};

/** A transaction found committed by its id after its submit failed with an unknown outcome. */
export interface CommitFound {
  readonly transaction: MgmtTransactionName;
  readonly transactionId: string;
  /** The peer's validation code (`peer.TxValidationCode`; VALID is 0). */
  readonly validationCode: number;
}

/**
 * How long {@link MgmtClient} looks for a transaction whose submit failed with an unknown
 * outcome: a SmartBFT channel can take a complaint timeout (20 s on network/native) and a view
 * change to order a request its leader did not.
 */
export const DEFAULT_COMMIT_LOOKUP_MS = 30_000;

// ---- typed results and events -------------------------------------------------------------------

/** What `Tally` did. */
export type TallyResult = { readonly outcome: 'sealed'; readonly block: ConfigBlock } | { readonly outcome: 'failed'; readonly failure: CycleFailure };

/** `ShareUpdateSignature`'s arguments: a member admin's signature of a primary channel update. */
export interface UpdateSignatureInput {
  /** The configuration block the update applies. */
  readonly height: number;
  /** The sequence of the channel config the update was computed against. */
  readonly configSequence: number;
  /** base64 of the serialized common.ConfigUpdate, exactly as signed. */
  readonly update: string;
  /** base64 of the serialized common.ConfigSignature. */
  readonly configSignature: string;
}

/** A chaincode event's payload, decoded by name. */
export type DecodedEvent =
  | { readonly name: 'ProposalCreated'; readonly proposal: Proposal }
  | { readonly name: 'VoteCast'; readonly vote: VoteCast }
  | { readonly name: 'ConfigBlockCommitted'; readonly block: ConfigBlock }
  | { readonly name: 'CycleFailed'; readonly failure: CycleFailure }
  | { readonly name: 'UpdateSignatureShared'; readonly shared: UpdateSignatureShared };

/** A chaincode event of the management contract (the fields of fabric-gateway's `ChaincodeEvent`, plus the decoded payload). */
export interface MgmtEvent {
  readonly blockNumber: bigint;
  readonly transactionId: string;
  readonly chaincodeName: string;
  readonly eventName: string;
  /** The payload as committed (UTF-8 JSON), for whoever checks it itself (the observer). */
  readonly payload: Uint8Array;
  /** Undefined for an event name this client does not know. */
  readonly decoded: DecodedEvent | undefined;
}

/** An event stream that must be closed after use. */
export interface EventStream<T> extends AsyncIterable<T> {
  close(): void;
}

/** Where an event stream starts: after a checkpoint, else at `startBlock`, else at the next block. */
export interface EventStreamOptions {
  readonly checkpoint?: Checkpoint;
  readonly startBlock?: bigint;
}

/**
 * Decodes a management chaincode event by name; unknown names decode to `undefined`.
 *
 * @throws {@link LedgerCallError} (step `decode`) when the payload is not JSON.
 */
export function decodeEvent(eventName: string, payload: Uint8Array): DecodedEvent | undefined {
  switch (eventName) {
    case EVENTS.ProposalCreated:
      return { name: 'ProposalCreated', proposal: decodeJson(payload, eventName) as Proposal };
    case EVENTS.VoteCast:
      return { name: 'VoteCast', vote: decodeJson(payload, eventName) as VoteCast };
    case EVENTS.ConfigBlockCommitted:
      return { name: 'ConfigBlockCommitted', block: decodeJson(payload, eventName) as ConfigBlock };
    case EVENTS.CycleFailed:
      return { name: 'CycleFailed', failure: decodeJson(payload, eventName) as CycleFailure };
    case EVENTS.UpdateSignatureShared:
      return { name: 'UpdateSignatureShared', shared: decodeJson(payload, eventName) as UpdateSignatureShared };
    default:
      return undefined;
  }
}

/**
 * A gateway chaincode event whose payload is decoded when `decoded` is first read, so that a
 * reader of the raw payload (the observer, which verifies it) sees an undecodable one too.
 */
class GatewayMgmtEvent implements MgmtEvent {
  readonly blockNumber: bigint;
  readonly transactionId: string;
  readonly chaincodeName: string;
  readonly eventName: string;
  readonly payload: Uint8Array;
  private decodedPayload: { readonly value: DecodedEvent | undefined } | undefined;

  constructor(event: ChaincodeEvent) {
    this.blockNumber = event.blockNumber;
    this.transactionId = event.transactionId;
    this.chaincodeName = event.chaincodeName;
    this.eventName = event.eventName;
    this.payload = event.payload;
  }

  /** @throws {@link LedgerCallError} (step `decode`) when the payload is not JSON. */
  get decoded(): DecodedEvent | undefined {
    this.decodedPayload ??= { value: decodeEvent(this.eventName, this.payload) };
    return this.decodedPayload.value;
  }
}

// ---- the client ---------------------------------------------------------------------------------

/**
 * The queries and events of the management contract: what a member that only reads the chain
 * (the observer, an auditor) needs. Every method rejects with a `LedgerCallError` subclass.
 *
 * @example
 * const reader = new MgmtReader({ network: gateway.getNetwork('mgmt') });
 * const blocks = await reader.getBlocks(0, 99);
 */
export class MgmtReader<C extends MgmtQueryCalls = MgmtQueryCalls> {
  /** The management chaincode's name. */
  readonly chaincodeName: string;
  protected readonly contract: C;
  private readonly eventSource: MgmtEventSource;

  /** @param options - {@link MgmtReaderOptions}, or {@link MgmtClientOptions} for an `MgmtClient`. */
  constructor(options: MgmtConnection<C> & { readonly chaincodeName?: string }) {
    this.chaincodeName = options.chaincodeName ?? DEFAULT_MGMT_CHAINCODE;
    if ('network' in options) {
      this.contract = options.network.getContract(this.chaincodeName);
      this.eventSource = options.network;
    } else {
      this.contract = options.contract;
      this.eventSource = options.events;
    }
  }

  /** `GetParams`: the genesis parameters. @throws {@link LedgerCallError} (refusal `MGMT_NOT_INITIALISED` before genesis) */
  getParams(): Promise<GenesisParams> {
    return this.evaluate<GenesisParams>('GetParams');
  }

  /** `GetMembers`: the members, sorted by MSP ID. @throws {@link LedgerCallError} (refusal `MGMT_NOT_INITIALISED` before genesis) */
  getMembers(): Promise<Member[]> {
    return this.evaluate<Member[]>('GetMembers');
  }

  /** `GetLatest`: the latest sealed block. @throws {@link LedgerCallError} (refusal `MGMT_NOT_INITIALISED` before genesis) */
  getLatest(): Promise<ConfigBlock> {
    return this.evaluate<ConfigBlock>('GetLatest');
  }

  /** `GetBlock(height)`. @throws {@link LedgerCallError} (refusal `MGMT_NOT_FOUND` past the latest) */
  getBlock(height: number): Promise<ConfigBlock> {
    return this.evaluate<ConfigBlock>('GetBlock', String(height));
  }

  /**
   * `GetBlocks(from, to)`: both inclusive, at most {@link MAX_BLOCKS_PER_CALL} per call, empty
   * before genesis or past the latest ({@link fetchBlocks} pages).
   *
   * @throws {@link LedgerCallError} (refusal `MGMT_BAD_ARGUMENT` unless `0 <= from <= to`)
   */
  getBlocks(from: number, to: number): Promise<ConfigBlock[]> {
    return this.evaluate<ConfigBlock[]>('GetBlocks', String(from), String(to));
  }

  /** `GetRound`: the state of agreement at the query's timestamp. @throws {@link LedgerCallError} */
  getRound(): Promise<Round> {
    return this.evaluate<Round>('GetRound');
  }

  /** `GetUpdateSignatures(height)`: the signatures shared for the update of the block at `height`. @throws {@link LedgerCallError} */
  getUpdateSignatures(height: number): Promise<UpdateSignature[]> {
    return this.evaluate<UpdateSignature[]>('GetUpdateSignatures', String(height));
  }

  /**
   * A query's answer as the peer returned it, undecoded: for evidence that is kept byte for byte
   * and parsed by its reader (the audit's strict I-JSON reading of `GetBlocks`).
   *
   * @throws {@link LedgerCallError}
   */
  async queryBytes(name: MgmtQueryName, ...args: string[]): Promise<Uint8Array> {
    try {
      return await this.contract.evaluateTransaction(name, ...args);
    } catch (err) {
      throw toLedgerError(err, name, 'evaluate');
    }
  }

  /**
   * The contract's chaincode events, decoded by name. One stream, no reconnection: follow them
   * with {@link MgmtEventFollower}.
   *
   * @throws {@link LedgerCallError} when the stream cannot be opened, and from the iterator.
   */
  async events(options: EventStreamOptions = {}): Promise<EventStream<MgmtEvent>> {
    let stream: CloseableAsyncIterable<ChaincodeEvent>;
    try {
      stream = await this.eventSource.getChaincodeEvents(this.chaincodeName, { checkpoint: options.checkpoint, startBlock: options.startBlock });
    } catch (err) {
      throw toLedgerError(err, 'events', 'events');
    }
    let iterated = false;
    return {
      close: (): void => {
        if (!iterated) {
          // A gRPC stream gets its 'error' listener only once it is read: closed unread, its
          // CANCELLED status would be an unhandled 'error' that ends the process. Read it once.
          iterated = true;
          stream[Symbol.asyncIterator]()
            .next()
            .catch(() => undefined);
        }
        stream.close();
      },
      [Symbol.asyncIterator]: (): AsyncIterator<MgmtEvent> => {
        iterated = true;
        const inner = stream[Symbol.asyncIterator]();
        return {
          next: async (): Promise<IteratorResult<MgmtEvent>> => {
            let next: IteratorResult<ChaincodeEvent>;
            try {
              next = await inner.next();
            } catch (err) {
              throw toLedgerError(err, 'events', 'events');
            }
            if (next.done === true) return { done: true, value: undefined };
            return { done: false, value: new GatewayMgmtEvent(next.value) };
          },
        };
      },
    };
  }

  protected async evaluate<T>(name: MgmtQueryName, ...args: string[]): Promise<T> {
    return decodeJson(await this.queryBytes(name, ...args), name) as T;
  }
}

/**
 * gRPC statuses of a failed submit after which the transaction may still be ordered: the
 * gateway broadcast it but did not hear enough orderers accept it. On SmartBFT it needs a quorum
 * of acceptances, and an orderer that has already ordered the request answers "request already
 * processed", which counts against it: UNAVAILABLE although the transaction commits. The others
 * (ABORTED: an orderer refused it as a bad request; INVALID_ARGUMENT, PERMISSION_DENIED,
 * FAILED_PRECONDITION, NOT_FOUND: the gateway refused it before broadcasting) are final.
 */
const SUBMIT_OUTCOME_UNKNOWN: ReadonlySet<number> = new Set([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.CANCELLED, GrpcStatus.UNKNOWN, GrpcStatus.INTERNAL]);

/** The transaction id of a fabric-gateway `SubmitError` whose outcome is unknown, else undefined. */
function unknownSubmitOutcome(err: unknown): string | undefined {
  // SubmitError is exported by fabric-gateway as a type only: known by its name (as ./errors does).
  if (!(err instanceof GatewayError) || err.name !== 'SubmitError' || !SUBMIT_OUTCOME_UNKNOWN.has(err.code)) return undefined;
  const transactionId = (err as { transactionId?: unknown }).transactionId;
  return typeof transactionId === 'string' && transactionId !== '' ? transactionId : undefined;
}

/** A transaction as the peer committed it: its validation code and the chaincode's answer in it. */
export interface CommittedTransaction {
  readonly validationCode: number;
  readonly result: Uint8Array;
}

/**
 * Reads qscc's `GetTransactionByID` answer (a `peer.ProcessedTransaction`): the validation code
 * and the chaincode response payload of its endorsed action, the bytes `submitTransaction`
 * returns (fabric-gateway reads them from the same envelope).
 *
 * @throws Error when the bytes are not a processed endorser transaction.
 */
export function readProcessedTransaction(bytes: Uint8Array): CommittedTransaction {
  const processed = peer.ProcessedTransaction.deserializeBinary(bytes);
  const envelope = processed.getTransactionenvelope();
  if (envelope === undefined) throw new Error('processed transaction without an envelope');
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  const [action] = peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList();
  if (action === undefined) throw new Error('processed transaction without an action');
  const endorsed = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8()).getAction();
  if (endorsed === undefined) throw new Error('processed transaction without an endorsed action');
  const responsePayload = peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8());
  const response = peer.ChaincodeAction.deserializeBinary(responsePayload.getExtension_asU8()).getResponse();
  if (response === undefined) throw new Error('processed transaction without a chaincode response');
  return { validationCode: processed.getValidationcode(), result: response.getPayload_asU8() };
}

const isLookup = (value: unknown): value is MgmtTransactionLookup =>
  typeof (value as Partial<MgmtTransactionLookup> | undefined)?.getName === 'function' && typeof (value as Partial<MgmtTransactionLookup>).getContract === 'function';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The management contract's transactions and queries through one member's gateway, typed. Every
 * method rejects with a `LedgerCallError` subclass: `MgmtRefusalError` with the contract's
 * `MGMT_*` code, `LedgerUnavailableError` when the peer is away, `TransactionInvalidError` when
 * the transaction committed invalid.
 *
 * A submit that the gateway reports failed at the orderers with an unknown outcome (a
 * fabric-gateway `SubmitError` with UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, UNKNOWN or
 * INTERNAL) is never submitted again: the transaction is looked up by its id on the member's peer
 * (qscc `GetTransactionByID`, which answers once that peer committed it) for at most
 * `commitLookupMs`. Committed valid, the call answers what the chaincode answered in it, as if the
 * submit had succeeded; committed invalid, it rejects with `TransactionInvalidError` (its
 * validation code), as a `CommitError` would; not found in time, it rejects with the submit
 * failure. (fabric-gateway gives a commit status only through the `SubmittedTransaction` of a
 * successful submit, or through `Gateway.newCommit` from serialized request bytes; the client
 * holds a `Network`, whose qscc answers the status and the result at once.) An `EndorseError`
 * (never ordered), a `CommitStatusError` (submitted; the wait for its status failed) and a
 * `CommitError` are translated as they are.
 *
 * @example
 * const client = new MgmtClient({ network: gateway.getNetwork('mgmt') });
 * const round = await client.getRound();
 */
export class MgmtClient extends MgmtReader<MgmtContractCalls> {
  private readonly lookup: MgmtTransactionLookup | undefined;
  private readonly commitLookupMs: number;
  private readonly onCommitFound: ((found: CommitFound) => void) | undefined;

  constructor(options: MgmtClientOptions) {
    super(options);
    const fallback = 'network' in options ? options.network : options.events;
    this.lookup = options.transactionLookup ?? (isLookup(fallback) ? fallback : undefined);
    this.commitLookupMs = options.commitLookupMs ?? DEFAULT_COMMIT_LOOKUP_MS;
    this.onCommitFound = options.onCommitFound;
  }

  /**
   * `InitLedger(paramsJson)`: opens the genesis proposal.
   *
   * @param paramsJson `{"params": {...genesis params}, "config": {...initial configuration}}`.
   * @throws {@link LedgerCallError}
   */
  initLedger(paramsJson: string): Promise<Proposal> {
    return this.submit<Proposal>('InitLedger', paramsJson);
  }

  /** `Propose(configJson)`: proposes the next block with `config`. @throws {@link LedgerCallError} */
  propose(config: JsonObject): Promise<Proposal> {
    return this.submit<Proposal>('Propose', JSON.stringify(config));
  }

  /**
   * `ProposeParams(configJson, paramsJson)`: proposes the next block with `config` and a complete
   * new params (members, CBI, timeouts, schema), in force from the height after it.
   *
   * @throws {@link LedgerCallError}
   */
  proposeParams(config: JsonObject, params: GenesisParams): Promise<Proposal> {
    return this.submit<Proposal>('ProposeParams', JSON.stringify(config), JSON.stringify(params));
  }

  /**
   * `Vote(proposalId, approve, signature, reason)`.
   *
   * @param signature base64 DER ECDSA signature of the vote message (`voteSignerFromMsp`).
   * @throws {@link LedgerCallError}
   */
  vote(proposalId: string, approve: boolean, signature: string, reason: string): Promise<Vote> {
    return this.submit<Vote>('Vote', proposalId, String(approve), signature, reason);
  }

  /** `Tally(proposalId)`: seals the block or fails the cycle. @throws {@link LedgerCallError} */
  async tally(proposalId: string): Promise<TallyResult> {
    const result = await this.submit<ConfigBlock | CycleFailure>('Tally', proposalId);
    return 'proof' in result ? { outcome: 'sealed', block: result } : { outcome: 'failed', failure: result };
  }

  /**
   * `ShareUpdateSignature(height, configSequence, update, configSignature)`: records this
   * member's admin signature of a primary channel update.
   *
   * @throws {@link LedgerCallError} (refusal `MGMT_DUPLICATE_SIGNATURE` when it is recorded already)
   */
  shareUpdateSignature(input: UpdateSignatureInput): Promise<UpdateSignature> {
    return this.submit<UpdateSignature>('ShareUpdateSignature', String(input.height), String(input.configSequence), input.update, input.configSignature);
  }

  private async submit<T>(name: MgmtTransactionName, ...args: string[]): Promise<T> {
    let bytes: Uint8Array;
    try {
      bytes = await this.contract.submitTransaction(name, ...args);
    } catch (err) {
      const transactionId = unknownSubmitOutcome(err);
      const committed = transactionId === undefined ? undefined : await this.findCommitted(transactionId);
      if (transactionId === undefined || committed === undefined) throw toLedgerError(err, name, 'submit');
      try {
        this.onCommitFound?.({ transaction: name, transactionId, validationCode: committed.validationCode });
      } catch {
        // An observer's failure is not the transaction's.
      }
      if (committed.validationCode !== peer.TxValidationCode.VALID) {
        const code = committed.validationCode as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap];
        throw toLedgerError(new CommitError({ code, transactionId, message: `Transaction ${transactionId} failed to commit with status code ${code}` }), name, 'commit');
      }
      bytes = committed.result;
    }
    return decodeJson(bytes, name) as T;
  }

  /**
   * The transaction as the member's peer committed it, looked up by its id until it is found or
   * `commitLookupMs` have passed (then undefined). A failed lookup (not committed yet: qscc
   * answers "no such transaction ID"; or the peer away) is tried again, 100 ms apart at first,
   * then up to 2 s apart.
   */
  private async findCommitted(transactionId: string): Promise<CommittedTransaction | undefined> {
    const lookup = this.lookup;
    if (lookup === undefined || this.commitLookupMs <= 0) return undefined;
    const qscc = lookup.getContract('qscc');
    const deadline = Date.now() + this.commitLookupMs;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      let answer: Uint8Array | undefined;
      try {
        answer = await qscc.evaluateTransaction('GetTransactionByID', lookup.getName(), transactionId);
      } catch {
        answer = undefined;
      }
      if (answer !== undefined) {
        try {
          return readProcessedTransaction(answer);
        } catch (err) {
          throw new LedgerCallError({ step: 'commitStatus', transaction: 'GetTransactionByID', code: 'BAD_RESULT', transactionId, message: `GetTransactionByID(${transactionId}): ${(err as Error).message}`, cause: err });
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await pause(Math.min(wait, left));
    }
  }
}

/**
 * Every block from `from` to `to` (inclusive, or to the latest when `to` is omitted), paging
 * `GetBlocks` {@link MAX_BLOCKS_PER_CALL} at a time as the contract requires.
 *
 * @throws {@link LedgerCallError} from `GetBlocks`/`GetLatest`.
 */
export async function fetchBlocks(
  reader: { getBlocks(from: number, to: number): Promise<ConfigBlock[]>; getLatest(): Promise<ConfigBlock> },
  from: number,
  to?: number,
): Promise<ConfigBlock[]> {
  const last = to ?? (await reader.getLatest()).height;
  const blocks: ConfigBlock[] = [];
  let next = from;
  while (next <= last) {
    const page = await reader.getBlocks(next, Math.min(last, next + MAX_BLOCKS_PER_CALL - 1));
    if (page.length === 0) break;
    blocks.push(...page);
    next = page[page.length - 1].height + 1;
  }
  return blocks;
}
