/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import type { Status } from '@hyperledger/fabric-gateway';
import { CommitError } from '@hyperledger/fabric-gateway';
import { MgmtClient } from '../mgmtClient/client';
import { TransactionInvalidError } from '../mgmtClient/errors';
import { peer } from '@hyperledger/fabric-protos';
import { processedTransaction, qscc, quorumNotReached } from '../testing/gatewayFakes';
import type { TraceableContract } from './contract';
import { resultFields, tracedClientOptions, tracedContract } from './contract';
import type { StepFields, TraceStep } from './types';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const PROPOSAL = { id: 'p1', hash: 'p1', header: { height: 7, cycle: 1, proposer: 'Org2MSP' }, status: 'open' };

/** A gateway contract whose calls are recorded beside the tracer's steps. */
function fakeContract(answer: { result: unknown; code?: number; endorse?: Error }, log: string[]): TraceableContract {
  return {
    evaluateTransaction: (name) => {
      log.push(`evaluate ${name}`);
      return Promise.resolve(bytes({ ok: true }));
    },
    newProposal: (name, options) => ({
      getTransactionId: () => 'tx1',
      endorse: () => {
        log.push(`endorse ${name}(${options.arguments.join(',')})`);
        if (answer.endorse !== undefined) return Promise.reject(answer.endorse);
        return Promise.resolve({
          getResult: () => bytes(answer.result),
          submit: () => {
            log.push('submit');
            return Promise.resolve({
              getResult: () => bytes(answer.result),
              getStatus: () => {
                log.push('getStatus');
                const code = answer.code ?? 0;
                return Promise.resolve({ blockNumber: 3n, code, successful: code === 0, transactionId: 'tx1' } as Status);
              },
            });
          },
        });
      },
    }),
  };
}

function recorder(log: string[]): { steps: { step: TraceStep; fields: StepFields }[]; tracer: (step: TraceStep, fields: StepFields) => void } {
  const steps: { step: TraceStep; fields: StepFields }[] = [];
  return {
    steps,
    tracer: (step, fields) => {
      log.push(step);
      steps.push({ step, fields });
    },
  };
}

describe('tracedContract', () => {
  it('endorses, submits and waits for the commit status as submitTransaction does, tracing each step', async () => {
    const log: string[] = [];
    const { steps, tracer } = recorder(log);
    const client = new MgmtClient({ contract: tracedContract(fakeContract({ result: PROPOSAL }, log), tracer), events: { getChaincodeEvents: () => Promise.reject(new Error('unused')) } });
    await expect(client.propose({ a: 1 })).resolves.toEqual(PROPOSAL);
    expect(log).toEqual(['txStarted', 'endorse Propose({"a":1})', 'txEndorsed', 'submit', 'txSubmitted', 'getStatus', 'txCommitted']);
    expect(steps[0].fields).toEqual({ tx: 'Propose', txId: 'tx1' });
    for (const s of steps.slice(1)) expect(s.fields).toEqual({ tx: 'Propose', txId: 'tx1', height: 7, cycle: 1, proposalId: 'p1' });
  });

  it('throws what fabric-gateway throws: an invalid commit is a CommitError, which the client reports as TransactionInvalidError', async () => {
    const log: string[] = [];
    const { steps, tracer } = recorder(log);
    const contract = tracedContract(fakeContract({ result: { proposalId: 'p1', mspId: 'Org1MSP' }, code: 11 }, log), tracer);
    await expect(contract.submitTransaction('Vote', 'p1', 'true', 'sig', '')).rejects.toBeInstanceOf(CommitError);
    const client = new MgmtClient({ contract, events: { getChaincodeEvents: () => Promise.reject(new Error('unused')) } });
    const err = await client.vote('p1', true, 'sig', '').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionInvalidError);
    expect(err).toMatchObject({ code: 'MVCC_READ_CONFLICT', validationCode: 11, transactionId: 'tx1', step: 'commit' });
    expect(steps.filter((s) => s.step === 'txFailed').map((s) => s.fields)).toEqual([
      { tx: 'Vote', txId: 'tx1', proposalId: 'p1', detail: 'commit MVCC_READ_CONFLICT' },
      { tx: 'Vote', txId: 'tx1', proposalId: 'p1', detail: 'commit MVCC_READ_CONFLICT' },
    ]);
  });

  it('passes an endorsement failure on unchanged, traced as failed at endorsement', async () => {
    const log: string[] = [];
    const { steps, tracer } = recorder(log);
    const refusal = new Error('MGMT_NOT_PROPOSER: not yours');
    const contract = tracedContract(fakeContract({ result: null, endorse: refusal }, log), tracer);
    await expect(contract.submitTransaction('Tally', 'p9')).rejects.toBe(refusal);
    expect(steps.map((s) => [s.step, s.fields.detail])).toEqual([['txStarted', undefined], ['txFailed', 'endorse']]);
    expect(steps[1].fields.proposalId).toBe('p9');
  });

  it('does not trace queries', async () => {
    const log: string[] = [];
    const { steps, tracer } = recorder(log);
    await tracedContract(fakeContract({ result: null }, log), tracer).evaluateTransaction('GetRound');
    expect(log).toEqual(['evaluate GetRound']);
    expect(steps).toEqual([]);
  });
});

