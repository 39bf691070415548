/*
 * SPDX-License-Identifier: Apache-2.0
 */

import type { ValidateFunction } from 'ajv/dist/2020';

import { canonicalJson } from './canonicalJson';
import { checkMemberCertificate } from './certificates';
import { compileConfigSchema, validateConfig } from './config';
import type { CryptoVerifier } from './cryptoVerifier';
import { BlockVerificationError, messageOf } from './errors';
import { HASH_PATTERN, hashHeader } from './hash';
import { findMember, isStrictlySorted } from './members';
import { membershipChangeProblem } from './membership';
import { validateParams } from './params';
import { expectedProposer } from './proposer';
import { quorum } from './quorum';
import { cycleWindow, scheduleAfter } from './round';
import { assertVoteSignature } from './signatures';
import { parseIsoMillis } from './time';
import type { ConfigBlock, GenesisParams, JsonObject, ProofEntry } from './types';

/** What a block is verified against. */
export interface VerifyContext {
  /** The already verified block at height-1; omitted for genesis. */
  readonly previous?: ConfigBlock;
  /**
   * The params in force at the block's height (the genesis params, or those of the latest CB
   * below it that carries params: `paramsInForce`). Required above height 0; at height 0, when
   * given, the block's params must equal them (a verifier that trusts a known genesis).
   */
  readonly params?: GenesisParams;
  /**
   * Answers the cryptographic questions of the proof check (parse a certificate, "issued by",
   * ECDSA); the rules, codes and messages do not depend on it. Default `pureVerifier`, the
   * chaincode's: `@noble/curves` in pure JavaScript.
   */
  readonly verifier?: CryptoVerifier;
}

/** Result of {@link verifyChain}. */
export interface VerifiedChain {
  /** The params in force after the last block. */
  readonly params: GenesisParams;
  /** The last block of the verified range. */
  readonly latest: ConfigBlock;
}

const PROOF_FIELDS = ['certificate', 'mspId', 'signature'];

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Verifies one configuration block against its predecessor and the genesis parameters:
 * height, recomputed hash, prevHash link, proposer formula including the cycle, timestamp
 * strictly after the predecessor, at least CBI later and inside the window of its cycle,
 * configuration against the schema, and the proof: only approvals, at least a quorum, one per
 * member, sorted by MSP ID, each exactly `{mspId, certificate, signature}` with a valid signature
 * and a certificate issued by that member's CA, valid at the block's timestamp, not a peer or
 * orderer. Fields outside the header and the proof are ignored.
 *
 * @returns the block, typed.
 * @throws {@link BlockVerificationError} (code `MGMT_INVALID_BLOCK`) naming the height and reason.
 */
export function verifyBlock(block: unknown, context: VerifyContext = {}): ConfigBlock {
  const expectedHeight = context.previous === undefined ? 0 : context.previous.height + 1;
  const check = checker(expectedHeight);
  const { typed, ts } = checkShape(block, expectedHeight, check);
  const recomputed = check.wrap('header', () => hashHeader(typed));
  if (recomputed !== typed.hash) {
    check.fail(`hash ${typed.hash} does not match the header (recomputed ${recomputed})`);
  }
  const params = context.previous === undefined ? checkGenesis(typed, context, check) : checkLink(typed, ts, context.previous, context, check);
  checkConfig(typed.config, params.configSchema, check);
  verifyProof(typed.proof, typed.hash, params, ts, check.fail, context.verifier);
  return typed;
}

interface Checker {
  /** Throws the verification error. */
  readonly fail: (reason: string, cause?: unknown) => never;
  /** Runs a check, turning any error into a verification error prefixed with `what`. */
  readonly wrap: <T>(what: string, fn: () => T) => T;
}

