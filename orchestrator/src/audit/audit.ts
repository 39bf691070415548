/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The audit itself: pure, over evidence read from the network or from an export, so that a live
 * audit and an offline re-verification run exactly the same checks.
 */
import { X509Certificate } from 'node:crypto';
import type { common } from '@hyperledger/fabric-protos';
import type { ConfigBlock, JsonObject, JsonValue, Member } from 'mgmt-chaincode/dist/protocol';
import { diffConfig } from './diff';
import { governPrimaryConfigs } from './governance';
import { checkSignedBlocks, classifyPrimary, DEFAULT_GRACE_SECONDS } from './heads';
import type { SignedBlocksCheck } from './heads';
import type {
  AuditedBlock,
  AuditedPrimaryConfig,
  AuditEvidence,
  AuditFault,
  AuditReport,
  ChannelMsp,
  ConfigChange,
  PrimaryConfigRecord,
} from './types';
import { verifyManagementChain } from './verifyChain';
import type { VerifyManagementChainOptions } from './verifyChain';

/** Options of {@link auditEvidence}. */
export interface AuditOptions extends VerifyManagementChainOptions {
  /**
   * Seconds a CB may take, from its Tally to the primary config block that puts it in force,
   * before the newest CB not in force is a fault (`AUDIT_NOT_IN_FORCE`); 30 by default.
   */
  readonly graceSeconds?: number;
}

/** The notice of evidence without signed blocks (a version 1 export). */
export const NO_HEAD_EVIDENCE_NOTICE =
  'this evidence (export version 1) carries no orderer-signed blocks: the records are taken as stated, and nothing shows ' +
  'whether the history was cut at the end or a record relinked; re-export with this mgmt (version 3) for head evidence';

/** The notice of evidence without config blocks (a version 1 export): what the changes of its primary config blocks are. */
export const NO_CONFIG_NOTICE =
  'this evidence (export version 1) carries no config blocks: the changes listed are those of the records\' BatchTimeout and ' +
  'MaxMessageCount alone, and a linked block is checked against those values of its CB only; the full difference from the ' +
  'previous config cannot be checked';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** DER of a PEM certificate, or undefined when it does not parse. */
function certificateDer(pem: string): Buffer | undefined {
  try {
    return new X509Certificate(pem).raw;
  } catch {
    return undefined;
  }
}

function fingerprint(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return 'unparseable';
  }
}

/** Members as the genesis block states them, whether or not it verified, for anchoring and display. */
function genesisMembers(genesis: unknown): Member[] {
  if (!isObject(genesis) || !isObject(genesis.params) || !Array.isArray(genesis.params.members)) return [];
  return genesis.params.members.filter(
    (m): m is Member => isObject(m) && typeof m.mspId === 'string' && typeof m.caCertificate === 'string',
  );
}

/**
 * Anchors the chain in the consortium: every member fixed at genesis must be an MSP of the
 * management channel whose root CA certificates include the member's CA certificate, and the
 * channel must have no MSP that is not a member. Otherwise the proofs, checked against the genesis
 * CA certificates, could be signed by a CA the consortium never admitted.
 *
 * @param members - the genesis params' members.
 * @param msps - the management channel's MSPs.
 * @param where - the channel and config block, for messages.
 * @returns one fault per mismatch, at height 0.
 * @throws nothing: an unparseable certificate is a mismatch.
 */
