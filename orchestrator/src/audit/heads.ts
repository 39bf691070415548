/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The signed-block half of the audit (export versions 2 and 3): the primary config records, and
 * their configs, re-derived from orderer-signed config blocks, and the heads of both channels, which show where each
 * history ended when it was read, so that an export cut at the end, or a record relinked to
 * another CB, fails. Then, with the heads' time, which CB is in force on the primary channel,
 * which were skipped, and whether the newest one is overdue. Pure.
 */
import { X509Certificate } from 'node:crypto';
import type { common } from '@hyperledger/fabric-protos';
import { readConfigBlock, readMsps } from 'fabric-config/configtx';
import { canonicalJson, messageOf, toIsoMillis } from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, JsonValue, Member } from 'mgmt-chaincode/dist/protocol';
import {
  blockNumber,
  BlockProblem,
  cbWritesOf,
  checkChannel,
  checkDataHash,
  checkHashLink,
  checkOrdererSignatures,
  decodeBlock,
  latestEnvelopeTime,
  ordererOrgsOf,
  ordererTrust,
} from './blockEvidence';
import type { CbWrite, OrdererTrust } from './blockEvidence';
import { decodePrimaryConfigBlock } from './primary';
import type { AuditEvidence, AuditFault, HeadsSummary, InForceSummary, PrimaryConfigRecord, PrimaryStatus, SignedBlocks } from './types';

/** Default of the grace between a CB's Tally and its primary config block, in seconds. */
export const DEFAULT_GRACE_SECONDS = 30;

