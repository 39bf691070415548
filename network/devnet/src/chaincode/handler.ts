/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The peer's end of one chaincode's `/protos.Chaincode/Connect` stream, after core/chaincode/handler.go:
 * the chaincode speaks first (REGISTER) and the peer answers REGISTERED then READY; after that each
 * message belongs to a transaction, told apart by channel and txid, until the chaincode answers it
 * with COMPLETED or ERROR. The shim's state requests in between are served by ./stateRequests.ts.
 */
import type * as grpc from '@grpc/grpc-js';
import { peer } from '@hyperledger/fabric-protos';
import { MAX_MESSAGE_BYTES } from './dial';
import { ChaincodeError } from './errors';
import { chaincodeMessageSize } from './messageSize';
import type { MessageType } from './messages';
import { EMPTY, Type, typeName } from './messages';
import { handleRequest } from './stateRequests';
import type { InvokeRequest, InvokeResult, TransactionContext } from './transactionContext';
import { transactionKey } from './transactionContext';

// Fabric's own strings (core/chaincode/handler.go), so a gateway built on this reports what a peer
// would; the gateway treats the "chaincode stream terminated" suffix specially.
const ERROR_EXECUTION_TIMEOUT = 'timeout expired while executing transaction';
const ERROR_STREAM_TERMINATED = 'chaincode stream terminated';
const ERROR_NO_LEDGER_CONTEXT = 'no ledger context';

type ChatStream = grpc.ClientDuplexStream<peer.ChaincodeMessage, peer.ChaincodeMessage>;

interface Handshake {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * One chaincode's stream and the transactions in flight on it. Several transactions may run at once;
 * the requests of each are served one after another.
 */
export class ChaincodeHandler {
  private readonly name: string;
  private readonly packageId: string;
  private readonly onStreamDown: () => void;
  private readonly transactions = new Map<string, TransactionContext>();
  private stream?: ChatStream;
  private registered = false;

  /** `onStreamDown` runs whenever the stream errors or ends, whether during the handshake or later. */
  constructor(name: string, packageId: string, onStreamDown: () => void) {
    this.name = name;
    this.packageId = packageId;
    this.onStreamDown = onStreamDown;
  }

  /** True from the handshake until the stream ends. */
  get ready(): boolean {
    return this.registered && this.stream !== undefined;
  }

