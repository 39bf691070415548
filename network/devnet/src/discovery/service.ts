/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * discovery.Discovery/Discover for one devnet peer, as a Fabric v3.1.5 peer answers it
 * (discovery/service.go): a request that does not parse or names no client identity is a gRPC
 * error; otherwise every query gets its own result, in order, an error inside it when the query
 * is refused ("access denied") or cannot be answered. Channel queries (config, peers, endorsers)
 * need the channel's /Channel/Application/Writers over the request's signature, as Fabric's peer
 * builds its discovery ACL; the local peers query needs an admin of the peer's own MSP.
 */
import * as grpc from '@grpc/grpc-js';
import { common, discovery, msp, peer as peerProto } from '@hyperledger/fabric-protos';
import { evaluateSignaturePolicy, nOutOf } from 'fabric-config/configtx';
import type { SignedData } from 'fabric-config/configtx';
import type { MspRole } from 'fabric-config/msp';
import type { ChaincodeDefinition, Channel } from '../channel';
import type { PeerNode } from '../gateway/gateway';
import { configResult } from './configResult';
import { GossipInfo } from './gossipInfo';
import type { GossipChaincode } from './gossipInfo';
import { endorsementDescriptor } from './layouts';
import { convertPolicy, satisfiedBy } from './principalSets';
import type { CollectionRegistry } from '../privdata';

/**
 * The policy Fabric's peer gives its discovery service for channel queries
 * (internal/peer/node/start.go: `NewChannelVerifier(policies.ChannelApplicationWriters, ...)`).
 */
export const DISCOVERY_CHANNEL_POLICY = '/Channel/Application/Writers';

/**
 * The version a peer's state info gives a chaincode: a v2 lifecycle peer reports the definition's
 * sequence. A chaincode the devnet's `deploy` defined has none: it counts as sequence 1.
 */
export const DEVNET_CHAINCODE_SEQUENCE = '1';

export interface DiscoveryDeps {
  channels: ReadonlyMap<string, Channel>;
  /** Ledger heights, for the peers' state info. */
  heights: { height(channelId: string): Promise<number> };
  /** Every peer, shared with the gateways (it grows in place when a peer is added). */
  peers: readonly PeerNode[];
  /** Makes the gossip messages; one per server when not given. */
  gossip?: GossipInfo;
  /** The chaincodes' private data collections; without it, no chaincode has any. */
  collections?: CollectionRegistry;
}

/** A request refused as a whole; Fabric returns it as the call's error (gRPC UNKNOWN). */
export class DiscoveryRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiscoveryRequestError';
  }
}

const ROLE_NAMES: ReadonlyMap<number, MspRole> = new Map([
  [msp.MSPRole.MSPRoleType.MEMBER, 'member'],
  [msp.MSPRole.MSPRoleType.ADMIN, 'admin'],
  [msp.MSPRole.MSPRoleType.CLIENT, 'client'],
  [msp.MSPRole.MSPRoleType.PEER, 'peer'],
  [msp.MSPRole.MSPRoleType.ORDERER, 'orderer'],
]);

export class DiscoveryServer {
  private readonly gossip: GossipInfo;

  constructor(
    private readonly deps: DiscoveryDeps,
    private readonly local: PeerNode,
  ) {
    this.gossip = deps.gossip ?? new GossipInfo();
  }

