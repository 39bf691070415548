/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The same set of bad requests sent to any peer and orderer (devnet or native Fabric), each
 * answer recorded as gRPC status, status message and, where the service answers inside the call,
 * the protocol's own status (ProposalResponse, BroadcastResponse, DeliverResponse). Raw grpc-js
 * calls with our own serializers, so that bytes that are no protobuf at all can be sent too.
 */
import * as grpc from '@grpc/grpc-js';
import { common, gateway, google, orderer, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EndpointInfo } from 'fabric-config/connection';

/** Who signs: a serialized identity and a signature over bytes. */
export interface RequestSigner {
  serialize(): Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export const BAD_REQUEST_KINDS = [
  'empty', // the request message with no field set
  'garbage', // bytes that are no protobuf message, as the gRPC message itself
  'malformed', // the outer message is fine, the signed bytes inside are no protobuf message
  'unsigned', // well formed, signature missing
  'unknownCa', // signed by an identity of the right MSP ID issued by another CA
  'tampered', // signed by the right identity, signature over other bytes
  'expired', // signed, timestamp an hour old
  'wrongChannel', // signed, a channel the node has not joined
  'unknownChaincode', // signed, a chaincode not defined on the channel
] as const;
export type BadRequestKind = (typeof BAD_REQUEST_KINDS)[number];

export const SERVICES = [
  'Gateway.Evaluate',
  'Gateway.Endorse',
  'Gateway.Submit',
  'Gateway.CommitStatus',
  'Gateway.ChaincodeEvents',
  'Endorser.ProcessProposal',
  'Deliver.Deliver',
  'AtomicBroadcast.Broadcast',
  'AtomicBroadcast.Deliver',
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The kinds that mean something for a service (no timestamp in CommitStatus, no chaincode in Deliver...). */
export const KINDS_OF: Record<ServiceName, readonly BadRequestKind[]> = {
  'Gateway.Evaluate': BAD_REQUEST_KINDS,
  'Gateway.Endorse': BAD_REQUEST_KINDS,
  'Gateway.Submit': ['empty', 'garbage', 'malformed', 'unsigned', 'unknownCa', 'tampered', 'wrongChannel'],
  'Gateway.CommitStatus': ['empty', 'garbage', 'malformed', 'unsigned', 'unknownCa', 'tampered', 'wrongChannel'],
  'Gateway.ChaincodeEvents': ['empty', 'garbage', 'malformed', 'unsigned', 'unknownCa', 'tampered', 'wrongChannel'],
  'Endorser.ProcessProposal': BAD_REQUEST_KINDS,
  'Deliver.Deliver': ['empty', 'garbage', 'malformed', 'unsigned', 'unknownCa', 'tampered', 'expired', 'wrongChannel'],
  'AtomicBroadcast.Broadcast': ['empty', 'garbage', 'malformed', 'unsigned', 'unknownCa', 'tampered', 'wrongChannel'],
  'AtomicBroadcast.Deliver': ['empty', 'garbage', 'malformed', 'unsigned', 'unknownCa', 'tampered', 'expired', 'wrongChannel'],
};

/** What a node answered. */
export interface Answer {
  /** gRPC status name (`OK`, `INVALID_ARGUMENT`...); `DEADLINE_EXCEEDED` also when a stream only waited. */
  code: string;
  /** The gRPC status message ('' for OK). */
  details: string;
  /** The Gateway's error details (gateway.ErrorDetail), each `<mspId>: <message>`, in the order sent. */
  errorDetails?: string[];
  /** ProposalResponse.response status and message (ProcessProposal answered OK). */
  response?: { status: number; message: string };
  /** Protocol statuses inside a stream: BroadcastResponse `STATUS: info`, DeliverResponse `STATUS`, or `block`. */
  stream?: string[];
}

export interface Target {
  peer: EndpointInfo;
  orderer: EndpointInfo;
  /** The signer of the right MSP (e.g. Org1's User1). */
  signer: RequestSigner;
  /** A signer claiming the same MSP ID, its certificate issued by a CA the network does not know. */
  foreignSigner: RequestSigner;
  channel: string;
  /** A chaincode defined on `channel`. */
  chaincode: string;
}

/** How long a call may wait: a stream that only waits (a valid request for future events) ends here. */
const CALL_DEADLINE_MS = 4000;
const GARBAGE = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
const UNKNOWN_CHANNEL = 'nosuchchannel';
const UNKNOWN_CHAINCODE = 'nosuchchaincode';
const HOUR_MS = 60 * 60 * 1000;

const identity = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const statusName = (code: number): string => grpc.status[code] ?? String(code);
const commonStatusName = (code: number): string => Object.entries(common.Status).find(([, v]) => v === code)?.[0] ?? String(code);

/** One gRPC client per endpoint, TLS as the connection file says, 100 MB messages both ways (Fabric's default). */
export function grpcClient(endpoint: EndpointInfo): grpc.Client {
  return new grpc.Client(endpoint.endpoint, grpc.credentials.createSsl(readFileSync(endpoint.tlsCaCertPath)), {
    'grpc.ssl_target_name_override': endpoint.hostAlias,
    'grpc.max_receive_message_length': 100 * 1024 * 1024,
    'grpc.max_send_message_length': 100 * 1024 * 1024,
  });
}

// ---------------------------------------------------------------- building the requests

interface HeaderOptions {
  type: number;
  channel: string;
  chaincode?: string;
  creator: Uint8Array;
  timestamp?: Date;
}

function headers(o: HeaderOptions): { header: common.Header; txId: string } {
  const nonce = randomBytes(24);
  const txId = createHash('sha256').update(nonce).update(o.creator).digest('hex');
  const ch = new common.ChannelHeader();
  ch.setType(o.type);
  ch.setChannelId(o.channel);
  ch.setTxId(txId);
  ch.setTimestamp(Timestamp.fromDate(o.timestamp ?? new Date()));
  if (o.chaincode !== undefined) {
    const id = new peer.ChaincodeID();
    id.setName(o.chaincode);
    const ext = new peer.ChaincodeHeaderExtension();
    ext.setChaincodeId(id);
    ch.setExtension$(ext.serializeBinary());
  }
  const sh = new common.SignatureHeader();
  sh.setCreator(o.creator);
  sh.setNonce(nonce);
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());
  return { header, txId };
}

/** How the request is spoiled: which signer, channel, chaincode, time and signature. */
interface Spoil {
  signer: RequestSigner;
  channel: string;
  chaincode: string;
  timestamp?: Date;
  signature: (bytes: Uint8Array) => Uint8Array;
  /** Replaces the signed bytes (malformed). */
  bytes?: Uint8Array;
}

function spoilOf(kind: BadRequestKind, t: Target): Spoil {
  const base: Spoil = { signer: t.signer, channel: t.channel, chaincode: t.chaincode, signature: (b) => t.signer.sign(b) };
  switch (kind) {
    case 'unsigned':
      return { ...base, signature: () => new Uint8Array(0) };
    case 'unknownCa':
      return { ...base, signer: t.foreignSigner, signature: (b) => t.foreignSigner.sign(b) };
    case 'tampered':
      return { ...base, signature: (b) => t.signer.sign(Buffer.concat([b, Buffer.from('tampered')])) };
    case 'expired':
      return { ...base, timestamp: new Date(Date.now() - HOUR_MS) };
    case 'wrongChannel':
      return { ...base, channel: UNKNOWN_CHANNEL };
    case 'unknownChaincode':
      return { ...base, chaincode: UNKNOWN_CHAINCODE };
    case 'malformed':
      return { ...base, bytes: GARBAGE };
    default:
      return base;
  }
}

/** A signed proposal invoking `args` as Fabric's protoutil builds one, spoiled as `s` says. */
export function signedProposal(s: Spoil, args: readonly (string | Uint8Array)[] = ['Get', 'fidelity-key']): { signed: peer.SignedProposal; txId: string } {
  const { header, txId } = headers({ type: common.HeaderType.ENDORSER_TRANSACTION, channel: s.channel, chaincode: s.chaincode, creator: s.signer.serialize(), timestamp: s.timestamp });
  const id = new peer.ChaincodeID();
  id.setName(s.chaincode);
  const input = new peer.ChaincodeInput();
  input.setArgsList(args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)));
  const spec = new peer.ChaincodeSpec();
  spec.setType(peer.ChaincodeSpec.Type.NODE);
  spec.setChaincodeId(id);
  spec.setInput(input);
  const cis = new peer.ChaincodeInvocationSpec();
  cis.setChaincodeSpec(spec);
  const cpp = new peer.ChaincodeProposalPayload();
  cpp.setInput(cis.serializeBinary());
  const proposal = new peer.Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(cpp.serializeBinary());
  const bytes = s.bytes ?? proposal.serializeBinary();
  const signed = new peer.SignedProposal();
  signed.setProposalBytes(bytes);
  signed.setSignature(s.signature(bytes));
  return { signed, txId };
}