export function checkMembersAnchored(
  members: readonly Member[],
  msps: readonly ChannelMsp[],
  where: string,
  formerMembers: readonly string[] = [],
  declaredSigners: readonly ChannelMsp[] = [],
): AuditFault[] {
  const faults: AuditFault[] = [];
  const fault = (reason: string): void => {
    faults.push({ code: 'AUDIT_MEMBERS_MISMATCH', height: 0, reason });
  };
  if (members.length === 0) {
    fault('the genesis block names no members');
  }
  for (const member of members) {
    const channelMsp = msps.find((m) => m.mspId === member.mspId);
    if (channelMsp === undefined) {
      fault(`${member.mspId} is a member in force but has no MSP in ${where}`);
      continue;
    }
    const der = certificateDer(member.caCertificate);
    if (der === undefined || !channelMsp.rootCerts.some((pem) => certificateDer(pem)?.equals(der) === true)) {
      fault(`the CA certificate of ${member.mspId} in force (SHA-256 ${fingerprint(member.caCertificate)}) is not a root certificate of ${member.mspId} in ${where}`);
    }
  }
  for (const channelMsp of msps) {
    // A member removed by a CB may keep its MSP in the channel (it may still run an orderer there).
    if (members.some((m) => m.mspId === channelMsp.mspId) || formerMembers.includes(channelMsp.mspId)) continue;
    const signer = declaredSigners.find((s) => s.mspId === channelMsp.mspId);
    if (signer === undefined) {
      fault(`${channelMsp.mspId} has an MSP in ${where} but was never a member and is not a declared signer`);
    } else if (!signer.rootCerts.some((pem) => { const der = certificateDer(pem); return der !== undefined && channelMsp.rootCerts.some((c) => certificateDer(c)?.equals(der) === true); })) {
      fault(`${channelMsp.mspId} is a declared signer, but its declared CA certificate (SHA-256 ${fingerprint(signer.rootCerts[0] ?? '')}) is not a root certificate of ${channelMsp.mspId} in ${where}`);
    }
  }
  return faults;
}

function numberField(block: Record<string, unknown>, name: string, fallback: number): number {
  const value = block[name];
  return typeof value === 'number' ? value : fallback;
}

function stringField(block: Record<string, unknown>, name: string): string {
  const value = block[name];
  return typeof value === 'string' ? value : '';
}

function approvalsOf(proof: unknown): string[] {
  if (!Array.isArray(proof)) return [];
  return proof.map((entry) => (isObject(entry) && typeof entry.mspId === 'string' ? entry.mspId : '?'));
}

function changesBetween(previous: unknown, block: Record<string, unknown>): ConfigChange[] {
  const before = isObject(previous) && isObject(previous.config) ? (previous.config as JsonObject) : undefined;
  if (!isObject(block.config)) return [];
  try {
    return diffConfig(before, block.config as JsonObject);
  } catch {
    // Only a block that failed verification can hold non-I-JSON; its row says so already.
    return [];
  }
}

/** Report rows for every CB read, verified or not, with the primary blocks that applied each. */
/**
 * The numbers of the records linking each (height, hash), in record order: looked up per CB, as
 * filtering all records for each CB made a long history's audit quadratic (about 1 s of 6 for
 * 10,000 CBs).
 */
function recordsByLink(records: readonly PrimaryConfigRecord[]): Map<number, Map<string, number[]>> {
  const byLink = new Map<number, Map<string, number[]>>();
  for (const r of records) {
    if (r.link === null) continue;
    let byHash = byLink.get(r.link.height);
    if (byHash === undefined) {
      byHash = new Map();
      byLink.set(r.link.height, byHash);
    }
    const numbers = byHash.get(r.link.hash);
    if (numbers === undefined) byHash.set(r.link.hash, [r.number]);
    else numbers.push(r.number);
  }
  return byLink;
}

function auditedBlocks(chain: readonly JsonValue[], verifiedCount: number, hasFault: boolean, records: readonly PrimaryConfigRecord[]): AuditedBlock[] {
  const byLink = recordsByLink(records);
  return chain.map((raw, index): AuditedBlock => {
    const block = isObject(raw) ? raw : {};
    const height = numberField(block, 'height', index);
    const hash = stringField(block, 'hash');
    const status = index < verifiedCount ? 'verified' : index === verifiedCount && hasFault ? 'invalid' : 'unverified';
    return {
      height,
      hash,
      timestamp: stringField(block, 'timestamp'),
      proposer: stringField(block, 'proposer'),
      cycle: numberField(block, 'cycle', 0),
      approvals: approvalsOf(block.proof),
      changes: changesBetween(index === 0 ? undefined : chain[index - 1], block),
      // A Map finds NaN where === does not; no record links a height that is NaN.
      appliedIn: Number.isNaN(height) ? [] : [...(byLink.get(height)?.get(hash) ?? [])],
      status,
    };
  });
}

