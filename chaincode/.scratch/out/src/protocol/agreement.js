"use strict";
/*
 * SPDX-License-Identifier: Apache-2.0
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.outcomeOf = outcomeOf;
exports.planProposal = planProposal;
exports.planGenesis = planGenesis;
exports.admitVote = admitVote;
exports.sealProposal = sealProposal;
/**
 * The rules of Algorithm 1 as pure functions: who may propose when, which votes are admissible,
 * and what a decided proposal turns into. The chaincode reads state, calls these, and writes.
 */
const errors_1 = require("./errors");
const hash_1 = require("./hash");
const members_1 = require("./members");
const proposer_1 = require("./proposer");
const round_1 = require("./round");
const tally_1 = require("./tally");
const time_1 = require("./time");
function timeOf(text) {
    const ms = (0, time_1.parseIsoMillis)(text);
    if (ms === undefined) {
        throw new errors_1.MgmtError('MGMT_BAD_ARGUMENT', `stored time ${JSON.stringify(text)} is malformed`);
    }
    return ms;
}
/** The outcome of a stored proposal at `nowMs`, from its recorded tally. */
function outcomeOf(previous, nowMs) {
    return (0, tally_1.cycleOutcome)(previous.tally, nowMs, timeOf(previous.proposal.cycleEndsAt));
}
function assertPreviousSettled(previous, nowMs, cycle) {
    const { proposal } = previous;
    if (proposal.status === 'sealed') {
        throw new errors_1.MgmtError('MGMT_STALE_PROPOSAL', `proposal ${proposal.id} for height ${proposal.header.height} is already sealed`);
    }
    if (proposal.header.cycle > cycle) {
        throw new errors_1.MgmtError('MGMT_STALE_PROPOSAL', `a proposal for the later cycle ${proposal.header.cycle} exists`);
    }
    const outcome = proposal.status === 'failed' ? undefined : outcomeOf(previous, nowMs);
    if (outcome?.verdict === 'sealed') {
        throw new errors_1.MgmtError('MGMT_SEAL_PENDING', `proposal ${proposal.id} (cycle ${proposal.header.cycle}) has ${outcome.tally.approvals} approvals; submit Tally first`);
    }
    if (proposal.header.cycle === cycle) {
        throw new errors_1.MgmtError('MGMT_ALREADY_PROPOSED', `proposal ${proposal.id} already exists for cycle ${cycle}`);
    }
    if (outcome?.verdict === 'open') {
        // Unreachable for a proposal of an earlier cycle (its deadline has passed), kept as a guard.
        throw new errors_1.MgmtError('MGMT_ALREADY_PROPOSED', `proposal ${proposal.id} is still open`);
    }
}
function makeProposal(header, startsAtMs, endsAtMs, txId) {
    const hash = (0, hash_1.hashHeader)(header);
    return {
        id: hash,
        hash,
        header,
        cycleStartsAt: (0, time_1.toIsoMillis)(startsAtMs),
        cycleEndsAt: (0, time_1.toIsoMillis)(endsAtMs),
        status: 'open',
        txId,
    };
}
/**
 * Applies the proposing rules after the latest block: a round must be open (CBI elapsed and not
 * between rounds), the caller must be the expected proposer of the current cycle
 * (`members[(latest.hash + FC) mod n]`), the cycle must not have a proposal yet, and an earlier
 * proposal holding a quorum must be tallied first.
 *
 * @returns the new proposal, status `open`.
 * @throws {@link MgmtError} `MGMT_CBI_NOT_ELAPSED`, `MGMT_NOT_PROPOSER`, `MGMT_ALREADY_PROPOSED`,
 * `MGMT_SEAL_PENDING`, `MGMT_STALE_PROPOSAL`, or `MGMT_INVALID_JSON` for a non-I-JSON config.
 */
