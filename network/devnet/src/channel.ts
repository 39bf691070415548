/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A channel as the devnet's peers and orderer see it: its current configuration (from the latest
 * config block), what that configuration decides (MSPs, batch values, ACLs, capabilities, the
 * consensus state), and the chaincodes defined on it. Every check reads the config in force when
 * it runs, so a config block changes what the next request gets.
 */
import { common, orderer } from '@hyperledger/fabric-protos';
import {
  BatchParams,
  ConfigKey,
  PEER_WIDE_ACL_RESOURCES,
  aclPolicyFor,
  configuredAcls,
  evaluatePolicy,
  evaluatePolicyForIdentities,
  evaluateSignaturePolicy,
  hasPolicy,
  readBatchParams,
  readMsps,
  validIdentities,
} from 'fabric-config/configtx';
import type { PolicyResult } from 'fabric-config/configtx';
import type { ChannelView, SignedData } from './ledger/committer';
import type { MspRegistry } from 'fabric-config/msp';
import type { Identity } from 'fabric-config/msp';
import { capabilityNames, consensusTypeOf } from './orderer/configBundle';
import { VerifiedSignatureRegistry } from './verifiedSignatures';
import { LIFECYCLE, LIFECYCLE_ENDORSEMENT_POLICY, lifecycleWriteRule } from './lifecycle/definitions';
import { applicationOrgs, implicitCollection, orgEndorsementPolicyPath } from './privdata/collections';

export interface ChaincodeDefinition {
  channel: string;
  name: string;
  version: string;
  /** label:sha256, the id the chaincode registers with. */
  ccid: string;
  folder: string;
  address: string;
  /**
   * Policy path evaluated at commit, against the config in force then. `deploy` writes
   * `/Channel/Application/Endorsement`, which _lifecycle gives a chaincode defined without an
   * explicit policy (DefaultEndorsementPolicyRef).
   */
  endorsementPolicy: string;
  /**
   * A signature policy (base64 SignaturePolicyEnvelope) a definition committed through _lifecycle
   * names instead of a channel policy; when set, it decides and `endorsementPolicy` is unused.
   */
  signaturePolicy?: string;
  /** The _lifecycle sequence of the definition (absent for definitions made before _lifecycle). */
  sequence?: number;
  /** A ccaas package's server, which runs on its own: the devnet dials `address` and starts nothing. */
  external?: boolean;
  /** The definition's private data collections (base64 peer.CollectionConfigPackage); absent: none but the implicit ones. */
  collections?: string;
}

/** The channel policy _lifecycle gives a chaincode defined without an explicit endorsement policy. */
export const DEFAULT_ENDORSEMENT_POLICY = '/Channel/Application/Endorsement';

export type { BatchParams };

export class Channel implements ChannelView {
  private configValue!: common.Config;
  private mspRegistry!: MspRegistry;
  private batch!: BatchParams;
  private acls!: ReadonlyMap<string, string>;
  private applicationCapabilities!: readonly string[];
  private consensusState!: number;
  private readonly chaincodes = new Map<string, ChaincodeDefinition>();

  constructor(
    readonly id: string,
    config: common.Config,
    /** Number of the block holding the current config, for LAST_CONFIG metadata. */
    public lastConfigBlock: number,
  ) {
    this.setConfig(config, lastConfigBlock);
  }

  get config(): common.Config {
    return this.configValue;
  }

  get msps(): MspRegistry {
    return this.mspRegistry;
  }

  get batchParams(): BatchParams {
    return this.batch;
  }

  setConfig(config: common.Config, blockNum: number): void {
    this.configValue = config;
    // Remembers verified signatures: the orderer, gateway, endorser and committer of this one
    // process check many of the same ones (./verifiedSignatures.ts).
    this.mspRegistry = new VerifiedSignatureRegistry(readMsps(config));
    this.batch = readBatchParams(config);
    this.acls = configuredAcls(config);
    this.applicationCapabilities = capabilityNames(config.getChannelGroup()?.getGroupsMap().get(ConfigKey.applicationGroup));
    this.consensusState = consensusTypeOf(config).getState();
    this.lastConfigBlock = blockNum;
  }

