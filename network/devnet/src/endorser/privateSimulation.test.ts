/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The endorser with private data, over a real channel, store and signed proposals and a stand-in
 * chaincode: one signed proposal sent to several organisations' peers is simulated once when it
 * touches no private data, and once per organisation, one run after another, when it does; the
 * private writes stay in each peer's transient store and only their hashes reach the response; a
 * chaincode launched per organisation runs once per endorsing organisation, on that one's process.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildGenesisBlock, chaincodeProposal, readConfigBlock } from 'fabric-config/configtx';
import type { OrgCrypto } from 'fabric-config/msp';
import { generateTestOrgs, signerOf, testChannelProfile } from 'fabric-config/testing';
import type { ChaincodeRuntime, InvokeRequest, InvokeResult } from '../chaincode';
import { Channel } from '../channel';
import { LedgerStore } from '../ledger/store';
import { PrivateData } from '../privdata';
import { Endorser } from './endorser';

let root: string;
let orgs: OrgCrypto[];
let genesis: common.Config;
let dir: string;
let store: LedgerStore;
let channel: Channel;
let privateData: PrivateData;

/** A chaincode whose one function is given by the test; it records each run's endorsing context. */
class FakeRuntime {
  running = 0;
  maxRunning = 0;
  readonly runs: string[] = [];
  /** `orgs`: the organisations it runs a process for (more than one: per organisation). */
  constructor(
    private readonly body: (req: InvokeRequest, peerOrg?: string) => Promise<string>,
    private readonly orgs: string[] = ['Org1MSP'],
  ) {}

  organisationsOf(): string[] {
    return this.orgs;
  }

  async invoke(_name: string, req: InvokeRequest, peerOrg?: string): Promise<InvokeResult> {
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      // Yield, so that overlapping runs of one txid would show.
      await new Promise((resolve) => setImmediate(resolve));
      const payload = await this.body(req, peerOrg);
      this.runs.push(payload);
      return { response: { status: 200, message: '', payload: Buffer.from(payload) } };
    } finally {
      this.running -= 1;
    }
  }
}

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('devnet-endorser-private', 2));
  genesis = readConfigBlock(buildGenesisBlock(testChannelProfile(orgs))).config;
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'devnet-endorser-private-'));
  store = await LedgerStore.open(dir);
  channel = new Channel('primary', genesis, 0);
  channel.defineChaincode({ channel: 'primary', name: 'cc', version: '1', ccid: 'cc_1:00', folder: '', address: '', endorsementPolicy: '/Channel/Application/Endorsement' });
  privateData = new PrivateData(store, new Map([['primary', channel]]));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function endorserWith(runtime: FakeRuntime): Endorser {
  return new Endorser(new Map([['primary', channel]]), store, runtime as unknown as ChaincodeRuntime, undefined, privateData);
}

function proposal(): { signed: peer.SignedProposal; txId: string } {
  const { signed, txId } = chaincodeProposal(signerOf(orgs, '1.user'), 'primary', 'cc', ['run']);
  return { signed, txId };
}

describe('simulations of one proposal on several peers', () => {
  it('share one run when no private data is touched', async () => {
    const runtime = new FakeRuntime((req) => {
      req.state.putState('k', Buffer.from('v'));
      return Promise.resolve('public');
    });
    const endorser = endorserWith(runtime);
    const { signed } = proposal();
    const [a, b] = await Promise.all([endorser.simulate(signed, 'Org1MSP'), endorser.simulate(signed, 'Org2MSP')]);
    expect(runtime.runs).toEqual(['public']);
    expect(a).toBe(b);
    expect(a.privateData).toBeUndefined();
  });

  it("run once per organisation, never overlapping, when private data is touched: each on its own peer's copy and transient store", async () => {
    const runtime = new FakeRuntime(async (req) => {
      const access = req.state.privateData;
      if (!access) throw new Error('no private data access');
      await access.getPrivateData('_implicit_org_Org1MSP', 'k');
      access.putPrivateData('_implicit_org_Org1MSP', 'k', Buffer.from('secret value'));
      return 'private';
    });
    const endorser = endorserWith(runtime);
    const { signed, txId } = proposal();
    const [a, b] = await Promise.all([endorser.simulate(signed, 'Org1MSP'), endorser.simulate(signed, 'Org2MSP')]);
    expect(runtime.runs).toEqual(['private', 'private']);
    expect(runtime.maxRunning).toBe(1);
    expect([a.peerOrg, b.peerOrg]).toEqual(['Org1MSP', 'Org2MSP']);
    expect(a.privateData).toEqual({ summary: { privateReads: ['_implicit_org_Org1MSP'], writes: ['_implicit_org_Org1MSP'] }, hasTransient: false });
    // The values are in both peers' transient stores, and only their hashes in the response.
    expect(privateData.transient.get('primary', txId)).toHaveLength(2);
    const prp = peer.ProposalResponsePayload.deserializeBinary(a.proposalResponsePayload as Uint8Array);
    const results = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8()).getResults_asU8();
    expect(Buffer.from(results).includes(Buffer.from('secret value'))).toBe(false);
    expect(ledger.rwset.TxReadWriteSet.deserializeBinary(results).getNsRwsetList()[0].getCollectionHashedRwsetList()).toHaveLength(1);
  });

  it("run once per organisation, each on that organisation's own process, when the chaincode runs per organisation", async () => {
    const runtime = new FakeRuntime((req, peerOrg) => {
      req.state.putState('k', Buffer.from(`written at ${String(peerOrg)}`));
      return Promise.resolve(`at ${String(peerOrg)}`);
    }, ['Org1MSP', 'Org2MSP']);
    const endorser = endorserWith(runtime);
    expect(endorser.simulatesPerOrg('cc')).toBe(true);
    const { signed } = proposal();
    const [a, b, again] = await Promise.all([endorser.simulate(signed, 'Org1MSP'), endorser.simulate(signed, 'Org2MSP'), endorser.simulate(signed, 'Org2MSP')]);
    expect(runtime.runs).toEqual(['at Org1MSP', 'at Org2MSP']);
    expect(runtime.maxRunning).toBe(1);
    expect(again).toBe(b);
    expect(Buffer.from(a.response.getPayload_asU8()).toString()).toBe('at Org1MSP');
    expect(Buffer.from(b.response.getPayload_asU8()).toString()).toBe('at Org2MSP');
    // Different results and writes: the payloads the gateway compares differ.
    expect(Buffer.from(a.proposalResponsePayload as Uint8Array).equals(Buffer.from(b.proposalResponsePayload as Uint8Array))).toBe(false);
  });
});
