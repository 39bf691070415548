/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The typed client against a fake contract and event source: transaction names and arguments as
 * the contract parses them, decoded answers, one translation of failures, decoded events.
 */
import { describe, expect, it } from '@jest/globals';
import { Metadata, status } from '@grpc/grpc-js';
import { CommitStatusError, EndorseError, GatewayError } from '@hyperledger/fabric-gateway';
import type { ChaincodeEvent, ChaincodeEventsOptions, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
// fabric-gateway exports SubmitError as a type only; the class is what its client throws.
import { SubmitError } from '@hyperledger/fabric-gateway/dist/submiterror';
import { peer } from '@hyperledger/fabric-protos';
import { fetchBlocks, MgmtClient, MgmtReader, readProcessedTransaction } from './client';
import type { MgmtContractCalls, MgmtEvent, MgmtNetwork, MgmtQueryCalls } from './client';
import { LedgerCallError, LedgerUnavailableError, MgmtRefusalError, TransactionInvalidError } from './errors';
import { processedTransaction, qscc, quorumNotReached } from '../testing/gatewayFakes';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** A contract that records each call and answers from `answers` by transaction name. */
function fakeContract(answers: Record<string, unknown>, calls: string[]): MgmtContractCalls {
  const answer = (kind: string) => (name: string, ...args: string[]): Promise<Uint8Array> => {
    calls.push(`${kind} ${name}(${args.join(', ')})`);
    const value = answers[name];
    if (value instanceof Error) return Promise.reject(value);
    if (value instanceof Uint8Array) return Promise.resolve(value);
    return Promise.resolve(bytes(value ?? null));
  };
  return { submitTransaction: answer('submit'), evaluateTransaction: answer('evaluate') };
}

function stream(events: ChaincodeEvent[], failure?: Error): CloseableAsyncIterable<ChaincodeEvent> {
  return {
    close: () => undefined,
    [Symbol.asyncIterator]: async function* () {
      await Promise.resolve();
      yield* events;
      if (failure !== undefined) throw failure;
    },
  } as unknown as CloseableAsyncIterable<ChaincodeEvent>;
}

function event(eventName: string, payload: Uint8Array, blockNumber = 7n): ChaincodeEvent {
  return { blockNumber, transactionId: `tx-${eventName}`, chaincodeName: 'mgmt2', eventName, payload };
}

function unavailable(): GatewayError {
  return new GatewayError({ code: status.UNAVAILABLE, details: [], cause: Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: status.UNAVAILABLE, details: 'x', metadata: new Metadata() }) });
}

