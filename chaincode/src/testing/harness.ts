/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Drives {@link MgmtContract} over a {@link FakeLedger}: endorse (simulate) a transaction as a
 * given identity at a given time, commit endorsed transactions as one block with MVCC
 * validation, and the common flows (genesis, voting) that most tests need. Test code only.
 */

import './quietLogs';

import { Context } from 'fabric-contract-api';
import { ClientIdentity } from 'fabric-shim';
import type { ChaincodeStub as ShimChaincodeStub } from 'fabric-shim';

import { MgmtContract } from '../mgmtContract';
import { messageOf, signVote } from '../protocol';
import type { ConfigBlock, GenesisParams, JsonObject, Proposal } from '../protocol';
import { FakeLedger } from './fakeLedger';
import type { FakeStub, ValidationCode } from './fakeLedger';
import { createTestConsortium } from './pki';
import type { TestIdentity, TestOrg } from './pki';

/** The contract's transaction names. */
export type TxName =
  | 'InitLedger'
  | 'Propose'
  | 'ProposeParams'
  | 'Vote'
  | 'Tally'
  | 'ShareUpdateSignature'
  | 'GetParams'
  | 'GetMembers'
  | 'GetLatest'
  | 'GetBlock'
  | 'GetBlocks'
  | 'GetRound'
  | 'GetUpdateSignatures';

/** A simulated transaction: its stub (read/write set, event) and its result or error. */
export interface Endorsed {
  readonly fn: TxName;
  readonly stub: FakeStub;
  readonly result?: string;
  readonly error?: Error;
}

/** Calls a transaction function as fabric-contract-api would, with string arguments. */
function dispatch(contract: MgmtContract, fn: TxName, ctx: Context, args: readonly string[]): Promise<string> {
  const [a = '', b = '', c = '', d = ''] = args;
  switch (fn) {
    case 'InitLedger':
      return contract.InitLedger(ctx, a);
    case 'Propose':
      return contract.Propose(ctx, a);
    case 'ProposeParams':
      return contract.ProposeParams(ctx, a, b);
    case 'Vote':
      return contract.Vote(ctx, a, b, c, d);
    case 'Tally':
      return contract.Tally(ctx, a);
    case 'ShareUpdateSignature':
      return contract.ShareUpdateSignature(ctx, a, b, c, d);
    case 'GetParams':
      return contract.GetParams(ctx);
    case 'GetMembers':
      return contract.GetMembers(ctx);
    case 'GetLatest':
      return contract.GetLatest(ctx);
    case 'GetBlock':
      return contract.GetBlock(ctx, a);
    case 'GetBlocks':
      return contract.GetBlocks(ctx, a, b);
    case 'GetRound':
      return contract.GetRound(ctx);
    case 'GetUpdateSignatures':
      return contract.GetUpdateSignatures(ctx, a);
  }
}

/** A time every test can start from. */
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** The schema of the primary configuration used in tests: Fabric orderer batch parameters. */
export const TEST_SCHEMA: JsonObject = {
  type: 'object',
  properties: {
    batchTimeoutMs: { type: 'integer', minimum: 100, maximum: 10000 },
    maxMessageCount: { type: 'integer', minimum: 1, maximum: 1000 },
  },
  required: ['batchTimeoutMs', 'maxMessageCount'],
  additionalProperties: false,
};

/** A valid configuration under {@link TEST_SCHEMA}. */
export const TEST_CONFIG: JsonObject = { batchTimeoutMs: 2000, maxMessageCount: 10 };

/** Genesis params for the given orgs (members unsorted on purpose: InitLedger sorts). */
export function testParams(orgs: readonly TestOrg[], overrides: Partial<GenesisParams> = {}): GenesisParams {
  return {
    members: [...orgs].reverse().map((org) => ({ mspId: org.mspId, caCertificate: org.caCertificate })),
    cbiSeconds: 30,
    cycleTimeoutSeconds: 10,
    clockToleranceSeconds: 5,
    configSchema: TEST_SCHEMA,
    ...overrides,
  };
}

/** A contract over a fake ledger, with a four-member test consortium. */
export class ContractHarness {
  readonly ledger = new FakeLedger();
  /** How far the endorser's clock is from each transaction's timestamp. */
  endorserSkewMs = 0;
  /** Nanoseconds added below the millisecond of every transaction timestamp. */
  extraNanos = 0;

  private constructor(readonly orgs: readonly TestOrg[]) {}

  /** Creates the harness and its PKI (Org1MSP..Org4MSP unless told otherwise). */
  static async create(mspIds?: readonly string[]): Promise<ContractHarness> {
    return new ContractHarness(await createTestConsortium(mspIds));
  }

  /** A fresh ledger for an existing PKI (key generation is the slow part of a test). */
  static fromOrgs(orgs: readonly TestOrg[]): ContractHarness {
    return new ContractHarness(orgs);
  }

  /** The org with this MSP ID. */
  org(mspId: string): TestOrg {
    const org = this.orgs.find((o) => o.mspId === mspId);
    if (org === undefined) {
      throw new Error(`no test org ${mspId}`);
    }
    return org;
  }

  /** The client identity of the org with this MSP ID. */
  client(mspId: string): TestIdentity {
    return this.org(mspId).client;
  }