describe('resultFields', () => {
  it('reads what a proposal, a sealed block, a failed cycle and a vote are about', () => {
    expect(resultFields(bytes(PROPOSAL))).toEqual({ height: 7, cycle: 1, proposalId: 'p1' });
    expect(resultFields(bytes({ height: 7, cycle: 2, hash: 'h', proof: [] }))).toEqual({ height: 7, cycle: 2, proposalId: 'h' });
    expect(resultFields(bytes({ proposalId: 'p', height: 7, cycle: 0, reason: 'timeout' }))).toEqual({ height: 7, cycle: 0, proposalId: 'p' });
    expect(resultFields(bytes({ proposalId: 'p', mspId: 'Org1MSP' }))).toEqual({ height: undefined, cycle: undefined, proposalId: 'p' });
    expect(resultFields(new TextEncoder().encode('not json'))).toEqual({});
  });
});

describe('tracedClientOptions', () => {
  /** A network of `mgmt` whose Vote endorses, then fails at the orderers with an unknown outcome; qscc finds it committed. */
  function networkOf(validationCode: number, log: string[]) {
    const contract: TraceableContract = {
      evaluateTransaction: () => Promise.reject(new Error('unused')),
      newProposal: (name) => ({
        getTransactionId: () => 'tx9',
        endorse: () => {
          log.push(`endorse ${name}`);
          return Promise.resolve({ getResult: () => bytes(PROPOSAL), submit: () => Promise.reject(quorumNotReached('tx9')) });
        },
      }),
    };
    const lookup = qscc(log, processedTransaction({ proposalId: 'p1', mspId: 'Org1MSP', approve: true }, validationCode));
    return {
      getName: () => 'mgmt',
      getContract: (name: string) => (name === 'qscc' ? lookup : contract) as TraceableContract,
      getChaincodeEvents: () => Promise.reject(new Error('unused')),
    };
  }

  it('traces how a transaction ended that the client found committed after its submit failed', async () => {
    const log: string[] = [];
    const { steps, tracer } = recorder(log);
    const client = new MgmtClient({ ...tracedClientOptions(networkOf(peer.TxValidationCode.VALID, log), 'mgmt', tracer), commitLookupMs: 1000 });
    expect(await client.vote('p1', true, 'c2ln', 'ok')).toEqual({ proposalId: 'p1', mspId: 'Org1MSP', approve: true });
    expect(log).toEqual(['txStarted', 'endorse Vote', 'txEndorsed', 'txFailed', 'qscc GetTransactionByID(mgmt, tx9)', 'txCommitted']);
    expect(steps[2].fields).toMatchObject({ tx: 'Vote', txId: 'tx9', detail: 'submit' });
    expect(steps[3].fields).toEqual({ tx: 'Vote', txId: 'tx9', detail: 'found committed valid by its id after the submit failed' });
  });

  it('traces a transaction found committed invalid as failed, with its validation code', async () => {
    const log: string[] = [];
    const { steps, tracer } = recorder(log);
    const client = new MgmtClient({ ...tracedClientOptions(networkOf(peer.TxValidationCode.MVCC_READ_CONFLICT, log), 'mgmt', tracer), commitLookupMs: 1000 });
    await expect(client.vote('p1', true, 'c2ln', 'ok')).rejects.toBeInstanceOf(TransactionInvalidError);
    expect(steps.map((s) => s.step)).toEqual(['txStarted', 'txEndorsed', 'txFailed', 'txFailed']);
    expect(steps[3].fields.detail).toBe('found committed MVCC_READ_CONFLICT by its id after the submit failed');
  });
});
