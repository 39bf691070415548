/*
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * The management contract: Algorithm 1 of the paper as Fabric transactions.
 *
 * Why no hot keys (chaincode/README.md has the long form). Fabric validates each transaction's
 * reads at commit: a read is invalid when an earlier valid transaction of the same block wrote
 * that key, or when the committed version changed since endorsement; a range read is re-run and
 * fails on phantoms. Votes of one cycle are endorsed against the same committed state and often
 * land in one block, so:
 *
 * - `Vote` reads only the proposal, the params in force and the voter's own vote key, and writes
 *   only its own vote key (`vote~<proposalId>~<mspId>`). No vote reads a key another vote
 *   writes, and there is no range read, so any number of concurrent votes all commit valid.
 * - Counting votes needs every member's vote key, so no vote counts. Sealing (and failing a
 *   cycle) is a separate transaction, `Tally(proposalId)`, which any member submits once its
 *   client sees a decided tally (`GetRound`, or the `VoteCast` event). Tally reads all vote keys
 *   by point reads and writes the block, `latest` and the proposal status; if a late vote lands
 *   in the same block before it, MVCC invalidates only the Tally, which is simply resubmitted.
 *   `ConfigBlockCommitted` is emitted by the committed Tally transaction, never by a query.
 * - Two concurrent Tally transactions both read and write `latest`, so at most one per height
 *   is valid: the chain cannot fork.
 * - `ShareUpdateSignature` (a member admin's signature of the primary channel update that puts a
 *   CB in force) reads the params, the sealed CB and the caller's own signature key, and writes
 *   only that key (`updsig~<height>~<sequence>~<mspId>`): members share in the same block
 *   without invalidating each other, and nothing that agreement reads or writes is touched.
 *
 * Each transaction parses its arguments, authorises the caller, calls the pure rules in
 * ./protocol, writes through ./contract/storage, and emits at most one event (Fabric keeps only
 * the last setEvent of a transaction).
 */

import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import {
  MAX_BLOCKS_PER_CALL,
  MAX_CONFIG_SIGNATURE_BYTES,
  MAX_CONFIG_UPDATE_BYTES,
  MgmtError,
  admitVote,
  assertClockSkew,
  assertUpdateSignature,
  assertVoteSignature,
  cycleOutcome,
  parseConfigUpdate,
  parseIJson,
  parseIsoMillis,
  planGenesis,
  planProposal,
  sealProposal,
  tallyVotes,
  toIsoMillis,
  updateSha256,
  validateConfig,
  validateParams,
  verifyBlock,
} from './protocol';
import type { GenesisParams, UpdateSignature, UpdateSignatureShared, Vote, VoteCast } from './protocol';
import { parseApprove, parseBase64, parseGenesisInput, parseHeight, parseProposalId, parseReason, parseVoteSignature } from './contract/arguments';
import { emit } from './contract/events';
import { authorise, callerOf, txTimeMs } from './contract/identity';
import { describeFailure, previousProposal, roundAt } from './contract/round';
import {
  loadBlock,
  loadLatest,
  loadParams,
  loadParamsAt,
  loadProposal,
  paramsFor,
  readBlocks,
  readLatest,
  readOpenProposal,
  readUpdateSignature,
  readUpdateSignatures,
  readVote,
  readVotes,
  recordFailure,
  recordProposal,
  recordSeal,
  writeUpdateSignature,
  writeVote,
} from './contract/storage';

export { blockKey } from './contract/storage';

/** Injected dependencies; the shim constructs the contract without arguments. */
export interface MgmtContractOptions {
  /** The endorser's clock in epoch milliseconds, `Date.now` by default. */
  readonly now?: () => number;
}

/**
 * The management chaincode. Transactions and their rules are those of docs/protocol.md, plus
 * `Tally`, the step that seals or fails a cycle (see the comment at the top of this file), and
 * `ShareUpdateSignature`/`GetUpdateSignatures`, through which members' orchestrators pool their
 * admins' signatures of the primary channel update that applies a block (Algorithm 2).
 */
