/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { DiffValue } from 'fabric-config/configtx';
import type { JsonValue } from 'mgmt-chaincode/dist/protocol';

/** An MSP of a channel configuration, as far as the audit needs it. */
export interface ChannelMsp {
  readonly mspId: string;
  /** PEM root CA certificates of the MSP, as the channel config holds them. */
  readonly rootCerts: readonly string[];
}

/** The CB a primary config block names as its authority (`mgmt-cb:<height>:<hash>`). */
export interface CbLink {
  readonly height: number;
  readonly hash: string;
}

/**
 * One config block of the `primary` channel, reduced to what the audit checks. Read from the
 * block by {@link decodePrimaryConfigBlock}, or from an export.
 */
export interface PrimaryConfigRecord {
  /** Block number on the primary channel. */
  readonly number: number;
  /** Config sequence; Fabric raises it by exactly one per config block, from 0 at genesis. */
  readonly sequence: number;
  /** Timestamp of the CONFIG envelope (when the orderer made the block), ISO 8601 UTC with ms. */
  readonly timestamp: string;
  /** BatchTimeout as stored, a Go duration such as `200ms`. */
  readonly batchTimeout: string;
  readonly batchTimeoutMs: number;
  readonly maxMessageCount: number;
  /** The management link of the update that produced this config; null for genesis or an unlinked update. */
  readonly link: CbLink | null;
  /** Why the update's tx_id starts like a link but is malformed; absent when it is fine. */
  readonly linkError?: string;
  /**
   * MSP IDs of the admins whose ConfigSignatures the update carries, as recorded (the orderer
   * checked them against the mod_policy when it accepted the update; the audit does not).
   */
  readonly signers: readonly string[];
}

/**
 * Everything an audit verifies, whether read from the network or from an export: the CBs exactly
 * as `GetBlocks` returned them, the members' CA certificates from the management channel's
 * configuration, and the primary channel's config blocks.
 */
export interface AuditEvidence {
  readonly managementChannel: {
    readonly channelId: string;
    /** The management chaincode's name on that channel. */
    readonly chaincode: string;
    /** Number of the config block the MSPs were read from. */
    readonly configBlockNumber: number;
    readonly msps: readonly ChannelMsp[];
    /**
     * Organisations that are declared to sign config updates without being members (e.g. the
     * orderer organisation; from the connection file's `signers`): their MSPs on the channel are
     * not faults when their root certificate is the declared one. Absent: none.
     */
    readonly declaredSigners?: readonly ChannelMsp[];
  };
  /** The CBs from height 0, in the order read; untrusted until verified. */
  readonly managementChain: readonly JsonValue[];
  readonly primaryChannel: {
    readonly channelId: string;
    /** Every config block of the channel, by block number. */
    readonly configBlocks: readonly PrimaryConfigRecord[];
  };
  /**
   * The orderer-signed Fabric blocks behind the records and the heads of both channels (export
   * versions 2 and 3). Absent in a version 1 export: then nothing shows whether the history was cut.
   */
  readonly signedBlocks?: SignedBlocks;
}

/**
 * Raw Fabric blocks (as the orderer's Deliver returned them, serialized) that let a reader check
 * the evidence against orderer signatures offline: what the config blocks say, and where each
 * channel's history ended when it was read.
 */
export interface SignedBlocks {
  /** When the heads were read (the collector's clock, before the first head was fetched), ISO 8601 UTC. */
  readonly readAt: string;
  /** The config block of the management channel the MSPs come from (number `managementChannel.configBlockNumber`). */
  readonly managementConfigBlock: Uint8Array;
  /**
   * Consecutive blocks of the management channel, ascending: from the block whose Tally
   * transaction wrote the newest CB of the chain (or the head alone when the chain is empty) up
   * to the channel's newest block when it was read.
   */
  readonly managementTail: readonly Uint8Array[];
  /** The primary config blocks, one per record of `primaryChannel.configBlocks`, in the same order. */
  readonly primaryConfigBlocks: readonly Uint8Array[];
  /** The primary channel's newest block when it was read; its last-config index names the latest config block. */
  readonly primaryHead: Uint8Array;
}