function planProposal(input) {
    const { params, latest, caller, nowMs } = input;
    const position = (0, round_1.locate)((0, round_1.scheduleAfter)(timeOf(latest.timestamp), params), nowMs);
    if (position.phase === 'waiting') {
        throw new errors_1.MgmtError('MGMT_CBI_NOT_ELAPSED', `round ${position.round} after height ${latest.height} opens at ${(0, time_1.toIsoMillis)(position.opensAtMs)}, now ${(0, time_1.toIsoMillis)(nowMs)}`);
    }
    const expected = (0, proposer_1.expectedProposer)(params.members, latest.hash, position.cycle);
    if (caller !== expected) {
        throw new errors_1.MgmtError('MGMT_NOT_PROPOSER', `expected ${expected} for cycle ${position.cycle}, got ${caller}`);
    }
    if (input.previous !== undefined) {
        assertPreviousSettled(input.previous, nowMs, position.cycle);
    }
    const header = {
        height: latest.height + 1,
        prevHash: latest.hash,
        proposer: caller,
        cycle: position.cycle,
        timestamp: (0, time_1.toIsoMillis)(nowMs),
        config: input.config,
    };
    return makeProposal(header, position.startsAtMs, position.endsAtMs, input.txId);
}
/**
 * Applies the genesis rules: any member may open the genesis proposal (height 0, cycle 0, its
 * own cycle of `cycleTimeoutSeconds` from now) unless one is still undecided; a genesis
 * proposal that failed (rejected, or timed out without a quorum) may be replaced, one that
 * holds a quorum must be tallied instead.
 *
 * @returns the new genesis proposal, status `open`.
 * @throws {@link MgmtError} `MGMT_ALREADY_PROPOSED`, `MGMT_SEAL_PENDING`,
 * `MGMT_ALREADY_INITIALISED`, or `MGMT_INVALID_JSON`.
 */
function planGenesis(input) {
    const { params, caller, nowMs, previous } = input;
    if (previous !== undefined) {
        const outcome = previous.proposal.status === 'open' ? outcomeOf(previous, nowMs) : undefined;
        if (previous.proposal.status === 'sealed') {
            throw new errors_1.MgmtError('MGMT_ALREADY_INITIALISED', `genesis ${previous.proposal.id} is sealed`);
        }
        if (outcome?.verdict === 'sealed') {
            throw new errors_1.MgmtError('MGMT_SEAL_PENDING', `genesis proposal ${previous.proposal.id} has a quorum; submit Tally`);
        }
        if (outcome?.verdict === 'open') {
            throw new errors_1.MgmtError('MGMT_ALREADY_PROPOSED', `genesis proposal ${previous.proposal.id} is open until ${previous.proposal.cycleEndsAt}`);
        }
    }
    const header = {
        height: 0,
        prevHash: '',
        proposer: caller,
        cycle: 0,
        timestamp: (0, time_1.toIsoMillis)(nowMs),
        config: input.config,
        params,
    };
    return makeProposal(header, nowMs, nowMs + params.cycleTimeoutSeconds * 1000, input.txId);
}
/**
 * Whether a vote may be recorded: the proposal must still be open (not tallied) and the vote's
 * timestamp before the end of the proposal's cycle; the member must not have voted on it.
 *
 * @throws {@link MgmtError} `MGMT_STALE_PROPOSAL` or `MGMT_DUPLICATE_VOTE`.
 */
function admitVote(proposal, mspId, nowMs, alreadyVoted) {
    if (proposal.status !== 'open') {
        throw new errors_1.MgmtError('MGMT_STALE_PROPOSAL', `proposal ${proposal.id} is ${proposal.status}`);
    }
    if (nowMs >= timeOf(proposal.cycleEndsAt)) {
        throw new errors_1.MgmtError('MGMT_STALE_PROPOSAL', `cycle ${proposal.header.cycle} of proposal ${proposal.id} ended at ${proposal.cycleEndsAt}`);
    }
    if (alreadyVoted) {
        throw new errors_1.MgmtError('MGMT_DUPLICATE_VOTE', `${mspId} already voted on proposal ${proposal.id}`);
    }
}
/**
 * The block a sealed proposal becomes: its header, its hash, and the approvals as proof, sorted
 * by MSP ID, each exactly `{mspId, certificate, signature}`.
 */
function sealProposal(proposal, votes) {
    const proof = votes
        .filter((vote) => vote.approve)
        .sort((a, b) => (0, members_1.compareMspIds)(a.mspId, b.mspId))
        .map((vote) => ({ mspId: vote.mspId, certificate: vote.certificate, signature: vote.signature }));
    const { height, prevHash, proposer, cycle, timestamp, config, params } = proposal.header;
    const block = height === 0
        ? { height, hash: proposal.hash, prevHash, proposer, cycle, timestamp, config, params, proof }
        : { height, hash: proposal.hash, prevHash, proposer, cycle, timestamp, config, proof };
    return block;
}
