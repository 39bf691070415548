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
 * - `Vote` reads only the proposal, the genesis params and the voter's own vote key, and writes
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
 * Each transaction authorises the caller, calls the pure rules in ./protocol, writes, and emits
 * at most one event (Fabric keeps only the last setEvent of a transaction).
 */

import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import {
    EVENTS,
    HASH_PATTERN,
    MAX_BLOCKS_PER_CALL,
    MAX_REASON_LENGTH,
    MgmtError,
    admitVote,
    MAX_CONFIG_SIGNATURE_BYTES,
    MAX_CONFIG_UPDATE_BYTES,
    assertClockSkew,
    assertUpdateSignature,
    assertVoteSignature,
    checkMemberCertificate,
    cycleOutcome,
    decodeBase64Strict,
    expectedProposer,
    findMember,
    isLastCycleOfRound,
    locate,
    parseConfigUpdate,
    parseIJson,
    parseIsoMillis,
    planGenesis,
    planProposal,
    scheduleAfter,
    sealProposal,
    tallyVotes,
    toIsoMillis,
    unicodeProblem,
    updateSha256,
    validateConfig,
    validateParams,
    verifyBlock,
} from './protocol';
import type {
    ConfigBlock,
    CycleFailure,
    CycleOutcome,
    EventName,
    FailureReason,
    GenesisParams,
    LatestBlock,
    Member,
    PreviousProposal,
    Proposal,
    Round,
    UpdateSignature,
    UpdateSignatureShared,
    Vote,
    VoteCast,
} from './protocol';

/** Injected dependencies; the shim constructs the contract without arguments. */
export interface MgmtContractOptions {
    /** The endorser's clock in epoch milliseconds, `Date.now` by default. */
    readonly now?: () => number;
}

/** Storage keys; see chaincode/README.md "Storage". */
const KEY_PARAMS = 'params';
const KEY_LATEST = 'latest';
const KEY_OPEN_PROPOSAL = 'openProposal';
const BLOCK_KEY_PREFIX = 'cb:';
const PROPOSAL_OBJECT = 'proposal';
const VOTE_OBJECT = 'vote';
const UPDATE_SIGNATURE_OBJECT = 'updsig';

/** Zero-padded so that key order is height order for range reads (2^53-1 has 16 digits). */
export function blockKey(height: number): string {
    return `${BLOCK_KEY_PREFIX}${height.toString().padStart(16, '0')}`;
}

interface OpenProposalPointer {
    readonly height: number;
    readonly proposalId: string;
}

interface Caller {
    readonly mspId: string;
    /** `x509::<subject>::<issuer>`, for messages. */
    readonly id: string;
    readonly certificate: string;
}

const HEIGHT_PATTERN = /^(0|[1-9][0-9]{0,15})$/;

function txTimeMs(ctx: Context): number {
    const ts = ctx.stub.getTxTimestamp();
    // Blocks carry milliseconds: truncate the nanoseconds.
    return Number(ts.seconds.toString()) * 1000 + Math.floor(ts.nanos / 1_000_000);
}

function callerOf(ctx: Context): Caller {
    return {
        mspId: ctx.clientIdentity.getMSPID(),
        id: ctx.clientIdentity.getID(),
        certificate: Buffer.from(ctx.stub.getCreator().idBytes).toString('utf8'),
    };
}

/** Only members act, with a client or admin certificate issued by their own CA. */
function authorise(caller: Caller, params: GenesisParams, atMs: number): Member {
    const member = findMember(params.members, caller.mspId);
    if (member === undefined) {
        throw new MgmtError('MGMT_NOT_MEMBER', `${caller.mspId} is not among ${params.members.map((m) => m.mspId).join(', ')} (caller ${caller.id})`);
    }
    checkMemberCertificate({ certificate: caller.certificate, mspId: member.mspId, caCertificate: member.caCertificate, atMs });
    return member;
}

async function readJson<T>(ctx: Context, key: string): Promise<T | undefined> {
    const bytes = await ctx.stub.getState(key);
    // The shim answers an absent key with empty bytes.
    if (bytes.length === 0) {
        return undefined;
    }
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
}