  /** The config's sequence number, which each config block raises by one. */
  get sequence(): number {
    return this.configValue.getSequence();
  }

  /**
   * Whether the ordering service is in maintenance mode (ConsensusType.State): it then refuses
   * normal transactions, and Broadcast and its Deliver require the Orderer group's Writers and
   * Readers instead of the channel's.
   */
  get inMaintenance(): boolean {
    return this.consensusState === orderer.ConsensusType.State.STATE_MAINTENANCE;
  }

  /**
   * Whether chaincodes are defined through the v2 lifecycle (Application capability V2_0 or
   * later, common/capabilities `LifecycleV20()`); below it a Fabric peer looks chaincodes up in
   * the legacy lscc namespace, where a chaincode the devnet deploys is not found.
   */
  get lifecycleV20(): boolean {
    return this.applicationCapabilities.some((name) => name === 'V2_0' || name === 'V2_5');
  }

  /**
   * Fabric's ACL check (core/aclmgmt) of a channel resource: the policy the channel's `ACLs` value
   * names for it, else the peer's default, evaluated over the request's signed data.
   *
   * @param resource - e.g. `peer/Propose`, `event/Block`.
   * @param signed - the request's creator and signature.
   * @returns `{ ok: true }`, or the refusal in Fabric's words.
   */
  checkAcl(resource: string, signed: SignedData[]): PolicyResult {
    const acl = aclPolicyFor(this.acls, resource);
    if (acl === undefined) {
      // Peer-wide resources are Fabric's local-MSP checks, which no channel request reaches here.
      return { ok: false, reason: PEER_WIDE_ACL_RESOURCES.includes(resource) ? `${resource} is checked against a peer's local MSP, not a channel policy` : `Unmapped policy for ${resource}` };
    }
    if (acl.source === 'default') {
      const result = evaluatePolicy(this.configValue, acl.policy, signed, this.mspRegistry);
      return result.ok
        ? result
        : { ok: false, reason: `Failed evaluating policy on signed data during check policy on channel [${this.id}] with policy [${acl.policy}]: [${result.reason}]` };
    }
    const result = hasPolicy(this.configValue, acl.policy)
      ? evaluatePolicy(this.configValue, acl.policy, signed, this.mspRegistry)
      : { ok: false as const, reason: `policy ${acl.policy} not found` };
    return result.ok ? result : { ok: false, reason: `failed evaluating policy on signed data during check policy [${acl.policy}]: [${result.reason}]` };
  }

  defineChaincode(def: ChaincodeDefinition): void {
    this.chaincodes.set(def.name, def);
  }

  chaincode(name: string): ChaincodeDefinition | undefined {
    return this.chaincodes.get(name);
  }

  chaincodeNames(): string[] {
    return [...this.chaincodes.keys()];
  }

  isChaincodeDefined(name: string): boolean {
    return this.chaincodes.has(name) || (name === LIFECYCLE && this.lifecycleV20);
  }

  checkEndorsementPolicy(chaincode: string, endorsements: SignedData[]): PolicyResult {
    const def = this.chaincodes.get(chaincode);
    if (!def) return { ok: false, reason: `chaincode ${chaincode} is not defined on channel ${this.id}` };
    if (def.signaturePolicy !== undefined) {
      return evaluateSignaturePolicy(common.SignaturePolicyEnvelope.deserializeBinary(Buffer.from(def.signaturePolicy, 'base64')), endorsements, this.mspRegistry);
    }
    return evaluatePolicy(this.configValue, def.endorsementPolicy, endorsements, this.mspRegistry);
  }