@Info({ title: 'MgmtContract', description: 'Management blockchain: configuration blocks sealed by a quorum of member votes' })
export class MgmtContract extends Contract {
  private readonly now: () => number;

  constructor(options: Readonly<MgmtContractOptions> = {}) {
    super('MgmtContract');
    this.now = options.now ?? ((): number => Date.now());
  }

  /**
   * Opens the genesis proposal (height 0, cycle 0, proposed by the caller). It is sealed like
   * any block, by a quorum of approvals and a `Tally`; a genesis proposal that failed may be
   * replaced by a new `InitLedger` from any member. Emits `ProposalCreated`.
   *
   * @param paramsJson `{"params": {...genesis params}, "config": {...initial configuration}}`.
   * @returns the proposal as JSON.
   * @throws {@link MgmtError} `MGMT_ALREADY_INITIALISED`, `MGMT_INVALID_JSON`,
   * `MGMT_BAD_ARGUMENT`, `MGMT_INVALID_PARAMS`, `MGMT_INVALID_CONFIG`, `MGMT_CLOCK_SKEW`,
   * `MGMT_NOT_MEMBER`, `MGMT_BAD_CERTIFICATE`, `MGMT_ALREADY_PROPOSED`, `MGMT_SEAL_PENDING`.
   */
  @Transaction()
  @Returns('string')
  public async InitLedger(ctx: Context, paramsJson: string): Promise<string> {
    const nowMs = txTimeMs(ctx);
    if ((await readLatest(ctx)) !== undefined) {
      throw new MgmtError('MGMT_ALREADY_INITIALISED');
    }
    const input = parseGenesisInput(paramsJson);
    const params = validateParams(input.params);
    const config = validateConfig(input.config, params.configSchema);
    assertClockSkew(nowMs, this.now(), params.clockToleranceSeconds);
    const caller = callerOf(ctx);
    authorise(caller, params, nowMs);

    const previous = await previousProposal(ctx, 0);
    const proposal = planGenesis({ params, caller: caller.mspId, nowMs, config, previous, txId: ctx.stub.getTxID() });
    await recordProposal(ctx, proposal);
    emit(ctx, 'ProposalCreated', proposal);
    return JSON.stringify(proposal);
  }

  /**
   * Proposes the next configuration block. Only the expected proposer of the current cycle may
   * propose, once per cycle, after the CBI, with a configuration that passes the genesis schema.
   * Emits `ProposalCreated`.
   *
   * @param configJson the primary configuration (a JSON object).
   * @returns the proposal as JSON; its `id` is the block hash that votes sign.
   * @throws {@link MgmtError} `MGMT_NOT_INITIALISED`, `MGMT_CLOCK_SKEW`, `MGMT_NOT_MEMBER`,
   * `MGMT_BAD_CERTIFICATE`, `MGMT_INVALID_JSON`, `MGMT_INVALID_CONFIG`, `MGMT_CBI_NOT_ELAPSED`,
   * `MGMT_NOT_PROPOSER`, `MGMT_ALREADY_PROPOSED`, `MGMT_SEAL_PENDING`, `MGMT_STALE_PROPOSAL`.
   */
  @Transaction()
  @Returns('string')
  public async Propose(ctx: Context, configJson: string): Promise<string> {
    return this.propose(ctx, configJson, undefined);
  }

