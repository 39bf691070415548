/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The endorser: checks a signed proposal as a Fabric peer does (header, txid, creator, signature,
 * Writers, time window, duplicates), simulates it on the chaincode against committed state and
 * returns the ProposalResponsePayload that every endorsing peer signs; the system chaincodes qscc
 * and cscc are answered by ./systemChaincodes.ts, and `_lifecycle` by ../lifecycle/scc.ts (whose
 * reads and writes on a channel become the transaction's read/write set). A chaincode with one
 * process runs once for all endorsing orgs (one ledger), so its non-determinism goes unseen; one
 * launched per organisation (the devnet's --chaincode-per-org) runs again on each endorsing
 * organisation's own process, whose results the gateway compares as Fabric's does. A simulation
 * reads the private data of the endorsing peer's organisation and leaves its private writes in that
 * peer's transient store (../privdata), so one that touched private data is run again for another
 * organisation's peer too.
 */
import { common, peer } from '@hyperledger/fabric-protos';
import type { SignedData } from 'fabric-config/configtx';
import type { Identity, MspRegistry } from 'fabric-config/msp';
import type { ChaincodeRuntime } from '../chaincode';
import { ChaincodeError } from '../chaincode/errors';
import type { ChaincodeDefinition, Channel } from '../channel';
import { TxSimulator } from '../ledger/simulator';
import type { LedgerStore } from '../ledger/store';
import { computeTxId, sha256, Signer } from '../protoutil';
import { unmarshal } from '../fabricProto';
import { authFilterRefusal } from './authFilters';
import { isSystemChaincode, ShimFailure, SystemChaincodes } from './systemChaincodes';
import { LIFECYCLE } from '../lifecycle/definitions';
import type { LifecycleScc } from '../lifecycle/scc';
import type { ChannelDirectory, LocalMsp } from './systemChaincodes';
import type { PrivateData, PrivateSummary } from '../privdata';

export { TIME_WINDOW_MS } from './authFilters';

/**
 * A proposal refused before the chaincode ran. `filter`: the peer's auth filters refused it
 * (./authFilters.ts), a gRPC error without any response. Fabric's endorser answers the other two
 * with a 500 response without payload, but for `preprocess` (the proposal does not unpack, or its
 * header, creator, signature, txid, uniqueness or ACL check fails) it also returns the error, so a
 * gRPC client gets status UNKNOWN instead of the response; `process` refusals (an unknown channel
 * or chaincode) come back as the response only.
 */
export class ProposalError extends Error {
  constructor(
    message: string,
    readonly stage: 'filter' | 'preprocess' | 'process' = 'preprocess',
  ) {
    super(message);
    this.name = 'ProposalError';
  }
}

export interface SimulatedProposal {
  channel: Channel;
  txId: string;
  chaincodeName: string;
  creator: Identity;
  proposal: peer.Proposal;
  /** The proposal's Header bytes, unchanged, for the prepared transaction. */
  headerBytes: Uint8Array;
  signatureHeaderBytes: Uint8Array;
  /** ChaincodeProposalPayload without the transient map, as it goes into the transaction. */
  proposalPayloadBytes: Uint8Array;
  response: peer.Response;
  /** Present when the chaincode's status is below 400 (Fabric omits it for 4xx). */
  proposalResponsePayload?: Uint8Array;
  /** The organisation of the peer whose simulation this is (its copy of private data was read). */
  peerOrg: string;
  /** Present when the simulation read private values or wrote private data: which peers may endorse it depends on it. */
  privateData?: { summary: PrivateSummary; hasTransient: boolean };
}

/** The channels the peers have joined. */
export type ChannelLookup = ChannelDirectory;

/** The peer that received a proposal: its own MSP and its signing identity. */
export interface LocalPeer extends LocalMsp {
  readonly signer: Signer;
}

/** A signed proposal taken apart, as Fabric's UnpackProposal does before any check. */
interface UnpackedProposal {
  signed: peer.SignedProposal;
  proposal: peer.Proposal;
  header: common.Header;
  channelHeader: common.ChannelHeader;
  signatureHeader: common.SignatureHeader;
  chaincodeName: string;
  input: peer.ChaincodeInput;
  /** ChaincodeProposalPayload without the transient map, as it goes into the transaction. */
  proposalPayloadBytes: Uint8Array;
  hasTransient: boolean;
}

/** The simulations of one signed proposal in flight: the first, and the peers' own when private data makes them differ. */
interface Flight {
  first: Promise<SimulatedProposal>;
  /** Runs of one txid never overlap on the chaincode's stream: each waits for this. */
  tail: Promise<unknown>;
  byOrg: Map<string, Promise<SimulatedProposal>>;
}

export class Endorser {
  private readonly inFlight = new Map<string, Flight>();
  private readonly system: SystemChaincodes;

  constructor(
    private readonly channels: ChannelLookup,
    private readonly store: LedgerStore,
    private readonly runtime: ChaincodeRuntime,
    /** The `_lifecycle` system chaincode; without it, `_lifecycle` proposals are for an undefined chaincode. */
    private readonly lifecycle?: LifecycleScc,
    /** Collections and each peer's transient store; without it, chaincodes have no private data. */
    private readonly privateData?: PrivateData,
  ) {
    this.system = new SystemChaincodes(channels, store);
  }

  /**
   * Fabric's ProcessProposal on one peer: a system chaincode (qscc, cscc) is answered here, any
   * other is simulated and endorsed by `local`.
   * @returns the ProposalResponse; a failure after the proposal's checks is a 500 response.
   * @throws ProposalError (stage `preprocess`) when the proposal is refused before any chaincode
   *   runs, which Fabric returns as a gRPC error.
   */
  async processProposal(signed: peer.SignedProposal, local: LocalPeer): Promise<peer.ProposalResponse> {
    try {
      const unpacked = unpack(signed);
      if (isSystemChaincode(unpacked.chaincodeName) || (this.lifecycle && unpacked.chaincodeName === LIFECYCLE)) return await this.processSystem(unpacked, local);
      return toProposalResponse(await this.simulate(signed, local.mspId), local.signer);
    } catch (err) {
      if (err instanceof ProposalError && err.stage !== 'process') throw err;
      const response = new peer.Response();
      response.setStatus(500);
      response.setMessage(err instanceof Error ? err.message : String(err));
      const pr = new peer.ProposalResponse();
      pr.setResponse(response);
      return pr;
    }
  }

  /**
   * Validates and simulates a signed proposal on the peer of `peerOrg` (default: the creator's
   * organisation), whose copy of private data the chaincode reads.
   * @throws ProposalError when the proposal is refused before simulation.
   */
  simulate(signed: peer.SignedProposal, peerOrg?: string): Promise<SimulatedProposal> {
    // A client that sends one signed proposal to several peers at once (the peer CLI with
    // several --peerAddresses) gets one simulation: on Fabric each peer simulates on its own
    // ledger, and here the peers share one, where a second concurrent run of the txid would clash.
    // Only a simulation that touched private data (its copy and its access differ), or one of a
    // chaincode with a process per organisation, is run again for another organisation's peer,
    // after the runs before it.
    const key = sha256(signed.getProposalBytes_asU8(), signed.getSignature_asU8()).toString('hex');
    const flight = this.inFlight.get(key);
    if (!flight) {
      const first = this.simulateOnce(signed, peerOrg);
      const created: Flight = { first, tail: first.catch(() => undefined), byOrg: new Map() };
      if (peerOrg !== undefined) created.byOrg.set(peerOrg, first);
      this.inFlight.set(key, created);
      this.forgetWhenDone(key, created);
      return first;
    }
    const own = peerOrg !== undefined ? flight.byOrg.get(peerOrg) : undefined;
    if (own) return own;
    const result = flight.tail.then(async () => {
      const sim = await flight.first;
      if (peerOrg === undefined || sim.peerOrg === peerOrg) return sim;
      if (!sim.privateData && !this.simulatesPerOrg(sim.chaincodeName)) return sim;
      return this.simulateOnce(signed, peerOrg);
    });
    flight.tail = result.catch(() => undefined);
    if (peerOrg !== undefined) flight.byOrg.set(peerOrg, result);
    this.forgetWhenDone(key, flight);
    return result;
  }

  /**
   * Whether each endorsing organisation's peer runs `chaincodeName` on a process of its own (its
   * results may differ from another's), so that every endorsement needs a simulation of its own.
   */
  simulatesPerOrg(chaincodeName: string): boolean {
    return this.runtime.organisationsOf(chaincodeName).length > 1;
  }

  private forgetWhenDone(key: string, flight: Flight): void {
    const tail = flight.tail;
    void tail.then(() => {
      if (this.inFlight.get(key) === flight && flight.tail === tail) this.inFlight.delete(key);
    });
  }

  private async simulateOnce(signed: peer.SignedProposal, peerOrg?: string): Promise<SimulatedProposal> {
    const up = unpack(signed);
    const { channelHeader, chaincodeName, input } = up;
    const channelId = channelHeader.getChannelId();
    const txId = channelHeader.getTxId();
    // Fabric looks the channel up before it validates the proposal.
    const channel = this.channels.get(channelId);
    if (!channel) throw new ProposalError(`channel '${channelId}' not found`, 'process');
    checkHeader(up);
    const creator = await this.admitOnChannel(up, channel);
    // The config in force now decides: an ACLs change is effective from the next proposal.
    const acl = channel.checkAcl('peer/Propose', [signedDataOf(up)]);
    if (!acl.ok) throw new ProposalError(acl.reason);
    const definition = definitionFor(channel, chaincodeName);

    const org = peerOrg ?? creator.mspId;
    const privateContext = this.privateData?.registry.contextFor(channel, chaincodeName, txId, signedDataOf(up), org);
    const simulator = new TxSimulator(this.store, channelId, chaincodeName, privateContext);
    let result;
    try {
      result = await this.runtime.invoke(chaincodeName, { channelId, txId, signedProposal: signed, input, state: simulator }, org);
    } catch (err) {
      // A transaction the chaincode could not be sent fails as the chaincode's own failure does.
      if (err instanceof ChaincodeError && err.code === 'SEND_FAILED') throw new Error(`error in simulation: ${err.message}`);
      // Fabric's wording, naming the chaincode, so an operator sees which process is down.
      throw new Error(`error in simulation: failed to execute transaction ${txId}: chaincode ${chaincodeName}: ${(err as Error).message}`);
    }
    const response = new peer.Response();
    response.setStatus(result.response.status);
    response.setMessage(result.response.message);
    response.setPayload(result.response.payload);

    const simulatedBase = {
      channel,
      txId,
      chaincodeName,
      creator,
      proposal: up.proposal,
      headerBytes: up.proposal.getHeader_asU8(),
      signatureHeaderBytes: up.header.getSignatureHeader_asU8(),
      proposalPayloadBytes: up.proposalPayloadBytes,
      response,
      peerOrg: org,
    };
    if (result.response.status >= 400 && result.response.status < 500) return simulatedBase;

    const action = chaincodeAction(response, chaincodeName, definition.version);
    action.setResults(simulator.toRwsetBytes());
    // The private write set stays on the peer (its transient store), for the commit to distribute.
    const pvt = simulator.toPvtRwset();
    if (pvt && this.privateData) this.privateData.transient.put(channelId, txId, org, pvt, await this.store.height(channelId));
    const summary = simulator.privateData?.summary();
    const touched = summary && (summary.privateReads.length > 0 || summary.writes.length > 0) ? { privateData: { summary, hasTransient: up.hasTransient } } : {};
    if (result.event) {
      const event = new peer.ChaincodeEvent();
      event.setChaincodeId(chaincodeName);
      event.setTxId(txId);
      event.setEventName(result.event.eventName);
      event.setPayload(result.event.payload);
      action.setEvents(event.serializeBinary());
    }
    return { ...simulatedBase, ...touched, proposalResponsePayload: proposalResponsePayload(up, action) };
  }

  /**
   * A system chaincode's proposal as Fabric's endorser handles it. A proposal without a channel
   * (`peer channel getinfo` and `list` send one) is checked against the receiving peer's own MSP
   * only, and its answer is never endorsed; one on a channel gets the channel's checks except
   * peer/Propose (system chaincodes check their own ACLs) and, when it succeeds, an endorsement.
   * No simulator runs, so the response payload carries no read/write set.
   */
  private async processSystem(up: UnpackedProposal, local: LocalPeer): Promise<peer.ProposalResponse> {
    const channelId = up.channelHeader.getChannelId();
    if (channelId === '') {
      checkHeader(up);
      checkCreator(up, local.msp);
    } else {
      const channel = this.channels.get(channelId);
      if (!channel) throw new ProposalError(`channel '${channelId}' not found`, 'process');
      checkHeader(up);
      await this.admitOnChannel(up, channel);
    }
    let response: peer.Response;
    // _lifecycle on a channel reads and writes its namespace: its writes make the transaction.
    const state = up.chaincodeName === LIFECYCLE && channelId !== '' ? this.lifecycleSimulator(up, local) : undefined;
    try {
      const call = { args: up.input.getArgsList_asU8(), signed: signedDataOf(up), local };
      response = this.lifecycle && up.chaincodeName === LIFECYCLE
        ? await this.lifecycle.invoke({ ...call, channel: this.channels.get(channelId), state })
        : await this.system.invoke(up.chaincodeName, call);
    } catch (err) {
      if (err instanceof ShimFailure) throw new Error(`error in simulation: transaction returned with failure: ${err.message}`);
      throw err;
    }
    const action = chaincodeAction(response, up.chaincodeName, SYSTEM_CHAINCODE_VERSION);
    if (state && response.getStatus() < 400) {
      action.setResults(state.toRwsetBytes());
      // An approval is private data of the organisation's implicit collection: it stays on the peer for the commit.
      const pvt = state.toPvtRwset();
      if (pvt && this.privateData) this.privateData.transient.put(channelId, up.channelHeader.getTxId(), local.mspId, pvt, await this.store.height(channelId));
    }
    const prp = proposalResponsePayload(up, action);
    const pr = new peer.ProposalResponse();
    pr.setResponse(response);
    const status = response.getStatus();
    if (status >= 500) {
      pr.setPayload(prp);
      return pr;
    }
    if (channelId === '' || status >= 400) return pr;
    pr.setVersion(1);
    pr.setPayload(prp);
    pr.setEndorsement(Endorser.endorse(prp, local.signer));
    return pr;
  }

  /** `_lifecycle`'s simulator on a channel, with the implicit collections in which approvals live. */
  private lifecycleSimulator(up: UnpackedProposal, local: LocalPeer): TxSimulator {
    const channelId = up.channelHeader.getChannelId();
    const channel = this.channels.get(channelId);
    const context = channel && this.privateData?.registry.contextFor(channel, LIFECYCLE, up.channelHeader.getTxId(), signedDataOf(up), local.mspId);
    return new TxSimulator(this.store, channelId, LIFECYCLE, context);
  }

  /**
   * The checks of a proposal on a channel: creator and signature under the channel's MSPs, and
   * that its txid is not committed already (the time window is an auth filter, see unpack).
   * @returns the creator.
   */
  private async admitOnChannel(up: UnpackedProposal, channel: Channel): Promise<Identity> {
    const creator = checkCreator(up, channel.msps);
    const txId = up.channelHeader.getTxId();
    if (await this.store.getTx(channel.id, txId)) {
      throw new ProposalError(`duplicate transaction found [${txId}]. Creator [${Buffer.from(up.signatureHeader.getCreator_asU8()).toString('hex')}]`);
    }
    return creator;
  }

  /** An endorsement by one peer: its signature over prp || its serialized identity. */
  static endorse(prpBytes: Uint8Array, endorser: Signer): peer.Endorsement {
    const identity = endorser.serialize();
    const e = new peer.Endorsement();
    e.setEndorser(identity);
    e.setSignature(endorser.sign(Buffer.concat([prpBytes, identity])));
    return e;
  }
}

/** The chaincode's definition, as the config in force lets a Fabric peer find it. */
function definitionFor(channel: Channel, chaincodeName: string): ChaincodeDefinition {
  const notFound = (reason: string): ProposalError =>
    new ProposalError(`make sure the chaincode ${chaincodeName} has been successfully defined on channel ${channel.id} and try again: ${reason}`, 'process');
  const definition = channel.chaincode(chaincodeName);
  // Without a _lifecycle definition (or below V2_0) a Fabric peer looks in the legacy lscc
  // namespace, where no chaincode deployed as the devnet does (as _lifecycle would) is found.
  if (!definition || !channel.lifecycleV20) throw notFound(`chaincode ${chaincodeName} not found`);
  return definition;
}

/** The version Fabric gives every system chaincode in its proposal responses (core/scc). */
const SYSTEM_CHAINCODE_VERSION = 'syscc';

/**
 * The peer's auth filters, then Fabric's UnpackProposal: the chaincode is the one the header
 * extension names.
 * @throws ProposalError (filter) from the auth filters; (preprocess) naming the part that does not decode.
 */
function unpack(signed: peer.SignedProposal): UnpackedProposal {
  const refusal = authFilterRefusal(signed);
  if (refusal !== undefined) throw new ProposalError(refusal, 'filter');
  const proposal = parse(() => peer.Proposal.deserializeBinary(signed.getProposalBytes_asU8()), 'Proposal');
  const header = parse(() => common.Header.deserializeBinary(proposal.getHeader_asU8()), 'Header');
  const channelHeader = parse(() => common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()), 'ChannelHeader');
  const signatureHeader = parse(() => common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()), 'SignatureHeader');
  const extension = parse(() => peer.ChaincodeHeaderExtension.deserializeBinary(channelHeader.getExtension_asU8()), 'ChaincodeHeaderExtension');
  const chaincodeId = extension.getChaincodeId();
  if (!chaincodeId) throw new ProposalError('ChaincodeHeaderExtension.ChaincodeId is nil');
  const chaincodeName = chaincodeId.getName();
  if (chaincodeName === '') throw new ProposalError('ChaincodeHeaderExtension.ChaincodeId.Name is empty');
  const cpp = parse(() => peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8()), 'ChaincodeProposalPayload');
  const cis = parse(() => peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8()), 'ChaincodeInvocationSpec');
  const spec = cis.getChaincodeSpec();
  if (!spec) throw new ProposalError('chaincode invocation spec did not contain chaincode spec');
  const input = spec.getInput();
  if (!input) throw new ProposalError('chaincode input did not contain any input');
  const withoutTransient = new peer.ChaincodeProposalPayload();
  withoutTransient.setInput(cpp.getInput_asU8());
  return {
    signed,
    proposal,
    header,
    channelHeader,
    signatureHeader,
    chaincodeName,
    input,
    proposalPayloadBytes: withoutTransient.serializeBinary(),
    hasTransient: cpp.getTransientmapMap().getLength() > 0,
  };
}