export interface PrimaryCheckContext {
  /** Verified CBs, index = height. */
  readonly verified: readonly ConfigBlock[];
  /** Number of CBs read, verified or not. */
  readonly chainLength: number;
  readonly clockToleranceMs: number;
}

/** The verified CB a link names with its hash, or undefined (the link check says why). */
function linkedCbOf(record: PrimaryConfigRecord, context: PrimaryCheckContext): ConfigBlock | undefined {
  const cb = record.link === null ? undefined : (context.verified[record.link.height] as ConfigBlock | undefined);
  return cb !== undefined && cb.hash === record.link?.hash ? cb : undefined;
}

/** Checks that a linked config block names a verified CB with its hash, and is not older than it; true when the link holds. */
function checkLink(record: PrimaryConfigRecord, link: NonNullable<PrimaryConfigRecord['link']>, context: PrimaryCheckContext, faults: AuditFault[]): boolean {
  const at = { height: link.height, primaryBlock: record.number };
  const cb = context.verified[link.height] as ConfigBlock | undefined;
  if (cb === undefined) {
    let reason = `links CB ${link.height}, but the management chain ends at height ${context.chainLength - 1}`;
    if (context.chainLength === 0) reason = `links CB ${link.height}, but the management chain has no blocks`;
    else if (link.height < context.chainLength) {
      const upTo = context.verified.length === 0 ? 'not even its genesis block verifies' : `the management chain verifies up to height ${context.verified.length - 1}`;
      reason = `links CB ${link.height}, which does not verify (${upTo})`;
    }
    faults.push({ code: 'AUDIT_LINK_UNKNOWN_CB', ...at, reason });
    return false;
  }
  if (cb.hash !== link.hash) {
    faults.push({ code: 'AUDIT_LINK_HASH_MISMATCH', ...at, reason: `links CB ${link.height} with hash ${link.hash}, but CB ${link.height} has hash ${cb.hash}` });
    return false;
  }
  if (Date.parse(record.timestamp) < Date.parse(cb.timestamp) - context.clockToleranceMs) {
    faults.push({ code: 'AUDIT_LINK_BEFORE_CB', ...at, reason: `config block made at ${record.timestamp}, before CB ${link.height} was proposed at ${cb.timestamp}` });
  }
  return true;
}

/** What {@link checkPrimaryConfigs} found. */
export interface PrimaryConfigsCheck {
  readonly faults: AuditFault[];
  readonly audited: AuditedPrimaryConfig[];
  /** What could not be established, in words (see {@link governPrimaryConfigs}). */
  readonly notices: string[];
}

/**
 * Checks the primary channel's config history against the management chain: it is complete
 * (genesis first, config sequence rising by one); every link names a verified CB by height and
 * hash, not before the CB existed and never going back to an older CB; and every config block's
 * changes against the previous one are classified and checked by {@link governPrimaryConfigs}
 * (a linked block runs its CB's configuration, an unlinked one changes no governed path).
 *
 * @param records - the primary config blocks, by ascending block number.
 * @param context - the verified management chain.
 * @param configs - each record's config from its signed block, in the same order; undefined
 *   (or none at all, for version 1 evidence) where there is none: its changes are then those of
 *   the records' batch values only.
 * @returns the faults, the report rows and the notices.
 * @throws nothing: every problem is a fault.
 */
