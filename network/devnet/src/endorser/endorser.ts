/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The endorser: checks a signed proposal as a Fabric peer does (header, txid, creator, signature,
 * Writers, time window, duplicates), simulates it on the chaincode against committed state and
 * returns the ProposalResponsePayload that every endorsing peer signs; the system chaincodes qscc
 * and cscc are answered by ./systemChaincodes.ts, and `_lifecycle` by ../lifecycle/scc.ts (whose
 * reads and writes on a channel become the transaction's read/write set). The chaincode runs once for all endorsing orgs
 * (one process, one ledger), so non-determinism is not detected the way Fabric detects it: this
 * is stated in the devnet's README.
 */
import { common, peer } from '@hyperledger/fabric-protos';
import type { SignedData } from 'fabric-config/configtx';
import type { Identity, MspRegistry } from 'fabric-config/msp';
import type { ChaincodeRuntime } from '../chaincode';
import type { ChaincodeDefinition, Channel } from '../channel';
import { TxSimulator } from '../ledger/simulator';
import type { LedgerStore } from '../ledger/store';
import { computeTxId, decode, sha256, Signer, timestampMs } from '../protoutil';
import { isSystemChaincode, ShimFailure, SystemChaincodes } from './systemChaincodes';
import { LIFECYCLE } from '../lifecycle/definitions';
import type { LifecycleScc } from '../lifecycle/scc';
import type { ChannelDirectory, LocalMsp } from './systemChaincodes';

/** Fabric's `peer.authentication.timewindow`. */
export const TIME_WINDOW_MS = 15 * 60 * 1000;

/**
 * A proposal refused before the chaincode ran. Fabric's endorser answers both kinds with a 500
 * response without payload, but for `preprocess` (the proposal does not unpack, or its header,
 * creator, signature, txid, uniqueness or ACL check fails) it also returns the error, so a gRPC
 * client gets status UNKNOWN instead of the response; `process` refusals (an unknown channel or
 * chaincode) come back as the response only.
 */
export class ProposalError extends Error {
  constructor(
    message: string,
    readonly stage: 'preprocess' | 'process' = 'preprocess',
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
}

export class Endorser {
  private readonly inFlight = new Map<string, Promise<SimulatedProposal>>();
  private readonly system: SystemChaincodes;

  constructor(
    private readonly channels: ChannelLookup,
    private readonly store: LedgerStore,
    private readonly runtime: ChaincodeRuntime,
    /** The `_lifecycle` system chaincode; without it, `_lifecycle` proposals are for an undefined chaincode. */
    private readonly lifecycle?: LifecycleScc,
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
      return toProposalResponse(await this.simulate(signed), local.signer);
    } catch (err) {
      if (err instanceof ProposalError && err.stage === 'preprocess') throw err;
      const response = new peer.Response();
      response.setStatus(500);
      response.setMessage(err instanceof Error ? err.message : String(err));
      const pr = new peer.ProposalResponse();
      pr.setResponse(response);
      return pr;
    }
  }

  /**
   * Validates and simulates a signed proposal.
   * @throws ProposalError when the proposal is refused before simulation.
   */
  simulate(signed: peer.SignedProposal): Promise<SimulatedProposal> {
    // A client that sends one signed proposal to several peers at once (the peer CLI with
    // several --peerAddresses) gets one simulation: on Fabric each peer simulates on its own
    // ledger, and here the peers share one, where a second concurrent run of the txid would clash.
    const key = sha256(signed.getProposalBytes_asU8(), signed.getSignature_asU8()).toString('hex');
    const running = this.inFlight.get(key);
    if (running) return running;
    const simulation = this.simulateOnce(signed).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, simulation);
    return simulation;
  }

  private async simulateOnce(signed: peer.SignedProposal): Promise<SimulatedProposal> {
    const up = unpack(signed);
    checkHeader(up);
    const { channelHeader, chaincodeName, input } = up;
    const channelId = channelHeader.getChannelId();
    const txId = channelHeader.getTxId();
    const channel = this.channels.get(channelId);
    if (!channel) throw new ProposalError(`channel '${channelId}' not found`, 'process');
    const creator = await this.admitOnChannel(up, channel);
    // The config in force now decides: an ACLs change is effective from the next proposal.
    const acl = channel.checkAcl('peer/Propose', [signedDataOf(up)]);
    if (!acl.ok) throw new ProposalError(acl.reason);
    const definition = definitionFor(channel, chaincodeName);

    const simulator = new TxSimulator(this.store, channelId, chaincodeName);
    let result;
    try {
      result = await this.runtime.invoke(chaincodeName, { channelId, txId, signedProposal: signed, input, state: simulator });
    } catch (err) {
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
    };
    if (result.response.status >= 400 && result.response.status < 500) return simulatedBase;

    const action = chaincodeAction(response, chaincodeName, definition.version);
    action.setResults(simulator.toRwsetBytes());
    if (result.event) {
      const event = new peer.ChaincodeEvent();
      event.setChaincodeId(chaincodeName);
      event.setTxId(txId);
      event.setEventName(result.event.eventName);
      event.setPayload(result.event.payload);
      action.setEvents(event.serializeBinary());
    }
    return { ...simulatedBase, proposalResponsePayload: proposalResponsePayload(up, action) };
  }

  /**
   * A system chaincode's proposal as Fabric's endorser handles it. A proposal without a channel
   * (`peer channel getinfo` and `list` send one) is checked against the receiving peer's own MSP
   * only, and its answer is never endorsed; one on a channel gets the channel's checks except
   * peer/Propose (system chaincodes check their own ACLs) and, when it succeeds, an endorsement.
   * No simulator runs, so the response payload carries no read/write set.
   */
  private async processSystem(up: UnpackedProposal, local: LocalPeer): Promise<peer.ProposalResponse> {
    checkHeader(up);
    const channelId = up.channelHeader.getChannelId();
    if (channelId === '') {
      checkCreator(up, local.msp);
    } else {
      const channel = this.channels.get(channelId);
      if (!channel) throw new ProposalError(`channel '${channelId}' not found`, 'process');
      await this.admitOnChannel(up, channel);
    }
    let response: peer.Response;
    // _lifecycle on a channel reads and writes its namespace: its writes make the transaction.
    const state = up.chaincodeName === LIFECYCLE && channelId !== '' ? new TxSimulator(this.store, channelId, LIFECYCLE) : undefined;
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
    if (state && response.getStatus() < 400) action.setResults(state.toRwsetBytes());
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

  /**
   * The checks of a proposal on a channel: creator and signature under the channel's MSPs, the
   * time window, and that its txid is not committed already.
   * @returns the creator.
   */
  private async admitOnChannel(up: UnpackedProposal, channel: Channel): Promise<Identity> {
    const creator = checkCreator(up, channel.msps);
    const skew = Math.abs(Date.now() - timestampMs(up.channelHeader.getTimestamp()));
    if (skew > TIME_WINDOW_MS) {
      throw new ProposalError(`request unauthorized due to incorrect timestamp: the proposal is ${Math.round(skew / 1000)} s away from the peer's time`);
    }
    const txId = up.channelHeader.getTxId();
    if (await this.store.getTx(channel.id, txId)) {
      throw new ProposalError(`duplicate transaction found [${txId}]. Creator [${creator.mspId}]`);
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
  if (!definition) throw notFound(`chaincode definition for '${chaincodeName}' not found`);
  // Below V2_0 a Fabric peer reads chaincode definitions from the legacy lscc namespace only,
  // where no chaincode deployed as the devnet does (as _lifecycle would) is found.
  if (!channel.lifecycleV20) throw notFound(`chaincode ${chaincodeName} not found`);
  return definition;
}

/** The version Fabric gives every system chaincode in its proposal responses (core/scc). */
const SYSTEM_CHAINCODE_VERSION = 'syscc';

/** @throws ProposalError (preprocess) naming the part that does not decode. */
function unpack(signed: peer.SignedProposal): UnpackedProposal {
  const proposalBytes = signed.getProposalBytes_asU8();
  if (proposalBytes.length === 0) throw new ProposalError('nil arguments: empty proposal');
  const proposal = parse(() => peer.Proposal.deserializeBinary(proposalBytes), 'proposal');
  const header = parse(() => common.Header.deserializeBinary(proposal.getHeader_asU8()), 'header');
  const channelHeader = parse(() => common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()), 'channel header');
  const signatureHeader = parse(() => common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()), 'signature header');
  const cpp = parse(() => peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8()), 'chaincode proposal payload');
  const cis = parse(() => peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8()), 'chaincode invocation spec');
  const spec = cis.getChaincodeSpec();
  const input = spec?.getInput();
  const chaincodeName = spec?.getChaincodeId()?.getName() ?? '';
  if (!input || chaincodeName === '') throw new ProposalError('invalid chaincode invocation spec: no chaincode name or input');
  const withoutTransient = new peer.ChaincodeProposalPayload();
  withoutTransient.setInput(cpp.getInput_asU8());
  return { signed, proposal, header, channelHeader, signatureHeader, chaincodeName, input, proposalPayloadBytes: withoutTransient.serializeBinary() };
}

