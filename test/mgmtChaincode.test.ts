/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The management chaincode on the network, through the gateway, as the four member orgs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as path from 'node:path';
import type { ConfigBlock, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { signVote, verifyChain } from 'mgmt-chaincode/dist/protocol';
import { closeSessions, genesisParams, json, MemberSession, openSessions, refusalCode, sleep, seal, tally, utf8, vote } from './support/mgmt';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const CBI_SECONDS = 2;
const CYCLE_SECONDS = 3;
let net: TestNetwork;
let s: MemberSession[];

beforeAll(async () => {
  net = await startNetwork({ basePort: 20450 });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), 'mgmt', 'mgmt');
  s = await openSessions(net.connection);
});

afterAll(async () => {
  if (s) closeSessions(s);
  await net?.stop();
});

/** The round as `who`'s peer sees it (Org1's by default); on Fabric each peer commits on its own. */
async function round(who: MemberSession = s[0]): Promise<Round> {
  return json<Round>(who.mgmt.evaluateTransaction('GetRound'));
}

function session(mspId: string): MemberSession {
  const found = s.find((x) => x.member.mspId === mspId);
  if (!found) throw new Error(`no session for ${mspId}`);
  return found;
}

/** Waits until the next round's first cycle is open and returns it. */
async function waitForCycle(): Promise<Round> {
  for (let i = 0; i < 100; i++) {
    const r = await round();
    if (r.phase === 'cycle' && !r.proposal) return r;
    if (r.phase === 'cycle' && r.proposal && r.proposal.header.cycle !== r.cycle) return r;
    await sleep(200);
  }
  throw new Error('no cycle opened');
}