/** The stable codes of audit faults. */
export type AuditFaultCode =
  /** A CB fails verification (hash, link, proposer, cycle, timing, schema, proof): `height` and the core's reason. */
  | 'AUDIT_CB_INVALID'
  /** The genesis members and the management channel's MSPs or CA certificates differ. */
  | 'AUDIT_MEMBERS_MISMATCH'
  /** A primary config block links a CB that is not on the verified management chain. */
  | 'AUDIT_LINK_UNKNOWN_CB'
  /** A primary config block links a CB height with another hash. */
  | 'AUDIT_LINK_HASH_MISMATCH'
  /**
   * A linked primary config block does not run the linked CB's configuration: a value the CB
   * names (with a channel model any of them, with the two values of older chains BatchTimeout and
   * MaxMessageCount) differs, each named in `paths`. The name is kept from when only batch values
   * were governed, so that scripts and older exports keep their meaning.
   */
  | 'AUDIT_BATCH_MISMATCH'
  /** A primary config block applies a CB older than one already applied. */
  | 'AUDIT_LINK_ROLLBACK'
  /** A primary config block is older than the CB it claims to apply. */
  | 'AUDIT_LINK_BEFORE_CB'
  /**
   * A primary config update without a management link changed governed paths (values the CB in
   * force names), each named in `paths`; the reason names the update's signers.
   */
  | 'AUDIT_UNLINKED_GOVERNED_CHANGE'
  /** The primary config blocks are not a complete history (sequence gap, no genesis, order). */
  | 'AUDIT_PRIMARY_INCOMPLETE'
  /** A primary config block carries a malformed management link. */
  | 'AUDIT_PRIMARY_MALFORMED'
  /**
   * A signed Fabric block of the evidence does not hold: it does not decode, its data hash or
   * its place in the hash chain is wrong, or no orderer of the channel signed it.
   */
  | 'AUDIT_BLOCK_INVALID'
  /** What the export states (a record, the MSPs, the newest CB) differs from its signed blocks. */
  | 'AUDIT_EVIDENCE_MISMATCH'
  /** The signed heads show history past the end of the evidence: a config block or a CB is missing at the end. */
  | 'AUDIT_TRUNCATED'
  /** An organisation of the primary channel's genesis Orderer group is not a consortium member with its genesis CA. */
  | 'AUDIT_ORDERER_UNANCHORED'
  /** The newest CB is not in force on the primary channel, longer after it was sealed than the grace allows. */
  | 'AUDIT_NOT_IN_FORCE';

/** One fault, naming where it is: a CB height, a primary block, or both. */
export interface AuditFault {
  readonly code: AuditFaultCode;
  /** Height of the CB concerned. */
  readonly height?: number;
  /** Number of the primary config block (or head block) concerned. */
  readonly primaryBlock?: number;
  /** Number of the management channel's Fabric block concerned (head evidence). */
  readonly managementBlock?: number;
  /** Why, in words; for CB faults exactly the reason of the core's BlockVerificationError. */
  readonly reason: string;
  /** The config paths concerned (`AUDIT_BATCH_MISMATCH`, `AUDIT_UNLINKED_GOVERNED_CHANGE`), as {@link PrimaryChange} names them. */
  readonly paths?: readonly string[];
}

/** A key-level change between two configurations; keys of nested objects are dotted paths. */
export type ConfigChange =
  | { readonly key: string; readonly kind: 'added'; readonly after: JsonValue }
  | { readonly key: string; readonly kind: 'removed'; readonly before: JsonValue }
  | { readonly key: string; readonly kind: 'changed'; readonly before: JsonValue; readonly after: JsonValue };

/** Verification status of a CB in the report. */
export type CbStatus = 'verified' | 'invalid' | 'unverified';

/**
 * Where a verified CB stands on the primary channel:
 * - `in-force`: the latest linked primary config block applies it;
 * - `applied`: a primary config block applied it, a newer CB is in force since;
 * - `skipped`: it never got a primary config block of its own, and a newer CB exists (the
 *   runtime moves straight to the latest CB): not a fault;
 * - `pending`: the newest CB, not in force yet, sealed within the grace before the heads were read: not a fault;
 * - `not-in-force`: the newest CB, not in force longer after it was sealed than the grace allows (`AUDIT_NOT_IN_FORCE`);
 * - `unchecked`: the newest CB, not applied, and the evidence has no signed heads to judge it by (version 1).
 */
export type PrimaryStatus = 'in-force' | 'applied' | 'skipped' | 'pending' | 'not-in-force' | 'unchecked';

