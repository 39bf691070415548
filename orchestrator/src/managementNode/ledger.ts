/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The management chaincode as the management node sees it: typed transactions and decoded
 * events. The Fabric implementation is `FabricMgmtLedger`; tests use a fake. Every method
 * rejects with a `LedgerCallError` subclass (./errors).
 */
import type { Checkpoint } from '@hyperledger/fabric-gateway';
import type { ConfigBlock, CycleFailure, GenesisParams, JsonObject, Proposal, Round, Vote, VoteCast } from 'mgmt-chaincode/dist/protocol';
import { MAX_BLOCKS_PER_CALL } from 'mgmt-chaincode/dist/protocol';

/** A chaincode event's payload, decoded by name. */
export type DecodedEvent =
  | { readonly name: 'ProposalCreated'; readonly proposal: Proposal }
  | { readonly name: 'VoteCast'; readonly vote: VoteCast }
  | { readonly name: 'ConfigBlockCommitted'; readonly block: ConfigBlock }
  | { readonly name: 'CycleFailed'; readonly failure: CycleFailure };

/** A chaincode event of the management contract (the fields of fabric-gateway's `ChaincodeEvent`, plus the decoded payload). */
export interface MgmtEvent {
  readonly blockNumber: bigint;
  readonly transactionId: string;
  readonly chaincodeName: string;
  readonly eventName: string;
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

/** What `Tally` did. */
export type TallyResult = { readonly outcome: 'sealed'; readonly block: ConfigBlock } | { readonly outcome: 'failed'; readonly failure: CycleFailure };

/** The management chaincode's transactions, typed. */
export interface MgmtLedger {
  /** `GetRound`. @throws {@link LedgerCallError} */
  getRound(): Promise<Round>;
  /** `GetParams`. @throws {@link LedgerCallError} (refusal `MGMT_NOT_INITIALISED` before genesis) */
  getParams(): Promise<GenesisParams>;
  /** `GetLatest`. @throws {@link LedgerCallError} (refusal `MGMT_NOT_INITIALISED` before genesis) */
  getLatest(): Promise<ConfigBlock>;
  /** `GetBlocks(from, to)`: at most 100 blocks. @throws {@link LedgerCallError} */
  getBlocks(from: number, to: number): Promise<ConfigBlock[]>;
  /** `InitLedger(paramsJson)`. @throws {@link LedgerCallError} */
  initLedger(paramsJson: string): Promise<Proposal>;
  /** `Propose(configJson)`. @throws {@link LedgerCallError} */
  propose(config: JsonObject): Promise<Proposal>;
  /** `Vote(proposalId, approve, signature, reason)`. @throws {@link LedgerCallError} */
  vote(proposalId: string, approve: boolean, signature: string, reason: string): Promise<Vote>;
  /** `Tally(proposalId)`. @throws {@link LedgerCallError} */
  tally(proposalId: string): Promise<TallyResult>;
  /** The contract's chaincode events. @throws {@link LedgerCallError} (also from the iterator) */
  events(options?: EventStreamOptions): Promise<EventStream<MgmtEvent>>;
}

/**
 * Every block from `from` to `to` (inclusive, or to the latest when `to` is omitted), paging
 * `GetBlocks` 100 at a time as the contract requires.
 *
 * @throws {@link LedgerCallError} from `GetBlocks`/`GetLatest`.
 */
export async function fetchBlocks(ledger: Pick<MgmtLedger, 'getBlocks' | 'getLatest'>, from: number, to?: number): Promise<ConfigBlock[]> {
  const last = to ?? (await ledger.getLatest()).height;
  const blocks: ConfigBlock[] = [];
  let next = from;
  while (next <= last) {
    const page = await ledger.getBlocks(next, Math.min(last, next + MAX_BLOCKS_PER_CALL - 1));
    if (page.length === 0) break;
    blocks.push(...page);
    next = page[page.length - 1].height + 1;
  }
  return blocks;
}