  discover: grpc.handleUnaryCall<discovery.SignedRequest, discovery.Response> = (call, callback) => {
    this.answer(call.request)
      .then((response) => { callback(null, response); })
      .catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        callback(Object.assign(new Error(message), { code: grpc.status.UNKNOWN, details: message, metadata: new grpc.Metadata() }));
      });
  };

  service(): discovery.IDiscoveryServer {
    return { discover: this.discover };
  }

  /**
   * The response to a signed request.
   * @throws DiscoveryRequestError for a request that does not parse or lacks a client identity.
   */
  async answer(signed: discovery.SignedRequest): Promise<discovery.Response> {
    const request = parseRequest(signed);
    const auth = request.getAuthentication() as discovery.AuthInfo;
    // The devnet's peers take no client certificates, so there is no TLS binding to compare the
    // claimed hash with: as a Fabric peer without TLS, the claim is not checked.
    const signedData: SignedData = { identity: auth.getClientIdentity_asU8(), data: signed.getPayload_asU8(), signature: signed.getSignature_asU8() };
    const response = new discovery.Response();
    for (const query of request.getQueriesList()) response.addResults(await this.processQuery(query, signedData));
    return response;
  }

  private async processQuery(query: discovery.Query, signedData: SignedData): Promise<discovery.QueryResult> {
    const channelId = query.getChannel();
    if (channelId === '') {
      if (!this.isLocalAdmin(signedData)) return errorResult('access denied');
      if (query.getQueryCase() !== discovery.Query.QueryCase.LOCAL_PEERS) return errorResult('unknown or missing request type');
      return this.localPeers();
    }
    const channel = this.deps.channels.get(channelId);
    if (!channel || !channel.checkPolicy(DISCOVERY_CHANNEL_POLICY, [signedData]).ok) return errorResult('access denied');
    switch (query.getQueryCase()) {
      case discovery.Query.QueryCase.CONFIG_QUERY:
        return this.config(channel);
      case discovery.Query.QueryCase.PEER_QUERY:
        return this.channelPeers(channel, query.getPeerQuery()?.getFilter());
      case discovery.Query.QueryCase.CC_QUERY:
        return this.endorsers(channel, query.getCcQuery() as discovery.ChaincodeQuery);
      default:
        return errorResult('unknown or missing request type');
    }
  }

  /** Fabric's local access policy: SignedByAnyAdmin of the peer's own MSP. */
  private isLocalAdmin(signedData: SignedData): boolean {
    const policy = nOutOf(1, [{ mspId: this.local.mspId, role: 'admin' }]);
    return evaluateSignaturePolicy(policy, [signedData], this.local.msp).ok;
  }

  private config(channel: Channel): discovery.QueryResult {
    const result = new discovery.QueryResult();
    try {
      result.setConfigResult(configResult(channel.config));
    } catch {
      return errorResult(`failed fetching config for channel ${channel.id}`);
    }
    return result;
  }

  /** Every peer by org, without state info: the peer's whole membership view. */
  private localPeers(): discovery.QueryResult {
    const byOrg = new Map<string, discovery.Peer[]>();
    for (const p of this.deps.peers) byOrg.set(p.mspId, [...(byOrg.get(p.mspId) ?? []), this.gossip.peer(p)]);
    return membersResult(byOrg);
  }

  /**
   * The channel's peers by org, with state info. As Fabric, every org a peer is known of is
   * listed, with no peers when none of its peers is on the channel (here: admitted by its config).
   */
  private async channelPeers(channel: Channel, filter: peerProto.ChaincodeInterest | undefined): Promise<discovery.QueryResult> {
    const calls = filter?.getChaincodesList() ?? [];
    const problem = this.chaincodeProblem(channel, calls);
    if (problem !== undefined) return errorResult(problem);
    const state = await this.stateOf(channel);
    const byOrg = new Map<string, discovery.Peer[]>();
    for (const p of this.deps.peers) {
      const list = byOrg.get(p.mspId) ?? [];
      byOrg.set(p.mspId, list);
      if (isChannelPeer(channel, p)) list.push(this.gossip.peer(p, state));
    }
    return membersResult(byOrg);
  }

  private async endorsers(channel: Channel, query: discovery.ChaincodeQuery): Promise<discovery.QueryResult> {
    const interests = query.getInterestsList();
    if (interests.length === 0) return errorResult('chaincode query must have at least one chaincode interest');
    for (const interest of interests) {
      if (interest.getChaincodesList().length === 0) return errorResult('chaincode interest must contain at least one chaincode');
      if (interest.getChaincodesList().some((c) => c.getName() === '')) return errorResult('chaincode name in interest cannot be empty');
    }
    const state = await this.stateOf(channel);
    const descriptors: discovery.EndorsementDescriptor[] = [];
    for (const interest of interests) {
      try {
        descriptors.push(this.descriptor(channel, interest, state));
      } catch {
        // Fabric logs the reason and answers with the interest only.
        return errorResult(`failed constructing descriptor for ${formatInterest(interest)}`);
      }
    }
    const content = new discovery.ChaincodeQueryResult();
    content.setContentList(descriptors);
    const result = new discovery.QueryResult();
    result.setCcQueryRes(content);
    return result;
  }

  /** @throws Error with Fabric's reason when the interest cannot be planned. */
  private descriptor(channel: Channel, interest: peerProto.ChaincodeInterest, state: PeerState): discovery.EndorsementDescriptor {
    const calls = interest.getChaincodesList();
    const problem = this.chaincodeProblem(channel, calls);
    if (problem !== undefined) throw new Error(problem);
    if (calls.length > 1 || calls[0].getKeyPoliciesList().length > 0) {
      // Merging several policies (chaincode-to-chaincode calls, key-level policies) is not done:
      // the devnet supports neither.
      throw new Error('chaincode-to-chaincode calls and key-level endorsement policies are not supported by the devnet');
    }
    const call = calls[0];
    // Fabric's PoliciesByChaincode: each named collection's own endorsement policy (an implicit
    // collection's: a member of its organisation), or the chaincode's for one without, each once.
    const collections = this.collectionsOf(channel, call.getName());
    const named = call.getCollectionNamesList().map((n) => collections?.get(n));
    const policies: (common.SignaturePolicyEnvelope | undefined)[] = [];
    let chaincodePolicy = named.length === 0;
    for (const c of named) {
      if (c?.implicit) policies.push(c.memberPolicy);
      else if (c?.endorsementPolicy) policies.push(this.applicationPolicyEnvelope(channel, c.endorsementPolicy));
      else chaincodePolicy = true;
    }
    if (call.getDisregardNamespacePolicy()) {
      if (policies.length === 0) {
        throw new Error(
          `requested to disregard chaincode ${call.getName()}'s policy but key and collection policies are missing, either disable DisregardNamespacePolicy or specify at least one key policy or at least one collection policy`,
        );
      }
      chaincodePolicy = false;
    }
    if (chaincodePolicy) policies.unshift(this.policyOf(channel, call.getName()));
    const unique = [...new Map(policies.map((p) => [p ? Buffer.from(p.serializeBinary()).toString('base64') : '', p])).values()];
    if (unique.length > 1) {
      // Merging several policies' principal sets is not done, as for key-level policies.
      throw new Error('endorsement plans combining several policies (chaincode and collection-level endorsement policies) are not supported by the devnet');
    }
    const envelope = unique[0];
    if (envelope === undefined || envelope.getIdentitiesList().length === 0 || envelope.getRule() === undefined) throw new Error('policy not found');
    const principalSets = satisfiedBy(envelope);
    if (principalSets.length === 0) throw new Error('endorsement policy cannot be satisfied');
    // A chaincode that reads a collection privately needs peers of its member organisations (Fabric's collection filter).
    const memberOf = (p: PeerNode): boolean => call.getNoPrivateReads() || named.every((c) => c?.memberOrgs.includes(p.mspId) ?? false);
    return endorsementDescriptor({
      chaincode: call.getName(),
      principalSets,
      // Every channel peer runs every chaincode defined on the channel (one process, one runtime).
      peers: this.deps.peers.filter((p) => isChannelPeer(channel, p) && memberOf(p)).map((p) => ({ peer: p, hasChaincode: true })),
      satisfies: (p, principal) => satisfiesPrincipal(channel, p, principal),
      toProto: (p) => this.gossip.peer(p, state),
    });
  }

  /** The chaincode's endorsement policy as a signature policy; undefined when it cannot be converted (Fabric then has no metadata). */
  private policyOf(channel: Channel, name: string): common.SignaturePolicyEnvelope | undefined {
    const def = channel.chaincode(name);
    if (!def) return undefined;
    try {
      const explicit = lifecycleFieldsOf(def).signaturePolicy;
      if (explicit !== undefined) return common.SignaturePolicyEnvelope.deserializeBinary(Buffer.from(explicit, 'base64'));
      return convertPolicy(channel.config, def.endorsementPolicy);
    } catch {
      return undefined;
    }
  }

  private collectionsOf(channel: Channel, chaincode: string): ReturnType<CollectionRegistry['collectionsOf']> | undefined {
    return this.deps.collections?.collectionsOf(channel, chaincode);
  }

  /** A collection's endorsement policy as a signature policy (a channel policy reference converted). */
  private applicationPolicyEnvelope(channel: Channel, policy: peerProto.ApplicationPolicy): common.SignaturePolicyEnvelope | undefined {
    const envelope = policy.getSignaturePolicy();
    if (envelope) return envelope;
    try {
      return convertPolicy(channel.config, policy.getChannelConfigPolicyReference());
    } catch {
      return undefined;
    }
  }

  /** Fabric's metadata and collection checks of an invocation chain, or undefined when they pass. */
  private chaincodeProblem(channel: Channel, calls: readonly peerProto.ChaincodeCall[]): string | undefined {
    for (const call of calls) {
      if (!channel.chaincode(call.getName()) || this.policyOf(channel, call.getName()) === undefined) {
        return `No metadata was found for chaincode ${call.getName()} in channel ${channel.id}`;
      }
      if (call.getNoPrivateReads()) continue;
      const collections = this.collectionsOf(channel, call.getName());
      const missing = call.getCollectionNamesList().find((name) => !collections?.get(name));
      if (missing !== undefined) return `collection ${missing} doesn't exist in collection config for chaincode ${call.getName()}`;
    }
    return undefined;
  }

  private async stateOf(channel: Channel): Promise<PeerState> {
    const chaincodes: GossipChaincode[] = channel.chaincodeNames().map((name) => {
      const def = channel.chaincode(name);
      const sequence = def ? lifecycleFieldsOf(def).sequence : undefined;
      return { name, version: sequence === undefined ? DEVNET_CHAINCODE_SEQUENCE : String(sequence) };
    });
    return { ledgerHeight: await this.deps.heights.height(channel.id), chaincodes };
  }
}