export function checkPrimaryConfigs(
  records: readonly PrimaryConfigRecord[],
  context: PrimaryCheckContext,
  configs: readonly (common.Config | undefined)[] = [],
): PrimaryConfigsCheck {
  const faults: AuditFault[] = [];
  const audited: AuditedPrimaryConfig[] = [];
  if (records.length === 0) {
    faults.push({ code: 'AUDIT_PRIMARY_INCOMPLETE', reason: 'no config blocks: the genesis block of the primary channel is missing' });
  } else if (records[0].number !== 0 || records[0].sequence !== 0) {
    faults.push({
      code: 'AUDIT_PRIMARY_INCOMPLETE',
      primaryBlock: records[0].number,
      reason: `the first config block is block ${records[0].number} with sequence ${records[0].sequence}, not the genesis block 0 with sequence 0`,
    });
  }
  const governance = governPrimaryConfigs(
    records.map((record, i) => ({ record, config: configs[i], linkedCb: linkedCbOf(record, context) })),
    context.verified[0],
  );
  let applied: { height: number; block: number } | undefined;
  records.forEach((record, i) => {
    const previous = i === 0 ? undefined : records[i - 1];
    const at = { primaryBlock: record.number };
    const governed = governance[i];
    if (previous !== undefined && (record.number <= previous.number || record.sequence !== previous.sequence + 1)) {
      faults.push({
        code: 'AUDIT_PRIMARY_INCOMPLETE',
        ...at,
        reason: `config block ${record.number} (sequence ${record.sequence}) follows config block ${previous.number} (sequence ${previous.sequence}): a config block is missing or out of order`,
      });
    }
    const batchChanged =
      previous !== undefined && (previous.batchTimeoutMs !== record.batchTimeoutMs || previous.maxMessageCount !== record.maxMessageCount);
    audited.push({ ...record, batchChanged, changes: governed.changes, governedBy: governed.governedBy, changesComplete: governed.changesComplete });
    if (record.linkError !== undefined) {
      faults.push({ code: 'AUDIT_PRIMARY_MALFORMED', ...at, reason: record.linkError });
    }
    if (record.link === null) {
      faults.push(...governed.faults);
      return;
    }
    if (!checkLink(record, record.link, context, faults)) return;
    faults.push(...governed.faults);
    if (applied !== undefined && record.link.height < applied.height) {
      faults.push({
        code: 'AUDIT_LINK_ROLLBACK',
        height: record.link.height,
        ...at,
        reason: `applies CB ${record.link.height} after CB ${applied.height} was applied in config block ${applied.block}`,
      });
    }
    if (applied === undefined || record.link.height >= applied.height) applied = { height: record.link.height, block: record.number };
  });
  return { faults, audited, notices: governance.flatMap((g) => g.notices) };
}

/** Declared signers are the auditor's (or the exporter's) statement, not the chain's: the report names them. */
function signerNotices(evidence: AuditEvidence): string[] {
  const signers = evidence.managementChannel.declaredSigners ?? [];
  if (signers.length === 0) return [];
  return [
    `declared signers, accepted on the channels without being members: ${signers.map((s) => `${s.mspId} (CA SHA-256 ${fingerprint(s.rootCerts[0] ?? '')})`).join(', ')}; they come from the connection file of whoever collected this evidence`,
  ];
}

/** What the evidence leaves open about the changes: no config blocks at all, or some that do not decode. */
function changeNotices(primary: PrimaryConfigsCheck, versionOne: boolean): string[] {
  if (versionOne) return primary.audited.length > 1 ? [NO_CONFIG_NOTICE, ...primary.notices] : primary.notices;
  const partial = primary.audited.filter((p) => !p.changesComplete).map((p) => p.number);
  const cut =
    partial.length === 0
      ? []
      : [`the changes of primary config blocks ${partial.join(', ')} are those of their records' BatchTimeout and MaxMessageCount alone: their config, or the previous one, is not in the evidence or does not decode`];
  return [...cut, ...primary.notices];
}

