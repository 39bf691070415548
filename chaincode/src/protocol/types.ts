/*
 * SPDX-License-Identifier: Apache-2.0
 */

/** A JSON value as it appears in configuration blocks. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A consortium member as fixed at genesis. */
export interface Member {
  /** Fabric MSP ID, e.g. `Org1MSP`. */
  readonly mspId: string;
  /** PEM of the CA that issues the member's client and admin certificates. */
  readonly caCertificate: string;
}

/** The management parameters, carried by the genesis configuration block. */
export interface GenesisParams {
  /** Members sorted by MSP ID in UTF-8 byte order. */
  readonly members: readonly Member[];
  /** Configuration block interval: minimum seconds between two configuration blocks. */
  readonly cbiSeconds: number;
  /** Length of one proposal cycle (propose and vote) in seconds. */
  readonly cycleTimeoutSeconds: number;
  /** How far a transaction timestamp may be from an endorser's clock, in seconds. */
  readonly clockToleranceSeconds: number;
  /** JSON Schema (2020-12) of the primary configuration; its minimum/maximum are the bounds. */
  readonly configSchema: JsonObject;
}

/**
 * The hashed part of a configuration block. `params` is present at height 0 and on a later block
 * that changes them (in force from the next height: see `membership.ts`).
 */
export interface ConfigBlockHeader {
  readonly height: number;
  /** Hash of the block at height-1, `""` for genesis. */
  readonly prevHash: string;
  /** MSP ID of the proposer. */
  readonly proposer: string;
  /** FC: failed cycles since the previous block when this one was proposed. */
  readonly cycle: number;
  /** Timestamp of the proposing transaction, `YYYY-MM-DDTHH:mm:ss.sssZ`. */
  readonly timestamp: string;
  /** The primary blockchain's configuration. */
  readonly config: JsonObject;
  readonly params?: GenesisParams;
}

/** One approval in a block's proof. */
export interface ProofEntry {
  readonly mspId: string;
  /** PEM of the voter's certificate. */
  readonly certificate: string;
  /** Base64 DER low-S ECDSA P-256 signature over `mgmt-cb-v1:approve:<hash>`. */
  readonly signature: string;
}

/** A sealed configuration block. */
export interface ConfigBlock extends ConfigBlockHeader {
  /** Lowercase hex SHA-256 of the canonical JSON of the header. */
  readonly hash: string;
  /** Approvals sorted by MSP ID, at least a quorum. */
  readonly proof: readonly ProofEntry[];
}

/** Outcome of a cycle's votes: see `tally.ts`. */
export type Verdict = 'sealed' | 'failed' | 'open';

/** Why a cycle failed. */
export type FailureReason = 'rejected' | 'timeout';

/** Lifecycle of a proposal as stored by the chaincode. */
export type ProposalStatus = 'open' | 'sealed' | 'failed';

/** A proposed configuration block awaiting votes. Its id is the block hash. */
export interface Proposal {
  /** Equal to `hash`: the id that `Vote` and `Tally` take. */
  readonly id: string;
  readonly hash: string;
  readonly header: ConfigBlockHeader;
  /** Start of the cycle the proposal belongs to. */
  readonly cycleStartsAt: string;
  /** Votes are accepted while the transaction timestamp is before this instant. */
  readonly cycleEndsAt: string;
  readonly status: ProposalStatus;
  /** Set when `status` is `failed`. */
  readonly failure?: FailureReason;
  /** Transaction that proposed it. */
  readonly txId: string;
}

/** A recorded vote. */
export interface Vote {
  readonly proposalId: string;
  readonly mspId: string;
  readonly approve: boolean;
  /** Base64 DER signature over the approve or reject message of the proposal hash. */
  readonly signature: string;
  /** PEM of the voter's certificate. */
  readonly certificate: string;
  /** Free text from the voter's twin. */
  readonly reason: string;
  readonly timestamp: string;
  readonly txId: string;
}

/** Counts of a cycle's votes and the resulting verdict. */
export interface Tally {
  readonly verdict: Verdict;
  readonly n: number;
  readonly approvals: number;
  readonly rejections: number;
  /** Approvals needed to seal: `floor(2n/3) + 1`. */
  readonly quorum: number;
  /** Rejections that fail the cycle early: `n - quorum + 1`. */
  readonly rejectionThreshold: number;
}

/** A tally combined with the cycle's deadline. */
export type CycleOutcome =
  | { readonly verdict: 'sealed'; readonly tally: Tally }
  | { readonly verdict: 'failed'; readonly reason: FailureReason; readonly tally: Tally }
  | { readonly verdict: 'open'; readonly tally: Tally };

/** The state of agreement as `GetRound` reports it. */
export interface Round {
  /** The query's transaction timestamp. */
  readonly now: string;
  /** Height of the next configuration block. */
  readonly nextHeight: number;
  /** Hash of the latest block, `""` before genesis. */
  readonly latestHash: string;
  /**
   * `genesis` before the genesis block is sealed, `waiting` before a round opens (CBI not
   * elapsed, or between an abandoned round and the next), `cycle` inside a proposal cycle.
   */
  readonly phase: 'genesis' | 'waiting' | 'cycle';
  /** Index of the round since the latest block (0 = the first after the CBI); null at genesis. */
  readonly round: number | null;
  /** When the current round opened, or the next one opens. */
  readonly opensAt: string | null;
  /** FC of the current cycle, null when no cycle is running. */
  readonly cycle: number | null;
  readonly cycleStartsAt: string | null;
  readonly cycleEndsAt: string | null;
  /** Who may propose in the current cycle. */
  readonly expectedProposer: string | null;
  /** The most recent proposal for `nextHeight`, if any. */
  readonly proposal: Proposal | null;
  /** Votes recorded for `proposal`, sorted by MSP ID. */
  readonly votes: readonly Vote[];
  /** Outcome of `proposal` at `now`, null without a proposal. */
  readonly outcome: CycleOutcome | null;
}

/** Payload of the `CycleFailed` event and result of a failing `Tally`. */
export interface CycleFailure {
  readonly proposalId: string;
  readonly height: number;
  readonly cycle: number;
  readonly reason: FailureReason;
  readonly approvals: number;
  readonly rejections: number;
  readonly quorum: number;
  /** The failed cycle was the last of its round: the round is abandoned. */
  readonly roundAbandoned: boolean;
  /** When the next cycle for this height starts; null at genesis, where any member may re-propose. */
  readonly nextCycleStartsAt: string | null;
}

/** Payload of the `VoteCast` event. */
export interface VoteCast {
  readonly proposalId: string;
  readonly height: number;
  readonly cycle: number;
  readonly mspId: string;
  readonly approve: boolean;
}
