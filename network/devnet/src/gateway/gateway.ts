/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The peer's Gateway service (Fabric internal/pkg/gateway) for one member's peer: Evaluate on the
 * local peer, Endorse on the local peer plus as many other orgs' peers as the chaincode's
 * endorsement policy in force needs (or exactly the organisations the client names), Submit to the
 * orderer, CommitStatus and ChaincodeEvents from the ledger, each behind its ACL.
 */
import * as grpc from '@grpc/grpc-js';
import { common, gateway, orderer, peer } from '@hyperledger/fabric-protos';
import type { Channel } from '../channel';
import { BlockSource } from '../deliver/blockSource';
import { Endorser, ProposalError, SimulatedProposal } from '../endorser/endorser';
import type { LocalPeer } from '../endorser/endorser';
import { isSystemChaincode } from '../endorser/systemChaincodes';
import { LIFECYCLE } from '../lifecycle/definitions';
import { blockTransactions } from '../ledger/blockInfo';
import type { Orderer } from '../orderer/orderer';
import type { LedgerStore } from '../ledger/store';
import type { TxValidationCodeValue } from '../protoutil';
import { CommitWaiter } from './commitWaiter';
import { gatewayError } from './grpcError';
import { proposalTarget } from './proposalTarget';
import { chaincodeEventsRequest, commitStatusRequest, unknownChannelRefusal } from './signedRequests';
import type { ProposalTarget } from './proposalTarget';
import type { ErrorDetailInfo } from './grpcError';
import type { PrivateData } from '../privdata';
import type { SignedData } from 'fabric-config/configtx';

/** A member's peer: its MSP ID, local MSP and signing identity, and where clients reach it. */
export interface PeerNode extends LocalPeer {
  /** host:port as clients address it, reported in error details. */
  readonly address: string;
}

export interface GatewayDeps {
  channels: ReadonlyMap<string, Channel>;
  store: LedgerStore;
  endorser: Endorser;
  orderer: Orderer;
  blocks: BlockSource;
  commits: CommitWaiter;
  /**
   * Every peer: the members' in member order, then those added later (the devnet appends to this
   * same array, so every gateway sees a new peer at once); the local one is named by `local`.
   */
  peers: readonly PeerNode[];
  /** Collections: who may endorse a transaction that touched private data, and the policies of its writes. */
  privateData?: PrivateData;
}

export class GatewayServer {
  constructor(
    private readonly deps: GatewayDeps,
    private readonly local: PeerNode,
  ) {}

  evaluate: grpc.handleUnaryCall<gateway.EvaluateRequest, gateway.EvaluateResponse> = (call, callback) => {
    const signed = this.admit(call.request.getProposedTransaction(), 'evaluate', callback);
    if (!signed) return;
    if (evaluatedOnLocalPeer(chaincodeOf(signed))) {
      this.evaluateSystem(signed, callback);
      return;
    }
    this.deps.endorser
      .simulate(signed, this.local.mspId)
      .then((sim) => {
        const status = sim.response.getStatus();
        if (status < 200 || status >= 400) {
          const message = `chaincode response ${status}, ${sim.response.getMessage()}`;
          callback(gatewayError(grpc.status.UNKNOWN, `evaluate call to endorser returned error: ${message}`, [this.detail(message)]));
          return;
        }
        const response = new gateway.EvaluateResponse();
        response.setResult(sim.response);
        callback(null, response);
      })
      .catch((err: unknown) => {
        callback(this.evaluateFailure(err));
      });
  };

  /**
   * How Fabric's gateway reports a failed evaluation (responseStatus in its apiutils.go). A peer's
   * own 500 response (the chaincode could not run: `process` refusals and runtime failures) and a
   * peer that answers no response at all (its auth filters refused: `filter`) make it try every
   * other peer, which all answer the same here; it then gives up with each one's answer, remote
   * peers' gRPC errors in Go's "rpc error" form. A refused proposal (`preprocess`) is not retried.
   */
  private evaluateFailure(err: unknown): grpc.ServiceError {
    const message = errorMessage(err);
    const stage = err instanceof ProposalError ? err.stage : 'process';
    switch (stage) {
      case 'preprocess':
        return gatewayError(grpc.status.FAILED_PRECONDITION, `evaluate call to endorser returned error: ${message}`, [this.detail(message)]);
      case 'filter':
        return gatewayError(
          grpc.status.UNAVAILABLE,
          'failed to evaluate transaction, see attached details for more info',
          this.localFirst().map((p) => detailOf(p, p === this.local ? message : `rpc error: code = Unknown desc = ${message}`)),
        );
      case 'process':
        return gatewayError(grpc.status.ABORTED, 'failed to evaluate transaction, see attached details for more info', this.localFirst().map((p) => detailOf(p, message)));
    }
  }