describe('MgmtClient', () => {
  it('calls each transaction and query by its contract name, with its arguments as strings, and decodes the answer', async () => {
    const calls: string[] = [];
    const block = { height: 3, hash: 'h3', proof: [] };
    const failure = { proposalId: 'p', height: 4, cycle: 1, reason: 'timeout' };
    const client = new MgmtClient({
      contract: fakeContract({ GetRound: { nextHeight: 4 }, GetBlocks: [block], GetBlock: block, GetUpdateSignatures: [{ mspId: 'Org1MSP' }], Propose: { id: 'p' }, Vote: { mspId: 'Org1MSP' }, Tally: failure, ShareUpdateSignature: { mspId: 'Org1MSP' }, InitLedger: { id: 'g' }, GetMembers: [], GetParams: {}, GetLatest: block }, calls),
      events: { getChaincodeEvents: () => Promise.reject(new Error('unused')) },
    });
    expect(await client.getRound()).toEqual({ nextHeight: 4 });
    expect(await client.getBlocks(0, 99)).toEqual([block]);
    expect(await client.getBlock(3)).toEqual(block);
    expect(await client.getUpdateSignatures(3)).toEqual([{ mspId: 'Org1MSP' }]);
    await client.getParams();
    await client.getMembers();
    await client.getLatest();
    await client.initLedger('{"params":{}}');
    await client.propose({ batchTimeoutMs: 200, maxMessageCount: 20 });
    await client.vote('p', false, 'c2ln', 'too slow');
    expect(await client.tally('p')).toEqual({ outcome: 'failed', failure });
    await client.shareUpdateSignature({ height: 3, configSequence: 9, update: 'dXBk', configSignature: 'c2ln' });
    expect(calls).toEqual([
      'evaluate GetRound()',
      'evaluate GetBlocks(0, 99)',
      'evaluate GetBlock(3)',
      'evaluate GetUpdateSignatures(3)',
      'evaluate GetParams()',
      'evaluate GetMembers()',
      'evaluate GetLatest()',
      'submit InitLedger({"params":{}})',
      'submit Propose({"batchTimeoutMs":200,"maxMessageCount":20})',
      'submit Vote(p, false, c2ln, too slow)',
      'submit Tally(p)',
      'submit ShareUpdateSignature(3, 9, dXBk, c2ln)',
    ]);
  });

  it('tells a sealed Tally from a failed one', async () => {
    const block = { height: 1, hash: 'h1', proof: [{ mspId: 'Org1MSP' }] };
    const client = new MgmtClient({ contract: fakeContract({ Tally: block }, []), events: { getChaincodeEvents: () => Promise.reject(new Error('unused')) } });
    expect(await client.tally('p')).toEqual({ outcome: 'sealed', block });
  });

  it('takes the contract and events of a network by the chaincode name of its options (mgmt by default)', async () => {
    const names: string[] = [];
    const network: MgmtNetwork = {
      getContract: (name) => {
        names.push(`contract ${name}`);
        return fakeContract({ GetRound: {} }, []);
      },
      getChaincodeEvents: (name: string, options?: ChaincodeEventsOptions) => {
        names.push(`events ${name} from ${String(options?.startBlock)}`);
        return Promise.resolve(stream([]));
      },
    };
    expect(new MgmtReader({ network }).chaincodeName).toBe('mgmt');
    const client = new MgmtClient({ network, chaincodeName: 'mgmt2' });
    await client.getRound();
    await client.events({ startBlock: 5n });
    expect(names).toEqual(['contract mgmt', 'contract mgmt2', 'events mgmt2 from 5']);
  });

  it('translates failures once: refusals by their MGMT_ code, an unreachable peer, a non-JSON answer', async () => {
    const refusal = new EndorseError({
      code: status.ABORTED,
      details: [{ address: 'peer0:7051', mspId: 'Org1MSP', message: 'chaincode response 500, MGMT_DUPLICATE_SIGNATURE: Org1MSP already shared' }],
      cause: Object.assign(new Error('10 ABORTED'), { code: status.ABORTED, details: 'x', metadata: new Metadata() }),
      transactionId: 'tx1',
      message: 'failed to endorse transaction, see attached details for more info',
    });
    const client = new MgmtClient({
      contract: fakeContract({ ShareUpdateSignature: refusal, GetRound: unavailable(), GetLatest: new TextEncoder().encode('not json') }, []),
      events: { getChaincodeEvents: () => Promise.reject(unavailable()) },
    });
    await expect(client.shareUpdateSignature({ height: 1, configSequence: 2, update: '', configSignature: '' })).rejects.toMatchObject({
      name: 'MgmtRefusalError',
      code: 'MGMT_DUPLICATE_SIGNATURE',
      transaction: 'ShareUpdateSignature',
      step: 'endorse',
    });
    await expect(client.getRound()).rejects.toBeInstanceOf(LedgerUnavailableError);
    await expect(client.getLatest()).rejects.toMatchObject({ name: 'LedgerCallError', step: 'decode', code: 'BAD_RESULT', transaction: 'GetLatest' });
    await expect(client.events()).rejects.toMatchObject({ name: 'LedgerUnavailableError', step: 'events' });
    await expect(client.queryBytes('GetRound')).rejects.toBeInstanceOf(LedgerUnavailableError);
  });

  it('hands events on with their raw payload, decoded by name when read, and translates a failing stream', async () => {
    const shared = { height: 2, configSequence: 5, mspId: 'Org2MSP', updateSha256: 'ab' };
    const client = new MgmtReader({
      contract: fakeContract({}, []),
      events: { getChaincodeEvents: () => Promise.resolve(stream([event('UpdateSignatureShared', bytes(shared)), event('ConfigBlockCommitted', new TextEncoder().encode('{broken')), event('Unknown', bytes({}))], unavailable())) },
    });
    const seen: MgmtEvent[] = [];
    const failure = await (async (): Promise<unknown> => {
      try {
        for await (const e of await client.events()) seen.push(e);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(failure).toBeInstanceOf(LedgerUnavailableError);
    expect(seen.map((e) => [e.eventName, e.blockNumber, e.transactionId])).toEqual([
      ['UpdateSignatureShared', 7n, 'tx-UpdateSignatureShared'],
      ['ConfigBlockCommitted', 7n, 'tx-ConfigBlockCommitted'],
      ['Unknown', 7n, 'tx-Unknown'],
    ]);
    expect(seen[0].decoded).toEqual({ name: 'UpdateSignatureShared', shared });
    // The raw payload stays readable (the observer verifies it); decoding it is what fails.
    expect(new TextDecoder().decode(seen[1].payload)).toBe('{broken');
    expect(() => seen[1].decoded).toThrow(LedgerCallError);
    expect(seen[2].decoded).toBeUndefined();
  });
});

/** A gateway network of `mgmt` (a fabric-gateway `Network` fits): the management contract and qscc. */
function network(contract: MgmtContractCalls, lookup: MgmtQueryCalls, names: string[] = []): MgmtNetwork & { getName(): string } {
  return {
    getName: () => 'mgmt',
    getContract: (name: string) => {
      names.push(name);
      return (name === 'qscc' ? lookup : contract) as MgmtContractCalls;
    },
    getChaincodeEvents: () => Promise.reject(new Error('unused')),
  };
}

describe('MgmtClient: a submit whose outcome the orderers left unknown', () => {
  const vote = { proposalId: 'p', mspId: 'Org1MSP', approve: true };

  it('answers as a success when the transaction committed valid although the submit failed ("request already processed" on SmartBFT), without submitting it again', async () => {
    const calls: string[] = [];
    const names: string[] = [];
    const found: unknown[] = [];
    const client = new MgmtClient({
      network: network(fakeContract({ Vote: quorumNotReached('tx9') }, calls), qscc(calls, processedTransaction(vote, peer.TxValidationCode.VALID), 2), names),
      commitLookupMs: 10_000,
      onCommitFound: (f) => found.push(f),
    });
    expect(await client.vote('p', true, 'c2ln', 'ok')).toEqual(vote);
    expect(found).toEqual([{ transaction: 'Vote', transactionId: 'tx9', validationCode: 0 }]);
    expect(calls).toEqual(['submit Vote(p, true, c2ln, ok)', 'qscc GetTransactionByID(mgmt, tx9)', 'qscc GetTransactionByID(mgmt, tx9)', 'qscc GetTransactionByID(mgmt, tx9)']);
    expect(names).toEqual(['mgmt', 'qscc']);
  });

  it('answers the real validation failure when the transaction committed invalid', async () => {
    const calls: string[] = [];
    const client = new MgmtClient({
      contract: fakeContract({ Tally: quorumNotReached('tx10') }, calls),
      // An event source that is a gateway Network (as the management node passes one) is the lookup.
      events: network(fakeContract({}, []), qscc(calls, processedTransaction({ height: 1, hash: 'h1', proof: [] }, peer.TxValidationCode.MVCC_READ_CONFLICT))),
      // A hook that throws changes nothing of the answer.
      onCommitFound: (f) => {
        throw new Error(`hook of ${f.transactionId}`);
      },
    });
    const failure = await client.tally('p').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TransactionInvalidError);
    expect(failure).toMatchObject({ step: 'commit', code: 'MVCC_READ_CONFLICT', validationCode: 11, transactionId: 'tx10', transaction: 'Tally' });
    expect(calls).toEqual(['submit Tally(p)', 'qscc GetTransactionByID(mgmt, tx10)']);
  });

  it('reports the submit failure when the transaction is not found committed in time', async () => {
    const calls: string[] = [];
    const found: unknown[] = [];
    const client = new MgmtClient({ network: network(fakeContract({ Vote: quorumNotReached('tx11') }, calls), qscc(calls, undefined)), commitLookupMs: 250, onCommitFound: (f) => found.push(f) });
    await expect(client.vote('p', true, 'c2ln', 'ok')).rejects.toMatchObject({ name: 'LedgerUnavailableError', step: 'submit', code: 'UNAVAILABLE', transactionId: 'tx11' });
    expect(found).toEqual([]);
    expect(calls[0]).toBe('submit Vote(p, true, c2ln, ok)');
    expect(calls.slice(1).every((c) => c === 'qscc GetTransactionByID(mgmt, tx11)')).toBe(true);
    expect(calls.length).toBeGreaterThanOrEqual(3);
  });

  it('looks nothing up after a refusal, an endorsement failure, a commit status failure, or with no lookup', async () => {
    const serviceError = (code: status): Error & { code: status; details: string; metadata: Metadata } => Object.assign(new Error(`${code}`), { code, details: 'x', metadata: new Metadata() });
    const calls: string[] = [];
    const client = new MgmtClient({
      network: network(
        fakeContract(
          {
            // an orderer refused it as a bad request (etcdraft): final
            Vote: new SubmitError({ code: status.ABORTED, details: [], cause: serviceError(status.ABORTED), transactionId: 'tx12', message: 'received unsuccessful response from orderer: status=BAD_REQUEST' }),
            // never ordered
            Propose: new EndorseError({ code: status.UNAVAILABLE, details: [], cause: serviceError(status.UNAVAILABLE), transactionId: 'tx13' }),
            // submitted, then the wait for its status failed: fabric-gateway's own error, as before
            Tally: new CommitStatusError({ code: status.UNAVAILABLE, details: [], cause: serviceError(status.UNAVAILABLE), transactionId: 'tx14' }),
          },
          calls,
        ),
        qscc(calls, processedTransaction({}, peer.TxValidationCode.VALID)),
      ),
    });
    await expect(client.vote('p', true, 'c2ln', 'ok')).rejects.toMatchObject({ name: 'LedgerCallError', step: 'submit', code: 'ABORTED' });
    await expect(client.propose({})).rejects.toMatchObject({ name: 'LedgerUnavailableError', step: 'endorse' });
    await expect(client.tally('p')).rejects.toMatchObject({ name: 'LedgerUnavailableError', step: 'commitStatus' });
    // commitLookupMs 0, and a connection without a Network: the submit failure as it is.
    const off = new MgmtClient({ network: network(fakeContract({ Vote: quorumNotReached('tx15') }, calls), qscc(calls, processedTransaction({}, 0))), commitLookupMs: 0 });
    await expect(off.vote('p', true, 'c2ln', 'ok')).rejects.toBeInstanceOf(LedgerUnavailableError);
    const bare = new MgmtClient({ contract: fakeContract({ Vote: quorumNotReached('tx16') }, calls), events: { getChaincodeEvents: () => Promise.reject(new Error('unused')) } });
    await expect(bare.vote('p', true, 'c2ln', 'ok')).rejects.toBeInstanceOf(LedgerUnavailableError);
    expect(calls.filter((c) => c.startsWith('qscc'))).toEqual([]);
  });

  it('reads the chaincode answer and the validation code of a processed transaction, and refuses other bytes', () => {
    expect(readProcessedTransaction(processedTransaction(vote, 0))).toEqual({ validationCode: 0, result: bytes(vote) });
    expect(() => readProcessedTransaction(new peer.ProcessedTransaction().serializeBinary())).toThrow(/without an envelope/);
  });
});

describe('fetchBlocks', () => {
  it('pages GetBlocks 100 at a time up to the latest block', async () => {
    const calls: string[] = [];
    const chain = Array.from({ length: 230 }, (_, height) => ({ height }));
    const reader = {
      getLatest: () => Promise.resolve(chain[chain.length - 1] as never),
      getBlocks: (from: number, to: number) => {
        calls.push(`${from}..${to}`);
        return Promise.resolve(chain.slice(from, Math.min(to, from + 99) + 1) as never[]);
      },
    };
    expect((await fetchBlocks(reader, 5)).map((b) => b.height)).toEqual(chain.slice(5).map((b) => b.height));
    expect(calls).toEqual(['5..104', '105..204', '205..229']);
  });
});

it('refusals are MgmtRefusalError, a LedgerCallError', () => {
  expect(MgmtRefusalError.prototype).toBeInstanceOf(LedgerCallError);
});