/** The header checks of Fabric's proposal validation: type, epoch, nonce, creator, txid. */
function checkHeader({ channelHeader, signatureHeader }: UnpackedProposal): void {
  if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) {
    throw new ProposalError(`invalid header type ${channelHeader.getType()}`);
  }
  if (channelHeader.getEpoch() !== 0) throw new ProposalError(`invalid Epoch in ChannelHeader. Expected 0, got [${channelHeader.getEpoch()}]`);
  const nonce = signatureHeader.getNonce_asU8();
  const creatorBytes = signatureHeader.getCreator_asU8();
  if (nonce.length === 0) throw new ProposalError('invalid nonce specified in the header');
  if (creatorBytes.length === 0) throw new ProposalError('invalid creator specified in the header');
  const txId = channelHeader.getTxId();
  const expectedTxId = computeTxId(nonce, creatorBytes);
  if (txId !== expectedTxId) throw new ProposalError(`incorrectly formed txID. got [${txId}], expected [${expectedTxId}]`);
}

/** The creator, valid under `msps`, and its signature over the proposal bytes. */
function checkCreator(up: UnpackedProposal, msps: MspRegistry): Identity {
  const channelId = up.channelHeader.getChannelId();
  let creator: Identity;
  try {
    creator = msps.deserialize(up.signatureHeader.getCreator_asU8());
  } catch (err) {
    throw new ProposalError(`access denied: channel [${channelId}] creator org unknown, creator is malformed: ${(err as Error).message}`);
  }
  if (!msps.verify(creator, up.signed.getProposalBytes_asU8(), up.signed.getSignature_asU8())) {
    throw new ProposalError(`access denied: channel [${channelId}] creator org [${creator.mspId}]: the signature is invalid`);
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

function parse<T>(fn: () => T, what: string): T {
  try {
    return decode(fn, what);
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