/** A refusal of Fabric's proposal validation (UnpackedProposal.Validate), with its prefix. */
function invalid(reason: string): ProposalError {
  return new ProposalError(`error validating proposal: ${reason}`);
}

/** The header checks of Fabric's proposal validation: type, epoch, nonce, creator, txid. */
function checkHeader({ channelHeader, signatureHeader }: UnpackedProposal): void {
  const type = channelHeader.getType();
  // Fabric lets CONFIG through here too; what it does with one later, the devnet does not follow.
  if (type !== common.HeaderType.ENDORSER_TRANSACTION) {
    const name = Object.entries(common.HeaderType).find(([, v]) => v === type)?.[0] ?? String(type);
    throw invalid(`invalid header type ${name}`);
  }
  if (channelHeader.getEpoch() !== 0) throw invalid('epoch is non-zero');
  const nonce = signatureHeader.getNonce_asU8();
  const creatorBytes = signatureHeader.getCreator_asU8();
  if (nonce.length === 0) throw invalid('nonce is empty');
  if (creatorBytes.length === 0) throw invalid('creator is empty');
  const txId = channelHeader.getTxId();
  const expectedTxId = computeTxId(nonce, creatorBytes);
  if (txId !== expectedTxId) throw invalid(`incorrectly computed txid '${txId}' -- expected '${expectedTxId}'`);
}

