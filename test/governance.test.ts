/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The management chain governing the whole channel configuration, end to end on the network: a
 * chain started with a (tightened) channel model schema; each kind of governed change proposed,
 * voted, sealed and put in force on `primary` by every member's own orchestrator (observer,
 * runtime, Fabric adapter), then read back from the channel's config block. The signatures each
 * update collected are the ones its mod_policies need: a majority of admins for application and
 * orderer values, one organisation's admin for its anchor peers. What the schema or Fabric would
 * refuse never reaches a vote.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChannelModel, ConsenterModel } from 'fabric-config/configtx';
import { channelModelDifferences, channelModelUpdate, readChannelModel, readConfigBlock, updateRequirements } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import type { Contract } from '@hyperledger/fabric-gateway';
import type { common } from '@hyperledger/fabric-protos';
import type { ConfigBlock, JsonObject, UpdateSignature } from 'mgmt-chaincode/dist/protocol';
import { fetchConfigBlock } from '../orchestrator/src/channelConfig/ordererClient';
import { newGrpcConnection } from '../orchestrator/src/gateway';
import { systemClock } from '../orchestrator/src/managementNode/clock';
import { TwinConsultation } from '../orchestrator/src/managementNode/twinConsultation';
import { consortiumOf, startMemberPrimary } from '../orchestrator/src/member';
import type { MemberPrimary } from '../orchestrator/src/member';
import type { Logger } from '../orchestrator/src/observer';
import { channelCheck } from '../orchestrator/src/primary/channelCheck';
import { consensusTypeOf, readManagementLink } from '../orchestrator/src/primary';
import { mergeModel } from '../orchestrator/src/twins/operatorTwin';
import { CHANNEL_MODEL_SCHEMA_FILE, readSchemaFile } from '../orchestrator/src/twins/primaryConfig';
import { MgmtClient } from '../orchestrator/src/mgmtClient';
import type { MgmtContractCalls } from '../orchestrator/src/mgmtClient';
import { inForce, openCycle, produceBlock, produceGenesis } from './support/cbRounds';
import { closeSessions, json, MemberSession, openSessions, refusalCode, seal, vote } from './support/mgmt';
import { backend as backendName, REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const BASE_PORT = 20850;
/*
 * A cycle holds three ordering rounds of `mgmt` (Propose, the votes, Tally) and only has to be
 * long enough: a cycle that seals ends at once, so a longer one costs nothing. On native Fabric
 * `mgmt` is SmartBFT, slower per block than the devnet, and a 4 s cycle went stale there on a
 * loaded machine; a SmartBFT channel that loses its leader or a proposal stalls for its
 * RequestForwardTimeout plus RequestComplainTimeout (2 s + 20 s in network/native/configtx.sh)
 * and a view change, which 30 s outlasts. The devnet keeps 4 s.
 */
const TIMING = { cbiSeconds: 1, cycleTimeoutSeconds: backendName() === 'native' ? 30 : 4 };
const quiet: Logger = process.env.E2E_VERBOSE ? console : { info: () => undefined, warn: () => undefined, error: (m) => { console.error(m); } };

let net: TestNetwork;
let s: MemberSession[];
let root: string;
const members: MemberPrimary[] = [];
let latest: ConfigBlock;

function source(session: MemberSession, channelId = 'primary'): Parameters<typeof channelCheck>[0] {
  const { member } = session;
  return { connect: () => newGrpcConnection(member.orderer), channelId, signer: SigningIdentity.fromMspDir(member.userMspDir, member.mspId) };
}

/** The channel's config as Org1's orderer serves it now, and the config block that holds it. */
async function channelConfig(channel = 'primary'): Promise<{ config: common.Config; block: common.Block }> {
  const { connect, channelId, signer } = source(s[0], channel);
  const client = await connect();
  try {
    const block = await fetchConfigBlock(client, channelId, signer);
    return { config: readConfigBlock(block).config, block };
  } finally {
    client.close();
  }
}

async function signaturesFor(height: number): Promise<UpdateSignature[]> {
  return json<UpdateSignature[]>(s[0].mgmt.evaluateTransaction('GetUpdateSignatures', String(height)));
}

/**
 * Seals a CB that merges `change` into the latest one, and waits until every member (or the first
 * `waitFor` members) has it in force.
 */
async function govern(change: JsonObject, waitFor = members.length): Promise<{ cb: ConfigBlock; before: common.Config; sealedAtMs: number }> {
  const before = (await channelConfig()).config;
  const { block, committedAtMs } = await produceBlock(s, mergeModel(latest.config, change) as JsonObject);
  await Promise.all(members.slice(0, waitFor).map((m, i) => inForce(m.runtime, block.height, 60_000, s[i]?.member.mspId ?? 'member')));
  latest = block;
  return { cb: block, before, sealedAtMs: committedAtMs };
}

/**
 * A management contract whose submit, once a transaction committed, sends it to the orderers a
 * second time (as a gateway would whose first broadcast answer was lost) and reports what that
 * second submit threw: SmartBFT orderers answer "request already processed", and Fabric's gateway
 * reports too few orderers accepting it, although the transaction committed.
 */
function submittingTwice(contract: Contract, secondSubmit: unknown[]): MgmtContractCalls {
  return {
    evaluateTransaction: (name, ...args) => contract.evaluateTransaction(name, ...args),
    submitTransaction: async (name, ...args) => {
      const transaction = await contract.newProposal(name, { arguments: args }).endorse();
      const status = await (await transaction.submit()).getStatus();
      if (!status.successful) throw new Error(`${name} committed with status ${status.code}`);
      try {
        await transaction.submit();
      } catch (err) {
        secondSubmit.push(err);
        throw err;
      }
      secondSubmit.push('accepted');
      return transaction.getResult();
    },
  };
}

/** Every member's orchestrator computed the same bytes: the shared signatures name one update. */
function oneUpdate(signatures: readonly UpdateSignature[]): void {
  expect(new Set(signatures.map((r) => r.updateSha256)).size).toBe(1);
}

beforeAll(async () => {
  net = await startNetwork({ basePort: BASE_PORT });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), 'mgmt', 'mgmt');
  await net.deploy(path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode'), 'primary', 'assets');
  s = await openSessions(net.connection);
  root = mkdtempSync(path.join(os.tmpdir(), 'governance-e2e-'));
  // The consortium's own bounds: no channel-level changes at all, at most 500 transactions a block.
  const schema = readSchemaFile(CHANNEL_MODEL_SCHEMA_FILE) as { properties: Record<string, unknown> };
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([key]) => key !== 'channel'));
  // Nor at mgmt's channel level (the schema's `management` section has its own copy of each section).
  const management = properties.management as { properties?: Record<string, unknown> } | undefined;
  if (management?.properties !== undefined) management.properties = Object.fromEntries(Object.entries(management.properties).filter(([key]) => key !== 'channel'));
  const orderer = properties.orderer as { properties: { batchSize: { properties: { maxMessageCount: { maximum: number } } } } };
  orderer.properties.batchSize.properties.maxMessageCount.maximum = 500;
  const config = Object.fromEntries(Object.entries(readChannelModel((await channelConfig()).config)).filter(([key]) => key !== 'channel'));
  latest = (await produceGenesis(s, net.connection, TIMING, { configSchema: { ...schema, properties } as JsonObject, config: config })).block;
  for (const session of s) {
    members.push(
      await startMemberPrimary({
        member: session.member,
        gateway: session.gateway,
        channels: net.connection.channels,
        consortium: consortiumOf(net.connection),
        stateDir: path.join(root, session.member.mspId),
        logger: quiet,
      }),
    );
  }
  await Promise.all(members.map((m) => inForce(m.runtime, 0, 60_000, 'member')));
});