/** A signed transaction envelope (no endorsements: only its signature and header matter before ordering). */
function transactionEnvelope(s: Spoil): { envelope: common.Envelope; txId: string } {
  const { header, txId } = headers({ type: common.HeaderType.ENDORSER_TRANSACTION, channel: s.channel, chaincode: s.chaincode, creator: s.signer.serialize(), timestamp: s.timestamp });
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(new peer.Transaction().serializeBinary());
  return { envelope: envelopeOf(s, payload.serializeBinary()), txId };
}

/** A Deliver request for block 0 only. */
function seekEnvelope(s: Spoil): common.Envelope {
  const { header } = headers({ type: common.HeaderType.DELIVER_SEEK_INFO, channel: s.channel, creator: s.signer.serialize(), timestamp: s.timestamp });
  const position = (n: number): orderer.SeekPosition => {
    const specified = new orderer.SeekSpecified();
    specified.setNumber(n);
    const p = new orderer.SeekPosition();
    p.setSpecified(specified);
    return p;
  };
  const seek = new orderer.SeekInfo();
  seek.setStart(position(0));
  seek.setStop(position(0));
  seek.setBehavior(orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY);
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(seek.serializeBinary());
  return envelopeOf(s, payload.serializeBinary());
}

function envelopeOf(s: Spoil, payloadBytes: Uint8Array): common.Envelope {
  const bytes = s.bytes ?? payloadBytes;
  const envelope = new common.Envelope();
  envelope.setPayload(bytes);
  envelope.setSignature(s.signature(bytes));
  return envelope;
}