  /**
   * Evaluate of qscc, cscc or _lifecycle, which Fabric's gateway allows (its registry counts system
   * chaincodes as installed on every peer): ProcessProposal on the local peer, its answer read as
   * the gateway reads any peer's (responseStatus).
   */
  private evaluateSystem(signed: peer.SignedProposal, callback: grpc.sendUnaryData<gateway.EvaluateResponse>): void {
    this.deps.endorser
      .processProposal(signed, this.local)
      .then((pr) => {
        const result = pr.getResponse() ?? new peer.Response();
        const status = result.getStatus();
        if (status >= 200 && status < 400) {
          const response = new gateway.EvaluateResponse();
          response.setResult(result);
          callback(null, response);
          return;
        }
        if (status === 500 && pr.getPayload_asU8().length === 0) {
          // The peer's own failure, not the chaincode's: Fabric's gateway tries every other peer,
          // which all answer the same here, then gives up with each one's answer.
          const details = this.localFirst().map((p) => detailOf(p, result.getMessage()));
          callback(gatewayError(grpc.status.ABORTED, 'failed to evaluate transaction, see attached details for more info', details));
          return;
        }
        const message = `chaincode response ${status}, ${result.getMessage()}`;
        callback(gatewayError(grpc.status.UNKNOWN, `evaluate call to endorser returned error: ${message}`, [this.detail(message)]));
      })
      .catch((err: unknown) => {
        callback(this.evaluateFailure(err));
      });
  }

  endorse: grpc.handleUnaryCall<gateway.EndorseRequest, gateway.EndorseResponse> = (call, callback) => {
    const signed = this.admit(call.request.getProposedTransaction(), 'endorse', callback);
    if (!signed) return;
    const requested = call.request.getEndorsingOrganizationsList();
    if (requested.length > 0) {
      this.endorseByOrgs(signed, requested, callback);
      return;
    }
    this.deps.endorser
      .simulate(signed, this.local.mspId)
      .then(async (sim) => {
        const status = sim.response.getStatus();
        if (status < 200 || status >= 400 || !sim.proposalResponsePayload) {
          const message = `chaincode response ${status}, ${sim.response.getMessage()}`;
          callback(gatewayError(grpc.status.ABORTED, 'failed to endorse transaction, see attached details for more info', [this.detail(message)]));
          return;
        }
        const { endorsements, details } = await this.collectEndorsements(signed, sim, true);
        const protectedCollections = sim.privateData?.hasTransient ? sim.privateData.summary.writes.filter((c) => !sim.privateData?.summary.privateReads.includes(c)) : [];
        if (!endorsements && protectedCollections.length > 0 && (await this.collectEndorsements(signed, sim, false)).endorsements) {
          // Fabric's gateway: the plan failed only because transient data may go to member organisations' peers alone.
          callback(
            gatewayError(
              grpc.status.FAILED_PRECONDITION,
              `requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [${protectedCollections.join(' ')}]; retry specifying trusted endorsing organizations to protect transient data`,
            ),
          );
          return;
        }
        if (!endorsements && details.length > 0) {
          // Fabric's gateway: peers answered, but not enough of them alike to meet the policy.
          callback(gatewayError(grpc.status.ABORTED, 'failed to collect enough transaction endorsements, see attached details for more info', details));
          return;
        }
        if (!endorsements) {
          callback(
            gatewayError(
              grpc.status.FAILED_PRECONDITION,
              'no combination of peers can be derived which satisfy the endorsement policy: no peer combination can satisfy the endorsement policy',
            ),
          );
          return;
        }
        const response = new gateway.EndorseResponse();
        response.setPreparedTransaction(prepareTransaction(sim, sim.proposalResponsePayload, endorsements));
        callback(null, response);
      })
      .catch((err: unknown) => {
        callback(gatewayError(grpc.status.ABORTED, 'failed to endorse transaction, see attached details for more info', [this.detail(errorMessage(err))]));
      });
  };

