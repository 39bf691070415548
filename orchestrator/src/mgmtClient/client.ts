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
import type { ChaincodeEvent, ChaincodeEventsOptions, Checkpoint, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
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
import { decodeJson, toLedgerError } from './errors';

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
};

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
 * The management contract's transactions and queries through one member's gateway, typed. Every
 * method rejects with a `LedgerCallError` subclass: `MgmtRefusalError` with the contract's
 * `MGMT_*` code, `LedgerUnavailableError` when the peer is away, `TransactionInvalidError` when
 * the transaction committed invalid.
 *
 * @example
 * const client = new MgmtClient({ network: gateway.getNetwork('mgmt') });
 * const round = await client.getRound();
 */
export class MgmtClient extends MgmtReader<MgmtContractCalls> {
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
      throw toLedgerError(err, name, 'submit');
    }
    return decodeJson(bytes, name) as T;
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