interface PeerState {
  ledgerHeight: number;
  chaincodes: readonly GossipChaincode[];
}

/**
 * Fabric's validateStructure: the payload must be a Request with a client identity.
 * @throws DiscoveryRequestError in Fabric's words.
 */
export function parseRequest(signed: discovery.SignedRequest): discovery.Request {
  let request: discovery.Request;
  try {
    request = discovery.Request.deserializeBinary(signed.getPayload_asU8());
  } catch {
    // Go's protobuf error text; google-protobuf's own says nothing a Fabric user would recognise.
    throw new DiscoveryRequestError('failed parsing request: proto: cannot parse invalid wire-format data');
  }
  const auth = request.getAuthentication();
  if (auth === undefined) throw new DiscoveryRequestError('access denied, no authentication info in request');
  if (auth.getClientIdentity_asU8().length === 0) throw new DiscoveryRequestError("access denied, client identity wasn't supplied");
  return request;
}

/**
 * What a definition committed through _lifecycle adds: an explicit signature policy (base64
 * SignaturePolicyEnvelope), which then decides instead of the channel policy, and its sequence.
 * Read loosely, so that definitions made before _lifecycle (without them) are read the same.
 */
function lifecycleFieldsOf(def: ChaincodeDefinition): { signaturePolicy?: string; sequence?: number } {
  const fields = def as { signaturePolicy?: unknown; sequence?: unknown };
  return {
    ...(typeof fields.signaturePolicy === 'string' ? { signaturePolicy: fields.signaturePolicy } : {}),
    ...(typeof fields.sequence === 'number' ? { sequence: fields.sequence } : {}),
  };
}