/**
 * The creator, valid under `msps`, and its signature over the proposal bytes. As Fabric, the
 * refusal does not say why (the reason would help an attacker more than a user; a peer logs it).
 */
function checkCreator(up: UnpackedProposal, msps: MspRegistry): Identity {
  const channelId = up.channelHeader.getChannelId();
  const signature = up.signed.getSignature_asU8();
  if (signature.length === 0) throw invalid('empty signature bytes');
  let creator: Identity;
  try {
    creator = msps.deserialize(up.signatureHeader.getCreator_asU8());
  } catch {
    throw invalid(`access denied: channel [${channelId}] creator org unknown, creator is malformed`);
  }
  if (!msps.verify(creator, up.signed.getProposalBytes_asU8(), signature)) {
    throw invalid(`access denied: channel [${channelId}] creator org [${creator.mspId}]`);
  }
  return creator;
}

function signedDataOf(up: UnpackedProposal): SignedData {
  return { identity: up.signatureHeader.getCreator_asU8(), data: up.signed.getProposalBytes_asU8(), signature: up.signed.getSignature_asU8() };
}

function chaincodeAction(response: peer.Response, chaincodeName: string, version: string): peer.ChaincodeAction {
  const action = new peer.ChaincodeAction();
  action.setResponse(response);
  const ccid = new peer.ChaincodeID();
  ccid.setName(chaincodeName);
  ccid.setVersion(version);
  action.setChaincodeId(ccid);
  return action;
}

