/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Verification in the browser with the protocol core itself (verifyBlock, checkMemberCertificate,
 * assertVoteSignature, parseIJson): the page trusts neither the server that served the data nor
 * the sender of an export. DOM-free, so the unit tests run it under Node against the CLI's verdict.
 */
import {
  assertVoteSignature,
  BlockVerificationError,
  checkMemberCertificate,
  findMember,
  membershipChange,
  messageOf,
  parseIJson,
  parseIsoMillis,
  verifyBlock,
} from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, CryptoVerifier, GenesisParams, JsonValue } from 'mgmt-chaincode/dist/protocol';

/** The verdict on a management chain, block by block. */
export interface ChainVerdict {
  /** The blocks that verified, from height 0. */
  readonly verified: readonly ConfigBlock[];
  /** The params each verified block was verified under, by height (genesis: its own). */
  readonly paramsAt: readonly GenesisParams[];
  /** The first block that fails, with the core's reason. */
  readonly fault?: { readonly height: number; readonly reason: string };
}

/**
 * What a verified CB changes in the member set (from the next height), in words: `admits X`,
 * `removes Y`, `replaces the CA of Z`; empty when it carries no params or the same members.
 */
export function membershipAt(verdict: ChainVerdict, height: number): string {
  const block = verdict.verified[height];
  const before = verdict.paramsAt[height];
  if (block?.params === undefined || before === undefined || height === 0) return '';
  const change = membershipChange(before, block.params);
  return [...change.added.map((id) => `admits ${id}`), ...change.removed.map((id) => `removes ${id}`), ...change.rotated.map((id) => `replaces the CA of ${id}`)].join(', ');
}

/**
 * Verifies CBs from genesis with the core's verifyBlock, each under the params in force at its
 * height, as `mgmt audit` does; stops at the first invalid block (every later one depends on it).
 *
 * @param from - a verdict on the first blocks of `blocks` (their exact values, already checked by
 *   the caller) to continue from; the blocks after them are verified.
 */
export function verifyChainWith(blocks: readonly unknown[], verifier: CryptoVerifier, from?: ChainVerdict): ChainVerdict {
  const verified: ConfigBlock[] = [...(from?.verified ?? [])];
  const paramsAt: GenesisParams[] = [...(from?.paramsAt ?? [])];
  if (blocks.length === 0) return { verified, paramsAt, fault: { height: 0, reason: 'no blocks to verify' } };
  const last = verified.length - 1;
  let inForce: GenesisParams | undefined = last < 0 ? undefined : (verified[last].params ?? paramsAt[last]);
  for (const block of blocks.slice(verified.length)) {
    const previous = verified.length === 0 ? undefined : verified[verified.length - 1];
    try {
      const typed = verifyBlock(block, { previous, params: inForce, verifier });
      const under = inForce ?? typed.params;
      if (under === undefined) throw new BlockVerificationError(typed.height, 'genesis carries no params');
      paramsAt.push(under);
      inForce = typed.params ?? inForce;
      verified.push(typed);
    } catch (err) {
      if (err instanceof BlockVerificationError) return { verified, paramsAt, fault: { height: err.height, reason: err.reason } };
      throw err;
    }
  }
  return { verified, paramsAt };
}

/**
 * Verifies a chain that may extend one verified before: when the earlier chain verified whole and
 * every one of its blocks is unchanged (compared as JSON text, proof and all), only the new blocks
 * are verified; otherwise the whole chain is, from genesis. A live page gets one new CB at a time.
 */
export function extendVerdict(earlier: { readonly blocks: readonly unknown[]; readonly verdict: ChainVerdict } | undefined, blocks: readonly unknown[], verifier: CryptoVerifier): ChainVerdict {
  const unchanged =
    earlier !== undefined &&
    earlier.verdict.fault === undefined &&
    earlier.blocks.length <= blocks.length &&
    earlier.blocks.every((block, i) => JSON.stringify(block) === JSON.stringify(blocks[i]));
  return unchanged ? verifyChainWith(blocks, verifier, earlier.verdict) : verifyChainWith(blocks, verifier);
}

/** One proof entry as the CB page shows it. */
export interface ProofEntryCheck {
  readonly mspId: string;
  /** The certificate's subject and issuer (Node's multi-line text), or empty when it does not parse. */
  readonly subject: string;
  readonly issuer: string;
  /** Certificate rule and signature both hold. */
  readonly verified: boolean;
  /** Why not, in the core's words. */
  readonly reason?: string;
}

function field(entry: unknown, name: string): string {
  const value = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : '';
}

/**
 * Checks each proof entry of a CB on its own (certificate rule against the member's CA in force,
 * then the vote signature), so that the page can show which entry fails, not only the first.
 *
 * @param block - the CB as read (untrusted).
 * @param params - the params in force at its height.
 */