/** Result of {@link checkSignedBlocks}. */
export interface SignedBlocksCheck {
  readonly faults: AuditFault[];
  readonly notices: string[];
  /** The primary config records as the signed blocks state them (the export's own where a block does not decode). */
  readonly records: PrimaryConfigRecord[];
  /** The config of each record's signed block, in the same order; undefined where it does not decode. */
  readonly configs: (common.Config | undefined)[];
  readonly heads: HeadsSummary;
  /** The time the in-force check judges at: the later of `readAt` and the signed heads' newest transaction. */
  readonly referenceMs: number;
  /** When the newest CB's Tally transaction was made, from the signed management blocks. */
  readonly newestSealedMs: number | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether two JSON values are the same value, the way the CB hash compares them (member order aside). */
function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

function der(pem: string): Buffer | undefined {
  try {
    return new X509Certificate(pem).raw;
  } catch {
    return undefined;
  }
}

function sameCertificates(a: readonly string[], b: readonly string[]): boolean {
  const keys = (list: readonly string[]): string[] => list.map((pem) => der(pem)?.toString('hex') ?? `unparseable:${pem}`).sort();
  const [x, y] = [keys(a), keys(b)];
  return x.length === y.length && x.every((k, i) => k === y[i]);
}

function linkText(link: PrimaryConfigRecord['link']): string {
  return link === null ? 'no link' : `CB ${link.height} (${link.hash.slice(0, 12)}…)`;
}

/** What differs between a stated record and the one read from its signed block, in words. */
function recordDifferences(stated: PrimaryConfigRecord, signed: PrimaryConfigRecord): string[] {
  const out: string[] = [];
  const field = (name: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${name}: the export says ${JSON.stringify(a ?? null)}, the signed block ${JSON.stringify(b ?? null)}`);
  };
  field('number', stated.number, signed.number);
  field('sequence', stated.sequence, signed.sequence);
  field('timestamp', stated.timestamp, signed.timestamp);
  field('batchTimeout', stated.batchTimeout, signed.batchTimeout);
  field('maxMessageCount', stated.maxMessageCount, signed.maxMessageCount);
  const sameLink =
    (stated.link === null && signed.link === null) ||
    (stated.link !== null && signed.link !== null && stated.link.height === signed.link.height && stated.link.hash === signed.link.hash);
  if (!sameLink) out.push(`link: the export says ${linkText(stated.link)}, the signed block ${linkText(signed.link)}`);
  field('linkError', stated.linkError, signed.linkError);
  field('signers', stated.signers, signed.signers);
  return out;
}

interface PrimaryBlocksResult {
  readonly records: PrimaryConfigRecord[];
  /** The config of each record's signed block, undefined where it does not decode. */
  readonly configs: (common.Config | undefined)[];
}

function checkPrimaryConfigBlocks(evidence: AuditEvidence, signed: SignedBlocks, members: readonly Member[], faults: AuditFault[]): PrimaryBlocksResult {
  const channelId = evidence.primaryChannel.channelId;
  const stated = evidence.primaryChannel.configBlocks;
  const configs: (common.Config | undefined)[] = [];
  if (signed.primaryConfigBlocks.length !== stated.length) {
    faults.push({
      code: 'AUDIT_EVIDENCE_MISMATCH',
      reason: `the export has ${stated.length} ${channelId} config block records but ${signed.primaryConfigBlocks.length} signed config blocks`,
    });
    return { records: [...stated], configs: stated.map(() => undefined) };
  }
  const records = stated.map((record, i): PrimaryConfigRecord => {
    const invalid = (at: number, reason: string): PrimaryConfigRecord => {
      faults.push({ code: 'AUDIT_BLOCK_INVALID', primaryBlock: at, reason: `${channelId} config block ${at}: ${reason}` });
      return record;
    };
    let block: common.Block;
    let config: common.Config;
    let derived: PrimaryConfigRecord;
    try {
      block = decodeBlock(signed.primaryConfigBlocks[i]);
      const content = readConfigBlock(block);
      if (content.channelId !== channelId) throw new BlockProblem(`it is a config block of channel ${JSON.stringify(content.channelId)}, not ${channelId}`);
      config = content.config;
      derived = decodePrimaryConfigBlock(block);
    } catch (err) {
      configs.push(undefined);
      return invalid(record.number, messageOf(err));
    }
    configs.push(config);
    try {
      checkDataHash(block);
      if (derived.number > 0) {
        // Fabric signs a config block under the configuration before it.
        const previous = i > 0 ? configs[i - 1] : undefined;
        const trust = ordererTrust(channelId, previous ?? config, previous === undefined ? derived.number : stated[i - 1].number);
        const metadata = checkOrdererSignatures(block, trust);
        if (metadata.lastConfig !== derived.number) throw new BlockProblem(`its signed metadata names block ${metadata.lastConfig} as last config, not itself`);
      }
    } catch (err) {
      if (!(err instanceof BlockProblem)) throw err;
      invalid(derived.number, err.message);
    }
    const differences = recordDifferences(record, derived);
    if (differences.length > 0) {
      const height = record.link?.height ?? derived.link?.height;
      faults.push({
        code: 'AUDIT_EVIDENCE_MISMATCH',
        ...(height === undefined ? {} : { height }),
        primaryBlock: derived.number,
        reason: `the export's record of ${channelId} config block ${derived.number} differs from the signed block: ${differences.join('; ')}`,
      });
    }
    return derived;
  });
  const genesis = configs[0];
  if (records[0]?.number === 0 && genesis !== undefined) {
    let orgs: { mspId: string; rootCerts: readonly string[] }[] = [];
    try {
      orgs = ordererOrgsOf(channelId, genesis);
    } catch (err) {
      faults.push({ code: 'AUDIT_BLOCK_INVALID', primaryBlock: 0, reason: `${channelId} genesis block: ${messageOf(err)}` });
    }
    const where = `the ${channelId} genesis block`;
    if (orgs.length === 0) faults.push({ code: 'AUDIT_ORDERER_UNANCHORED', primaryBlock: 0, reason: `${where} names no orderer organisation` });
    // An ordering organisation that is not a member (test-network's OrdererMSP) is anchored by its declaration as a signer.
    const declared = (evidence.managementChannel.declaredSigners ?? []).map((s) => ({ mspId: s.mspId, caCertificate: s.rootCerts[0] ?? '' }));
    for (const org of orgs) {
      const member = members.find((m) => m.mspId === org.mspId) ?? declared.find((m) => m.mspId === org.mspId);
      const memberDer = member === undefined ? undefined : der(member.caCertificate);
      if (member === undefined) {
        faults.push({ code: 'AUDIT_ORDERER_UNANCHORED', primaryBlock: 0, reason: `${org.mspId} is an orderer organisation in ${where} but neither a member at genesis nor a declared signer` });
      } else if (memberDer === undefined || !org.rootCerts.some((pem) => der(pem)?.equals(memberDer) === true)) {
        faults.push({ code: 'AUDIT_ORDERER_UNANCHORED', primaryBlock: 0, reason: `the root certificates of orderer organisation ${org.mspId} in ${where} do not include its CA certificate at genesis` });
      }
    }
  }
  return { records, configs };
}