  /**
   * Proposes the next configuration block carrying a complete new params: members (admitted,
   * removed, CA rotated), CBI, timeouts, schema. The block is proposed, voted and sealed under the
   * params in force, exactly as `Propose`; its params are in force from the next height. At most
   * n - quorum(n) members may leave and at most one join in one block. Emits `ProposalCreated`.
   *
   * @param configJson the primary configuration (a JSON object), checked against the schema in force.
   * @param paramsJson the complete new params, as `InitLedger` takes them.
   * @returns the proposal as JSON.
   * @throws {@link MgmtError} as `Propose`, and `MGMT_INVALID_PARAMS` for invalid params or a
   * change beyond the safety rules.
   */
  @Transaction()
  @Returns('string')
  public async ProposeParams(ctx: Context, configJson: string, paramsJson: string): Promise<string> {
    const next = validateParams(parseIJson(paramsJson, 'params'));
    return this.propose(ctx, configJson, next);
  }

  private async propose(ctx: Context, configJson: string, newParams: GenesisParams | undefined): Promise<string> {
    const nowMs = txTimeMs(ctx);
    const params = await loadParams(ctx);
    assertClockSkew(nowMs, this.now(), params.clockToleranceSeconds);
    const caller = callerOf(ctx);
    authorise(caller, params, nowMs);
    const config = validateConfig(parseIJson(configJson, 'config'), params.configSchema);

    const latest = await loadLatest(ctx);
    const previous = await previousProposal(ctx, latest.height + 1, params.members);
    const proposal = planProposal({ params, latest, caller: caller.mspId, nowMs, config, previous, txId: ctx.stub.getTxID(), ...(newParams === undefined ? {} : { newParams }) });
    await recordProposal(ctx, proposal);
    emit(ctx, 'ProposalCreated', proposal);
    return JSON.stringify(proposal);
  }

  /**
   * Records the caller's vote on an open proposal. One vote per member per cycle, before the
   * cycle ends; the signature is over `mgmt-cb-v1:approve:<hash>` or `mgmt-cb-v1:reject:<hash>`
   * with the key of the caller's certificate, which must be issued by the member's CA, valid at
   * the proposal's time, and not a peer or orderer. Writes only the caller's own vote key (no
   * hot key) and emits `VoteCast`; sealing is `Tally`'s job.
   *
   * @param proposalId the proposal's hash.
   * @param approve `"true"` or `"false"`.
   * @param signature base64 DER low-S ECDSA P-256 signature.
   * @param reason free text from the member's twin (at most 1024 characters).
   * @returns the recorded vote as JSON.
   * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT`, `MGMT_UNKNOWN_PROPOSAL`, `MGMT_NOT_INITIALISED`,
   * `MGMT_CLOCK_SKEW`, `MGMT_NOT_MEMBER`, `MGMT_BAD_CERTIFICATE`, `MGMT_STALE_PROPOSAL`,
   * `MGMT_DUPLICATE_VOTE`, `MGMT_BAD_SIGNATURE`.
   */
  @Transaction()
  @Returns('string')
  public async Vote(ctx: Context, proposalId: string, approve: string, signature: string, reason: string): Promise<string> {
    const nowMs = txTimeMs(ctx);
    const id = parseProposalId(proposalId);
    const approved = parseApprove(approve);
    const why = parseReason(reason);
    const voteSignature = parseVoteSignature(signature);
    const proposal = await loadProposal(ctx, id);
    const params = await paramsFor(ctx, proposal);
    assertClockSkew(nowMs, this.now(), params.clockToleranceSeconds);
    const caller = callerOf(ctx);
    const proposedAtMs = parseIsoMillis(proposal.header.timestamp) as number;
    authorise(caller, params, proposedAtMs);

    const existing = await readVote(ctx, id, caller.mspId);
    admitVote(proposal, caller.mspId, nowMs, existing !== undefined);
    assertVoteSignature({ hash: proposal.hash, approve: approved, signature: voteSignature, certificate: caller.certificate });

    const vote: Vote = {
      proposalId: id,
      mspId: caller.mspId,
      approve: approved,
      signature: voteSignature,
      certificate: caller.certificate,
      reason: why,
      timestamp: toIsoMillis(nowMs),
      txId: ctx.stub.getTxID(),
    };
    await writeVote(ctx, vote);
    emit(ctx, 'VoteCast', {
      proposalId: id,
      height: proposal.header.height,
      cycle: proposal.header.cycle,
      mspId: caller.mspId,
      approve: approved,
    } satisfies VoteCast);
    return JSON.stringify(vote);
  }