/** One CB in the report. Fields of an `invalid` or `unverified` block are shown as found. */
export interface AuditedBlock {
  readonly height: number;
  readonly hash: string;
  readonly timestamp: string;
  readonly proposer: string;
  readonly cycle: number;
  /** MSP IDs of the approvals in the proof. */
  readonly approvals: readonly string[];
  /** What changed against the previous CB's configuration (for genesis: every key, added). */
  readonly changes: readonly ConfigChange[];
  /** Primary config blocks whose link names this CB with its hash. */
  readonly appliedIn: readonly number[];
  readonly status: CbStatus;
  /** Where the CB stands on the primary channel; absent for a CB that did not verify. */
  readonly primaryStatus?: PrimaryStatus;
}

/**
 * One leaf of a primary config that differs from the previous config block's, as fabric-config's
 * `diffConfigs` names it (`Channel/Application/Policies/Endorsement`,
 * `Channel/Orderer/BatchSize/MaxMessageCount`, `.../ModPolicy`), with its values before and after.
 */
export interface PrimaryChange {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'modified';
  /** Absent when added. */
  readonly before?: DiffValue;
  /** Absent when removed. */
  readonly after?: DiffValue;
  /** Whether the configuration of the governing CB ({@link AuditedPrimaryConfig.governedBy}) names this path. */
  readonly governed: boolean;
}

/** One primary config block in the report. */
export interface AuditedPrimaryConfig extends PrimaryConfigRecord {
  /** Whether BatchTimeout or MaxMessageCount differ from the previous config block. */
  readonly batchChanged: boolean;
  /** Every leaf that differs from the previous config block, sorted by path; none for the first config block. */
  readonly changes: readonly PrimaryChange[];
  /**
   * The CB whose configuration decides which changes are governed: the verified CB the block
   * links, else the CB the channel was last linked to before it (CB 0 before any link); null when
   * no CB verified.
   */
  readonly governedBy: number | null;
  /**
   * False when the evidence has no config of this block or the previous one (export version 1,
   * or a block that does not decode): the changes are then only those of the records' batch values.
   */
  readonly changesComplete: boolean;
}

/** The result of an audit. */
export interface AuditReport {
  /** True when no fault was found. */
  readonly ok: boolean;
  readonly managementChannel: string;
  readonly primaryChannel: string;
  /** Members fixed at genesis, as far as the genesis block shows them. */
  readonly members: readonly string[];
  /** Height of the last CB that verified, or null when none did. */
  readonly verifiedHeight: number | null;
  readonly blocks: readonly AuditedBlock[];
  readonly primaryConfigBlocks: readonly AuditedPrimaryConfig[];
  readonly faults: readonly AuditFault[];
  /** What the audit could not establish, in words (e.g. a version 1 export has no head evidence). Not faults. */
  readonly notices?: readonly string[];
  /** What the signed head evidence showed; absent when the evidence has none. */
  readonly heads?: HeadsSummary;
  /** Which CB is in force on the primary channel, and which were skipped or are pending. */
  readonly inForce?: InForceSummary;
}

/** The signed heads, as the audit read them from the blocks. */
export interface HeadsSummary {
  /** When the collector read the heads, as the evidence states it (not signed). */
  readonly readAt: string;
  /** The later of `readAt` and the newest transaction time in either signed head block: the time the in-force check judges at. */
  readonly referenceTime: string;
  readonly primary: {
    /** Number of the primary channel's newest block when read. */
    readonly headBlock: number;
    /** The latest config block it names (orderer-signed metadata). */
    readonly lastConfig: number;
    /** MSP IDs of the orderers whose signatures on the head verified. */
    readonly signers: readonly string[];
  } | null;
  readonly management: {
    /** Number of the management channel's newest block when read. */
    readonly headBlock: number;
    /** The block whose Tally transaction wrote the newest CB, or null when the chain is empty. */
    readonly cbBlock: number | null;
    /** Height of the newest CB found there, or null. */
    readonly cbHeight: number | null;
    readonly signers: readonly string[];
  } | null;
}

/** Summary of the primary channel's state against the management chain. */
export interface InForceSummary {
  /** The CB the latest linked primary config block applies, or null when none is linked. */
  readonly height: number | null;
  /** That config block's number, or null. */
  readonly block: number | null;
  /** Heights of skipped CBs (see {@link PrimaryStatus}). */
  readonly skipped: readonly number[];
  /** Height of the newest CB when it is pending, else null. */
  readonly pending: number | null;
  /** The grace allowed between sealing a CB and its primary config block, in seconds. */
  readonly graceSeconds: number;
}
