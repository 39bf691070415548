/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What a management node reports, as typed events: the CLI prints them, the consortium display
 * aggregates them over the members' nodes. Every event carries the reporting member and the
 * local time it was observed.
 */
import type { ConfigBlock, FailureReason, JsonObject, MgmtErrorCode } from 'mgmt-chaincode/dist/protocol';

interface Base {
  /** The member whose node reports it. */
  readonly mspId: string;
  /** Local time of the observation, ms. */
  readonly atMs: number;
}

/** Node events, discriminated by `type`. */
export type NodeEvent =
  | (Base & { readonly type: 'started'; readonly nextHeight: number; readonly phase: string })
  /** A round opened (the CBI elapsed): the first cycle of round `round` for `height`. */
  | (Base & { readonly type: 'roundOpened'; readonly height: number; readonly round: number; readonly opensAtMs: number })
  /** A proposal cycle started, with its expected proposer. */
  | (Base & {
      readonly type: 'cycleStarted';
      readonly height: number;
      readonly round: number;
      readonly cycle: number;
      readonly proposer: string;
      readonly startsAtMs: number;
      readonly endsAtMs: number;
    })
  /** A proposal was created (from the committed `ProposalCreated` event), by any member. */
  | (Base & { readonly type: 'proposed'; readonly height: number; readonly cycle: number; readonly proposalId: string; readonly proposer: string; readonly config: JsonObject })
  /** A vote was recorded (from the committed `VoteCast` event), by any member. */
  | (Base & { readonly type: 'voteCast'; readonly height: number; readonly cycle: number; readonly proposalId: string; readonly voter: string; readonly approve: boolean })
  /** This node's own vote was recorded, with its twin's reason. */
  | (Base & { readonly type: 'voted'; readonly height: number; readonly cycle: number; readonly proposalId: string; readonly approve: boolean; readonly reason: string })
  /** A configuration block was sealed (from `ConfigBlockCommitted`, or caught up after a gap: `late`). */
  | (Base & {
      readonly type: 'committed';
      readonly block: ConfigBlock;
      /** When the round that produced it opened; undefined for genesis. */
      readonly roundOpensAtMs: number | undefined;
      /** Round open -> CB committed as seen by this node, ms; undefined for genesis or a late block. */
      readonly agreementDelayMs: number | undefined;
      readonly late: boolean;
    })
  /** A cycle failed: from the chain (`CycleFailed`) or as this node saw its window end without a block. */
  | (Base & {
      readonly type: 'cycleFailed';
      readonly height: number;
      readonly cycle: number;
      readonly reason: FailureReason | 'no proposal';
      readonly source: 'chain' | 'local';
      readonly approvals?: number;
      readonly rejections?: number;
    })
  /** This node's `Tally` committed. */
  | (Base & { readonly type: 'tallied'; readonly proposalId: string; readonly height: number; readonly outcome: 'sealed' | 'failed' })
  /** The contract refused this node's transaction. */
  | (Base & { readonly type: 'refused'; readonly action: 'propose' | 'vote' | 'tally'; readonly code: MgmtErrorCode; readonly message: string })
  /** The twin could not answer; the node abstains. */
  | (Base & { readonly type: 'twinFailed'; readonly action: 'decide' | 'validate'; readonly message: string; readonly code?: string })
  /** The peer went away; the node retries after `retryInMs`. */
  | (Base & { readonly type: 'disconnected'; readonly message: string; readonly attempt: number; readonly retryInMs: number })
  /** The peer answers again. */
  | (Base & { readonly type: 'reconnected'; readonly downMs: number })
  | (Base & { readonly type: 'warning'; readonly message: string })
  | (Base & { readonly type: 'stopped' });

/** The `type` of a {@link NodeEvent}. */
export type NodeEventType = NodeEvent['type'];

/**
 * Finer steps a node records when it is given a tracer (`--trace`), beside its {@link NodeEvent}s:
 * `getRound` (GetRound answered), `eventReceived` (a chain event arrived), `twinAsked` and
 * `twinAnswered`, and for each of its transactions `…Sent` (the call to the gateway),
 * `…Committed` (the commit status came back valid) or `…Failed`.
 */
export type NodeStep =
  | 'getRound'
  | 'eventReceived'
  | 'twinAsked'
  | 'twinAnswered'
  | 'proposeSent'
  | 'proposeCommitted'
  | 'proposeFailed'
  | 'voteSent'
  | 'voteCommitted'
  | 'voteFailed'
  | 'tallySent'
  | 'tallyCommitted'
  | 'tallyFailed';

/** What a traced step is about; every field is optional (a line of `--trace` carries these as they are). */
export interface StepFields {
  /** The CB height the step belongs to. */
  readonly height?: number;
  readonly cycle?: number;
  readonly proposalId?: string;
  /** Who did it when that is not the member recording the step: a vote's voter, a proposal's proposer. */
  readonly by?: string;
  /** The instant the step refers to when that is not when it was recorded (a round's scheduled opening), epoch ms. */
  readonly at?: number;
  /** A management transaction's name and id (the gateway-level steps `tx…`). */
  readonly tx?: string;
  readonly txId?: string;
  readonly detail?: string;
}

/**
 * Records a step as it happens. It must return at once and never throw: it runs inside the
 * node's timing-sensitive loop (a throw is caught and noted, never passed on).
 */
export type NodeTracer = (step: NodeEventType | NodeStep, fields: StepFields) => void;