afterAll(async () => {
  for (const m of members) await m.stop();
  if (s) closeSessions(s);
  await net?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('governing the whole channel configuration', () => {
  it('puts a policy, a capability and an ACL change in force, linked to its CB, with byte-identical updates from every member', async () => {
    const peers = s.map((x) => `'${x.member.mspId}.peer'`).join(', ');
    const { cb } = await govern({
      version: 2,
      application: {
        policies: { Endorsement: { type: 'Signature', rule: `OutOf(2, ${peers})` } },
        capabilities: ['V2_0', 'V2_5'],
        acls: { '_lifecycle/CommitChaincodeDefinition': '/Channel/Application/Admins' },
      },
    });
    const { config, block } = await channelConfig();
    expect(channelModelDifferences(cb.config as unknown as ChannelModel, config)).toEqual([]);
    expect(readChannelModel(config).application).toMatchObject({
      policies: { Endorsement: { type: 'Signature', rule: `OutOf(2, ${peers})` } },
      capabilities: ['V2_0', 'V2_5'],
      acls: { '_lifecycle/CommitChaincodeDefinition': '/Channel/Application/Admins' },
    });
    const lastUpdate = readConfigBlock(block).lastUpdate;
    expect(lastUpdate && readManagementLink(lastUpdate)).toEqual({ height: cb.height, hash: cb.hash });
    const signatures = await signaturesFor(cb.height);
    expect(signatures.length).toBeGreaterThanOrEqual(3);
    oneUpdate(signatures);
  });

  it('an anchor-peer change of one organisation is signed by that organisation\'s admin alone', async () => {
    const { cb, before } = await govern({ version: 2, application: { anchorPeers: { Org2MSP: [{ host: 'peer1.org2.example.com', port: 9151 }] } } });
    expect(readChannelModel((await channelConfig()).config).application?.anchorPeers?.Org2MSP).toEqual([{ host: 'peer1.org2.example.com', port: 9151 }]);
    const update = channelModelUpdate('primary', before, cb.config as unknown as ChannelModel);
    expect(updateRequirements(before, update).map((r) => r.policy)).toEqual(['/Channel/Application/Org2MSP/Admins']);
    expect((await signaturesFor(cb.height)).map((r) => r.mspId)).toEqual(['Org2MSP']);
  });

  it('an orderer value needs the orderer organisations\' admins, and they sign it', async () => {
    const { cb, before } = await govern({ version: 2, orderer: { batchSize: { absoluteMaxBytes: 4 * 1024 * 1024, maxMessageCount: 20 } } });
    expect(readChannelModel((await channelConfig()).config).orderer?.batchSize).toMatchObject({ absoluteMaxBytes: 4 * 1024 * 1024, maxMessageCount: 20 });
    const update = channelModelUpdate('primary', before, cb.config as unknown as ChannelModel);
    expect(updateRequirements(before, update).map((r) => r.policy)).toEqual(['/Channel/Orderer/Admins']);
    const signatures = await signaturesFor(cb.height);
    expect(signatures.length).toBeGreaterThanOrEqual(3);
    oneUpdate(signatures);
  });

  it('consensus options: put in force on an etcdraft or SmartBFT channel, refused before voting where the orderer runs another consensus', async () => {
    const { config } = await channelConfig();
    const type = consensusTypeOf(config);
    const etcdraft = { version: 2, orderer: { etcdraft: { tickIntervalMs: 400, snapshotIntervalSize: 8 * 1024 * 1024 } } } as const;
    if (type === 'etcdraft') {
      await govern(etcdraft);
      expect(readChannelModel((await channelConfig()).config).orderer?.etcdraft).toMatchObject({ tickIntervalMs: 400, snapshotIntervalSize: 8 * 1024 * 1024 });
    } else if (type === 'BFT') {
      await govern({ version: 2, orderer: { smartbft: { requestBatchMaxIntervalMs: 200, leaderHeartbeatCount: 12 } } });
      expect(readChannelModel((await channelConfig()).config).orderer?.smartbft).toMatchObject({ requestBatchMaxIntervalMs: 200, leaderHeartbeatCount: 12 });
      expect(await channelCheck(source(s[0]))(mergeModel(latest.config, etcdraft) as JsonObject)).toMatch(/names both etcdraft and smartbft options/);
    } else {
      expect(await channelCheck(source(s[0]))(mergeModel(latest.config, etcdraft) as JsonObject)).toMatch(/consensus type is devnet, not etcdraft/);
    }
  });

  it('the consenter set: one node removed and added back, each by a CB, the channel live throughout; two at once refused before voting', async () => {
    const consenters = readChannelModel((await channelConfig()).config).orderer?.consenters;
    expect(consenters?.length).toBe(s.length);
    if (consenters === undefined) return;
    // The last member's node leaves. On native Fabric that orderer stops serving the channel, so
    // its member's own orderer cannot tell it the CB is in force: the others are waited for.
    const last = s[s.length - 1].member;
    // Its node by port: the devnet names consenters by host name, network/native by 127.0.0.1.
    const leaving = consenters.find((c) => c.port === Number(last.orderer.endpoint.split(':').pop()));
    expect(leaving).toBeDefined();
    const remaining = consenters.filter((c) => c !== leaving);
    const commits = async (key: string): Promise<void> => {
      await s[0].gateway.getNetwork('primary').getContract('assets').submitTransaction('Put', key, 'live');
    };

    // Fabric's etcdraft takes one node in or out per update: two at once never reaches a vote.
    const twoOut = mergeModel(latest.config, { version: 2, orderer: { consenters: remaining.slice(1) } }) as JsonObject;
    expect(await channelCheck(source(s[0]))(twoOut)).toMatch(/update of more than one consenter at a time is not supported, requested changes: add 0 node\(s\), remove 2 node\(s\)/);

    // A client commits transactions throughout, one after the other: the longest gap between two
    // commits is the figure the README gives for a consenter change.
    const workload = { running: true, commits: [] as number[], failures: [] as string[] };
    const started = Date.now();
    // When each step ended, to name the step the longest gap fell in.
    const steps: Array<{ at: number; step: string }> = [{ at: started, step: 'start' }];
    const step = (name: string, at = Date.now()): void => {
      steps.push({ at, step: name });
    };
    const loop = (async () => {
      for (let i = 0; workload.running; i++) {
        try {
          await s[1].gateway.getNetwork('primary').getContract('assets').submitTransaction('Put', `through-${i}`, 'x');
          workload.commits.push(Date.now());
        } catch (err) {
          workload.failures.push((err as Error).message);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })();

    const { cb: removal, sealedAtMs: removalSealed } = await govern({ version: 2, orderer: { consenters: remaining } } as unknown as JsonObject, s.length - 1);
    step('removal sealed', removalSealed);
    step('removal in force');
    // Its operator takes the evicted node down (Fabric's Gateway would not retry a submit it refuses).
    await net.stopOrderer(s.length);
    step('evicted node stopped');
    const afterRemoval = readChannelModel((await channelConfig()).config).orderer?.consenters ?? [];
    expect(afterRemoval.map((c) => c.host).sort()).toEqual(remaining.map((c) => c.host).sort());
    expect(channelModelDifferences(removal.config as unknown as ChannelModel, (await channelConfig()).config)).toEqual([]);
    await commits('consenter-removed');

    const { sealedAtMs: additionSealed } = await govern({ version: 2, orderer: { consenters } } as unknown as JsonObject, s.length - 1);
    step('addition sealed', additionSealed);
    step('addition in force');
    // Native Fabric halted the evicted node: its operator starts it, and it follows the chain to the
    // config block that names it again; rejoinOrderer joins it from that block if it did not.
    await net.startOrderer(s.length);
    step('node started');
    await net.rejoinOrderer(s.length, 'primary');
    step('node rejoined');
    expect((readChannelModel((await channelConfig()).config).orderer?.consenters ?? []).map((c) => c.host).sort()).toEqual(consenters.map((c) => c.host).sort());
    await commits('consenter-back');
    const committedBeforeEnd = workload.commits.length;
    await new Promise((r) => setTimeout(r, 1_000));
    workload.running = false;
    await loop;
    const times = [started, ...workload.commits];
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    const longest = gaps.indexOf(Math.max(...gaps));
    const [gapStart, gapEnd] = [times[longest], times[longest + 1]];
    // The steps that ended inside the gap, else the one it followed.
    const within = steps.filter((x) => x.at > gapStart && x.at <= gapEnd).map((x) => x.step);
    const after = steps.filter((x) => x.at <= gapStart).pop()?.step ?? 'start';
    console.log(
      `consenter change (${backendName()}, primary ${consensusTypeOf((await channelConfig()).config)}): ${workload.commits.length} transactions committed in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
        `longest gap between commits ${gaps[longest]} ms (after '${after}'${within.length === 0 ? '' : `, spanning '${within.join("', '")}'`}), ` +
        `${workload.failures.length} submits refused${workload.failures.length === 0 ? '' : ` (${[...new Set(workload.failures)].join('; ')})`}; ` +
        `steps at ${steps.map((x) => `${x.step} +${x.at - started} ms`).join(', ')}`,
    );
    expect(committedBeforeEnd).toBeGreaterThan(0);
    expect(workload.commits.length).toBeGreaterThan(committedBeforeEnd);
  });

  it("mgmt's consenter set, by the CBs' management section: one node out and back, primary's set untouched, agreement going on throughout", async () => {
    const consentersOf = async (channel: string): Promise<readonly ConsenterModel[]> => readChannelModel((await channelConfig(channel)).config).orderer?.consenters ?? [];
    const consenters = await consentersOf('mgmt');
    const primaryBefore = await consentersOf('primary');
    expect(consenters).toHaveLength(s.length);
    const last = s[s.length - 1].member;
    const leaving = consenters.find((c) => c.port === Number(last.orderer.endpoint.split(':').pop()));
    expect(leaving).toBeDefined();
    const remaining = consenters.filter((c) => c !== leaving);
    const inForceOnMgmt = (height: number): Promise<unknown> =>
      Promise.all(members.slice(0, s.length - 1).map((m, i) => inForce(m.managementRuntime, height, 60_000, `${s[i]?.member.mspId ?? 'member'} mgmt`)));

    const { cb: removal } = await govern({ version: 2, management: { orderer: { consenters: remaining } } } as unknown as JsonObject, s.length - 1);
    await inForceOnMgmt(removal.height);
    expect((await consentersOf('mgmt')).map((c) => c.port).sort()).toEqual(remaining.map((c) => c.port).sort());
    expect(await consentersOf('primary')).toEqual(primaryBefore);
    // The evicted node's operator takes it down; the next CB is agreed on by the three left.
    await net.stopOrderer(s.length);
    const { cb: addition } = await govern({ version: 2, management: { orderer: { consenters } } } as unknown as JsonObject, s.length - 1);
    await inForceOnMgmt(addition.height);
    await net.startOrderer(s.length);
    await net.rejoinOrderer(s.length, 'mgmt');
    expect((await consentersOf('mgmt')).map((c) => c.port).sort()).toEqual(consenters.map((c) => c.port).sort());
    expect(await consentersOf('primary')).toEqual(primaryBefore);
    // The update for mgmt was signed through the same records, under mgmt's channel name.
    expect((await signaturesFor(removal.height)).some((r) => r.channelId === 'mgmt')).toBe(true);
  });

  it('a submit the orderers report failed although the transaction committed is answered from the committed transaction, not sent again', async () => {
    const secondSubmit: unknown[] = [];
    const r = await openCycle(s);
    const proposer = s.find((x) => x.member.mspId === r.expectedProposer);
    if (proposer === undefined) throw new Error(`no session for ${String(r.expectedProposer)}`);
    const network = proposer.gateway.getNetwork('mgmt');
    const client = new MgmtClient({ contract: submittingTwice(network.getContract('mgmt'), secondSubmit), events: network });
    const proposal = await client.propose(mergeModel(latest.config, { version: 2, orderer: { batchSize: { maxMessageCount: 30 } } }) as JsonObject);
    expect(proposal.header.height).toBe(r.nextHeight);
    expect(secondSubmit).toHaveLength(1);
    // `mgmt` is SmartBFT on native Fabric: the second submit is refused by every orderer.
    if (backendName() === 'native') expect(secondSubmit[0]).toMatchObject({ name: 'SubmitError', transactionId: proposal.txId, details: expect.arrayContaining([expect.objectContaining({ message: expect.stringMatching(/request already processed/) })]) });
    const voters = [proposer, ...s.filter((x) => x !== proposer)].slice(0, 3);
    await Promise.all(voters.map((x) => vote(x, proposal.hash, true, 'e2e')));
    const block = await seal(proposer, proposal.id);
    expect(block.hash).toBe(proposal.hash);
    await Promise.all(members.map((m, i) => inForce(m.runtime, block.height, 60_000, s[i]?.member.mspId ?? 'member')));
    latest = block;
    expect(readChannelModel((await channelConfig()).config).orderer?.batchSize?.maxMessageCount).toBe(30);
  });

  it('the genesis schema refuses what the consortium forbade, before anyone votes', async () => {
    const channelChange = mergeModel(latest.config, { channel: { capabilities: ['V3_0'] } }) as JsonObject;
    expect(await refusalCode(produceBlock(s, channelChange))).toBe('MGMT_INVALID_CONFIG');
    const tooBig = mergeModel(latest.config, { orderer: { batchSize: { maxMessageCount: 501 } } }) as JsonObject;
    expect(await refusalCode(produceBlock(s, tooBig))).toBe('MGMT_INVALID_CONFIG');
  });

  it('what Fabric would refuse is neither proposed nor approved: the node checks it against the live channel', async () => {
    const check = channelCheck(source(s[1]));
    const badAcl = mergeModel(latest.config, { application: { acls: { 'peer/Propose': '/Channel/Application/Nobody' } } }) as JsonObject;
    expect(await check(badAcl)).toMatch(/application\.acls\.peer\/Propose: no such policy \/Channel\/Application\/Nobody/);
    expect(await check(mergeModel(latest.config, { application: { anchorPeers: { Org9MSP: [] } } }) as JsonObject)).toMatch(/no application organisation Org9MSP/);
    expect(await check(latest.config)).toBeUndefined();
    const consultation = new TwinConsultation({
      twin: { name: 'approves-all', decide: () => Promise.resolve(badAcl), validate: () => Promise.resolve({ approve: true, reason: 'yes' }) },
      clock: systemClock,
      timeoutMs: 10_000,
      channelCheck: check,
    });
    await expect(consultation.decide(latest, Date.now() + 10_000)).rejects.toThrow(/would refuse.*no such policy/);
  });
});