  /**
   * Tallies the recorded votes of a proposal. With a quorum of approvals it seals the block
   * (stores it by height, moves `latest`, emits `ConfigBlockCommitted` with the block). With
   * `n - quorum + 1` rejections, or once the cycle ended without a quorum, it fails the cycle
   * (emits `CycleFailed`). Any member may submit it; the outcome depends only on the ledger.
   *
   * @param proposalId the proposal's hash.
   * @returns the sealed block, or the cycle failure, as JSON.
   * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT`, `MGMT_UNKNOWN_PROPOSAL`, `MGMT_NOT_INITIALISED`,
   * `MGMT_CLOCK_SKEW`, `MGMT_NOT_MEMBER`, `MGMT_BAD_CERTIFICATE`, `MGMT_STALE_PROPOSAL`,
   * `MGMT_VOTES_PENDING`, `MGMT_INVALID_BLOCK`.
   */
  @Transaction()
  @Returns('string')
  public async Tally(ctx: Context, proposalId: string): Promise<string> {
    const nowMs = txTimeMs(ctx);
    const id = parseProposalId(proposalId);
    const proposal = await loadProposal(ctx, id);
    const params = await paramsFor(ctx, proposal);
    assertClockSkew(nowMs, this.now(), params.clockToleranceSeconds);
    authorise(callerOf(ctx), params, nowMs);
    if (proposal.status !== 'open') {
      throw new MgmtError('MGMT_STALE_PROPOSAL', `proposal ${id} is already ${proposal.status}`);
    }
    const { height } = proposal.header;
    const latest = await readLatest(ctx);
    if ((latest?.height ?? -1) !== height - 1) {
      throw new MgmtError('MGMT_STALE_PROPOSAL', `proposal ${id} is for height ${height}, but the latest block is ${latest?.height ?? 'none'}`);
    }
    // A later cycle's proposal supersedes this one: a vote that commits late (its timestamp
    // inside the old cycle) must not seal a proposal the rotation has moved past.
    const open = await readOpenProposal(ctx);
    if (open !== undefined && open.proposalId !== id) {
      throw new MgmtError('MGMT_STALE_PROPOSAL', `proposal ${id} was superseded by proposal ${open.proposalId}`);
    }

    const votes = await readVotes(ctx, id, params.members);
    const tally = tallyVotes(votes, params.members.map((m) => m.mspId));
    const outcome = cycleOutcome(tally, nowMs, parseIsoMillis(proposal.cycleEndsAt) as number);
    if (outcome.verdict === 'open') {
      throw new MgmtError(
        'MGMT_VOTES_PENDING',
        `${tally.approvals} approvals and ${tally.rejections} rejections of ${tally.n}; quorum ${tally.quorum}, cycle ends ${proposal.cycleEndsAt}`,
      );
    }
    if (outcome.verdict === 'sealed') {
      const block = sealProposal(proposal, votes);
      // The chaincode never stores a block that an offline verifier would reject.
      const previous = height === 0 ? undefined : await loadBlock(ctx, height - 1);
      verifyBlock(block, height === 0 ? {} : { previous, params });
      await recordSeal(ctx, proposal, block, params);
      emit(ctx, 'ConfigBlockCommitted', block);
      return JSON.stringify(block);
    }

    const failure = describeFailure(proposal, params, outcome.reason, outcome);
    await recordFailure(ctx, proposal, outcome.reason);
    emit(ctx, 'CycleFailed', failure);
    return JSON.stringify(failure);
  }

