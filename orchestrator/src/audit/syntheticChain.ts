/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Long, valid management chains made with the protocol core and real vote signatures, for the
 * audit's tests and its benchmark (`npm run bench:audit`): the speed of an audit is measured on
 * the chain a consortium would have after years of CBs, without running one.
 */
import { sign as signData } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist';
import { cycleWindow, expectedProposer, hashHeader, parseIsoMillis, scheduleAfter, toIsoMillis, voteMessage } from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, ConfigBlockHeader, GenesisParams, JsonObject } from 'mgmt-chaincode/dist/protocol';

/** A member's voting identity: its client certificate and private key. */
export interface SyntheticVoter {
  readonly mspId: string;
  /** PEM certificate issued by the member's CA of the genesis params. */
  readonly certificate: string;
  /** ECDSA P-256 private key of the certificate. */
  readonly key: KeyObject;
}

/** The config schema of the synthetic chains: the primary channel's two batch parameters. */
export const SYNTHETIC_SCHEMA: JsonObject = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    batchTimeoutMs: { type: 'integer', minimum: 50, maximum: 10000 },
    maxMessageCount: { type: 'integer', minimum: 1, maximum: 1000 },
  },
  required: ['batchTimeoutMs', 'maxMessageCount'],
  additionalProperties: false,
};

/** Instant of the synthetic genesis blocks. */
export const SYNTHETIC_GENESIS_MS = Date.parse('2026-01-01T00:00:00.000Z');

/**
 * A vote signature as the chaincode wants it (DER, low S, base64), made with OpenSSL: the core's
 * `signVote` signs in pure JavaScript, which would make a 10,000-CB chain take minutes to build.
 */
export function signVoteFast(hash: string, key: KeyObject, approve = true): string {
  const sig = p256.Signature.fromBytes(signData('sha256', voteMessage(hash, approve), { key, dsaEncoding: 'der' }), 'der');
  const low = sig.hasHighS() ? new p256.Signature(sig.r, p256.Point.Fn.ORDER - sig.s) : sig;
  return Buffer.from(low.toBytes('der')).toString('base64');
}

/** Hashes a header and seals it with the approvals of `voters`, sorted by MSP ID as the core wants. */
export function sealBlock(header: ConfigBlockHeader, voters: readonly SyntheticVoter[]): ConfigBlock {
  const hash = hashHeader(header);
  const proof = [...voters]
    .sort((a, b) => Buffer.compare(Buffer.from(a.mspId), Buffer.from(b.mspId)))
    .map((v) => ({ mspId: v.mspId, certificate: v.certificate, signature: signVoteFast(hash, v.key) }));
  return { ...header, hash, proof };
}

/** Who approves block h: everyone every third block, else all but one, a different one absent each time. */
export function approversOf(voters: readonly SyntheticVoter[], height: number): SyntheticVoter[] {
  return height % 3 === 0 ? [...voters] : voters.filter((_, i) => i !== height % voters.length);
}

/** The header of block `height` after `previous`, under `params` (every fifth in the second cycle of its round). */
export function headerAfter(params: GenesisParams, previous: ConfigBlock, height: number): ConfigBlockHeader {
  const cycle = height % 5 === 0 ? 1 : 0;
  const prevMs = parseIsoMillis(previous.timestamp) as number;
  const window = cycleWindow(scheduleAfter(prevMs, params), cycle);
  return {
    height,
    prevHash: previous.hash,
    proposer: expectedProposer(params.members, previous.hash, cycle),
    cycle,
    timestamp: toIsoMillis(window.startsAtMs + 1000 + (height % 7) * 100),
    config: { batchTimeoutMs: 100 + (height % 50) * 10, maxMessageCount: 10 + (height % 7) },
  };
}

/**
 * A valid chain of `count` CBs under `params` (whose members are the voters' MSPs): genesis sealed
 * by the first three voters, then {@link approversOf} each height, about 3.3 signatures a CB for
 * four members. The genesis block is at `genesisMs` ({@link SYNTHETIC_GENESIS_MS} by default); the
 * chain spans about 40 s a CB after it, within which the voters' certificates must be valid.
 */
export function buildSyntheticChain(params: GenesisParams, voters: readonly SyntheticVoter[], count: number, genesisMs = SYNTHETIC_GENESIS_MS): ConfigBlock[] {
  const chain: ConfigBlock[] = [
    sealBlock(
      { height: 0, prevHash: '', proposer: params.members[0].mspId, cycle: 0, timestamp: toIsoMillis(genesisMs), config: { batchTimeoutMs: 100, maxMessageCount: 10 }, params },
      voters.slice(0, 3),
    ),
  ];
  for (let h = 1; h < count; h++) chain.push(sealBlock(headerAfter(params, chain[h - 1], h), approversOf(voters, h)));
  return chain;
}