function checker(height: number): Checker {
  const fail = (reason: string, cause?: unknown): never => {
    throw new BlockVerificationError(height, reason, cause === undefined ? undefined : { cause });
  };
  return {
    fail,
    wrap: <T>(what: string, fn: () => T): T => {
      try {
        return fn();
      } catch (err) {
        return fail(`${what}: ${messageOf(err)}`, err);
      }
    },
  };
}

/**
 * Validators by schema object. A verifier of a chain passes the same params in force for block
 * after block, and finding config.ts's compiled validator by the schema's canonical text cost
 * more per block than the validation (more, the larger the schema). Like `previous`, the params
 * in force are taken as given and unchanged; weak, so nothing outlives the caller's params.
 */
const validators = new WeakMap<JsonObject, ValidateFunction>();

/** The config against the schema, with `validateConfig`'s codes and messages. */
function checkConfig(config: JsonObject, schema: JsonObject, check: Checker): void {
  let validate = validators.get(schema);
  if (validate === undefined) {
    const compiled = check.wrap('config', () => compileConfigSchema(schema));
    validators.set(schema, compiled);
    validate = compiled;
  }
  if (!validate(config)) {
    // validateConfig words every violation; the block fails even if it somehow did not.
    check.wrap('config', () => validateConfig(config, schema));
    check.fail('config: does not match the schema');
  }
}

/** Field types and formats; returns the block typed and its timestamp in milliseconds. */
function checkShape(block: unknown, expectedHeight: number, check: Checker): { typed: ConfigBlock; ts: number } {
  if (!isObject(block)) {
    return check.fail('not a JSON object');
  }
  const { height, hash, prevHash, proposer, cycle, timestamp, config, proof } = block;
  if (height !== expectedHeight) {
    check.fail(`height is ${JSON.stringify(height)}, expected ${expectedHeight}`);
  }
  if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) {
    check.fail('hash is not 64 lowercase hex digits');
  }
  if (typeof prevHash !== 'string' || typeof proposer !== 'string') {
    check.fail('prevHash and proposer must be strings');
  }
  if (typeof cycle !== 'number' || !Number.isSafeInteger(cycle) || cycle < 0) {
    check.fail('cycle is not a non-negative integer');
  }
  const ts = parseIsoMillis(timestamp);
  if (ts === undefined) {
    return check.fail('timestamp is not YYYY-MM-DDTHH:mm:ss.sssZ');
  }
  if (!isObject(config)) {
    check.fail('config is not a JSON object');
  }
  if (!Array.isArray(proof)) {
    check.fail('proof is not an array');
  }
  return { typed: block as unknown as ConfigBlock, ts };
}

function checkGenesis(block: ConfigBlock, context: VerifyContext, check: Checker): GenesisParams {
  const params = check.wrap('params', () => validateParams(block.params, { requireSorted: true }));
  if (context.params !== undefined && canonicalJson(context.params) !== canonicalJson(block.params)) {
    check.fail('params differ from the trusted genesis params');
  }
  if (block.prevHash !== '') {
    check.fail('prevHash of genesis must be ""');
  }
  if (block.cycle !== 0) {
    check.fail('cycle of genesis must be 0');
  }
  if (findMember(params.members, block.proposer) === undefined) {
    check.fail(`proposer ${block.proposer} is not a member`);
  }
  return params;
}