  /**
   * Records the calling member's admin signature of the `primary` channel configuration update
   * that puts the configuration of the sealed block at `height` in force (docs/protocol.md).
   * The signature is checked as Fabric's configtx checks a ConfigSignature (ECDSA over
   * `signature_header || update`) and must come from an admin certificate issued by the
   * caller's own CA; the update must parse as a common.ConfigUpdate. The contract cannot know
   * the primary channel's config, so it does not judge the update's content: each member's
   * orchestrator counts only signatures over the very bytes it computed itself. Writes only
   * `updsig~<height>~<sequence>~<mspId>` (no hot key) and emits `UpdateSignatureShared`.
   *
   * @param height the configuration block the update applies (decimal).
   * @param configSequence the sequence of the channel config the update was computed against.
   * @param update base64 of the serialized common.ConfigUpdate, exactly as signed.
   * @param configSignature base64 of the serialized common.ConfigSignature.
   * @returns the recorded {@link UpdateSignature} as JSON.
   * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT`, `MGMT_NOT_INITIALISED`, `MGMT_CLOCK_SKEW`,
   * `MGMT_NOT_MEMBER`, `MGMT_BAD_CERTIFICATE`, `MGMT_NOT_FOUND`, `MGMT_BAD_UPDATE`,
   * `MGMT_BAD_SIGNATURE`, `MGMT_DUPLICATE_SIGNATURE`.
   */
  @Transaction()
  @Returns('string')
  public async ShareUpdateSignature(ctx: Context, height: string, configSequence: string, update: string, configSignature: string): Promise<string> {
    const nowMs = txTimeMs(ctx);
    const cbHeight = parseHeight(height, 'height');
    const sequence = parseHeight(configSequence, 'configSequence');
    const updateBytes = parseBase64(update, 'update', MAX_CONFIG_UPDATE_BYTES);
    const signatureBytes = parseBase64(configSignature, 'configSignature', MAX_CONFIG_SIGNATURE_BYTES);
    const params = await loadParams(ctx);
    assertClockSkew(nowMs, this.now(), params.clockToleranceSeconds);
    const caller = callerOf(ctx);
    // A point read of a key written once, at sealing: never a conflict with agreement.
    const block = await loadBlock(ctx, cbHeight);
    // The update is signed by the members that sealed the CB, with the CAs in force at its height:
    // a CB that rotates a CA or removes a member is put in force on channels that still know the
    // old ones (docs/protocol.md, "Update signatures").
    const member = authorise(caller, await loadParamsAt(ctx, cbHeight, params), nowMs);
    const { channelId } = parseConfigUpdate(updateBytes);
    const parts = assertUpdateSignature({ update: updateBytes, configSignature: signatureBytes, member, atMs: nowMs });

    if ((await readUpdateSignature(ctx, cbHeight, channelId, sequence, caller.mspId)) !== undefined) {
      throw new MgmtError('MGMT_DUPLICATE_SIGNATURE', `${caller.mspId} already shared its signature for height ${cbHeight} of channel ${channelId} at config sequence ${sequence}`);
    }
    const record: UpdateSignature = {
      height: cbHeight,
      cbHash: block.hash,
      configSequence: sequence,
      channelId,
      update,
      updateSha256: updateSha256(updateBytes),
      configSignature,
      mspId: caller.mspId,
      signer: parts.creatorCertificate,
      timestamp: toIsoMillis(nowMs),
      txId: ctx.stub.getTxID(),
    };
    await writeUpdateSignature(ctx, record);
    emit(ctx, 'UpdateSignatureShared', {
      height: cbHeight,
      configSequence: sequence,
      channelId,
      updateSha256: record.updateSha256,
      mspId: caller.mspId,
    } satisfies UpdateSignatureShared);
    return JSON.stringify(record);
  }

  /**
   * The genesis parameters.
   *
   * @returns the params as JSON.
   * @throws {@link MgmtError} `MGMT_NOT_INITIALISED`.
   */
  @Transaction(false)
  @Returns('string')
  public async GetParams(ctx: Context): Promise<string> {
    return JSON.stringify(await loadParams(ctx));
  }