function commitStatusRequest(s: Spoil): gateway.SignedCommitStatusRequest {
  const request = new gateway.CommitStatusRequest();
  request.setChannelId(s.channel);
  request.setTransactionId(createHash('sha256').update(randomBytes(24)).digest('hex'));
  request.setIdentity(s.signer.serialize());
  const bytes = s.bytes ?? request.serializeBinary();
  const signed = new gateway.SignedCommitStatusRequest();
  signed.setRequest(bytes);
  signed.setSignature(s.signature(bytes));
  return signed;
}

function chaincodeEventsRequest(s: Spoil): gateway.SignedChaincodeEventsRequest {
  const request = new gateway.ChaincodeEventsRequest();
  request.setChannelId(s.channel);
  request.setChaincodeId(s.chaincode);
  request.setIdentity(s.signer.serialize());
  const bytes = s.bytes ?? request.serializeBinary();
  const signed = new gateway.SignedChaincodeEventsRequest();
  signed.setRequest(bytes);
  signed.setSignature(s.signature(bytes));
  return signed;
}

/** The serialized request message of `kind` for `service` (GARBAGE for `garbage`). */
function requestBytes(service: ServiceName, kind: BadRequestKind, t: Target): Uint8Array {
  if (kind === 'garbage') return GARBAGE;
  const empty = kind === 'empty';
  const s = spoilOf(kind, t);
  switch (service) {
    case 'Gateway.Evaluate':
    case 'Gateway.Endorse': {
      const request = service === 'Gateway.Evaluate' ? new gateway.EvaluateRequest() : new gateway.EndorseRequest();
      if (empty) return request.serializeBinary();
      const { signed, txId } = signedProposal(s);
      request.setTransactionId(txId);
      request.setChannelId(s.channel);
      request.setProposedTransaction(signed);
      return request.serializeBinary();
    }
    case 'Gateway.Submit': {
      const request = new gateway.SubmitRequest();
      if (empty) return request.serializeBinary();
      const { envelope, txId } = transactionEnvelope(s);
      request.setTransactionId(txId);
      request.setChannelId(s.channel);
      request.setPreparedTransaction(envelope);
      return request.serializeBinary();
    }
    case 'Gateway.CommitStatus':
      return empty ? new gateway.SignedCommitStatusRequest().serializeBinary() : commitStatusRequest(s).serializeBinary();
    case 'Gateway.ChaincodeEvents':
      return empty ? new gateway.SignedChaincodeEventsRequest().serializeBinary() : chaincodeEventsRequest(s).serializeBinary();
    case 'Endorser.ProcessProposal':
      return empty ? new peer.SignedProposal().serializeBinary() : signedProposal(s).signed.serializeBinary();
    case 'Deliver.Deliver':
    case 'AtomicBroadcast.Deliver':
      return empty ? new common.Envelope().serializeBinary() : seekEnvelope(s).serializeBinary();
    case 'AtomicBroadcast.Broadcast':
      return empty ? new common.Envelope().serializeBinary() : transactionEnvelope(s).envelope.serializeBinary();
  }
}