async function writeJson(ctx: Context, key: string, value: unknown): Promise<void> {
    await ctx.stub.putState(key, Buffer.from(JSON.stringify(value), 'utf8'));
}

function emit(ctx: Context, name: EventName, payload: unknown): void {
    ctx.stub.setEvent(EVENTS[name], Buffer.from(JSON.stringify(payload), 'utf8'));
}

function proposalKey(ctx: Context, proposalId: string): string {
    return ctx.stub.createCompositeKey(PROPOSAL_OBJECT, [proposalId]);
}

function voteKey(ctx: Context, proposalId: string, mspId: string): string {
    return ctx.stub.createCompositeKey(VOTE_OBJECT, [proposalId, mspId]);
}

/** Zero-padded sequence, so that a partial-key read returns a height's signatures by sequence. */
function updateSignatureKey(ctx: Context, height: number, configSequence: number, mspId: string): string {
    return ctx.stub.createCompositeKey(UPDATE_SIGNATURE_OBJECT, [String(height), configSequence.toString().padStart(16, '0'), mspId]);
}

async function loadParams(ctx: Context): Promise<GenesisParams> {
    const params = await readJson<GenesisParams>(ctx, KEY_PARAMS);
    if (params === undefined) {
        throw new MgmtError('MGMT_NOT_INITIALISED');
    }
    return params;
}

async function loadLatest(ctx: Context): Promise<LatestBlock> {
    const latest = await readJson<LatestBlock>(ctx, KEY_LATEST);
    if (latest === undefined) {
        throw new MgmtError('MGMT_NOT_INITIALISED');
    }
    return latest;
}

async function loadBlock(ctx: Context, height: number): Promise<ConfigBlock> {
    const block = await readJson<ConfigBlock>(ctx, blockKey(height));
    if (block === undefined) {
        throw new MgmtError('MGMT_NOT_FOUND', `no configuration block at height ${height}`);
    }
    return block;
}

async function loadProposal(ctx: Context, proposalId: string): Promise<Proposal> {
    const proposal = await readJson<Proposal>(ctx, proposalKey(ctx, proposalId));
    if (proposal === undefined) {
        throw new MgmtError('MGMT_UNKNOWN_PROPOSAL', `no proposal ${proposalId}`);
    }
    return proposal;
}

/** The params a proposal is judged under: its own at genesis, the chain's otherwise. */
async function paramsFor(ctx: Context, proposal: Proposal): Promise<GenesisParams> {
    if (proposal.header.height === 0 && proposal.header.params !== undefined) {
        return proposal.header.params;
    }
    return loadParams(ctx);
}

/** Point reads of every member's vote key: never a range read, so no phantom conflicts. */
async function readVotes(ctx: Context, proposalId: string, members: readonly Member[]): Promise<Vote[]> {
    const votes: Vote[] = [];
    for (const member of members) {
        const vote = await readJson<Vote>(ctx, voteKey(ctx, proposalId, member.mspId));
        if (vote !== undefined) {
            votes.push(vote);
        }
    }
    return votes;
}

interface RecordedProposal extends PreviousProposal {
    readonly votes: readonly Vote[];
}

/**
 * The most recent proposal for `height` (from the open-proposal pointer) with its votes.
 *
 * @param members whose votes count; a genesis proposal's own members when omitted.
 */
async function previousProposal(ctx: Context, height: number, members?: readonly Member[]): Promise<RecordedProposal | undefined> {
    const pointer = await readJson<OpenProposalPointer>(ctx, KEY_OPEN_PROPOSAL);
    if (pointer === undefined || pointer.height !== height) {
        return undefined;
    }
    const proposal = await loadProposal(ctx, pointer.proposalId);
    const voters = members ?? proposal.header.params?.members ?? [];
    const votes = await readVotes(ctx, proposal.id, voters);
    return { proposal, votes, tally: tallyVotes(votes, voters.map((m) => m.mspId)) };
}

