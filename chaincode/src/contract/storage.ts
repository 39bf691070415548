/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The contract's world state: which key holds which record (chaincode/README.md "Storage").
 * Keys and JSON are the chain's storage format, which running chains keep across upgrades: they
 * must not change shape. Every read is a point read except the two queries' range reads, so that
 * no transaction that changes the ledger can fail on a phantom.
 */

import type { Context } from 'fabric-contract-api';
import type { Iterators } from 'fabric-shim';

import { canonicalJson, MgmtError } from '../protocol';
import type { ConfigBlock, FailureReason, GenesisParams, LatestBlock, Member, Proposal, UpdateSignature, Vote } from '../protocol';

const KEY_PARAMS = 'params';
/** Ascending heights of the CBs that carry params (genesis and each params change). */
const KEY_PARAMS_HEIGHTS = 'paramsHeights';
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

/** The most recent proposal; a later one for the same height supersedes it. */
interface OpenProposalPointer {
  readonly height: number;
  readonly proposalId: string;
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

async function readAll<T>(query: Promise<Iterators.StateQueryIterator>): Promise<T[]> {
  const records: T[] = [];
  const iterator = await query;
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      records.push(JSON.parse(Buffer.from(next.value.value).toString('utf8')) as T);
    }
  } finally {
    await iterator.close();
  }
  return records;
}

function proposalKey(ctx: Context, proposalId: string): string {
  return ctx.stub.createCompositeKey(PROPOSAL_OBJECT, [proposalId]);
}

function voteKey(ctx: Context, proposalId: string, mspId: string): string {
  return ctx.stub.createCompositeKey(VOTE_OBJECT, [proposalId, mspId]);
}

/**
 * One key per CB height, channel, config sequence and member: the same CB may need updates of
 * several channels (`primary`, and `mgmt` when it admits an organisation). Zero-padded sequence,
 * so that a partial-key read returns a height's signatures by channel and sequence.
 */
function updateSignatureKey(ctx: Context, height: number, channelId: string, configSequence: number, mspId: string): string {
  return ctx.stub.createCompositeKey(UPDATE_SIGNATURE_OBJECT, [String(height), channelId, configSequence.toString().padStart(16, '0'), mspId]);
}

export async function loadParams(ctx: Context): Promise<GenesisParams> {
  const params = await readJson<GenesisParams>(ctx, KEY_PARAMS);
  if (params === undefined) {
    throw new MgmtError('MGMT_NOT_INITIALISED');
  }
  return params;
}

/**
 * The params in force at `height`: those of the latest CB below it that carries params (genesis's
 * own at height 0), the ones CB `height` was sealed under; `inForce` are those of the next
 * height, already read by the caller. One point read of a key written only when params change,
 * and one of a CB when a params change came after `height`. A chain that changed params before
 * `paramsHeights` existed has no record of it: its older heights are judged under the params in
 * force now, as before.
 */
export async function loadParamsAt(ctx: Context, height: number, inForce: GenesisParams): Promise<GenesisParams> {
  const heights = (await readJson<number[]>(ctx, KEY_PARAMS_HEIGHTS)) ?? [];
  const from = heights.filter((h) => h < height || h === 0).at(-1);
  // The common case, no params change since: the params in force, without reading their CB.
  if (from === undefined || from === heights.at(-1)) return inForce;
  return (await loadBlock(ctx, from)).params ?? inForce;
}

/** The latest sealed block's summary; undefined before genesis is sealed. */
export function readLatest(ctx: Context): Promise<LatestBlock | undefined> {
  return readJson<LatestBlock>(ctx, KEY_LATEST);
}

export async function loadLatest(ctx: Context): Promise<LatestBlock> {
  const latest = await readLatest(ctx);
  if (latest === undefined) {
    throw new MgmtError('MGMT_NOT_INITIALISED');
  }
  return latest;
}

export async function loadBlock(ctx: Context, height: number): Promise<ConfigBlock> {
  const block = await readJson<ConfigBlock>(ctx, blockKey(height));
  if (block === undefined) {
    throw new MgmtError('MGMT_NOT_FOUND', `no configuration block at height ${height}`);
  }
  return block;
}

/** Sealed blocks from `first` to `last`, both inclusive, in height order; heights past the latest are absent. */
export function readBlocks(ctx: Context, first: number, last: number): Promise<ConfigBlock[]> {
  return readAll<ConfigBlock>(ctx.stub.getStateByRange(blockKey(first), blockKey(last + 1)));
}

export async function loadProposal(ctx: Context, proposalId: string): Promise<Proposal> {
  const proposal = await readJson<Proposal>(ctx, proposalKey(ctx, proposalId));
  if (proposal === undefined) {
    throw new MgmtError('MGMT_UNKNOWN_PROPOSAL', `no proposal ${proposalId}`);
  }
  return proposal;
}