/** What endorsers sign: the proposal's hash (headers and payload without transient data) and the action. */
function proposalResponsePayload(up: UnpackedProposal, action: peer.ChaincodeAction): Uint8Array {
  const prp = new peer.ProposalResponsePayload();
  prp.setProposalHash(sha256(up.header.getChannelHeader_asU8(), up.header.getSignatureHeader_asU8(), up.proposalPayloadBytes));
  prp.setExtension$(action.serializeBinary());
  return prp.serializeBinary();
}

function parse<T>(fn: () => T, typeName: string): T {
  try {
    return unmarshal(fn, typeName);
  } catch (err) {
    throw new ProposalError((err as Error).message);
  }
}

/**
 * A ProposalResponse as a Fabric peer returns it from ProcessProposal: only an endorsed one has
 * version 1; a chaincode error of 500 or more keeps the payload, one in the 400s has none.
 */
export function toProposalResponse(sim: SimulatedProposal, endorser?: Signer): peer.ProposalResponse {
  const pr = new peer.ProposalResponse();
  pr.setResponse(sim.response);
  if (sim.proposalResponsePayload) pr.setPayload(sim.proposalResponsePayload);
  if (sim.proposalResponsePayload && endorser && sim.response.getStatus() < 400) {
    pr.setVersion(1);
    pr.setEndorsement(Endorser.endorse(sim.proposalResponsePayload, endorser));
  }
  return pr;
}