function checkPrimaryHead(evidence: AuditEvidence, signed: SignedBlocks, primary: PrimaryBlocksResult, faults: AuditFault[]): { summary: HeadsSummary['primary']; timeMs: number | undefined } {
  const channelId = evidence.primaryChannel.channelId;
  let head: common.Block;
  try {
    head = decodeBlock(signed.primaryHead);
  } catch (err) {
    faults.push({ code: 'AUDIT_BLOCK_INVALID', reason: `${channelId} head block: ${messageOf(err)}` });
    return { summary: null, timeMs: undefined };
  }
  const number = blockNumber(head);
  const last = primary.records.at(-1);
  const lastConfig = primary.configs.at(-1);
  try {
    checkChannel(head, channelId);
    checkDataHash(head);
    if (last === undefined || lastConfig === undefined) throw new BlockProblem('the export has no config block that decodes to check its signature with');
    // A head that is itself the last config block was cut, and signed, under the config before it
    // (as a peer checks it): an orderer that this block takes out of the channel signed it.
    const previous = primary.records.at(-2);
    const previousConfig = primary.configs.at(-2);
    const trust = number === last.number && previous !== undefined && previousConfig !== undefined
      ? ordererTrust(channelId, previousConfig, previous.number)
      : ordererTrust(channelId, lastConfig, last.number);
    const metadata = checkOrdererSignatures(head, trust);
    if (metadata.lastConfig > last.number) {
      faults.push({
        code: 'AUDIT_TRUNCATED',
        primaryBlock: number,
        reason: `${channelId} head block ${number} names config block ${metadata.lastConfig} as last config; the export ends at config block ${last.number}`,
      });
    } else if (metadata.lastConfig < last.number || number < last.number) {
      faults.push({
        code: 'AUDIT_EVIDENCE_MISMATCH',
        primaryBlock: number,
        reason: `${channelId} head block ${number} names config block ${metadata.lastConfig} as last config, but the export has config block ${last.number}: the head is older than the config blocks`,
      });
    }
    return { summary: { headBlock: number, lastConfig: metadata.lastConfig, signers: [...metadata.signers] }, timeMs: latestEnvelopeTime(head) };
  } catch (err) {
    if (!(err instanceof BlockProblem)) throw err;
    faults.push({ code: 'AUDIT_BLOCK_INVALID', primaryBlock: number, reason: `${channelId} head block ${number}: ${err.message}` });
    return { summary: null, timeMs: undefined };
  }
}