/** Whether the channel's config admits the peer's identity (the devnet's peers serve every channel). */
function isChannelPeer(channel: Channel, p: PeerNode): boolean {
  try {
    channel.msps.deserialize(p.signer.serialize());
    return true;
  } catch {
    return false;
  }
}

/** Fabric's SatisfiesPrincipal for a peer identity; principals other than roles and identities are not used by the devnet's configs. */
export function satisfiesPrincipal(channel: Channel, p: PeerNode, principal: msp.MSPPrincipal): boolean {
  let identity;
  try {
    identity = channel.msps.deserialize(p.signer.serialize());
  } catch {
    return false;
  }
  try {
    if (principal.getPrincipalClassification() === msp.MSPPrincipal.Classification.ROLE) {
      const role = msp.MSPRole.deserializeBinary(principal.getPrincipal_asU8());
      const name = ROLE_NAMES.get(role.getRole());
      return name !== undefined && channel.msps.satisfiesRole(identity, role.getMspIdentifier(), name);
    }
    if (principal.getPrincipalClassification() === msp.MSPPrincipal.Classification.IDENTITY) {
      return Buffer.from(principal.getPrincipal_asU8()).equals(Buffer.from(identity.serialized));
    }
  } catch {
    return false;
  }
  return false;
}

function membersResult(byOrg: ReadonlyMap<string, discovery.Peer[]>): discovery.QueryResult {
  const members = new discovery.PeerMembershipResult();
  for (const [org, list] of byOrg) {
    const peers = new discovery.Peers();
    peers.setPeersList(list);
    members.getPeersByOrgMap().set(org, peers);
  }
  const result = new discovery.QueryResult();
  result.setMembers(members);
  return result;
}

function errorResult(content: string): discovery.QueryResult {
  const error = new discovery.Error();
  error.setContent(content);
  const result = new discovery.QueryResult();
  result.setError(error);
  return result;
}

/** A ChaincodeInterest as Go's %v prints it (compact prototext), for Fabric's error text. */
export function formatInterest(interest: peerProto.ChaincodeInterest): string {
  return interest
    .getChaincodesList()
    .map((c) => {
      const fields = [`name:${JSON.stringify(c.getName())}`, ...c.getCollectionNamesList().map((n) => `collection_names:${JSON.stringify(n)}`)];
      if (c.getNoPrivateReads()) fields.push('no_private_reads:true');
      if (c.getNoPublicWrites()) fields.push('no_public_writes:true');
      if (c.getDisregardNamespacePolicy()) fields.push('disregard_namespace_policy:true');
      return `chaincodes:{${fields.join(' ')}}`;
    })
    .join(' ');
}