  /** A transaction context as fabric-contract-api builds it, over a fresh stub. */
  context(identity: Pick<TestIdentity, 'mspId' | 'certificate'>, atMs: number, fn = '', args: readonly string[] = []): { ctx: Context; stub: FakeStub } {
    const stub = this.ledger.stub({
      mspId: identity.mspId,
      certificate: identity.certificate,
      timestampMs: atMs,
      extraNanos: this.extraNanos,
      fcn: fn,
      args,
    });
    const ctx = new Context();
    ctx.stub = stub.asChaincodeStub();
    ctx.clientIdentity = new ClientIdentity(stub as unknown as ShimChaincodeStub);
    return { ctx, stub };
  }

  /** The contract as an endorser whose clock reads `atMs + endorserSkewMs`. */
  contractAt(atMs: number): MgmtContract {
    const skew = this.endorserSkewMs;
    return new MgmtContract({ now: () => atMs + skew });
  }

  /** Simulates a transaction; never throws, the error is in the result. */
  async endorse(identity: Pick<TestIdentity, 'mspId' | 'certificate'>, fn: TxName, args: readonly string[], atMs: number): Promise<Endorsed> {
    const { ctx, stub } = this.context(identity, atMs, fn, args);
    try {
      return { fn, stub, result: await dispatch(this.contractAt(atMs), fn, ctx, args) };
    } catch (error) {
      return { fn, stub, error: error instanceof Error ? error : new Error(messageOf(error)) };
    }
  }

  /** Commits endorsed transactions as one block. */
  commit(endorsed: readonly Endorsed[]): ValidationCode[] {
    for (const tx of endorsed) {
      if (tx.error !== undefined) {
        throw new Error(`cannot commit a failed endorsement of ${tx.fn}: ${tx.error.message}`);
      }
    }
    return this.ledger.commitBlock(endorsed.map((tx) => tx.stub));
  }

  /**
   * Endorses and commits one transaction in its own block.
   *
   * @returns the transaction's result.
   * @throws the contract's error when endorsement fails, or an Error when validation fails.
   */
  async submit(identity: Pick<TestIdentity, 'mspId' | 'certificate'>, fn: TxName, args: readonly string[], atMs: number): Promise<string> {
    const tx = await this.endorse(identity, fn, args, atMs);
    if (tx.error !== undefined) {
      throw tx.error;
    }
    const [code = 'VALID'] = this.commit([tx]);
    if (code !== 'VALID') {
      throw new Error(`${fn} committed as ${code}`);
    }
    return tx.result as string;
  }

  /**
   * Runs a query (nothing is committed).
   *
   * @throws the contract's error.
   */
  async evaluate(identity: Pick<TestIdentity, 'mspId' | 'certificate'>, fn: TxName, args: readonly string[], atMs: number): Promise<string> {
    const tx = await this.endorse(identity, fn, args, atMs);
    if (tx.error !== undefined) {
      throw tx.error;
    }
    return tx.result as string;
  }

  /** Signs a vote for `identity` and endorses it (not committed). */
  async endorseVote(identity: TestIdentity, proposal: Pick<Proposal, 'id' | 'hash'>, approve: boolean, atMs: number, reason = ''): Promise<Endorsed> {
    const signature = signVote({ hash: proposal.hash, approve, privateKeyPem: identity.privateKeyPem });
    return this.endorse(identity, 'Vote', [proposal.id, String(approve), signature, reason], atMs);
  }

  /** Signs and submits a vote. */
  async vote(identity: TestIdentity, proposal: Pick<Proposal, 'id' | 'hash'>, approve: boolean, atMs: number, reason = ''): Promise<string> {
    const signature = signVote({ hash: proposal.hash, approve, privateKeyPem: identity.privateKeyPem });
    return this.submit(identity, 'Vote', [proposal.id, String(approve), signature, reason], atMs);
  }

  /** Opens the genesis proposal as Org1MSP at `atMs`. */
  async proposeGenesis(atMs: number, params: GenesisParams = testParams(this.orgs), config: JsonObject = TEST_CONFIG): Promise<Proposal> {
    const first = this.orgs[0];
    return JSON.parse(await this.submit(first.client, 'InitLedger', [JSON.stringify({ params, config })], atMs)) as Proposal;
  }

  /**
   * Genesis at `atMs`: proposal, approvals of every member (each 1 ms apart), Tally.
   *
   * @returns the sealed genesis block.
   */
  async sealGenesis(atMs: number = T0, params?: GenesisParams): Promise<ConfigBlock> {
    const proposal = await this.proposeGenesis(atMs, params);
    return this.approveAndTally(proposal, atMs + 1);
  }

  /** Every member approves (one block each), then the first member tallies. */
  async approveAndTally(proposal: Proposal, atMs: number, voters: readonly TestOrg[] = this.orgs): Promise<ConfigBlock> {
    let t = atMs;
    for (const org of voters) {
      await this.vote(org.client, proposal, true, t++);
    }
    const first = this.orgs[0];
    return JSON.parse(await this.submit(first.client, 'Tally', [proposal.id], t)) as ConfigBlock;
  }

  /** The MSP ID expected to propose next, from GetRound at `atMs`. */
  async expectedProposer(atMs: number): Promise<string> {
    const first = this.orgs[0];
    const round = JSON.parse(await this.evaluate(first.client, 'GetRound', [], atMs)) as { expectedProposer: string | null };
    if (round.expectedProposer === null) {
      throw new Error('no cycle is running');
    }
    return round.expectedProposer;
  }

  /** Proposes as whoever is expected at `atMs`. */
  async proposeAsExpected(atMs: number, config: JsonObject = TEST_CONFIG): Promise<Proposal> {
    const proposer = this.client(await this.expectedProposer(atMs));
    return JSON.parse(await this.submit(proposer, 'Propose', [JSON.stringify(config)], atMs)) as Proposal;
  }
}