// ---------------------------------------------------------------- sending them

const PATHS: Record<ServiceName, string> = {
  'Gateway.Evaluate': '/gateway.Gateway/Evaluate',
  'Gateway.Endorse': '/gateway.Gateway/Endorse',
  'Gateway.Submit': '/gateway.Gateway/Submit',
  'Gateway.CommitStatus': '/gateway.Gateway/CommitStatus',
  'Gateway.ChaincodeEvents': '/gateway.Gateway/ChaincodeEvents',
  'Endorser.ProcessProposal': '/protos.Endorser/ProcessProposal',
  'Deliver.Deliver': '/protos.Deliver/Deliver',
  'AtomicBroadcast.Broadcast': '/orderer.AtomicBroadcast/Broadcast',
  'AtomicBroadcast.Deliver': '/orderer.AtomicBroadcast/Deliver',
};

function errorAnswer(err: grpc.ServiceError): Answer {
  const details = errorDetailsOf(err.metadata);
  return { code: statusName(err.code), details: err.details, ...(details.length > 0 ? { errorDetails: details } : {}) };
}

/** The gateway.ErrorDetail messages of a Gateway error (grpc-status-details-bin), as the fabric-gateway client reads them. */
export function errorDetailsOf(metadata: grpc.Metadata | undefined): string[] {
  const bin = metadata?.get('grpc-status-details-bin')[0];
  if (!bin || typeof bin === 'string') return [];
  return google.rpc.Status.deserializeBinary(bin)
    .getDetailsList()
    .filter((any) => any.getTypeUrl().endsWith('gateway.ErrorDetail'))
    .map((any) => {
      const detail = gateway.ErrorDetail.deserializeBinary(any.getValue_asU8());
      return `${detail.getMspId()}: ${detail.getMessage()}`;
    });
}

export function unary(client: grpc.Client, path: string, request: Uint8Array, deadlineMs = CALL_DEADLINE_MS): Promise<{ error?: grpc.ServiceError; response?: Buffer }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, (b: Buffer) => b, request, { deadline: Date.now() + deadlineMs }, (error: grpc.ServiceError | null, response?: Buffer) => {
      resolve(error ? { error } : { response });
    });
  });
}

/** Reads a stream until it ends, fails or the deadline passes (then DEADLINE_EXCEEDED with what came). */
function collect(call: grpc.ClientReadableStream<Buffer>, describe: (b: Buffer) => string): Promise<Answer> {
  return new Promise((resolve) => {
    const stream: string[] = [];
    let done = false;
    const finish = (answer: Answer): void => {
      if (done) return;
      done = true;
      resolve(stream.length > 0 ? { ...answer, stream } : answer);
    };
    call.on('data', (b: Buffer) => stream.push(describe(b)));
    call.on('error', (err: grpc.ServiceError) => { finish(errorAnswer(err)); });
    call.on('status', (s: grpc.StatusObject) => { finish({ code: statusName(s.code), details: s.code === grpc.status.OK ? '' : s.details }); });
  });
}