  /**
   * The endorsement rule of a `_lifecycle` transaction, from what it writes: the endorsement
   * policy of each organisation's implicit collection it writes (an approval), and the channel's
   * LifecycleEndorsement policy when it writes public state (a definition).
   */
  checkLifecycleEndorsement(writes: { publicWrites: boolean; collections: readonly string[] }, endorsements: SignedData[]): PolicyResult {
    const rule = lifecycleWriteRule(writes);
    if (!rule) return { ok: false, reason: `_lifecycle has no collection ${writes.collections.join(', ')}: only the organisations' implicit collections` };
    const orgs = applicationOrgs(this.config);
    for (const mspId of rule.orgs) {
      const org = orgs.find((o) => o.mspId === mspId);
      if (!org) return { ok: false, reason: `${mspId} is not an application organisation of channel ${this.id}, so it has no implicit collection` };
      const policy = implicitCollection(org, hasPolicy(this.config, orgEndorsementPolicyPath(org))).endorsementPolicy;
      const envelope = policy?.getSignaturePolicy();
      const verdict = envelope ? evaluateSignaturePolicy(envelope, endorsements, this.mspRegistry) : this.checkPolicy(policy?.getChannelConfigPolicyReference() ?? '', endorsements);
      if (!verdict.ok) return { ok: false, reason: `the approval of ${mspId}: ${verdict.reason}` };
    }
    if (rule.lifecycleEndorsement) return evaluatePolicy(this.configValue, LIFECYCLE_ENDORSEMENT_POLICY, endorsements, this.mspRegistry);
    return { ok: true };
  }

  /**
   * {@link checkEndorsementPolicy} over a set that grows one endorsement at a time, as the gateway
   * collects them. Each signature is verified once, when it is added: evaluating the whole set again
   * after each addition verified every earlier signature again (1 + 2 + ... + n verifications, the
   * gateway's largest cost under load). The answer after each addition is the one
   * checkEndorsementPolicy gives for the set so far, against the config in force at that call.
   *
   * @param chaincode - the chaincode whose endorsement policy applies.
   * @returns a function that adds one endorsement and evaluates the policy over all added so far.
   */
  endorsementPolicyAccumulator(chaincode: string): (endorsement: SignedData) => PolicyResult {
    const identities: Identity[] = [];
    // validIdentities' de-duplication, carried across calls: a signer counts once, and a repeat is not verified again.
    const seen = new Set<string>();
    const all: SignedData[] = [];
    return (endorsement) => {
      const def = this.chaincodes.get(chaincode);
      if (!def) return { ok: false, reason: `chaincode ${chaincode} is not defined on channel ${this.id}` };
      // A signature policy is evaluated over the whole set again (rare on the devnet, and small).
      if (def.signaturePolicy !== undefined) {
        all.push(endorsement);
        return this.checkEndorsementPolicy(chaincode, all);
      }
      for (const identity of validIdentitiesExcept(endorsement, seen, this.mspRegistry)) identities.push(identity);
      return evaluatePolicyForIdentities(this.configValue, def.endorsementPolicy, identities, this.mspRegistry);
    };
  }

  /** Whether signed data satisfies a channel policy such as /Channel/Writers or /Channel/Readers. */
  checkPolicy(path: string, signed: SignedData[]): PolicyResult {
    return evaluatePolicy(this.configValue, path, signed, this.mspRegistry);
  }
}

/**
 * validIdentities of one signature, skipping (before verifying) a signer already in `seen`, which
 * it then joins. The key is validIdentities' own: MSP ID and the certificate PEM without whitespace.
 */
function validIdentitiesExcept(signed: SignedData, seen: Set<string>, msps: MspRegistry): Identity[] {
  let key: string;
  try {
    const identity = msps.deserialize(signed.identity);
    key = `${identity.mspId}\u0000${identity.certificatePem.replace(/\s+/g, '')}`;
  } catch {
    return [];
  }
  if (seen.has(key)) return [];
  const valid = validIdentities([signed], msps);
  if (valid.length > 0) seen.add(key);
  return valid;
}