  /**
   * The client names the endorsing organisations and, as Fabric's gateway says, takes
   * responsibility for meeting the endorsement policy: one peer of each endorses, whatever the
   * policy, which is checked at commit only.
   */
  private endorseByOrgs(signed: peer.SignedProposal, requested: string[], callback: grpc.sendUnaryData<gateway.EndorseResponse>): void {
    const missing = requested.filter((mspId) => !this.deps.peers.some((p) => p.mspId === mspId));
    if (missing.length > 0) {
      callback(gatewayError(grpc.status.UNAVAILABLE, `failed to find any endorsing peers for org(s): ${missing.join(', ')}`));
      return;
    }
    const endorsers = this.deps.peers.filter((p) => requested.includes(p.mspId));
    const refuse = (message: string): void => {
      callback(
        gatewayError(
          grpc.status.ABORTED,
          'failed to collect enough transaction endorsements, see attached details for more info',
          endorsers.map((p) => detailOf(p, message)),
        ),
      );
    };
    // Each named organisation's peer simulates (one shared run unless private data makes them differ).
    Promise.all(endorsers.map((p) => this.deps.endorser.simulate(signed, p.mspId)))
      .then((sims) => {
        const sim = sims[0];
        for (const s of sims) {
          const status = s.response.getStatus();
          if (status < 200 || status >= 400 || !s.proposalResponsePayload) {
            refuse(`chaincode response ${status}, ${s.response.getMessage()}`);
            return;
          }
        }
        const prp = sim.proposalResponsePayload as Uint8Array;
        // Fabric's plan compares each response with the first and names only the peers that differ.
        const differing = endorsers.filter((_, i) => !Buffer.from(sims[i].proposalResponsePayload as Uint8Array).equals(Buffer.from(prp)));
        if (differing.length > 0) {
          callback(
            gatewayError(
              grpc.status.ABORTED,
              'failed to collect enough transaction endorsements, see attached details for more info',
              differing.map((p) => detailOf(p, MISMATCH)),
            ),
          );
          return;
        }
        const response = new gateway.EndorseResponse();
        response.setPreparedTransaction(prepareTransaction(sim, prp, endorsers.map((p) => Endorser.endorse(prp, p.signer))));
        callback(null, response);
      })
      .catch((err: unknown) => {
        refuse(errorMessage(err));
      });
  }

  submit: grpc.handleUnaryCall<gateway.SubmitRequest, gateway.SubmitResponse> = (call, callback) => {
    const envelope = call.request.getPreparedTransaction();
    if (!envelope) {
      callback(gatewayError(grpc.status.INVALID_ARGUMENT, 'a prepared transaction is required'));
      return;
    }
    if (envelope.getSignature_asU8().length === 0) {
      callback(gatewayError(grpc.status.INVALID_ARGUMENT, 'prepared transaction must be signed'));
      return;
    }
    // Fabric's gateway picks the orderers by the request's channel, not the envelope's.
    const channelId = call.request.getChannelId();
    if (!this.deps.channels.has(channelId)) {
      callback(gatewayError(grpc.status.FAILED_PRECONDITION, `failed to get config for channel [${channelId}]: could not get last config for channel ${channelId}`));
      return;
    }
    this.deps.orderer
      .broadcast(envelope)
      .then((result) => {
        if (result.status !== common.Status.SUCCESS) {
          // Fabric's submitNonBFT: a client error (4xx) comes back as it is, without details; any
          // other refusal sends it on to the next orderer, and when none accepts, UNAVAILABLE
          // without details (it keeps details only of calls that failed, not of refusals).
          const clientError = result.status >= 400 && result.status < 500;
          callback(
            clientError
              ? gatewayError(grpc.status.ABORTED, `received unsuccessful response from orderer: status=${statusName(result.status)}, info=${result.info}`)
              : gatewayError(grpc.status.UNAVAILABLE, 'no orderers could successfully process transaction'),
          );
          return;
        }
        callback(null, new gateway.SubmitResponse());
      })
      .catch((err: unknown) => { callback(gatewayError(grpc.status.UNAVAILABLE, errorMessage(err))); });
  };