  /**
   * The members, sorted by MSP ID.
   *
   * @returns a JSON array of `{mspId, caCertificate}`.
   * @throws {@link MgmtError} `MGMT_NOT_INITIALISED`.
   */
  @Transaction(false)
  @Returns('string')
  public async GetMembers(ctx: Context): Promise<string> {
    return JSON.stringify((await loadParams(ctx)).members);
  }

  /**
   * The latest sealed configuration block.
   *
   * @returns the block as JSON.
   * @throws {@link MgmtError} `MGMT_NOT_INITIALISED`.
   */
  @Transaction(false)
  @Returns('string')
  public async GetLatest(ctx: Context): Promise<string> {
    const latest = await loadLatest(ctx);
    return JSON.stringify(await loadBlock(ctx, latest.height));
  }

  /**
   * One configuration block by height.
   *
   * @param height decimal, 0 = genesis.
   * @returns the block as JSON.
   * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT`, `MGMT_NOT_FOUND`.
   */
  @Transaction(false)
  @Returns('string')
  public async GetBlock(ctx: Context, height: string): Promise<string> {
    return JSON.stringify(await loadBlock(ctx, parseHeight(height, 'height')));
  }

  /**
   * Configuration blocks from `from` to `to`, both inclusive, at most 100 per call: the answer
   * stops at `from + 99` or at the latest block, whichever comes first, so a client pages on
   * from the last height it got plus one until it reaches the height it wants.
   *
   * @returns a JSON array of blocks in height order (empty before genesis or past the latest).
   * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` unless both are non-negative integers and
   * `from <= to`.
   */
  @Transaction(false)
  @Returns('string')
  public async GetBlocks(ctx: Context, from: string, to: string): Promise<string> {
    const first = parseHeight(from, 'from');
    const last = parseHeight(to, 'to');
    if (first > last) {
      throw new MgmtError('MGMT_BAD_ARGUMENT', `from (${first}) must not exceed to (${last})`);
    }
    const latest = await readLatest(ctx);
    if (latest === undefined) {
      return '[]';
    }
    const end = Math.min(last, first + MAX_BLOCKS_PER_CALL - 1, latest.height);
    return JSON.stringify(first <= end ? await readBlocks(ctx, first, end) : []);
  }

  /**
   * The state of agreement at the query's timestamp: next height, when the round opens, the
   * current cycle (FC) and its window, the expected proposer, the most recent proposal for the
   * next height with its votes, and its outcome so far. Before genesis: the genesis proposal.
   *
   * @returns a {@link Round} as JSON.
   */
  @Transaction(false)
  @Returns('string')
  public async GetRound(ctx: Context): Promise<string> {
    return JSON.stringify(await roundAt(ctx, txTimeMs(ctx)));
  }

  /**
   * The signatures members shared for the configuration update of the block at `height`, in
   * order of config sequence, then MSP ID. An orchestrator assembles the update from the
   * records whose `configSequence` and `updateSha256` equal its own computation.
   *
   * @param height decimal, 0 = genesis.
   * @returns a JSON array of {@link UpdateSignature} (empty when none was shared).
   * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` for a malformed height.
   */
  @Transaction(false)
  @Returns('string')
  public async GetUpdateSignatures(ctx: Context, height: string): Promise<string> {
    return JSON.stringify(await readUpdateSignatures(ctx, parseHeight(height, 'height')));
  }

  /**
   * Refuses unknown transaction names with a code.
   *
   * @throws {@link MgmtError} `MGMT_UNKNOWN_TRANSACTION` always.
   */
  public override unknownTransaction(ctx: Context): Promise<void> {
    const { fcn } = ctx.stub.getFunctionAndParameters();
    return Promise.reject(new MgmtError('MGMT_UNKNOWN_TRANSACTION', `no transaction named ${JSON.stringify(fcn)}`));
  }
}