/**
 * Audits the evidence: verifies the management chain from genesis (hash links, proposer formula,
 * cycle windows, timing, schema, proof signatures and certificates against the genesis CAs),
 * anchors the genesis members in the management channel's configuration, checks the signed
 * blocks when the evidence has them (re-deriving the primary records from them, and checking
 * the heads: see {@link checkSignedBlocks}), diffs every config block of the primary channel
 * against the one before and checks the changes against the CB that governs them (see
 * {@link governPrimaryConfigs}), and classifies each CB on the primary channel (in force, applied,
 * skipped, pending; the newest not in force after the grace is a fault). Faults are collected,
 * not thrown, so that one run names all of them; CB verification stops at the first invalid CB, because
 * every later one depends on it.
 *
 * @param evidence - from {@link collectEvidence} or an export.
 * @param options - `reference: true` to verify with the core's verifyBlock only; `graceSeconds`.
 * @returns the report; `ok` is false when any fault was found.
 * @throws nothing for faulty evidence (faults are in the report); only an unexpected error (a bug).
 */
export function auditEvidence(evidence: AuditEvidence, options: Readonly<AuditOptions> = {}): AuditReport {
  const chain = evidence.managementChain;
  const verification = verifyManagementChain(chain, options);
  const members = verification.params?.members ?? genesisMembers(chain[0]);
  const where = `the ${evidence.managementChannel.channelId} channel config (block ${evidence.managementChannel.configBlockNumber})`;
  // Anchored now: the members in force (after every membership change) against the channel as it is now.
  const inForce = verification.inForce?.members ?? members;
  const former = (verification.everMembers ?? []).filter((id) => !inForce.some((m) => m.mspId === id));
  const faults: AuditFault[] = chain.length === 0 ? [] : checkMembersAnchored(inForce, evidence.managementChannel.msps, where, former, evidence.managementChannel.declaredSigners);
  if (verification.fault !== undefined) {
    faults.push({ code: 'AUDIT_CB_INVALID', height: verification.fault.height, reason: verification.fault.reason });
  }
  // With signed blocks, the records are what the orderer-signed config blocks say, not what the export states.
  let signed: SignedBlocksCheck | undefined;
  if (evidence.signedBlocks !== undefined) {
    signed = checkSignedBlocks(evidence, evidence.signedBlocks, members);
    faults.push(...signed.faults);
  }
  const records = signed?.records ?? [...evidence.primaryChannel.configBlocks];
  const primary = checkPrimaryConfigs(
    records,
    {
      verified: verification.verified,
      chainLength: chain.length,
      clockToleranceMs: (verification.params?.clockToleranceSeconds ?? 0) * 1000,
    },
    signed?.configs,
  );
  faults.push(...primary.faults);
  const graceSeconds = options.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  const classification = classifyPrimary(verification.verified, records, {
    primaryChannel: evidence.primaryChannel.channelId,
    graceSeconds,
    ...(signed === undefined ? {} : { timing: { referenceMs: signed.referenceMs, newestSealedMs: signed.newestSealedMs } }),
  });
  faults.push(...classification.faults);
  const blocks = auditedBlocks(chain, verification.verified.length, verification.fault !== undefined, records).map((block, index) => {
    const primaryStatus = classification.statuses[index];
    return primaryStatus === undefined ? block : { ...block, primaryStatus };
  });
  return {
    ok: faults.length === 0,
    managementChannel: evidence.managementChannel.channelId,
    primaryChannel: evidence.primaryChannel.channelId,
    members: members.map((m) => m.mspId),
    verifiedHeight: verification.verified.length === 0 ? null : verification.verified.length - 1,
    blocks,
    primaryConfigBlocks: primary.audited,
    faults,
    notices: [...(signed === undefined ? [NO_HEAD_EVIDENCE_NOTICE] : signed.notices), ...changeNotices(primary, signed === undefined), ...signerNotices(evidence)],
    ...(signed === undefined ? {} : { heads: signed.heads }),
    inForce: classification.summary,
  };
}