  commitStatus: grpc.handleUnaryCall<gateway.SignedCommitStatusRequest, gateway.CommitStatusResponse> = (call, callback) => {
    const decoded = commitStatusRequest(call.request);
    const channel = 'request' in decoded ? this.deps.channels.get(decoded.request.getChannelId()) : undefined;
    if (!('request' in decoded) || !channel) {
      const refusal = 'refusal' in decoded ? decoded.refusal : unknownChannelRefusal(decoded.request.getChannelId());
      callback(gatewayError(refusal.code, refusal.message));
      return;
    }
    const { request } = decoded;
    const denied = this.checkAcl(channel, 'gateway/CommitStatus', request.getIdentity_asU8(), call.request.getRequest_asU8(), call.request.getSignature_asU8());
    if (denied) {
      callback(gatewayError(grpc.status.PERMISSION_DENIED, denied));
      return;
    }
    const abort = new AbortController();
    call.on('cancelled', () => { abort.abort(); });
    this.deps.commits
      .wait(channel.id, request.getTransactionId(), abort.signal)
      .then((record) => {
        if (!record) {
          callback(gatewayError(grpc.status.CANCELLED, 'commit status request cancelled'));
          return;
        }
        const response = new gateway.CommitStatusResponse();
        response.setResult(record.validationCode as TxValidationCodeValue);
        response.setBlockNumber(record.blockNum);
        callback(null, response);
      })
      .catch((err: unknown) => { callback(gatewayError(grpc.status.UNAVAILABLE, errorMessage(err))); });
  };

  chaincodeEvents: grpc.handleServerStreamingCall<gateway.SignedChaincodeEventsRequest, gateway.ChaincodeEventsResponse> = (call) => {
    const fail = (code: grpc.status, message: string): void => {
      call.emit('error', gatewayError(code, message));
    };
    const decoded = chaincodeEventsRequest(call.request);
    const channel = 'request' in decoded ? this.deps.channels.get(decoded.request.getChannelId()) : undefined;
    if (!('request' in decoded) || !channel) {
      const refusal = 'refusal' in decoded ? decoded.refusal : unknownChannelRefusal(decoded.request.getChannelId());
      fail(refusal.code, refusal.message);
      return;
    }
    const { request } = decoded;
    const denied = this.checkAcl(channel, 'gateway/ChaincodeEvents', request.getIdentity_asU8(), call.request.getRequest_asU8(), call.request.getSignature_asU8());
    if (denied) {
      fail(grpc.status.PERMISSION_DENIED, denied);
      return;
    }
    const abort = new AbortController();
    call.on('cancelled', () => { abort.abort(); });
    call.on('close', () => { abort.abort(); });
    this.streamEvents(call, channel, request, abort.signal).catch((err: unknown) => {
      if (!abort.signal.aborted) fail(grpc.status.UNAVAILABLE, errorMessage(err));
    });
  };

  private async streamEvents(
    call: grpc.ServerWritableStream<gateway.SignedChaincodeEventsRequest, gateway.ChaincodeEventsResponse>,
    channel: Channel,
    request: gateway.ChaincodeEventsRequest,
    signal: AbortSignal,
  ): Promise<void> {
    const chaincodeId = request.getChaincodeId();
    const afterTxId = request.getAfterTransactionId();
    const height = await this.deps.blocks.height(channel.id);
    let next = height;
    // Events of transactions up to and including this index in the first block were seen already.
    let skipThroughTx: number | undefined;
    const afterTx = afterTxId !== '' ? await this.deps.store.getTx(channel.id, afterTxId) : undefined;
    const start = request.getStartPosition();
    if (afterTx) {
      next = afterTx.blockNum;
      skipThroughTx = afterTx.txNum;
    } else if (start?.getTypeCase() === orderer.SeekPosition.TypeCase.SPECIFIED) {
      next = start.getSpecified()?.getNumber() ?? height;
    } else if (start?.getTypeCase() === orderer.SeekPosition.TypeCase.OLDEST) {
      next = 0;
    }
    for (;;) {
      if (!(await this.deps.blocks.waitFor(channel.id, next, signal))) return;
      const block = await this.deps.blocks.block(channel.id, next);
      if (!block) throw new Error(`block ${next} of ${channel.id} is missing`);
      const skip = skipThroughTx ?? -1;
      skipThroughTx = undefined;
      const events = blockTransactions(block)
        .map((tx, txNum) => ({ tx, txNum }))
        .filter(({ tx, txNum }) => txNum > skip && tx.validationCode === peer.TxValidationCode.VALID && tx.chaincodeEvent?.getChaincodeId() === chaincodeId)
        .map(({ tx }) => ({ txId: tx.txId, event: tx.chaincodeEvent as peer.ChaincodeEvent }));
      if (events.length > 0 && !signal.aborted) {
        const response = new gateway.ChaincodeEventsResponse();
        response.setBlockNumber(next);
        response.setEventsList(events.map((e) => e.event));
        call.write(response);
      }
      next++;
    }
  }

