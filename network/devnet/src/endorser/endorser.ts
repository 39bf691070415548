/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The endorser: checks a signed proposal as a Fabric peer does (header, txid, creator, signature,
 * Writers, time window, duplicates), simulates it on the chaincode against committed state and
 * returns the ProposalResponsePayload that every endorsing peer signs. The chaincode runs once for
 * all endorsing orgs (one process, one ledger), so non-determinism is not detected the way Fabric
 * detects it: this is stated in the devnet's README.
 */
import { common, peer } from '@hyperledger/fabric-protos';
import type { ChaincodeRuntime } from '../chaincode';
import type { Identity } from 'fabric-config/msp';
import type { ChaincodeDefinition, Channel } from '../channel';
import { TxSimulator } from '../ledger/simulator';
import type { LedgerStore } from '../ledger/store';
import { computeTxId, decode, sha256, Signer, timestampMs } from '../protoutil';

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

export interface ChannelLookup {
  get(channelId: string): Channel | undefined;
}

export class Endorser {
  private readonly inFlight = new Map<string, Promise<SimulatedProposal>>();

  constructor(
    private readonly channels: ChannelLookup,
    private readonly store: LedgerStore,
    private readonly runtime: ChaincodeRuntime,
  ) {}

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
    const proposalBytes = signed.getProposalBytes_asU8();
    if (proposalBytes.length === 0) throw new ProposalError('nil arguments: empty proposal');
    const proposal = parse(() => peer.Proposal.deserializeBinary(proposalBytes), 'proposal');
    const header = parse(() => common.Header.deserializeBinary(proposal.getHeader_asU8()), 'header');
    const channelHeader = parse(() => common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()), 'channel header');
    const signatureHeaderBytes = header.getSignatureHeader_asU8();
    const signatureHeader = parse(() => common.SignatureHeader.deserializeBinary(signatureHeaderBytes), 'signature header');

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

    const channelId = channelHeader.getChannelId();
    const channel = this.channels.get(channelId);
    if (!channel) throw new ProposalError(`channel '${channelId}' not found`, 'process');

    let creator: Identity;
    try {
      creator = channel.msps.deserialize(creatorBytes);
    } catch (err) {
      throw new ProposalError(`access denied: channel [${channelId}] creator org unknown, creator is malformed: ${(err as Error).message}`);
    }
    if (!channel.msps.verify(creator, proposalBytes, signed.getSignature_asU8())) {
      throw new ProposalError(`access denied: channel [${channelId}] creator org [${creator.mspId}]: the signature is invalid`);
    }
    const skew = Math.abs(Date.now() - timestampMs(channelHeader.getTimestamp()));
    if (skew > TIME_WINDOW_MS) {
      throw new ProposalError(`request unauthorized due to incorrect timestamp: the proposal is ${Math.round(skew / 1000)} s away from the peer's time`);
    }
    if (await this.store.getTx(channelId, txId)) {
      throw new ProposalError(`duplicate transaction found [${txId}]. Creator [${creator.mspId}]`);
    }
    // The config in force now decides: an ACLs change is effective from the next proposal.
    const acl = channel.checkAcl('peer/Propose', [{ identity: creatorBytes, data: proposalBytes, signature: signed.getSignature_asU8() }]);
    if (!acl.ok) throw new ProposalError(acl.reason);

    const cpp = parse(() => peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8()), 'chaincode proposal payload');
    const cis = parse(() => peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8()), 'chaincode invocation spec');
    const spec = cis.getChaincodeSpec();
    const input = spec?.getInput();
    const chaincodeName = spec?.getChaincodeId()?.getName() ?? '';
    if (!spec || !input || chaincodeName === '') throw new ProposalError('invalid chaincode invocation spec: no chaincode name or input');
    const definition = definitionFor(channel, chaincodeName);

    const withoutTransient = new peer.ChaincodeProposalPayload();
    withoutTransient.setInput(cpp.getInput_asU8());
    const proposalPayloadBytes = withoutTransient.serializeBinary();

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
      proposal,
      headerBytes: proposal.getHeader_asU8(),
      signatureHeaderBytes,
      proposalPayloadBytes,
      response,
    };
    if (result.response.status >= 400 && result.response.status < 500) return simulatedBase;

    const action = new peer.ChaincodeAction();
    action.setResults(simulator.toRwsetBytes());
    if (result.event) {
      const event = new peer.ChaincodeEvent();
      event.setChaincodeId(chaincodeName);
      event.setTxId(txId);
      event.setEventName(result.event.eventName);
      event.setPayload(result.event.payload);
      action.setEvents(event.serializeBinary());
    }
    action.setResponse(response);
    const ccid = new peer.ChaincodeID();
    ccid.setName(chaincodeName);
    ccid.setVersion(definition.version);
    action.setChaincodeId(ccid);

    const prp = new peer.ProposalResponsePayload();
    prp.setProposalHash(sha256(header.getChannelHeader_asU8(), signatureHeaderBytes, proposalPayloadBytes));
    prp.setExtension$(action.serializeBinary());
    return { ...simulatedBase, proposalResponsePayload: prp.serializeBinary() };
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

function parse<T>(fn: () => T, what: string): T {
  try {
    return decode(fn, what);
  } catch (err) {
    throw new ProposalError((err as Error).message);
  }
}

/** A ProposalResponse as a Fabric peer returns it from ProcessProposal. */
export function toProposalResponse(sim: SimulatedProposal, endorser?: Signer): peer.ProposalResponse {
  const pr = new peer.ProposalResponse();
  pr.setVersion(1);
  pr.setResponse(sim.response);
  if (sim.proposalResponsePayload) pr.setPayload(sim.proposalResponsePayload);
  if (sim.proposalResponsePayload && endorser && sim.response.getStatus() < 400) {
    pr.setEndorsement(Endorser.endorse(sim.proposalResponsePayload, endorser));
  }
  return pr;
}