export function checkProofEntries(block: unknown, params: GenesisParams, verifier: CryptoVerifier): ProofEntryCheck[] {
  const proof = block !== null && typeof block === 'object' ? (block as Record<string, unknown>).proof : undefined;
  const hash = field(block, 'hash');
  const atMs = parseIsoMillis(field(block, 'timestamp')) ?? Number.NaN;
  if (!Array.isArray(proof)) return [];
  return proof.map((entry): ProofEntryCheck => {
    const mspId = field(entry, 'mspId');
    const certificate = field(entry, 'certificate');
    let subject = '';
    let issuer = '';
    try {
      const parsed = verifier.certificate(certificate);
      subject = parsed.subject;
      issuer = parsed.issuer;
    } catch {
      // Shown as unparseable; the rule below words the reason.
    }
    const member = findMember(params.members, mspId);
    try {
      if (member === undefined) throw new Error(`${mspId} is not a member`);
      checkMemberCertificate({ certificate, mspId, caCertificate: member.caCertificate, atMs }, verifier);
      assertVoteSignature({ hash, approve: true, signature: field(entry, 'signature'), certificate }, verifier);
      return { mspId, subject, issuer, verified: true };
    } catch (err) {
      return { mspId, subject, issuer, verified: false, reason: messageOf(err) };
    }
  });
}

/** What the browser found in a dropped export. */
export interface ExportVerdict {
  readonly ok: boolean;
  /** Set when the file is not a readable audit export (then nothing was verified). */
  readonly unreadable?: string;
  readonly managementChannel?: string;
  readonly primaryChannel?: string;
  readonly version?: number;
  readonly exportedAt?: string;
  readonly blockCount: number;
  /** Height of the last CB that verified, or null. */
  readonly verifiedHeight: number | null;
  readonly fault?: { readonly height: number; readonly reason: string };
  /** Genesis members whose CA is not a root of their MSP in the management channel, or MSPs that are no member. */
  readonly anchoring: readonly string[];
  /** The verdict the file itself states (its writer's report), for comparison only. */
  readonly statedOk?: boolean;
}

type Fields = Record<string, JsonValue>;

function objectAt(value: JsonValue | undefined): Fields | undefined {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function derOf(pem: string, verifier: CryptoVerifier): string | undefined {
  try {
    return Buffer.from(verifier.certificate(pem).raw).toString('base64');
  } catch {
    return undefined;
  }
}

/** The members in force must be MSPs of the management channel with their CA as a root; no other MSP. */
function anchoringProblems(members: GenesisParams['members'], msps: readonly JsonValue[], verifier: CryptoVerifier): string[] {
  const problems: string[] = [];
  const channel = msps.map((m) => {
    const o = objectAt(m) ?? {};
    const roots = Array.isArray(o.rootCerts) ? o.rootCerts.filter((r): r is string => typeof r === 'string') : [];
    return { mspId: typeof o.mspId === 'string' ? o.mspId : '', roots: roots.map((r) => derOf(r, verifier)) };
  });
  for (const member of members) {
    const msp = channel.find((c) => c.mspId === member.mspId);
    const der = derOf(member.caCertificate, verifier);
    if (msp === undefined) problems.push(`${member.mspId} is a member but has no MSP in the management channel`);
    else if (der === undefined || !msp.roots.includes(der)) problems.push(`the CA certificate of ${member.mspId} is not a root certificate of its MSP in the management channel`);
  }
  return problems;
}

/**
 * Verifies an export file (`mgmt audit --json`) in the browser: strict I-JSON, the format and
 * version, then the management chain from genesis with the core, and the genesis members
 * against the channel's MSPs. The primary channel's signed blocks are checked by
 * `mgmt audit --verify-export` (they need Fabric's protobufs); the page says so.
 */
export function verifyExportText(text: string, verifier: CryptoVerifier): ExportVerdict {
  const none = { ok: false, blockCount: 0, verifiedHeight: null, anchoring: [] };
  let root: JsonValue;
  try {
    root = parseIJson(text, '$');
  } catch (err) {
    return { ...none, unreadable: `not strict JSON: ${messageOf(err)}` };
  }
  const o = objectAt(root);
  if (o?.format !== 'mgmt-audit-export') return { ...none, unreadable: '$.format must be "mgmt-audit-export": this is not an audit export' };
  if (typeof o.version !== 'number' || ![1, 2, 3].includes(o.version)) return { ...none, unreadable: `$.version ${JSON.stringify(o.version ?? null)} is not supported (1, 2 and 3 are)` };
  const chain = o.managementChain;
  if (!Array.isArray(chain)) return { ...none, unreadable: '$.managementChain must be an array' };
  const management = objectAt(o.managementChannel);
  const primary = objectAt(o.primaryChannel);
  const msps = Array.isArray(management?.msps) ? management.msps : [];
  const verdict = verifyChainWith(chain, verifier);
  const inForce = verdict.paramsAt.length === 0 ? undefined : (verdict.verified[verdict.verified.length - 1].params ?? verdict.paramsAt[verdict.paramsAt.length - 1]);
  const anchoring = inForce === undefined ? [] : anchoringProblems(inForce.members, msps, verifier);
  const report = objectAt(o.report);
  return {
    ok: verdict.fault === undefined && anchoring.length === 0,
    managementChannel: typeof management?.channelId === 'string' ? management.channelId : undefined,
    primaryChannel: typeof primary?.channelId === 'string' ? primary.channelId : undefined,
    version: o.version,
    exportedAt: typeof o.exportedAt === 'string' ? o.exportedAt : undefined,
    blockCount: chain.length,
    verifiedHeight: verdict.verified.length === 0 ? null : verdict.verified.length - 1,
    ...(verdict.fault === undefined ? {} : { fault: verdict.fault }),
    anchoring,
    ...(typeof report?.ok === 'boolean' ? { statedOk: report.ok } : {}),
  };
}