  /** The signed proposal to run, or undefined once `callback` has the refusal. */
  private admit(signed: peer.SignedProposal | undefined, step: 'evaluate' | 'endorse', callback: (err: grpc.ServiceError) => void): peer.SignedProposal | undefined {
    const target = proposalTarget(signed, step);
    const refusal = 'refusal' in target ? gatewayError(grpc.status.INVALID_ARGUMENT, target.refusal) : this.unknownTarget(target, step);
    if (refusal || !signed) {
      callback(refusal ?? gatewayError(grpc.status.INVALID_ARGUMENT, 'a signed proposal is required'));
      return undefined;
    }
    return signed;
  }

  /**
   * The errors a Fabric gateway gives before any endorser runs: an unknown channel has no config
   * to plan with (UNAVAILABLE); an unknown chaincode has no endorsement plan (FAILED_PRECONDITION,
   * no details). Undefined when both are known.
   */
  private unknownTarget({ channelId, chaincode }: ProposalTarget, step: 'evaluate' | 'endorse'): grpc.ServiceError | undefined {
    const channel = this.deps.channels.get(channelId);
    const noPlan = (): grpc.ServiceError =>
      gatewayError(
        grpc.status.FAILED_PRECONDITION,
        `no combination of peers can be derived which satisfy the endorsement policy: No metadata was found for chaincode ${chaincode} in channel ${channelId}`,
      );
    if (!channel) {
      return step === 'endorse'
        ? noPlan()
        : gatewayError(grpc.status.UNAVAILABLE, `failed to get config for channel [${channelId}]: could not get last config for channel ${channelId}`);
    }
    // Fabric's gateway evaluates system chaincodes on any peer, but its discovery has no
    // endorsement plan for them, so an Endorse of one ends here as for an unknown chaincode.
    const evaluable = step === 'evaluate' && evaluatedOnLocalPeer(chaincode);
    if (chaincode !== '' && !channel.chaincode(chaincode) && !evaluable) {
      return step === 'endorse'
        ? noPlan()
        : gatewayError(grpc.status.FAILED_PRECONDITION, `no peers available to evaluate chaincode ${chaincode} in channel ${channelId}`);
    }
    return undefined;
  }

  /**
   * Endorsements from the local org first, then other orgs until the chaincode's endorsement
   * policy, in the config in force now, is met (what Fabric's discovery plans from the policy).
   * Only peers that could endorse what the simulation touched take part: members of the
   * collections it read privately and, with `protectTransient` and transient data in the
   * proposal, of those it wrote (Fabric's gateway plans with NoPrivateReads off for them).
   * A chaincode with a process per organisation runs again for each other peer asked; a peer whose
   * result fails or differs from the local one does not endorse, and is named in `details` as
   * Fabric's gateway names it.
   */
  private async collectEndorsements(
    signed: peer.SignedProposal,
    sim: SimulatedProposal,
    protectTransient: boolean,
  ): Promise<{ endorsements?: peer.Endorsement[]; details: ErrorDetailInfo[] }> {
    const prp = sim.proposalResponsePayload as Uint8Array;
    const details: ErrorDetailInfo[] = [];
    const perOrg = this.deps.endorser.simulatesPerOrg(sim.chaincodeName);
    const endorsements: peer.Endorsement[] = [];
    // A write to a collection with its own endorsement policy is checked against it (re-evaluated
    // over the whole set: such sets are small); other transactions keep the incremental check.
    const privateCheck = sim.privateData ? this.deps.privateData?.registry.endorsementCheckOf(sim.channel, sim.chaincodeName, prp) : undefined;
    const collected: SignedData[] = [];
    const satisfied = privateCheck
      ? (e: SignedData) => {
          collected.push(e);
          return privateCheck(collected);
        }
      : sim.channel.endorsementPolicyAccumulator(sim.chaincodeName);
    for (const node of this.localFirst().filter((p) => this.mayEndorse(sim, p, protectTransient))) {
      if (perOrg && node.mspId !== sim.peerOrg) {
        const refusal = await this.ownResultRefusal(signed, node, prp);
        if (refusal !== undefined) {
          details.push(detailOf(node, refusal));
          continue;
        }
      }
      const e = Endorser.endorse(prp, node.signer);
      endorsements.push(e);
      if (satisfied({ identity: e.getEndorser_asU8(), data: Buffer.concat([prp, e.getEndorser_asU8()]), signature: e.getSignature_asU8() }).ok) return { endorsements, details };
    }
    return { details };
  }