describe('management chaincode on the network', () => {
  it('seals genesis by a quorum of approvals and emits ConfigBlockCommitted', async () => {
    const startBlock = 0n;
    const proposal = await json<Proposal>(s[0].mgmt.submitTransaction('InitLedger', genesisParams(net.connection, { cbiSeconds: CBI_SECONDS, cycleTimeoutSeconds: CYCLE_SECONDS })));
    expect(proposal.header.height).toBe(0);
    expect(await refusalCode(s[1].mgmt.submitTransaction('Tally', proposal.id))).toBe('MGMT_VOTES_PENDING');
    for (const x of s.slice(0, 3)) await vote(x, proposal.hash, true, 'genesis ok');
    const sealed = await seal(s[3], proposal.id);
    expect(sealed).toMatchObject({ height: 0, proposer: 'Org1MSP' });
    expect(sealed.proof.map((p) => p.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);

    const events = await s[2].gateway.getNetwork('mgmt').getChaincodeEvents('mgmt', { startBlock });
    try {
      for await (const event of events) {
        if (event.eventName !== 'ConfigBlockCommitted') continue;
        expect((JSON.parse(utf8.decode(event.payload)) as ConfigBlock).hash).toBe(sealed.hash);
        break;
      }
    } finally {
      events.close();
    }
  });

  it('refuses a proposal before the CBI and from the wrong proposer, then runs a full round verified offline', async () => {
    const early = await round();
    expect(early.phase).toBe('waiting');
    const config = JSON.stringify({ batchTimeoutMs: 200, maxMessageCount: 20 });
    expect(await refusalCode(s[0].mgmt.submitTransaction('Propose', config))).toMatch(/MGMT_CBI_NOT_ELAPSED|MGMT_NOT_PROPOSER/);

    const r = await waitForCycle();
    const proposer = session(r.expectedProposer as string);
    const other = s.find((x) => x !== proposer) as MemberSession;
    expect(await refusalCode(other.mgmt.submitTransaction('Propose', config))).toBe('MGMT_NOT_PROPOSER');
    expect(await refusalCode(proposer.mgmt.submitTransaction('Propose', JSON.stringify({ batchTimeoutMs: 1, maxMessageCount: 20 })))).toBe('MGMT_INVALID_CONFIG');

    const proposal = await json<Proposal>(proposer.mgmt.submitTransaction('Propose', config));
    expect(proposal.header).toMatchObject({ height: 1, proposer: proposer.member.mspId, cycle: 0 });
    await vote(s[0], proposal.hash, true);
    expect(await refusalCode(vote(s[0], proposal.hash, true))).toBe('MGMT_DUPLICATE_VOTE');
    // A signature made with another member's key over the right message.
    const forged = signVote({ hash: proposal.hash, approve: true, privateKeyPem: s[3].privateKeyPem });
    expect(await refusalCode(s[1].mgmt.submitTransaction('Vote', proposal.hash, 'true', forged, 'forged'))).toBe('MGMT_BAD_SIGNATURE');
    await vote(s[1], proposal.hash, true);
    await vote(s[2], proposal.hash, true);
    const block = await seal(s[3], proposal.id);
    expect(block.config).toEqual({ batchTimeoutMs: 200, maxMessageCount: 20 });

    const chain = await json<ConfigBlock[]>(s[1].mgmt.evaluateTransaction('GetBlocks', '0', '10'));
    expect(chain.map((b) => b.height)).toEqual([0, 1]);
    const verified = verifyChain(chain);
    expect(verified.latest.hash).toBe(block.hash);
    // Tampering with the stored configuration breaks the offline verification.
    const tampered = chain.map((b) => ({ ...b }));
    tampered[1] = { ...tampered[1], config: { batchTimeoutMs: 9999, maxMessageCount: 20 } };
    expect(() => verifyChain(tampered)).toThrow(/MGMT_INVALID_BLOCK/);
  });

  it('lets the next proposer (FC = 1) propose after a cycle times out', async () => {
    const r = await waitForCycle();
    expect(r.cycle).toBe(0);
    // Nobody proposes in cycle 0; wait for it to end.
    await sleep(CYCLE_SECONDS * 1000 + 300);
    const next = await round();
    expect(next.cycle).toBe(1);
    expect(next.expectedProposer).not.toBe(r.expectedProposer);
    const late = session(r.expectedProposer as string);
    expect(await refusalCode(late.mgmt.submitTransaction('Propose', JSON.stringify({ batchTimeoutMs: 300, maxMessageCount: 30 })))).toBe('MGMT_NOT_PROPOSER');
    const proposer = session(next.expectedProposer as string);
    const proposal = await json<Proposal>(proposer.mgmt.submitTransaction('Propose', JSON.stringify({ batchTimeoutMs: 300, maxMessageCount: 30 })));
    expect(proposal.header.cycle).toBe(1);

    // Four votes endorsed against the same state and landing in one block all commit valid.
    const txs = await Promise.all(
      s.map(async (x) => {
        const signature = signVote({ hash: proposal.hash, approve: true, privateKeyPem: x.privateKeyPem });
        return x.mgmt.newProposal('Vote', { arguments: [proposal.hash, 'true', signature, 'concurrent'] }).endorse();
      }),
    );
    const submitted = await Promise.all(txs.map((t) => t.submit()));
    const statuses = await Promise.all(submitted.map((t) => t.getStatus()));
    expect(statuses.every((st) => st.successful)).toBe(true);
    expect(new Set(statuses.map((st) => st.blockNumber)).size).toBe(1);
    const block = await seal(s[0], proposal.id);
    expect(block).toMatchObject({ height: 2, cycle: 1 });
    expect(block.proof).toHaveLength(4);
  });

  it('fails a cycle early on two rejections', async () => {
    const r = await waitForCycle();
    const proposer = session(r.expectedProposer as string);
    const proposal = await json<Proposal>(proposer.mgmt.submitTransaction('Propose', JSON.stringify({ batchTimeoutMs: 400, maxMessageCount: 40 })));
    await vote(s[0], proposal.hash, false, 'too slow');
    await vote(s[1], proposal.hash, false, 'too slow');
    const failure = await tally(s[2], proposal.id);
    expect(failure).toMatchObject({ reason: 'rejected', rejections: 2 });
    // Read from the peer that committed the Tally: another may still be a block behind.
    const after = await round(s[2]);
    expect(after.nextHeight).toBe(3);
    expect(after.proposal).toMatchObject({ id: proposal.id, status: 'failed', failure: 'rejected' });
  });

  it('refuses a non-member', async () => {
    // Org1's admin is a member; a certificate of an unknown org cannot even reach the chaincode
    // (the peer refuses it), so a member's malformed vote stands in: an unknown proposal.
    expect(await refusalCode(s[0].mgmt.submitTransaction('Vote', 'ab'.repeat(32), 'true', 'AAAA', 'x'))).toMatch(/MGMT_UNKNOWN_PROPOSAL|MGMT_NOT_FOUND/);
  });
});