function checkManagementConfig(evidence: AuditEvidence, signed: SignedBlocks, faults: AuditFault[]): OrdererTrust | undefined {
  const { channelId, configBlockNumber, msps } = evidence.managementChannel;
  let block: common.Block;
  let config: common.Config;
  try {
    block = decodeBlock(signed.managementConfigBlock);
    const content = readConfigBlock(block);
    if (content.channelId !== channelId) throw new BlockProblem(`it is a config block of channel ${JSON.stringify(content.channelId)}, not ${channelId}`);
    config = content.config;
  } catch (err) {
    faults.push({ code: 'AUDIT_BLOCK_INVALID', managementBlock: configBlockNumber, reason: `${channelId} config block: ${messageOf(err)}` });
    return undefined;
  }
  const number = blockNumber(block);
  let trust: OrdererTrust | undefined;
  try {
    checkDataHash(block);
    trust = ordererTrust(channelId, config, number);
    if (number > 0) {
      // The configuration before this block is not in the export: its own Orderer group vouches.
      const metadata = checkOrdererSignatures(block, trust);
      if (metadata.lastConfig !== number) throw new BlockProblem(`its signed metadata names block ${metadata.lastConfig} as last config, not itself`);
    }
  } catch (err) {
    if (!(err instanceof BlockProblem)) throw err;
    faults.push({ code: 'AUDIT_BLOCK_INVALID', managementBlock: number, reason: `${channelId} config block ${number}: ${err.message}` });
  }
  if (number !== configBlockNumber) {
    faults.push({
      code: 'AUDIT_EVIDENCE_MISMATCH',
      managementBlock: number,
      reason: `the export says the MSPs of ${channelId} come from its config block ${configBlockNumber}, but the signed config block is block ${number}`,
    });
  }
  const signedMsps = readMsps(config);
  const differences: string[] = [];
  for (const m of msps) {
    const found = signedMsps.find((s) => s.mspId === m.mspId);
    if (found === undefined) differences.push(`${m.mspId} is not an MSP of the signed config`);
    else if (!sameCertificates(m.rootCerts, found.rootCerts)) differences.push(`the root certificates of ${m.mspId} differ`);
  }
  for (const s of signedMsps) if (!msps.some((m) => m.mspId === s.mspId)) differences.push(`${s.mspId} is an MSP of the signed config but not of the export`);
  if (differences.length > 0) {
    faults.push({
      code: 'AUDIT_EVIDENCE_MISMATCH',
      managementBlock: number,
      reason: `the export's MSPs of ${channelId} differ from its signed config block ${number}: ${differences.join('; ')}`,
    });
  }
  return trust;
}

interface ManagementTailResult {
  readonly summary: HeadsSummary['management'];
  readonly timeMs: number | undefined;
  readonly newestSealedMs: number | undefined;
}

function newestOf(chain: readonly JsonValue[]): { height: number; cb: JsonValue } | undefined {
  if (chain.length === 0) return undefined;
  const cb = chain[chain.length - 1];
  const height = isObject(cb) && typeof cb.height === 'number' ? cb.height : chain.length - 1;
  return { height, cb };
}