  /**
   * Takes over the Connect stream and resolves once the chaincode has registered as `packageId`;
   * rejects when the stream ends first, when `aborted` rejects, or at the deadline.
   */
  async register(stream: ChatStream, deadline: number, aborted: Promise<never>): Promise<void> {
    this.stream = stream;
    let handshake!: Handshake;
    const registration = new Promise<void>((resolve, reject) => (handshake = { resolve, reject }));
    // The stream can also fail after the race below is decided (timeout, early exit).
    registration.catch(() => undefined);
    stream.on('data', (message: peer.ChaincodeMessage) => {
      if (this.registered) this.onMessage(message);
      else this.onHandshakeMessage(message, handshake);
    });
    const onStreamDown = (err?: Error): void => {
      handshake.reject(new Error(`the chaincode stream ended during the handshake${err ? `: ${err.message}` : ''}`));
      this.onStreamDown();
    };
    stream.on('error', onStreamDown);
    stream.on('end', () => {
      onStreamDown();
    });

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error('no REGISTER from the chaincode before the launch deadline'));
      }, Math.max(0, deadline - Date.now()));
    });
    try {
      await Promise.race([registration, aborted, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends TRANSACTION (or INIT) and settles when the chaincode answers, the stream dies or `timeoutMs` passes. */
  execute(request: InvokeRequest, timeoutMs: number): Promise<InvokeResult> {
    const key = transactionKey(request.channelId, request.txId);
    if (this.transactions.has(key)) {
      return Promise.reject(
        new ChaincodeError('DUPLICATE_TXID', `txid: ${request.txId}(${request.channelId}) exists`, this.name, request.txId),
      );
    }

    return new Promise<InvokeResult>((resolve, reject) => {
      const tx: TransactionContext = {
        key,
        request,
        namespace: this.name,
        done: false,
        queue: Promise.resolve(),
        queries: new Map(),
        resolve,
        reject,
      };
      this.transactions.set(key, tx);
      tx.timer = setTimeout(() => {
        this.finish(tx, new ChaincodeError('TIMEOUT', ERROR_EXECUTION_TIMEOUT, this.name, request.txId));
      }, timeoutMs);

      const message = new peer.ChaincodeMessage();
      message.setType(request.isInit ? Type.INIT : Type.TRANSACTION);
      message.setTxid(request.txId);
      message.setChannelId(request.channelId);
      message.setPayload(request.input.serializeBinary());
      // The SignedProposal travels as received: its proposal_bytes field is copied, never re-encoded.
      message.setProposal(request.signedProposal);
      // grpc-js would fail the whole stream (every transaction on it, then a relaunch) over one
      // message beyond its limit; a Fabric peer fails only that transaction, in these words.
      const size = chaincodeMessageSize(message);
      if (size > MAX_MESSAGE_BYTES) {
        const reason = `[${request.txId.slice(0, 8)}] error sending ${typeName(message.getType())}: rpc error: code = ResourceExhausted desc = trying to send message larger than max (${size} vs. ${MAX_MESSAGE_BYTES})`;
        this.finish(tx, new ChaincodeError('SEND_FAILED', `transaction returned with failure: ${reason}`, this.name, request.txId));
        return;
      }
      if (!this.send(message)) {
        this.finish(tx, new ChaincodeError('STREAM_TERMINATED', ERROR_STREAM_TERMINATED, this.name, request.txId));
      }
    });
  }

  /** Fails every in-flight transaction and closes the stream. Idempotent. */
  disconnect(): void {
    this.registered = false;
    for (const tx of [...this.transactions.values()]) {
      this.finish(tx, new ChaincodeError('STREAM_TERMINATED', ERROR_STREAM_TERMINATED, this.name, tx.request.txId));
    }
    const { stream } = this;
    this.stream = undefined;
    stream?.cancel();
  }

  /** handler.go HandleRegister. */
  private onHandshakeMessage(message: peer.ChaincodeMessage, handshake: Handshake): void {
    if (message.getType() !== Type.REGISTER) {
      handshake.reject(new Error(`expected REGISTER from the chaincode, got ${typeName(message.getType())}`));
      return;
    }
    let registeredAs: string;
    try {
      registeredAs = peer.ChaincodeID.deserializeBinary(message.getPayload_asU8()).getName();
    } catch (err) {
      handshake.reject(new Error(`REGISTER payload is not a ChaincodeID: ${String(err)}`));
      return;
    }
    if (registeredAs !== this.packageId) {
      handshake.reject(new Error(`the chaincode registered as "${registeredAs}", expected "${this.packageId}"`));
      return;
    }
    const registered = new peer.ChaincodeMessage();
    registered.setType(Type.REGISTERED);
    const ready = new peer.ChaincodeMessage();
    ready.setType(Type.READY);
    if (!this.send(registered) || !this.send(ready)) {
      handshake.reject(new Error('the chaincode stream closed during the handshake'));
      return;
    }
    this.registered = true;
    handshake.resolve();
  }

  /** Routes a message of a ready stream to its transaction. */
  private onMessage(message: peer.ChaincodeMessage): void {
    const tx = this.transactions.get(transactionKey(message.getChannelId(), message.getTxid()));
    const type = message.getType();
    if (type === Type.COMPLETED || type === Type.ERROR) {
      // A late answer to a transaction that already timed out has nobody waiting: drop it, as the peer does.
      // Queued behind the transaction's requests so that writes sent before COMPLETED are applied first.
      if (tx) {
        this.enqueue(tx, () => {
          this.complete(tx, message);
        });
      }
      return;
    }
    if (!tx) {
      this.replyError(message, ERROR_NO_LEDGER_CONTEXT);
      return;
    }
    this.enqueue(tx, () => this.serve(tx, message));
  }

  private enqueue(tx: TransactionContext, work: () => Promise<void> | void): void {
    tx.queue = tx.queue.then(work).catch(() => undefined);
  }

  /** Answers one shim request; every request gets exactly one RESPONSE or ERROR. */
  private async serve(tx: TransactionContext, message: peer.ChaincodeMessage): Promise<void> {
    if (tx.done) {
      // The transaction ended (timeout, stop): its StateAccess may be finished, so it is not touched.
      this.replyError(message, ERROR_NO_LEDGER_CONTEXT);
      return;
    }
    let payload: Uint8Array;
    try {
      payload = await handleRequest(tx, message);
    } catch (err) {
      this.replyError(message, err instanceof Error ? err.message : String(err));
      return;
    }
    this.reply(message, Type.RESPONSE, payload);
  }

  /** COMPLETED or ERROR from the chaincode (chaincode_support.go processChaincodeExecutionResult). */
  private complete(tx: TransactionContext, message: peer.ChaincodeMessage): void {
    if (message.getType() === Type.ERROR) {
      const text = Buffer.from(message.getPayload_asU8()).toString('utf8');
      this.finish(tx, { response: { status: 500, message: `transaction returned with failure: ${text}`, payload: EMPTY } });
      return;
    }
    let response: peer.Response;
    try {
      response = peer.Response.deserializeBinary(message.getPayload_asU8());
    } catch {
      this.finish(tx, {
        response: { status: 500, message: `failed to unmarshal response for transaction ${tx.request.txId}`, payload: EMPTY },
      });
      return;
    }
    const result: InvokeResult = {
      response: { status: response.getStatus(), message: response.getMessage(), payload: response.getPayload_asU8() },
    };
    const event = message.getChaincodeEvent();
    if (event) result.event = { eventName: event.getEventName(), payload: event.getPayload_asU8() };
    this.finish(tx, result);
  }

  /** Settles a transaction once and forgets it together with its open queries. */
  private finish(tx: TransactionContext, outcome: InvokeResult | Error): void {
    if (tx.done) return;
    tx.done = true;
    clearTimeout(tx.timer);
    tx.queries.clear();
    if (this.transactions.get(tx.key) === tx) this.transactions.delete(tx.key);
    if (outcome instanceof Error) tx.reject(outcome);
    else tx.resolve(outcome);
  }

  private reply(request: peer.ChaincodeMessage, type: MessageType, payload: Uint8Array): void {
    const message = new peer.ChaincodeMessage();
    message.setType(type);
    message.setPayload(payload);
    message.setTxid(request.getTxid());
    message.setChannelId(request.getChannelId());
    this.send(message);
  }

  /** ERROR text as the peer words it: "<TYPE> failed: transaction ID: <txid>: <reason>". */
  private replyError(request: peer.ChaincodeMessage, reason: string): void {
    const text = `${typeName(request.getType())} failed: transaction ID: ${request.getTxid()}: ${reason}`;
    this.reply(request, Type.ERROR, Buffer.from(text, 'utf8'));
  }

  /** Writes to the stream if it is open; false when it is not. KEEPALIVE is never sent: the Node shim exits on it. */
  private send(message: peer.ChaincodeMessage): boolean {
    const stream = this.stream;
    if (!stream || stream.writableEnded || stream.destroyed) return false;
    try {
      stream.write(message);
      return true;
    } catch {
      return false;
    }
  }
}
