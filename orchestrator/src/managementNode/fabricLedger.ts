/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `MgmtLedger` over fabric-gateway: one member's gateway, the `mgmt` channel's contract.
 */
import type { ChaincodeEvent, Contract, Network } from '@hyperledger/fabric-gateway';
import type { ConfigBlock, CycleFailure, GenesisParams, JsonObject, Proposal, Round, Vote, VoteCast } from 'mgmt-chaincode/dist/protocol';
import { EVENTS } from 'mgmt-chaincode/dist/protocol';
import { LedgerCallError, toLedgerError } from './errors';
import type { DecodedEvent, EventStream, EventStreamOptions, MgmtEvent, MgmtLedger, TallyResult } from './ledger';

const utf8 = new TextDecoder();

/** Options of {@link FabricMgmtLedger}. */
export interface FabricMgmtLedgerOptions {
  /** The member's gateway network of the management channel. */
  readonly network: Network;
  /** Chaincode name, `mgmt` by default. */
  readonly chaincodeName?: string;
}

function decodeJson(bytes: Uint8Array, transaction: string): unknown {
  const text = utf8.decode(bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new LedgerCallError({ step: 'decode', transaction, code: 'BAD_RESULT', message: `${transaction} returned non-JSON: ${JSON.stringify(text.slice(0, 80))}`, cause: err });
  }
}

/**
 * Decodes a management chaincode event by name; unknown names decode to `undefined`.
 *
 * @throws {@link LedgerCallError} (step `decode`) when the payload is not JSON.
 */
export function decodeEvent(eventName: string, payload: Uint8Array): DecodedEvent | undefined {
  switch (eventName) {
    case EVENTS.ProposalCreated:
      return { name: 'ProposalCreated', proposal: decodeJson(payload, eventName) as Proposal };
    case EVENTS.VoteCast:
      return { name: 'VoteCast', vote: decodeJson(payload, eventName) as VoteCast };
    case EVENTS.ConfigBlockCommitted:
      return { name: 'ConfigBlockCommitted', block: decodeJson(payload, eventName) as ConfigBlock };
    case EVENTS.CycleFailed:
      return { name: 'CycleFailed', failure: decodeJson(payload, eventName) as CycleFailure };
    default:
      return undefined;
  }
}

/**
 * The management chaincode through one member's gateway. It never closes the gateway: whoever
 * connected it closes it.
 *
 * @example
 * const ledger = new FabricMgmtLedger({ network: gateway.getNetwork('mgmt') });
 * const round = await ledger.getRound();
 */
export class FabricMgmtLedger implements MgmtLedger {
  private readonly network: Network;
  private readonly contract: Contract;
  private readonly chaincodeName: string;

  constructor(options: Readonly<FabricMgmtLedgerOptions>) {
    this.network = options.network;
    this.chaincodeName = options.chaincodeName ?? 'mgmt';
    this.contract = options.network.getContract(this.chaincodeName);
  }

  /** @throws {@link LedgerCallError} */
  getRound(): Promise<Round> {
    return this.evaluate<Round>('GetRound');
  }

  /** @throws {@link LedgerCallError} */
  getParams(): Promise<GenesisParams> {
    return this.evaluate<GenesisParams>('GetParams');
  }

  /** @throws {@link LedgerCallError} */
  getLatest(): Promise<ConfigBlock> {
    return this.evaluate<ConfigBlock>('GetLatest');
  }

  /** @throws {@link LedgerCallError} */
  getBlocks(from: number, to: number): Promise<ConfigBlock[]> {
    return this.evaluate<ConfigBlock[]>('GetBlocks', String(from), String(to));
  }

  /** @throws {@link LedgerCallError} */
  initLedger(paramsJson: string): Promise<Proposal> {
    return this.submit<Proposal>('InitLedger', paramsJson);
  }

  /** @throws {@link LedgerCallError} */
  propose(config: JsonObject): Promise<Proposal> {
    return this.submit<Proposal>('Propose', JSON.stringify(config));
  }

  /** @throws {@link LedgerCallError} */
  vote(proposalId: string, approve: boolean, signature: string, reason: string): Promise<Vote> {
    return this.submit<Vote>('Vote', proposalId, String(approve), signature, reason);
  }

  /** @throws {@link LedgerCallError} */
  async tally(proposalId: string): Promise<TallyResult> {
    const result = await this.submit<ConfigBlock | CycleFailure>('Tally', proposalId);
    return 'proof' in result ? { outcome: 'sealed', block: result } : { outcome: 'failed', failure: result };
  }

  /** @throws {@link LedgerCallError} when the stream cannot be opened, and from the iterator. */
  async events(options: EventStreamOptions = {}): Promise<EventStream<MgmtEvent>> {
    let stream: Awaited<ReturnType<Network['getChaincodeEvents']>>;
    try {
      stream = await this.network.getChaincodeEvents(this.chaincodeName, { checkpoint: options.checkpoint, startBlock: options.startBlock });
    } catch (err) {
      throw toLedgerError(err, 'events', 'events');
    }
    return {
      close: (): void => {
        stream.close();
      },
      [Symbol.asyncIterator]: (): AsyncIterator<MgmtEvent> => {
        const inner = stream[Symbol.asyncIterator]();
        return {
          next: async (): Promise<IteratorResult<MgmtEvent>> => {
            let next: IteratorResult<ChaincodeEvent>;
            try {
              next = await inner.next();
            } catch (err) {
              throw toLedgerError(err, 'events', 'events');
            }
            if (next.done === true) return { done: true, value: undefined };
            const e = next.value;
            return {
              done: false,
              value: { blockNumber: e.blockNumber, transactionId: e.transactionId, chaincodeName: e.chaincodeName, eventName: e.eventName, payload: e.payload, decoded: decodeEvent(e.eventName, e.payload) },
            };
          },
        };
      },
    };
  }

  private async evaluate<T>(name: string, ...args: string[]): Promise<T> {
    let bytes: Uint8Array;
    try {
      bytes = await this.contract.evaluateTransaction(name, ...args);
    } catch (err) {
      throw toLedgerError(err, name, 'evaluate');
    }
    return decodeJson(bytes, name) as T;
  }

  private async submit<T>(name: string, ...args: string[]): Promise<T> {
    let bytes: Uint8Array;
    try {
      bytes = await this.contract.submitTransaction(name, ...args);
    } catch (err) {
      throw toLedgerError(err, name, 'submit');
    }
    return decodeJson(bytes, name) as T;
  }
}