function checkManagementTail(evidence: AuditEvidence, signed: SignedBlocks, trust: OrdererTrust | undefined, faults: AuditFault[], notices: string[]): ManagementTailResult {
  const { channelId, chaincode, configBlockNumber } = evidence.managementChannel;
  const none: ManagementTailResult = { summary: null, timeMs: undefined, newestSealedMs: undefined };
  if (signed.managementTail.length === 0) {
    faults.push({ code: 'AUDIT_EVIDENCE_MISMATCH', reason: `the export has no head block of ${channelId}` });
    return none;
  }
  const blocks: common.Block[] = [];
  let sound = true;
  for (const bytes of signed.managementTail) {
    try {
      blocks.push(decodeBlock(bytes));
    } catch (err) {
      faults.push({ code: 'AUDIT_BLOCK_INVALID', reason: `a head block of ${channelId}: ${messageOf(err)}` });
      return none;
    }
  }
  let headSigners: readonly string[] = [];
  let headLastConfig: number | undefined;
  blocks.forEach((block, i) => {
    const number = blockNumber(block);
    try {
      checkChannel(block, channelId);
      checkDataHash(block);
      if (i > 0) checkHashLink(blocks[i - 1], block);
      if (trust !== undefined) {
        const metadata = checkOrdererSignatures(block, trust);
        if (i === blocks.length - 1) {
          headSigners = metadata.signers;
          headLastConfig = metadata.lastConfig;
        }
      }
    } catch (err) {
      if (!(err instanceof BlockProblem)) throw err;
      sound = false;
      faults.push({ code: 'AUDIT_BLOCK_INVALID', managementBlock: number, reason: `${channelId} block ${number}: ${err.message}` });
    }
  });
  const head = blocks[blocks.length - 1];
  const headNumber = blockNumber(head);
  if (headLastConfig !== undefined && headLastConfig !== configBlockNumber) {
    faults.push({
      code: 'AUDIT_EVIDENCE_MISMATCH',
      managementBlock: headNumber,
      reason: `${channelId} head block ${headNumber} names config block ${headLastConfig} as last config, but the export's ${channelId} config is block ${configBlockNumber}`,
    });
  }
  const writes: (CbWrite & { block: number })[] = blocks.flatMap((block) => cbWritesOf(block, chaincode).map((w) => ({ ...w, block: blockNumber(block) })));
  const newest = newestOf(evidence.managementChain);
  const first = blockNumber(blocks[0]);
  let newestSealedMs: number | undefined;
  let cbBlock: number | null = null;
  if (newest !== undefined) {
    const own = writes.filter((w) => w.block === first && w.valid && w.height === newest.height);
    if (own.length === 0) {
      faults.push({
        code: 'AUDIT_EVIDENCE_MISMATCH',
        height: newest.height,
        managementBlock: first,
        reason: `${channelId} block ${first}, the first of the head evidence, holds no valid write of CB ${newest.height}, the newest CB of the export`,
      });
    } else if (!own.some((w) => sameJson(w.value, newest.cb))) {
      faults.push({
        code: 'AUDIT_EVIDENCE_MISMATCH',
        height: newest.height,
        managementBlock: first,
        reason: `CB ${newest.height} of the export differs from the CB written in ${channelId} block ${first} (transaction ${own[0].txId})`,
      });
    } else {
      newestSealedMs = own[0].txTimeMs;
      cbBlock = first;
    }
  }
  const end = newest === undefined ? 'has no CB' : `ends at CB ${newest.height}`;
  for (const w of writes) {
    if (w.height <= (newest?.height ?? -1)) continue;
    if (w.valid) {
      faults.push({
        code: 'AUDIT_TRUNCATED',
        height: w.height,
        managementBlock: w.block,
        reason: `${channelId} block ${w.block} (transaction ${w.tx}, ${w.txId}) writes CB ${w.height}; the export ${end}`,
      });
    } else {
      notices.push(
        `${channelId} block ${w.block} (transaction ${w.tx}, ${w.txId}) writes CB ${w.height}, past the export's end, in a transaction the peer flagged invalid (code ${w.validationCode}); validation flags are not covered by the orderer's signature`,
      );
    }
  }
  const summary = sound || headLastConfig !== undefined ? { headBlock: headNumber, cbBlock, cbHeight: cbBlock === null ? null : (newest?.height ?? null), signers: [...headSigners] } : null;
  return { summary, timeMs: latestEnvelopeTime(head), newestSealedMs };
}

/**
 * Checks the signed blocks of the evidence (see {@link SignedBlocks}):
 * - each primary config block decodes, belongs to the channel, its data hash holds and (after
 *   genesis) an orderer of the configuration before it signed it (`AUDIT_BLOCK_INVALID`); the
 *   export's record says what the block says (`AUDIT_EVIDENCE_MISMATCH`, e.g. a relinked CB); the
 *   genesis block's orderer organisations are members with their genesis CA (`AUDIT_ORDERER_UNANCHORED`);
 * - the primary head is signed by an orderer of the latest configuration, and the latest config
 *   block it names is the export's last (`AUDIT_TRUNCATED` when it names a later one);
 * - the management config block decodes, its MSPs are the export's (`AUDIT_EVIDENCE_MISMATCH`);
 * - the management blocks from the newest CB's Tally to the head are consecutive, hash-linked and
 *   signed by an orderer of that configuration; the first holds a valid write of the export's
 *   newest CB, identical to it; no block writes a later CB (`AUDIT_TRUNCATED`).
 *
 * @param evidence - the evidence, with signed blocks.
 * @param signed - its signed blocks.
 * @param members - the consortium members at genesis, to anchor the primary orderers.
 * @returns faults, notices, the records re-derived from the blocks, and what the heads showed.
 * @throws nothing for faulty evidence; only an unexpected error (a bug).
 */
