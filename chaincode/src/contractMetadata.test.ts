/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Golden test of the public interface as Fabric sees it: the metadata that
 * `org.hyperledger.fabric:GetMetadata` returns, produced by fabric-shim's own contract loader
 * from the decorators. Renaming a transaction or a parameter breaks clients, so it fails here.
 */

import './testing/quietLogs';

import { beforeAll, describe, expect, it } from '@jest/globals';
import { JSONSerializer } from 'fabric-contract-api';

import { contracts } from './index';
import { MgmtContract } from './mgmtContract';
import { TRANSACTIONS } from './protocol';
import { ContractHarness, TEST_CONFIG, testParams } from './testing/harness';
import type { FakeStub } from './testing/fakeLedger';

interface ShimResponse {
  status: number;
  message?: string;
  payload?: Buffer;
}

interface ChaincodeFromContractInstance {
  metadata: {
    contracts: Record<string, { name: string; transactions: { name: string; tag: string[]; parameters?: { name: string; schema: { type: string } }[]; returns?: { type: string } }[] }>;
  };
  invokeFunctionality(stub: FakeStub): Promise<ShimResponse>;
}

type ChaincodeFromContractClass = new (
  contracts: unknown[],
  serializers: { transaction: string; serializers: Record<string, unknown> },
  metadata: Record<string, unknown>,
  title: string,
  version: string,
) => ChaincodeFromContractInstance;

// fabric-shim's loader is internal API; the peer's GetMetadata call goes through it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract') as ChaincodeFromContractClass;

function load(contractClasses: unknown[]): ChaincodeFromContractInstance {
  return new ChaincodeFromContract([...contractClasses], { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } }, {}, 'mgmt', '0.1.0');
}

describe('contract metadata (GetMetadata)', () => {
  it('exports MgmtContract as the only, default contract', () => {
    expect(contracts).toEqual([MgmtContract]);
  });

  it('pins the public transaction names, kinds and parameters', () => {
    const metadata = load(contracts).metadata;
    expect(Object.keys(metadata.contracts)).toEqual(['MgmtContract', 'org.hyperledger.fabric']);
    const transactions = metadata.contracts.MgmtContract.transactions.map((t) => ({
      name: t.name,
      kind: t.tag[0],
      parameters: (t.parameters ?? []).map((p) => `${p.name}: ${p.schema.type}`),
      returns: t.returns?.type,
    }));
    expect(transactions).toEqual([
      { name: 'InitLedger', kind: 'SUBMIT', parameters: ['paramsJson: string'], returns: 'string' },
      { name: 'Propose', kind: 'SUBMIT', parameters: ['configJson: string'], returns: 'string' },
      { name: 'ProposeParams', kind: 'SUBMIT', parameters: ['configJson: string', 'paramsJson: string'], returns: 'string' },
      { name: 'Vote', kind: 'SUBMIT', parameters: ['proposalId: string', 'approve: string', 'signature: string', 'reason: string'], returns: 'string' },
      { name: 'Tally', kind: 'SUBMIT', parameters: ['proposalId: string'], returns: 'string' },
      {
        name: 'ShareUpdateSignature',
        kind: 'SUBMIT',
        parameters: ['height: string', 'configSequence: string', 'update: string', 'configSignature: string'],
        returns: 'string',
      },
      { name: 'GetParams', kind: 'EVALUATE', parameters: [], returns: 'string' },
      { name: 'GetMembers', kind: 'EVALUATE', parameters: [], returns: 'string' },
      { name: 'GetLatest', kind: 'EVALUATE', parameters: [], returns: 'string' },
      { name: 'GetBlock', kind: 'EVALUATE', parameters: ['height: string'], returns: 'string' },
      { name: 'GetBlocks', kind: 'EVALUATE', parameters: ['from: string', 'to: string'], returns: 'string' },
      { name: 'GetRound', kind: 'EVALUATE', parameters: [], returns: 'string' },
      { name: 'GetUpdateSignatures', kind: 'EVALUATE', parameters: ['height: string'], returns: 'string' },
    ]);
    expect(transactions.map((t) => t.name)).toEqual([...TRANSACTIONS.submit, ...TRANSACTIONS.evaluate]);
  });
});

describe('dispatch through fabric-shim', () => {
  let h: ContractHarness;

  beforeAll(async () => {
    h = await ContractHarness.create();
  });

  // The shim constructs the contract itself, so its endorser clock is the real one: use now.
  function stub(fcn: string, args: string[]): FakeStub {
    const identity = h.client('Org1MSP');
    return h.ledger.stub({ mspId: identity.mspId, certificate: identity.certificate, timestampMs: Date.now(), fcn, args });
  }

  it('runs a transaction by its plain name and returns its JSON', async () => {
    const chaincode = load(contracts);
    const s = stub('InitLedger', [JSON.stringify({ params: testParams(h.orgs), config: TEST_CONFIG })]);
    const response = await chaincode.invokeFunctionality(s);
    expect(response.status).toBe(200);
    expect(JSON.parse(String(response.payload))).toMatchObject({ header: { height: 0, proposer: 'Org1MSP' } });
    expect(s.event()?.name).toBe('ProposalCreated');
  });

  it('returns a refusal as status 500 with CODE: detail as the only message', async () => {
    const response = await load(contracts).invokeFunctionality(stub('GetBlock', ['x']));
    expect(response).toMatchObject({ status: 500, message: 'MGMT_BAD_ARGUMENT: height must be a non-negative integer, got "x"' });
  });

  it('refuses an unknown transaction with a code', async () => {
    const response = await load(contracts).invokeFunctionality(stub('Seal', []));
    expect(response).toMatchObject({ status: 500, message: 'MGMT_UNKNOWN_TRANSACTION: no transaction named "Seal"' });
  });
});