function checkLink(block: ConfigBlock, ts: number, previous: ConfigBlock, context: VerifyContext, check: Checker): GenesisParams {
  const params = context.params;
  if (params === undefined) {
    return check.fail('genesis params are needed to verify this block');
  }
  if ('params' in block) {
    // A params change: complete and valid on its own, and within the safety rules relative to
    // the params in force, under which this block itself is still judged.
    const next = check.wrap('params', () => validateParams(block.params, { requireSorted: true }));
    const problem = membershipChangeProblem(params, next);
    if (problem !== undefined) check.fail(`params: ${problem}`);
  }
  if (block.prevHash !== previous.hash) {
    check.fail(`prevHash ${block.prevHash} does not link to block ${previous.height} (${previous.hash})`);
  }
  const prevTs = parseIsoMillis(previous.timestamp) ?? check.fail('the previous block has a malformed timestamp');
  if (ts <= prevTs) {
    check.fail(`timestamp ${block.timestamp} is not after ${previous.timestamp}`);
  }
  if (ts - prevTs < params.cbiSeconds * 1000) {
    check.fail(`timestamp ${block.timestamp} is less than CBI (${params.cbiSeconds}s) after ${previous.timestamp}`);
  }
  const window = check.wrap('cycle', () => cycleWindow(scheduleAfter(prevTs, params), block.cycle));
  if (ts < window.startsAtMs || ts >= window.endsAtMs) {
    check.fail(
      `timestamp ${block.timestamp} is outside cycle ${block.cycle} ` +
        `[${new Date(window.startsAtMs).toISOString()}, ${new Date(window.endsAtMs).toISOString()})`,
    );
  }
  const expected = check.wrap('proposer', () => expectedProposer(params.members, previous.hash, block.cycle));
  if (block.proposer !== expected) {
    check.fail(`proposer is ${block.proposer}, expected ${expected} for cycle ${block.cycle}`);
  }
  return params;
}

function verifyProof(
  proof: readonly unknown[],
  hash: string,
  params: GenesisParams,
  ts: number,
  fail: (reason: string, cause?: unknown) => never,
  verifier: CryptoVerifier | undefined,
): void {
  const q = quorum(params.members.length);
  if (proof.length < q) {
    fail(`proof has ${proof.length} approvals, quorum is ${q}`);
  }
  const entries: ProofEntry[] = proof.map((entry, i) => {
    if (!isObject(entry)) {
      return fail(`proof[${i}] is not an object`);
    }
    const keys = Object.keys(entry).sort();
    if (keys.length !== PROOF_FIELDS.length || keys.some((k, j) => k !== PROOF_FIELDS[j])) {
      return fail(`proof[${i}] must have exactly the fields mspId, certificate, signature`);
    }
    const { mspId, certificate, signature } = entry;
    if (typeof mspId !== 'string' || typeof certificate !== 'string' || typeof signature !== 'string') {
      return fail(`proof[${i}] fields must be strings`);
    }
    return { mspId, certificate, signature };
  });
  if (!isStrictlySorted(entries.map((e) => e.mspId))) {
    fail('proof entries are not sorted by MSP ID or repeat a member');
  }
  entries.forEach((entry, i) => {
    const member = findMember(params.members, entry.mspId);
    if (member === undefined) {
      return fail(`proof[${i}]: ${entry.mspId} is not a member`);
    }
    try {
      checkMemberCertificate({ certificate: entry.certificate, mspId: entry.mspId, caCertificate: member.caCertificate, atMs: ts }, verifier);
      assertVoteSignature({ hash, approve: true, signature: entry.signature, certificate: entry.certificate }, verifier);
    } catch (err) {
      return fail(`proof[${i}] (${entry.mspId}): ${messageOf(err)}`, err);
    }
    return undefined;
  });
}

/**
 * Verifies a run of consecutive blocks. Without `from`, the run must start with the genesis
 * block; with `from`, it continues after `from.previous` under `from.params`. `from.verifier`
 * applies to every block.
 *
 * @returns the params in force after the last block (genesis's, or a later CB's that changed
 * them) and the last block.
 * @throws {@link BlockVerificationError} for the first block that fails, or for an empty run.
 */
export function verifyChain(blocks: readonly unknown[], from: VerifyContext = {}): VerifiedChain {
  let previous = from.previous;
  let params = from.params;
  for (const block of blocks) {
    const verified = verifyBlock(block, { previous, params, verifier: from.verifier });
    // A block carrying params puts them in force from the next height.
    params = verified.params ?? params;
    previous = verified;
  }
  if (previous === undefined || params === undefined) {
    throw new BlockVerificationError(0, 'no blocks to verify');
  }
  return { params, latest: previous };
}