/** The params a proposal is judged under: its own at genesis, the chain's otherwise. */
export async function paramsFor(ctx: Context, proposal: Proposal): Promise<GenesisParams> {
  if (proposal.header.height === 0 && proposal.header.params !== undefined) {
    return proposal.header.params;
  }
  return loadParams(ctx);
}

export function readOpenProposal(ctx: Context): Promise<OpenProposalPointer | undefined> {
  return readJson<OpenProposalPointer>(ctx, KEY_OPEN_PROPOSAL);
}

/** Stores a new proposal and makes it the open one, superseding any earlier one. */
export async function recordProposal(ctx: Context, proposal: Proposal): Promise<void> {
  await writeJson(ctx, proposalKey(ctx, proposal.id), proposal);
  await writeJson(ctx, KEY_OPEN_PROPOSAL, { height: proposal.header.height, proposalId: proposal.id } satisfies OpenProposalPointer);
}

/**
 * Stores the block sealed from `proposal` and moves `latest` to it. A block carrying params
 * (genesis, or a later params change) also stores them: they are the params in force from the
 * next height, which every later transaction is judged under.
 */
export async function recordSeal(ctx: Context, proposal: Proposal, block: ConfigBlock, params: GenesisParams): Promise<void> {
  const { height } = proposal.header;
  await writeJson(ctx, blockKey(height), block);
  await writeJson(ctx, KEY_LATEST, { height, hash: block.hash, timestamp: block.timestamp } satisfies LatestBlock);
  if (block.params !== undefined) {
    await writeJson(ctx, KEY_PARAMS, block.params);
    const heights = (await readJson<number[]>(ctx, KEY_PARAMS_HEIGHTS)) ?? (await unrecordedParamsHeights(ctx, height, params));
    await writeJson(ctx, KEY_PARAMS_HEIGHTS, [...heights.filter((h) => h < height), height]);
  } else if (height === 0) {
    await writeJson(ctx, KEY_PARAMS, params);
  }
  await writeJson(ctx, proposalKey(ctx, proposal.id), { ...proposal, status: 'sealed' } satisfies Proposal);
}

/**
 * A chain sealed before `paramsHeights` existed, at its first params change since: when the params
 * in force are still genesis's, they came from height 0; otherwise an earlier change is unrecorded
 * and the heights before this one are judged under the params in force now (chaincode/README.md).
 */
async function unrecordedParamsHeights(ctx: Context, height: number, inForce: GenesisParams): Promise<number[]> {
  if (height === 0) return [];
  const genesis = await readJson<ConfigBlock>(ctx, blockKey(0));
  return genesis?.params !== undefined && canonicalJson(genesis.params) === canonicalJson(inForce) ? [0] : [];
}

export async function recordFailure(ctx: Context, proposal: Proposal, reason: FailureReason): Promise<void> {
  await writeJson(ctx, proposalKey(ctx, proposal.id), { ...proposal, status: 'failed', failure: reason } satisfies Proposal);
}

export function readVote(ctx: Context, proposalId: string, mspId: string): Promise<Vote | undefined> {
  return readJson<Vote>(ctx, voteKey(ctx, proposalId, mspId));
}

/** Point reads of every member's vote key: never a range read, so no phantom conflicts. */
export async function readVotes(ctx: Context, proposalId: string, members: readonly Member[]): Promise<Vote[]> {
  const votes: Vote[] = [];
  for (const member of members) {
    const vote = await readVote(ctx, proposalId, member.mspId);
    if (vote !== undefined) {
      votes.push(vote);
    }
  }
  return votes;
}

/** Writes only the voter's own key, so that concurrent votes never conflict. */
export async function writeVote(ctx: Context, vote: Vote): Promise<void> {
  await writeJson(ctx, voteKey(ctx, vote.proposalId, vote.mspId), vote);
}

export function readUpdateSignature(ctx: Context, height: number, channelId: string, configSequence: number, mspId: string): Promise<UpdateSignature | undefined> {
  return readJson<UpdateSignature>(ctx, updateSignatureKey(ctx, height, channelId, configSequence, mspId));
}

/** Writes only the signer's own key, so that members share in the same block. */
export async function writeUpdateSignature(ctx: Context, record: UpdateSignature): Promise<void> {
  await writeJson(ctx, updateSignatureKey(ctx, record.height, record.channelId, record.configSequence, record.mspId), record);
}

/** The signatures shared for the update of the block at `height`, by config sequence, then MSP ID. */
export function readUpdateSignatures(ctx: Context, height: number): Promise<UpdateSignature[]> {
  return readAll<UpdateSignature>(ctx.stub.getStateByPartialCompositeKey(UPDATE_SIGNATURE_OBJECT, [String(height)]));
}
