/*
 * SPDX-License-Identifier: Apache-2.0
 */
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
  };
  /** The CBs from height 0, in the order read; untrusted until verified. */
  readonly managementChain: readonly JsonValue[];
  readonly primaryChannel: {
    readonly channelId: string;
    /** Every config block of the channel, by block number. */
    readonly configBlocks: readonly PrimaryConfigRecord[];
  };
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
  /** A primary config block's batch parameters differ from the linked CB's configuration. */
  | 'AUDIT_BATCH_MISMATCH'
  /** A primary config block applies a CB older than one already applied. */
  | 'AUDIT_LINK_ROLLBACK'
  /** A primary config block is older than the CB it claims to apply. */
  | 'AUDIT_LINK_BEFORE_CB'
  /** The primary batch parameters changed without a management link. */
  | 'AUDIT_UNLINKED_CHANGE'
  /** The primary config blocks are not a complete history (sequence gap, no genesis, order). */
  | 'AUDIT_PRIMARY_INCOMPLETE'
  /** A primary config block carries a malformed management link. */
  | 'AUDIT_PRIMARY_MALFORMED';

/** One fault, naming where it is: a CB height, a primary block, or both. */
export interface AuditFault {
  readonly code: AuditFaultCode;
  /** Height of the CB concerned. */
  readonly height?: number;
  /** Number of the primary config block concerned. */
  readonly primaryBlock?: number;
  /** Why, in words; for CB faults exactly the reason of the core's BlockVerificationError. */
  readonly reason: string;
}

/** A key-level change between two configurations; keys of nested objects are dotted paths. */
export type ConfigChange =
  | { readonly key: string; readonly kind: 'added'; readonly after: JsonValue }
  | { readonly key: string; readonly kind: 'removed'; readonly before: JsonValue }
  | { readonly key: string; readonly kind: 'changed'; readonly before: JsonValue; readonly after: JsonValue };

/** Verification status of a CB in the report. */
export type CbStatus = 'verified' | 'invalid' | 'unverified';

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
}

/** One primary config block in the report. */
export interface AuditedPrimaryConfig extends PrimaryConfigRecord {
  /** Whether BatchTimeout or MaxMessageCount differ from the previous config block. */
  readonly batchChanged: boolean;
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
}