function describeDeliver(kind: 'peer' | 'orderer') {
  return (b: Buffer): string => {
    const r = kind === 'peer' ? peer.DeliverResponse.deserializeBinary(b) : orderer.DeliverResponse.deserializeBinary(b);
    return r.hasBlock() ? 'block' : commonStatusName(r.getStatus());
  };
}

/** Sends `kind` of bad request to `service` and records the answer. */
export async function sendBadRequest(service: ServiceName, kind: BadRequestKind, t: Target, clients: { peer: grpc.Client; orderer: grpc.Client }): Promise<Answer> {
  const request = requestBytes(service, kind, t);
  const path = PATHS[service];
  const deadline = { deadline: Date.now() + CALL_DEADLINE_MS };
  switch (service) {
    case 'Gateway.ChaincodeEvents': {
      const call = clients.peer.makeServerStreamRequest(path, identity, (b: Buffer) => b, request, deadline);
      return collect(call, () => 'events');
    }
    case 'Deliver.Deliver':
    case 'AtomicBroadcast.Deliver':
    case 'AtomicBroadcast.Broadcast': {
      const client = service === 'Deliver.Deliver' ? clients.peer : clients.orderer;
      const call = client.makeBidiStreamRequest(path, identity, (b: Buffer) => b, deadline);
      const describe = service === 'AtomicBroadcast.Broadcast'
        ? (b: Buffer): string => {
            const r = orderer.BroadcastResponse.deserializeBinary(b);
            return `${commonStatusName(r.getStatus())}: ${r.getInfo()}`;
          }
        : describeDeliver(service === 'Deliver.Deliver' ? 'peer' : 'orderer');
      const answer = collect(call, describe);
      call.write(request);
      // Broadcast answers each envelope; ending our side after one answer closes the stream.
      call.on('data', () => { if (service === 'AtomicBroadcast.Broadcast') call.end(); });
      if (service !== 'AtomicBroadcast.Broadcast') call.end();
      return answer;
    }
    default: {
      const { error, response } = await unary(clients.peer, path, request);
      if (error) return errorAnswer(error);
      if (service === 'Endorser.ProcessProposal' && response) {
        const pr = peer.ProposalResponse.deserializeBinary(response);
        return { code: 'OK', details: '', response: { status: pr.getResponse()?.getStatus() ?? 0, message: pr.getResponse()?.getMessage() ?? '' } };
      }
      return { code: 'OK', details: '' };
    }
  }
}

/** Every kind of bad request to every service, in table order. */
export async function fidelityTable(t: Target): Promise<Record<ServiceName, Partial<Record<BadRequestKind, Answer>>>> {
  const clients = { peer: grpcClient(t.peer), orderer: grpcClient(t.orderer) };
  try {
    const table = {} as Record<ServiceName, Partial<Record<BadRequestKind, Answer>>>;
    for (const service of SERVICES) {
      table[service] = {};
      for (const kind of KINDS_OF[service]) table[service][kind] = await sendBadRequest(service, kind, t, clients);
    }
    return table;
  } finally {
    clients.peer.close();
    clients.orderer.close();
  }
}

/**
 * The parts of a message that differ between runs (transaction ids, identities, addresses,
 * times) replaced by placeholders, so that the same answer on both backends reads the same.
 */
export function normalise(message: string): string {
  return message
    // Go's protobuf writes "proto:" then a space or a no-break space, fixed per binary (detrand).
    .replace(/proto:\u00a0/g, 'proto: ')
    .replace(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g, '<cert>')
    .replace(/\b[0-9a-f]{64}\b/g, '<txid>')
    .replace(/\b[0-9a-f]{32,}\b/g, '<hex>')
    .replace(/(127\.0\.0\.1|localhost|[a-z0-9]+\.org\d\.example\.com):\d+/g, '<address>')
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?( UTC| \+0000 UTC)?/g, '<time>');
}

export { UNKNOWN_CHAINCODE, UNKNOWN_CHANNEL };
