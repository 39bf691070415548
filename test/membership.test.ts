/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The member set changing through the management chain, end to end on the network: a CB that
 * removes Org4 is sealed by the members in force, and from the next height the quorum is that of
 * three members, Org4's votes are refused and its management node stops acting; every member's
 * orchestrator verifies the chain (params in force at each height) and keeps putting CBs in force
 * on `primary`. Then one CB admits Org5 to the member set and to `primary`'s application group
 * (its MSP as configtxgen writes it), and Org5's client transacts on `primary`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connect, signers } from '@hyperledger/fabric-gateway';
import type { Gateway } from '@hyperledger/fabric-gateway';
import { createPrivateKey } from 'node:crypto';
import { readChannelModel, readConfigBlock, readOrganization } from 'fabric-config/configtx';
import { loadOrgCrypto, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import type { ConfigBlock, GenesisParams, JsonObject } from 'mgmt-chaincode/dist/protocol';
import { quorum, signVote, verifyChain } from 'mgmt-chaincode/dist/protocol';
import { auditEvidence, collectEvidence, openEvidenceSources } from '../orchestrator/src/audit';
import { runCli } from '../orchestrator/src/cli/program';
import { readOrgFile } from '../orchestrator/src/cli/propose/membership';
import { newGrpcConnection } from '../orchestrator/src/gateway';
import type { NodeEvent } from '../orchestrator/src/managementNode/events';
import { ManagementNode } from '../orchestrator/src/managementNode/managementNode';
import { MgmtClient } from '../orchestrator/src/mgmtClient';
import { readChannelConfig } from '../orchestrator/src/primary/channelCheck';
import { consortiumOf, startMemberPrimary } from '../orchestrator/src/member';
import type { MemberPrimary } from '../orchestrator/src/member';
import type { Logger } from '../orchestrator/src/observer';
import { mergeModel } from '../orchestrator/src/twins/operatorTwin';
import { boundsFromSchema, CHANNEL_MODEL_SCHEMA_FILE, readSchemaFile } from '../orchestrator/src/twins/primaryConfig';
import { RulesTwin } from '../orchestrator/src/twins/rulesTwin';
import { inForce, onceCaughtUp, openCycle, produceBlock, produceGenesis } from './support/cbRounds';
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
let latest: ConfigBlock;
let admissionHeight = -1;
let org5Root: string;
let org5: OrgCrypto;
let org5Client: Awaited<ReturnType<typeof newGrpcConnection>> | undefined;
let org5GatewayHandle: Gateway | undefined;

/** Org5's own client through Org1's peer (opened once, closed at the end). */
function org5Gateway(): Gateway {
  if (org5GatewayHandle === undefined || org5Client === undefined) throw new Error('Org5 has no gateway yet');
  return org5GatewayHandle;
}

/** The channel's config as Org1's orderer serves it now. */
function channelConfig(channelId: string): Promise<ReturnType<typeof readConfigBlock>['config']> {
  const { member } = s[0];
  return readChannelConfig({ connect: () => newGrpcConnection(member.orderer), channelId, signer: SigningIdentity.fromMspDir(member.userMspDir, member.mspId) });
}

async function primaryConfig(): Promise<ReturnType<typeof readConfigBlock>['config']> {
  return channelConfig('primary');
}

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
  // Org5's material and organisation file, as Org5's operator makes them with `mgmt org new`.
  org5Root = mkdtempSync(path.join(os.tmpdir(), 'membership-org5-'));
  expect(await runCli(['org', 'new', 'Org5MSP', '--domain', 'org5.example.com', '--out', org5Root], { out: () => undefined, err: () => undefined })).toBe(0);
  org5 = await loadOrgCrypto(org5Root, { mspId: 'Org5MSP', domain: 'org5.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  const config = readChannelModel(await primaryConfig()) as unknown as JsonObject;
  genesis = (await produceGenesis(s, net.connection, TIMING, { configSchema: readSchemaFile(CHANNEL_MODEL_SCHEMA_FILE), config })).block;
  latest = genesis;
  for (const x of s.slice(0, 3)) {
    members.push(await startMemberPrimary({ member: x.member, gateway: x.gateway, channels: net.connection.channels, consortium: consortiumOf(net.connection), stateDir: path.join(root, x.member.mspId), logger: quiet }));
  }
  await Promise.all(members.map((m, i) => inForce(m.runtime, 0, 60_000, s[i]?.member.mspId ?? 'member')));
});

afterAll(async () => {
  org5GatewayHandle?.close();
  org5Client?.close();
  for (const m of members) await m.stop();
  if (s) closeSessions(s);
  await net?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
  if (org5Root) rmSync(org5Root, { recursive: true, force: true });
});

describe('membership through the management chain', () => {
  let removal: ConfigBlock;
  let three: GenesisParams;

  it('a CB removing Org4 is sealed by the four members in force; three are in force from the next height', async () => {
    const params = genesis.params as GenesisParams;
    three = { ...params, members: params.members.filter((m) => m.mspId !== 'Org4MSP') };
    // Two leaving at once would leave fewer than a quorum of the old set in.
    const twoLeave = { ...params, members: params.members.slice(0, 2) };
    expect(await refusalCode(produceBlock(s, latest.config, 3, twoLeave))).toBe('MGMT_INVALID_PARAMS');

    removal = (await produceBlock(s, latest.config, 3, three)).block;
    latest = removal;
    expect(removal.params?.members.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    // On Fabric each peer commits on its own: Org1's may be a block behind the one that answered the Tally.
    let inForceNow = await s[0].ledger.getParams();
    for (let i = 0; i < 50 && inForceNow.members.length !== 3; i++) {
      await sleep(100);
      inForceNow = await s[0].ledger.getParams();
    }
    expect(inForceNow.members).toHaveLength(3);
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
      const proposal = await proposer.ledger.propose(mergeModel(latest.config, { orderer: { batchTimeoutMs: 300 } }) as JsonObject);
      expect(await refusalCode(vote(org4, proposal.hash, true))).toBe('MGMT_NOT_MEMBER');
      await vote(inForceNow[0], proposal.hash, true);
      await vote(inForceNow[1], proposal.hash, true);
      // Two approvals were a quorum of four; of three they are not.
      expect(await refusalCode(proposer.ledger.tally(proposal.id))).toBe('MGMT_VOTES_PENDING');
      await vote(inForceNow[2], proposal.hash, true);
      const sealed = await seal(proposer, proposal.id);
      latest = sealed;
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

  it('one CB admits Org5 to the member set and to primary\'s application group; Org5\'s client then transacts on primary', async () => {
    const { member, organization } = readOrgFile(path.join(org5Root, 'Org5MSP.json'));
    const four = { ...three, members: [...three.members, member] };
    const organizations = { Org5MSP: organization as unknown as JsonObject };
    const inForceNow = s.filter((x) => x.member.mspId !== 'Org4MSP');
    const admission = (await produceBlock(inForceNow, mergeModel(latest.config, { organizations }) as JsonObject, 3, four)).block;
    latest = admission;
    admissionHeight = admission.height;
    expect(admission.params?.members.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org5MSP']);
    await Promise.all(members.map((m, i) => inForce(m.runtime, admission.height, 60_000, s[i]?.member.mspId ?? 'member')));
    expect(readOrganization(await primaryConfig(), 'Org5MSP')).toMatchObject({ mspId: 'Org5MSP', rootCerts: [org5.caCertPem] });
    org5Client = await newGrpcConnection(s[0].member.peer);
    org5GatewayHandle = connect({
      client: org5Client,
      identity: { mspId: 'Org5MSP', credentials: Buffer.from(org5.user.certPem) },
      signer: signers.newPrivateKeySigner(createPrivateKey(org5.user.privateKeyPem)),
    });

    // Org5's own client, through Org1's peer: its identity is now one the channel knows.
    await org5Gateway().getNetwork('primary').getContract('assets').submitTransaction('Put', 'org5-key', 'admitted');
  });

  it('the same CB adds Org5 to the mgmt channel: Org5 then votes (and proposes in its turn) on the management chain', async () => {
    await Promise.all(members.map((m, i) => inForce(m.managementRuntime, latest.height, 60_000, `${s[i]?.member.mspId ?? 'member'} mgmt`)));
    expect(readOrganization(await channelConfig('mgmt'), 'Org5MSP')).toMatchObject({ mspId: 'Org5MSP' });
    const org5Ledger = new MgmtClient({ network: org5Gateway().getNetwork('mgmt') });
    const others = s.filter((x) => ['Org1MSP', 'Org2MSP', 'Org3MSP'].includes(x.member.mspId));
    const round = await openCycle(others);
    const config = mergeModel(latest.config, { orderer: { batchTimeoutMs: 400 } }) as JsonObject;
    const proposal = round.expectedProposer === 'Org5MSP' ? await org5Ledger.propose(config) : await session(round.expectedProposer as string).ledger.propose(config);
    const voters = others.filter((x) => x.member.mspId !== round.expectedProposer).slice(0, 2);
    // Through Org1's peer, which may not have committed the proposal yet (each Fabric peer commits on its own).
    const org5Vote = signVote({ hash: proposal.hash, approve: true, privateKeyPem: org5.user.privateKeyPem });
    await onceCaughtUp(() => org5Ledger.vote(proposal.hash, true, org5Vote, 'org5 approves'), 'MGMT_UNKNOWN_PROPOSAL');
    for (const voter of voters) await vote(voter, proposal.hash, true);
    const sealed = await seal(others[0], proposal.id);
    expect(sealed.proof.map((p) => p.mspId)).toContain('Org5MSP');
    expect(sealed.proof).toHaveLength(3);
    latest = sealed;
  });

  it('the whole chain verifies from genesis alone, each proof under the members in force at its height', async () => {
    const blocks = await s[0].ledger.getBlocks(0, 99);
    const verified = verifyChain(blocks);
    expect(verified.params.members.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org5MSP']);
    expect(blocks[blocks.length - 1]?.proof.map((p) => p.mspId)).toContain('Org5MSP');
    expect(blocks[removal.height]?.params).toBeDefined();
    // Every remaining member's observer verified and applied it all.
    await Promise.all(members.map((m, i) => inForce(m.runtime, latest.height, 60_000, s[i]?.member.mspId ?? 'member')));
    for (const m of members) expect(m.observer.chain.length).toBe(blocks.length);
    // And the audit: each membership change linked, Org5's groups governed by the CB that admitted it.
    const opened = await openEvidenceSources(net.connection, s[0].member);
    try {
      const report = auditEvidence(await collectEvidence(opened.sources, undefined, { headEvidence: true }));
      expect(report.faults).toEqual([]);
      const admitted = report.primaryConfigBlocks.find((b) => b.link?.height === admissionHeight);
      expect(admitted?.changes.filter((c) => c.path.startsWith('Channel/Application/Org5MSP/')).every((c) => c.governed)).toBe(true);
    } finally {
      opened.close();
    }
  });
});