  /**
   * Simulates on `node`'s own chaincode process: undefined when its result is `prp`, otherwise
   * why it cannot endorse, in the words of Fabric's gateway.
   */
  private async ownResultRefusal(signed: peer.SignedProposal, node: PeerNode, prp: Uint8Array): Promise<string | undefined> {
    try {
      const own = await this.deps.endorser.simulate(signed, node.mspId);
      const status = own.response.getStatus();
      if (status < 200 || status >= 400 || !own.proposalResponsePayload) return `chaincode response ${status}, ${own.response.getMessage()}`;
      return Buffer.from(own.proposalResponsePayload).equals(Buffer.from(prp)) ? undefined : MISMATCH;
    } catch (err) {
      return errorMessage(err);
    }
  }

  /** Whether a peer could endorse what this simulation touched (Fabric's discovery with the collections of the interest). */
  private mayEndorse(sim: SimulatedProposal, node: PeerNode, protectTransient: boolean): boolean {
    if (!sim.privateData || !this.deps.privateData) return true;
    return this.deps.privateData.registry.mayEndorse(sim.channel, sim.chaincodeName, node.mspId, sim.privateData.summary, sim.privateData.hasTransient && protectTransient);
  }

  private localFirst(): PeerNode[] {
    return [this.local, ...this.deps.peers.filter((p) => p.mspId !== this.local.mspId)];
  }

  /** Fabric's ACL check of gateway/CommitStatus or gateway/ChaincodeEvents over the signed request. */
  private checkAcl(
    channel: Channel,
    resource: 'gateway/CommitStatus' | 'gateway/ChaincodeEvents',
    identity: Uint8Array,
    data: Uint8Array,
    signature: Uint8Array,
  ): string | undefined {
    const acl = channel.checkAcl(resource, [{ identity, data, signature }]);
    return acl.ok ? undefined : acl.reason;
  }

  /** The handlers as a grpc-js service implementation. */
  service(): gateway.IGatewayServer {
    return {
      evaluate: this.evaluate,
      endorse: this.endorse,
      submit: this.submit,
      commitStatus: this.commitStatus,
      chaincodeEvents: this.chaincodeEvents,
    };
  }

  private detail(message: string): ErrorDetailInfo {
    return detailOf(this.local, message);
  }
}

/** The chaincode a proposal names in its invocation spec, '' when it does not decode. */
function chaincodeOf(signed: peer.SignedProposal): string {
  try {
    const proposal = peer.Proposal.deserializeBinary(signed.getProposalBytes_asU8());
    const cpp = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
    return peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8()).getChaincodeSpec()?.getChaincodeId()?.getName() ?? '';
  } catch {
    return '';
  }
}

/** Fabric's error detail for a peer whose ProposalResponsePayload differs from the first peer's. */
const MISMATCH = 'ProposalResponsePayloads do not match';

function detailOf(node: PeerNode, message: string): ErrorDetailInfo {
  return { address: node.address, mspId: node.mspId, message };
}

/** Fabric's prepareTransaction: the proposal's header unchanged, one action, no transient data. */
export function prepareTransaction(sim: SimulatedProposal, prpBytes: Uint8Array, endorsements: peer.Endorsement[]): common.Envelope {
  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(prpBytes);
  endorsed.setEndorsementsList(endorsements);
  const cap = new peer.ChaincodeActionPayload();
  cap.setChaincodeProposalPayload(sim.proposalPayloadBytes);
  cap.setAction(endorsed);
  const action = new peer.TransactionAction();
  action.setHeader(sim.signatureHeaderBytes);
  action.setPayload(cap.serializeBinary());
  const tx = new peer.Transaction();
  tx.setActionsList([action]);
  const payload = new common.Payload();
  payload.setHeader(common.Header.deserializeBinary(sim.headerBytes));
  payload.setData(tx.serializeBinary());
  const env = new common.Envelope();
  env.setPayload(payload.serializeBinary());
  return env;
}

function statusName(status: number): string {
  const entry = Object.entries(common.Status).find(([, v]) => v === status);
  return entry ? entry[0] : String(status);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The system chaincodes Fabric's gateway evaluates on its own peer (qscc, cscc, _lifecycle). */
function evaluatedOnLocalPeer(chaincode: string): boolean {
  return isSystemChaincode(chaincode) || chaincode === LIFECYCLE;
}