export function checkSignedBlocks(evidence: AuditEvidence, signed: SignedBlocks, members: readonly Member[]): SignedBlocksCheck {
  const faults: AuditFault[] = [];
  const notices: string[] = [];
  const primary = checkPrimaryConfigBlocks(evidence, signed, members, faults);
  const primaryHead = checkPrimaryHead(evidence, signed, primary, faults);
  const trust = checkManagementConfig(evidence, signed, faults);
  const management = checkManagementTail(evidence, signed, trust, faults, notices);
  const readAtMs = Date.parse(signed.readAt);
  const referenceMs = Math.max(...[readAtMs, primaryHead.timeMs, management.timeMs].filter((t): t is number => t !== undefined && Number.isFinite(t)), 0);
  return {
    faults,
    notices,
    records: primary.records,
    configs: primary.configs,
    heads: { readAt: signed.readAt, referenceTime: toIsoMillis(referenceMs), primary: primaryHead.summary, management: management.summary },
    referenceMs,
    newestSealedMs: management.newestSealedMs,
  };
}

/** Options of {@link classifyPrimary}. */
export interface ClassifyOptions {
  readonly primaryChannel: string;
  readonly graceSeconds: number;
  /** From signed heads: the time to judge at, and when the newest CB was sealed. Without it the newest CB is `unchecked`. */
  readonly timing?: { readonly referenceMs: number; readonly newestSealedMs?: number };
}

/**
 * Where each verified CB stands on the primary channel (see {@link PrimaryStatus}), and the
 * in-force check: the newest CB must be in force, unless it was sealed within the grace before
 * the heads were read (then it is pending). Only the newest CB can be pending or overdue: the
 * runtime always moves to the latest CB, so an older one without a config block of its own was
 * skipped, which is not a fault.
 *
 * @param verified - the verified CBs, index = height.
 * @param records - the primary config records (re-derived from signed blocks when there are).
 * @param options - channel name, grace, and the heads' timing.
 * @returns one status per verified CB, the `AUDIT_NOT_IN_FORCE` fault if any, and a summary.
 */
export function classifyPrimary(
  verified: readonly ConfigBlock[],
  records: readonly PrimaryConfigRecord[],
  options: Readonly<ClassifyOptions>,
): { statuses: PrimaryStatus[]; faults: AuditFault[]; summary: InForceSummary } {
  const linksVerified = (r: PrimaryConfigRecord): boolean => r.link !== null && verified[r.link.height]?.hash === r.link.hash;
  const applied = new Set(records.filter(linksVerified).map((r) => r.link?.height));
  const latest = [...records].reverse().find(linksVerified);
  const inForce = latest?.link == null ? null : { height: latest.link.height, block: latest.number };
  const newest = verified.length - 1;
  const faults: AuditFault[] = [];
  let pending: number | null = null;
  const statuses = verified.map((cb, h): PrimaryStatus => {
    if (applied.has(h)) return h === inForce?.height ? 'in-force' : 'applied';
    if (h < newest) return 'skipped';
    if (options.timing === undefined) return 'unchecked';
    const sealedMs = options.timing.newestSealedMs ?? Date.parse(cb.timestamp);
    const lateMs = options.timing.referenceMs - sealedMs;
    if (lateMs <= options.graceSeconds * 1000) {
      pending = h;
      return 'pending';
    }
    const now =
      inForce === null
        ? `no config block of ${options.primaryChannel} applies a CB`
        : `the latest linked config block of ${options.primaryChannel}, block ${inForce.block}, applies CB ${inForce.height}`;
    faults.push({
      code: 'AUDIT_NOT_IN_FORCE',
      height: h,
      reason: `CB ${h} was sealed at ${toIsoMillis(sealedMs)} but is not in force: ${now} when the heads were read at ${toIsoMillis(options.timing.referenceMs)}, ${(lateMs / 1000).toFixed(1)} s later (grace ${options.graceSeconds} s)`,
    });
    return 'not-in-force';
  });
  return {
    statuses,
    faults,
    summary: {
      height: inForce?.height ?? null,
      block: inForce?.block ?? null,
      skipped: statuses.flatMap((s, h) => (s === 'skipped' ? [h] : [])),
      pending,
      graceSeconds: options.graceSeconds,
    },
  };
}
