/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Verifying a long management chain quickly, with the protocol core as the only judge.
 *
 * Every block goes through the core's verifyBlock, so each rule, error code and message is the
 * core's. What makes 10,000 CBs take seconds rather than minutes is the verifier injected into
 * it: the core's default checks each vote signature with @noble/curves in pure JavaScript and
 * parses each certificate at each use (about 10 ms a CB); the OpenSSL verifier of
 * `opensslVerifier.ts` parses each certificate once and verifies ECDSA natively. Past that, one
 * core's ECDSA speed is the limit (about 60 µs a signature, 3.3 a CB): with `parallel`, worker
 * threads check the signatures ahead (`signatureWorkers.ts`) while this thread runs verifyBlock.
 */
import { BlockVerificationError, pureVerifier, verifyBlock, voteText } from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, CryptoVerifier, GenesisParams } from 'mgmt-chaincode/dist/protocol';
import { createOpenSslVerifier } from './opensslVerifier';
import { defaultAuditWorkers, startSignaturePrepass } from './signatureWorkers';
import type { SignaturePrepass } from './signatureWorkers';

/**
 * Chains from this many blocks up are verified in parallel under `parallel: 'auto'`: below it,
 * starting the workers (about 25 ms each) costs more than it saves.
 */
export const PARALLEL_AUDIT_THRESHOLD = 500;

/** Result of {@link verifyManagementChain}. */
export interface ChainVerification {
  /** The blocks that verified, from height 0: the whole input when `fault` is undefined. */
  readonly verified: readonly ConfigBlock[];
  /** The genesis parameters, once the genesis block verified. */
  readonly params: GenesisParams | undefined;
  /** The params in force after the last verified block (genesis's, or a later CB's that changed them). */
  readonly inForce?: GenesisParams;
  /** Every MSP ID that was a member at some height of the verified chain. */
  readonly everMembers?: readonly string[];
  /** The first block that fails, with its height and the core's reason. */
  readonly fault: BlockVerificationError | undefined;
}

/** Options of {@link verifyManagementChain}. */
export interface VerifyManagementChainOptions {
  /**
   * Verify with the core's own verifier, the chaincode's (`pureVerifier`: slow; the reference
   * the OpenSSL verifier must equal).
   */
  readonly reference?: boolean;
  /**
   * Check the vote signatures ahead on worker threads (`signatureWorkers.ts`), the verdicts
   * unchanged: `true`, `false`, or `'auto'` (the default) for chains of at least
   * {@link PARALLEL_AUDIT_THRESHOLD} blocks on a machine with more than one core (or with `workers` given). Ignored with
   * `reference: true`.
   */
  readonly parallel?: boolean | 'auto';
  /** Worker threads of a parallel verification; default one per available core but the verifying thread's. */
  readonly workers?: number;
}

/** Whether `options` ask for a parallel verification of `count` blocks. */
function wantsParallel(count: number, options: Readonly<VerifyManagementChainOptions>): boolean {
  if (options.reference === true || options.parallel === false) return false;
  if (options.parallel === true) return true;
  return count >= PARALLEL_AUDIT_THRESHOLD && (options.workers ?? defaultAuditWorkers()) > 0;
}

/**
 * Verifies a management chain from its genesis block with the core's verifyBlock, as the core's
 * verifyChain does, but fast (see the file comment) and without throwing: it returns the verified
 * prefix and the first fault. An empty chain is a fault at height 0, as in the core.
 *
 * @param blocks - CBs from height 0, untrusted (typically the parsed answer of `GetBlocks`).
 * @param options - `reference: true` to verify with the core's default (pure) verifier;
 *   `parallel` and `workers` to check the signatures on worker threads.
 * @returns the verified blocks, the genesis params and the first fault, if any.
 * @throws only what is not a verification failure (a bug, or a RangeError for `parallel: true` with
 *   `workers` not a positive integer), never a BlockVerificationError.
 */
export function verifyManagementChain(blocks: readonly unknown[], options: Readonly<VerifyManagementChainOptions> = {}): ChainVerification {
  if (blocks.length === 0) {
    return { verified: [], params: undefined, fault: new BlockVerificationError(0, 'no blocks to verify') };
  }
  if (!wantsParallel(blocks.length, options)) {
    return verifyInOrder(blocks, options.reference === true ? pureVerifier : createOpenSslVerifier());
  }
  let prepass: SignaturePrepass | undefined;
  try {
    prepass = startSignaturePrepass(blocks, options.workers ?? Math.max(1, defaultAuditWorkers()), (hash) => voteText(hash, true));
    return verifyInOrder(blocks, prepass.verifier);
  } finally {
    prepass?.close();
  }
}

/** The core's verifyBlock on each block in turn, with `verifier`, up to the first fault. */
function verifyInOrder(blocks: readonly unknown[], verifier: CryptoVerifier): ChainVerification {
  const verified: ConfigBlock[] = [];
  let params: GenesisParams | undefined;
  // Each block is verified under the params in force at its height: genesis's, or those of the
  // latest earlier CB that changed them.
  let inForce: GenesisParams | undefined;
  const ever = new Set<string>();
  const result = (fault: BlockVerificationError | undefined): ChainVerification => ({
    verified,
    params,
    fault,
    ...(inForce === undefined ? {} : { inForce, everMembers: [...ever].sort() }),
  });
  for (const block of blocks) {
    const previous = verified.length === 0 ? undefined : verified[verified.length - 1];
    try {
      const typed = verifyBlock(block, { previous, params: inForce, verifier });
      if (previous === undefined) params = typed.params;
      inForce = typed.params ?? inForce;
      for (const member of typed.params?.members ?? []) ever.add(member.mspId);
      verified.push(typed);
    } catch (err) {
      if (err instanceof BlockVerificationError) return result(err);
      throw err;
    }
  }
  return result(undefined);
}
