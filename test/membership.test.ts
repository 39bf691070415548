/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The member set changing through the management chain, end to end on the network: a CB that
 * removes Org4 is sealed by the members in force, and from the next height the quorum is that of
 * three members, Org4's votes are refused and its management node stops acting; every member's
 * orchestrator verifies the chain (params in force at each height) and keeps putting CBs in force
 * on `primary`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigBlock, GenesisParams } from 'mgmt-chaincode/dist/protocol';
import { quorum, signVote, verifyChain } from 'mgmt-chaincode/dist/protocol';
import type { NodeEvent } from '../orchestrator/src/managementNode/events';
import { ManagementNode } from '../orchestrator/src/managementNode/managementNode';
import { consortiumOf, startMemberPrimary } from '../orchestrator/src/member';
import type { MemberPrimary } from '../orchestrator/src/member';
import type { Logger } from '../orchestrator/src/observer';
import { boundsFromSchema } from '../orchestrator/src/twins/primaryConfig';
import { RulesTwin } from '../orchestrator/src/twins/rulesTwin';
import { inForce, openCycle, produceBlock, produceGenesis } from './support/cbRounds';
import { closeSessions, MemberSession, openSessions, refusalCode, seal, sleep, vote } from './support/mgmt';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const BASE_PORT = 21050;
const TIMING = { cbiSeconds: 1, cycleTimeoutSeconds: 4 };
const quiet: Logger = process.env.E2E_VERBOSE ? console : { info: () => undefined, warn: () => undefined, error: (m) => { console.error(m); } };

let net: TestNetwork;
let s: MemberSession[];
let root: string;
const members: MemberPrimary[] = [];
let genesis: ConfigBlock;

function session(mspId: string): MemberSession {
  const found = s.find((x) => x.member.mspId === mspId);
  if (found === undefined) throw new Error(`no session for ${mspId}`);
  return found;
}

beforeAll(async () => {
  net = await startNetwork({ basePort: BASE_PORT });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), 'mgmt', 'mgmt');
  await net.deploy(path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode'), 'primary', 'assets');
  s = await openSessions(net.connection);
  root = mkdtempSync(path.join(os.tmpdir(), 'membership-e2e-'));
  genesis = (await produceGenesis(s, net.connection, TIMING)).block;
  for (const x of s.slice(0, 3)) {
    members.push(await startMemberPrimary({ member: x.member, gateway: x.gateway, channels: net.connection.channels, consortium: consortiumOf(net.connection), stateDir: path.join(root, x.member.mspId), logger: quiet }));
  }
  await Promise.all(members.map((m, i) => inForce(m.runtime, 0, 60_000, s[i]?.member.mspId ?? 'member')));
});

afterAll(async () => {
  for (const m of members) await m.stop();
  if (s) closeSessions(s);
  await net?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('membership through the management chain', () => {
  let removal: ConfigBlock;
  let three: GenesisParams;

  it('a CB removing Org4 is sealed by the four members in force; three are in force from the next height', async () => {
    const params = genesis.params as GenesisParams;
    three = { ...params, members: params.members.filter((m) => m.mspId !== 'Org4MSP') };
    // Two leaving at once would leave fewer than a quorum of the old set in.
    const twoLeave = { ...params, members: params.members.slice(0, 2) };
    expect(await refusalCode(produceBlock(s, { batchTimeoutMs: 200, maxMessageCount: 10 }, 3, twoLeave))).toBe('MGMT_INVALID_PARAMS');

    removal = (await produceBlock(s, { batchTimeoutMs: 200, maxMessageCount: 10 }, 3, three)).block;
    expect(removal.params?.members.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    expect((await s[0].ledger.getParams()).members).toHaveLength(3);
    expect(quorum(3)).toBe(3);
  });

  it('from then on, Org4\'s vote is refused, a CB needs all three, and Org4\'s node stops acting', async () => {
    const events: NodeEvent[] = [];
    const org4 = session('Org4MSP');
    const node = new ManagementNode({
      mspId: 'Org4MSP',
      ledger: org4.ledger,
      twin: new RulesTwin({ bounds: boundsFromSchema(genesis.params?.configSchema ?? {}) }),
      signVote: (hash, approve) => signVote({ hash, approve, privateKeyPem: org4.privateKeyPem }),
    });
    node.on('event', (e) => events.push(e));
    await node.start();
    try {
      const inForceNow = s.filter((x) => x.member.mspId !== 'Org4MSP');
      const round = await openCycle(inForceNow);
      expect(three.members.map((m) => m.mspId)).toContain(round.expectedProposer);
      const proposer = session(round.expectedProposer as string);
      const proposal = await proposer.ledger.propose({ batchTimeoutMs: 300, maxMessageCount: 10 });
      expect(await refusalCode(vote(org4, proposal.hash, true))).toBe('MGMT_NOT_MEMBER');
      await vote(inForceNow[0], proposal.hash, true);
      await vote(inForceNow[1], proposal.hash, true);
      // Two approvals were a quorum of four; of three they are not.
      expect(await refusalCode(proposer.ledger.tally(proposal.id))).toBe('MGMT_VOTES_PENDING');
      await vote(inForceNow[2], proposal.hash, true);
      const sealed = await seal(proposer, proposal.id);
      expect(sealed.proof.map((p) => p.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
      await Promise.all(members.map((m, i) => inForce(m.runtime, sealed.height, 60_000, s[i]?.member.mspId ?? 'member')));
      for (let i = 0; i < 50 && !events.some((e) => e.type === 'warning' && /no longer a member/.test(e.message)); i++) await sleep(100);
      expect(events.some((e) => e.type === 'warning' && /Org4MSP is no longer a member/.test(e.message))).toBe(true);
      // Nothing of its own: no vote, no proposal, no refused action (other members' proposals are reported as seen).
      expect(events.filter((e) => e.type === 'voted' || e.type === 'refused' || (e.type === 'proposed' && e.proposer === 'Org4MSP'))).toEqual([]);
    } finally {
      await node.stop();
    }
  });

  it('the whole chain verifies from genesis alone, each proof under the members in force at its height', async () => {
    const blocks = await s[0].ledger.getBlocks(0, 99);
    const verified = verifyChain(blocks);
    expect(verified.params.members.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    expect(blocks[removal.height]?.params).toBeDefined();
    // Every remaining member's observer verified and applied it all.
    for (const m of members) expect(m.observer.chain.length).toBe(blocks.length);
  });
});