function parseProposalId(proposalId: string): string {
    if (typeof proposalId !== 'string' || !HASH_PATTERN.test(proposalId)) {
        throw new MgmtError('MGMT_BAD_ARGUMENT', 'proposalId must be 64 lowercase hex digits');
    }
    return proposalId;
}

function parseHeight(text: string, name: string): number {
    const height = typeof text === 'string' && HEIGHT_PATTERN.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(height)) {
        throw new MgmtError('MGMT_BAD_ARGUMENT', `${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
    }
    return height;
}

function parseApprove(text: string): boolean {
    if (text === 'true') {
        return true;
    }
    if (text === 'false') {
        return false;
    }
    throw new MgmtError('MGMT_BAD_ARGUMENT', `approve must be "true" or "false", got ${JSON.stringify(text)}`);
}

function parseReason(text: string): string {
    if (typeof text !== 'string' || text.length > MAX_REASON_LENGTH) {
        throw new MgmtError('MGMT_BAD_ARGUMENT', `reason must be a string of at most ${MAX_REASON_LENGTH} characters`);
    }
    const problem = unicodeProblem(text);
    if (problem !== undefined) {
        throw new MgmtError('MGMT_BAD_ARGUMENT', `reason has ${problem}`);
    }
    return text;
}

function parseBase64(text: string, name: string, maxBytes: number): Uint8Array {
    const bytes = decodeBase64Strict(text);
    if (bytes === undefined || bytes.length > maxBytes) {
        throw new MgmtError('MGMT_BAD_ARGUMENT', `${name} must be canonical base64 of 1 to ${maxBytes} bytes`);
    }
    return bytes;
}

/**
 * The management chaincode. Transactions and their rules are those of DESIGN.md section 5, plus
 * `Tally`, the step that seals or fails a cycle (see the comment at the top of this file), and
 * `ShareUpdateSignature`/`GetUpdateSignatures`, through which members' orchestrators pool their
 * admins' signatures of the primary channel update that applies a block (section 6).
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
        if ((await readJson<LatestBlock>(ctx, KEY_LATEST)) !== undefined) {
            throw new MgmtError('MGMT_ALREADY_INITIALISED');
        }
        const input = parseIJson(paramsJson, 'paramsJson');
        if (input === null || typeof input !== 'object' || Array.isArray(input)) {
            throw new MgmtError('MGMT_BAD_ARGUMENT', 'paramsJson must be an object {"params": ..., "config": ...}');
        }
        const extra = Object.keys(input).filter((key) => key !== 'params' && key !== 'config');
        if (extra.length > 0 || !('params' in input) || !('config' in input)) {
            throw new MgmtError('MGMT_BAD_ARGUMENT', 'paramsJson must have exactly the fields "params" and "config"');
        }
        const params = validateParams(input.params);
        const config = validateConfig(input.config ?? null, params.configSchema);
        assertClockSkew(nowMs, this.now(), params.clockToleranceSeconds);
        const caller = callerOf(ctx);
        authorise(caller, params, nowMs);

        const previous = await previousProposal(ctx, 0);
        const proposal = planGenesis({ params, caller: caller.mspId, nowMs, config, previous, txId: ctx.stub.getTxID() });
        await writeJson(ctx, proposalKey(ctx, proposal.id), proposal);
        await writeJson(ctx, KEY_OPEN_PROPOSAL, { height: 0, proposalId: proposal.id } satisfies OpenProposalPointer);
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
        const nowMs = txTimeMs(ctx);
        const params = await loadParams(ctx);
        assertClockSkew(nowMs, this.now(), params.clockToleranceSeconds);
        const caller = callerOf(ctx);
        authorise(caller, params, nowMs);
        const config = validateConfig(parseIJson(configJson, 'config'), params.configSchema);

        const latest = await loadLatest(ctx);
        const previous = await previousProposal(ctx, latest.height + 1, params.members);
        const proposal = planProposal({ params, latest, caller: caller.mspId, nowMs, config, previous, txId: ctx.stub.getTxID() });
        await writeJson(ctx, proposalKey(ctx, proposal.id), proposal);
        await writeJson(ctx, KEY_OPEN_PROPOSAL, { height: proposal.header.height, proposalId: proposal.id } satisfies OpenProposalPointer);
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
        if (typeof signature !== 'string') {
            throw new MgmtError('MGMT_BAD_ARGUMENT', 'signature must be a string');
        }
        const proposal = await loadProposal(ctx, id);
        const params = await paramsFor(ctx, proposal);
        assertClockSkew(nowMs, this.now(), params.clockToleranceSeconds);
        const caller = callerOf(ctx);
        const proposedAtMs = parseIsoMillis(proposal.header.timestamp) as number;
        authorise(caller, params, proposedAtMs);

        const key = voteKey(ctx, id, caller.mspId);
        const existing = await readJson<Vote>(ctx, key);
        admitVote(proposal, caller.mspId, nowMs, existing !== undefined);
        assertVoteSignature({ hash: proposal.hash, approve: approved, signature, certificate: caller.certificate });

        const vote: Vote = {
            proposalId: id,
            mspId: caller.mspId,
            approve: approved,
            signature,
            certificate: caller.certificate,
            reason: why,
            timestamp: toIsoMillis(nowMs),
            txId: ctx.stub.getTxID(),
        };
        await writeJson(ctx, key, vote);
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
        const latest = await readJson<LatestBlock>(ctx, KEY_LATEST);
        if ((latest?.height ?? -1) !== height - 1) {
            throw new MgmtError('MGMT_STALE_PROPOSAL', `proposal ${id} is for height ${height}, but the latest block is ${latest?.height ?? 'none'}`);
        }
        // A later cycle's proposal supersedes this one: a vote that commits late (its timestamp
        // inside the old cycle) must not seal a proposal the rotation has moved past.
        const open = await readJson<OpenProposalPointer>(ctx, KEY_OPEN_PROPOSAL);
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
            await writeJson(ctx, blockKey(height), block);
            await writeJson(ctx, KEY_LATEST, { height, hash: block.hash, timestamp: block.timestamp } satisfies LatestBlock);
            if (height === 0) {
                await writeJson(ctx, KEY_PARAMS, params);
            }
            await writeJson(ctx, proposalKey(ctx, id), { ...proposal, status: 'sealed' } satisfies Proposal);
            emit(ctx, 'ConfigBlockCommitted', block);
            return JSON.stringify(block);
        }

        const failure = describeFailure(proposal, params, outcome.reason, outcome);
        await writeJson(ctx, proposalKey(ctx, id), { ...proposal, status: 'failed', failure: outcome.reason } satisfies Proposal);
        emit(ctx, 'CycleFailed', failure);
        return JSON.stringify(failure);
    }

    /**
     * Records the calling member's admin signature of the `primary` channel configuration update
     * that puts the configuration of the sealed block at `height` in force (DESIGN.md section 6).
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
        const member = authorise(caller, params, nowMs);
        // A point read of a key written once, at sealing: never a conflict with agreement.
        const block = await loadBlock(ctx, cbHeight);
        const { channelId } = parseConfigUpdate(updateBytes);
        const parts = assertUpdateSignature({ update: updateBytes, configSignature: signatureBytes, member, atMs: nowMs });

        const key = updateSignatureKey(ctx, cbHeight, sequence, caller.mspId);
        if ((await readJson<UpdateSignature>(ctx, key)) !== undefined) {
            throw new MgmtError('MGMT_DUPLICATE_SIGNATURE', `${caller.mspId} already shared its signature for height ${cbHeight} at config sequence ${sequence}`);
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
        await writeJson(ctx, key, record);
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
        const latest = await readJson<LatestBlock>(ctx, KEY_LATEST);
        if (latest === undefined) {
            return '[]';
        }
        const end = Math.min(last, first + MAX_BLOCKS_PER_CALL - 1, latest.height);
        const blocks: ConfigBlock[] = [];
        if (first <= end) {
            const iterator = await ctx.stub.getStateByRange(blockKey(first), blockKey(end + 1));
            try {
                for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
                    blocks.push(JSON.parse(Buffer.from(next.value.value).toString('utf8')) as ConfigBlock);
                }
            } finally {
                await iterator.close();
            }
        }
        return JSON.stringify(blocks);
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
        const cbHeight = parseHeight(height, 'height');
        const records: UpdateSignature[] = [];
        const iterator = await ctx.stub.getStateByPartialCompositeKey(UPDATE_SIGNATURE_OBJECT, [String(cbHeight)]);
        try {
            for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
                records.push(JSON.parse(Buffer.from(next.value.value).toString('utf8')) as UpdateSignature);
            }
        } finally {
            await iterator.close();
        }
        return JSON.stringify(records);
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

function describeFailure(proposal: Proposal, params: GenesisParams, reason: FailureReason, outcome: CycleOutcome): CycleFailure {
    const { height, cycle } = proposal.header;
    const roundAbandoned = height > 0 && isLastCycleOfRound(cycle, params.members.length);
    // Cycles of a round are back to back; after the last one the next round waits one CBI.
    const endsAtMs = parseIsoMillis(proposal.cycleEndsAt) as number;
    const nextCycleStartsAt = height === 0 ? null : toIsoMillis(endsAtMs + (roundAbandoned ? params.cbiSeconds * 1000 : 0));
    return {
        proposalId: proposal.id,
        height,
        cycle,
        reason,
        approvals: outcome.tally.approvals,
        rejections: outcome.tally.rejections,
        quorum: outcome.tally.quorum,
        roundAbandoned,
        nextCycleStartsAt,
    };
}

async function roundAt(ctx: Context, nowMs: number): Promise<Round> {
    const now = toIsoMillis(nowMs);
    const latest = await readJson<LatestBlock>(ctx, KEY_LATEST);
    if (latest === undefined) {
        const previous = await previousProposal(ctx, 0);
        return {
            now,
            nextHeight: 0,
            latestHash: '',
            phase: 'genesis',
            round: null,
            opensAt: null,
            cycle: previous === undefined ? null : 0,
            cycleStartsAt: previous?.proposal.cycleStartsAt ?? null,
            cycleEndsAt: previous?.proposal.cycleEndsAt ?? null,
            expectedProposer: null,
            proposal: previous?.proposal ?? null,
            votes: previous?.votes ?? [],
            outcome: previous === undefined ? null : outcomeAt(previous, nowMs),
        };
    }
    const params = await loadParams(ctx);
    const position = locate(scheduleAfter(parseIsoMillis(latest.timestamp) as number, params), nowMs);
    const previous = await previousProposal(ctx, latest.height + 1, params.members);
    const inCycle = position.phase === 'cycle';
    return {
        now,
        nextHeight: latest.height + 1,
        latestHash: latest.hash,
        phase: position.phase,
        round: position.round,
        opensAt: toIsoMillis(position.opensAtMs),
        cycle: inCycle ? position.cycle : null,
        cycleStartsAt: inCycle ? toIsoMillis(position.startsAtMs) : null,
        cycleEndsAt: inCycle ? toIsoMillis(position.endsAtMs) : null,
        expectedProposer: inCycle ? expectedProposer(params.members, latest.hash, position.cycle) : null,
        proposal: previous?.proposal ?? null,
        votes: previous?.votes ?? [],
        outcome: previous === undefined ? null : outcomeAt(previous, nowMs),
    };
}

function outcomeAt(previous: PreviousProposal, nowMs: number): CycleOutcome {
    const { proposal, tally } = previous;
    if (proposal.status === 'sealed') {
        return { verdict: 'sealed', tally };
    }
    if (proposal.status === 'failed') {
        return { verdict: 'failed', reason: proposal.failure ?? 'timeout', tally };
    }
    return cycleOutcome(tally, nowMs, parseIsoMillis(proposal.cycleEndsAt) as number);
}
