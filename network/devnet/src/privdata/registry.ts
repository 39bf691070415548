/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The collections in force for each chaincode of a channel (its definition's, plus the implicit
 * collection of every application organisation, as the config in force names them), and the
 * policy questions asked of them: is a creator a member (Fabric's collection access filter), may
 * a peer's organisation endorse a transaction that touched these collections, and which policies
 * must the endorsements of a transaction writing them satisfy.
 */
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { ConfigKey, evaluateSignaturePolicy, hasPolicy } from 'fabric-config/configtx';
import type { PolicyResult, SignedData } from 'fabric-config/configtx';
import type { Channel } from '../channel';
import { capabilityNames } from '../orderer/configBundle';
import { applicationOrgs, CollectionSet, decodeCollection, implicitCollection, orgEndorsementPolicyPath, staticCollections } from './collections';
import type { Collection } from './collections';
import { writtenCollections } from './rwset';
import type { PrivateContext, PrivateSummary } from './simulation';

export class CollectionRegistry {
  /** Keyed by channel, chaincode, config sequence and collections, which decide the set. */
  private readonly cache = new Map<string, CollectionSet>();

  /** The chaincode's collections under the channel's config in force. */
  collectionsOf(channel: Channel, chaincode: string): CollectionSet {
    const packageText = channel.chaincode(chaincode)?.collections ?? '';
    const key = `${channel.id}\u0000${chaincode}\u0000${channel.sequence}\u0000${packageText}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    let explicit: Collection[];
    try {
      explicit = staticCollections(Buffer.from(packageText, 'base64')).map(decodeCollection);
    } catch {
      // Validated on approve: a package that no longer decodes has no explicit collections.
      explicit = [];
    }
    const implicit = applicationOrgs(channel.config).map((org) => implicitCollection(org, hasPolicy(channel.config, orgEndorsementPolicyPath(org))));
    const set = new CollectionSet(chaincode, explicit, implicit);
    if (this.cache.size > 256) this.cache.clear();
    this.cache.set(key, set);
    return set;
  }

  /** The simulation context of one transaction on one endorsing peer. */
  contextFor(channel: Channel, chaincode: string, txId: string, creator: SignedData, peerOrg: string): PrivateContext {
    const collections = this.collectionsOf(channel, chaincode);
    const verdicts = new Map<string, boolean>();
    return {
      txId,
      collections,
      peerOrg,
      get purgeEnabled(): boolean {
        return capabilityNames(channel.config.getChannelGroup()?.getGroupsMap().get(ConfigKey.applicationGroup)).includes('V2_5');
      },
      // Fabric's access filter evaluates the member policy over the proposal's signed data, once per collection and transaction.
      creatorIsMember: (collection) => {
        let verdict = verdicts.get(collection.name);
        if (verdict === undefined) {
          verdict = evaluateSignaturePolicy(collection.memberPolicy, [creator], channel.msps).ok;
          verdicts.set(collection.name, verdict);
        }
        return verdict;
      },
    };
  }

  /**
   * Whether a peer of `org` may endorse a transaction whose simulation touched these collections,
   * as Fabric's gateway plans it: a collection read privately needs a member (a non-member peer
   * holds no values), and with transient data every written collection's members only, so the
   * values are not disclosed to other organisations.
   */
  mayEndorse(channel: Channel, chaincode: string, org: string, summary: PrivateSummary, hasTransient: boolean): boolean {
    const collections = this.collectionsOf(channel, chaincode);
    const mustBeMember = new Set([...summary.privateReads, ...(hasTransient ? summary.writes : [])]);
    return [...mustBeMember].every((name) => collections.get(name)?.memberOrgs.includes(org) ?? false);
  }

  /**
   * The endorsement rule of a transaction that writes private data (Fabric's statebased
   * validator): a written collection with its own endorsement policy needs that policy instead of
   * the chaincode's; public writes, writes to collections without one, or no writes at all need
   * the chaincode's.
   * @returns undefined when the transaction writes no collection (the chaincode's policy alone decides).
   * @throws Error when the read/write set does not decode.
   */
  endorsementRule(channel: Channel, chaincode: string, rwset: ledger.rwset.TxReadWriteSet): { chaincodePolicy: boolean; collectionPolicies: peer.ApplicationPolicy[] } | undefined {
    const ns = rwset.getNsRwsetList().find((n) => n.getNamespace() === chaincode);
    if (!ns) return undefined;
    const written = writtenCollections(ns);
    if (written.length === 0) return undefined;
    const collections = this.collectionsOf(channel, chaincode);
    const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
    let chaincodePolicy = kv.getWritesList().length > 0 || kv.getMetadataWritesList().length > 0;
    const collectionPolicies: peer.ApplicationPolicy[] = [];
    for (const name of written) {
      const policy = collections.get(name)?.endorsementPolicy;
      if (policy) collectionPolicies.push(policy);
      else chaincodePolicy = true;
    }
    return { chaincodePolicy, collectionPolicies };
  }

  /**
   * The endorsement check the gateway applies while collecting endorsements of a proposal response
   * payload: undefined when it writes no collection (the chaincode's policy alone decides).
   */
  endorsementCheckOf(channel: Channel, chaincode: string, prpBytes: Uint8Array): ((endorsements: SignedData[]) => PolicyResult) | undefined {
    let rule: ReturnType<CollectionRegistry['endorsementRule']>;
    try {
      const prp = peer.ProposalResponsePayload.deserializeBinary(prpBytes);
      const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
      rule = this.endorsementRule(channel, chaincode, ledger.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8()));
    } catch {
      return undefined;
    }
    if (!rule) return undefined;
    const found = rule;
    return (endorsements) => this.checkEndorsements(channel, chaincode, found, endorsements);
  }

  /**
   * Evaluates the endorsements against a rule from {@link endorsementRule}.
   * @returns the first failing policy's reason, or ok.
   */
  checkEndorsements(channel: Channel, chaincode: string, rule: { chaincodePolicy: boolean; collectionPolicies: peer.ApplicationPolicy[] }, endorsements: SignedData[]): PolicyResult {
    if (rule.chaincodePolicy) {
      const verdict = channel.checkEndorsementPolicy(chaincode, endorsements);
      if (!verdict.ok) return verdict;
    }
    for (const policy of rule.collectionPolicies) {
      const envelope: common.SignaturePolicyEnvelope | undefined = policy.getSignaturePolicy();
      const verdict = envelope ? evaluateSignaturePolicy(envelope, endorsements, channel.msps) : channel.checkPolicy(policy.getChannelConfigPolicyReference(), endorsements);
      if (!verdict.ok) return verdict;
    }
    return { ok: true };
  }
}
