/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The changes of primary config blocks and their governance, on configs an orderer would make
 * (fabric-config's fixtures: real updates, signed by the admins whose mod_policies they need):
 * a linked block that runs its CB, one that does not, unlinked changes of governed and ungoverned
 * paths, the two values of older chains (and what they govern on a SmartBFT channel), and
 * evidence without configs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, orderer } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import { buildGenesisBlock, channelModelUpdate, computeUpdate, readBatchParams, readConfigBlock, readMsps } from 'fabric-config/configtx';
import type { ChannelModel, ChannelProfile } from 'fabric-config/configtx';
import { MspRegistry } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { acceptConfigUpdate, generateTestOrgs, signedEnvelope, testChannelProfile } from 'fabric-config/testing';
import type { ConfigBlock, JsonObject } from 'mgmt-chaincode/dist/protocol';
import { changeText, governPrimaryConfigs, valueText } from './governance';
import type { BlockGovernance, GovernanceInput } from './governance';
import type { PrimaryConfigRecord } from './types';

let root: string;
let orgs: OrgCrypto[];
let genesis: common.Config;

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('audit-governance', 4));
  genesis = configOf(testChannelProfile(orgs));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function configOf(profile: ChannelProfile): common.Config {
  return readConfigBlock(buildGenesisBlock(profile)).config;
}

const ADMINS = ['2.admin', '3.admin', '4.admin'];
const ACL = 'Channel/Application/ACLs/_lifecycle/CheckCommitReadiness';
const ENDORSEMENT = 'Channel/Application/Policies/Endorsement';
const BATCH_TIMEOUT = 'Channel/Orderer/BatchTimeout';
const MAX_MESSAGE_COUNT = 'Channel/Orderer/BatchSize/MaxMessageCount';
const MAX_COUNT = 'Channel/Orderer/ChannelRestrictions/MaxCount';

/** The next config after an update signed by three admins, as the orderer accepts it. */
function accepted(config: common.Config, update: common.ConfigUpdate): common.Config {
  const envelope = signedEnvelope(orgs, update.serializeBinary(), ADMINS);
  return acceptConfigUpdate('primary', config, envelope, new MspRegistry(readMsps(config))).config;
}

const withModel = (config: common.Config, model: ChannelModel): common.Config => accepted(config, channelModelUpdate('primary', config, model));

/** An edit no model expresses: the orderer's ChannelRestrictions.MaxCount. */
function withMaxCount(config: common.Config, maxCount: number): common.Config {
  const desired = config.cloneMessage();
  const restrictions = new orderer.ChannelRestrictions();
  restrictions.setMaxCount(maxCount);
  desired.getChannelGroup()?.getGroupsMap().get('Orderer')?.getValuesMap().get('ChannelRestrictions')?.setValue(restrictions.serializeBinary());
  return accepted(config, computeUpdate('primary', config, desired));
}

function cb(height: number, config: JsonObject): ConfigBlock {
  return { height, prevHash: '', proposer: 'Org1MSP', cycle: 0, timestamp: '2026-01-01T00:00:00.000Z', config, hash: String(height % 10).repeat(64), proof: [] };
}

function record(number: number, config: common.Config, link: ConfigBlock | null): PrimaryConfigRecord {
  const batch = readBatchParams(config);
  return {
    number,
    sequence: number,
    timestamp: '2026-01-01T00:01:00.000Z',
    batchTimeout: batch.batchTimeout,
    batchTimeoutMs: batch.batchTimeoutMs,
    maxMessageCount: batch.batchSize.maxMessageCount,
    link: link === null ? null : { height: link.height, hash: link.hash },
    signers: link === null ? ['Org2MSP', 'Org3MSP', 'Org4MSP'] : ['Org1MSP', 'Org2MSP', 'Org3MSP'],
  };
}

/** Config blocks 0, 1, 2, ... of a channel, each linked to its CB or not. */
function blocks(...steps: [common.Config, ConfigBlock | null][]): GovernanceInput[] {
  return steps.map(([config, link], i) => ({ record: record(i, config, link), config, linkedCb: link ?? undefined }));
}

const governedPaths = (g: BlockGovernance): string[] => g.changes.filter((c) => c.governed).map((c) => c.path);
const ungovernedPaths = (g: BlockGovernance): string[] => g.changes.filter((c) => !c.governed).map((c) => c.path);

const PEERS = "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer', 'Org4MSP.peer')";
const CB0: JsonObject = { version: 2, orderer: { batchTimeoutMs: 2000, batchSize: { maxMessageCount: 10 } } };
const CB1: JsonObject = {
  version: 2,
  orderer: { batchTimeoutMs: 250, batchSize: { maxMessageCount: 20 } },
  application: { policies: { Endorsement: { type: 'Signature', rule: PEERS } }, acls: { '_lifecycle/CheckCommitReadiness': '/Channel/Application/Writers' } },
};

describe('governPrimaryConfigs on a channel-model chain', () => {
  it('a linked block running its CB: every change listed, the model\'s paths governed, no fault', () => {
    const c1 = withModel(genesis, CB1 as unknown as ChannelModel);
    const [first, linked] = governPrimaryConfigs(blocks([genesis, null], [c1, cb(1, CB1)]), cb(0, CB0));
    expect(first).toEqual({ changes: [], governedBy: 0, changesComplete: true, faults: [], notices: [] });
    expect(linked.faults).toEqual([]);
    expect(linked.governedBy).toBe(1);
    expect(governedPaths(linked)).toEqual([ACL, ENDORSEMENT, MAX_MESSAGE_COUNT, BATCH_TIMEOUT]);
    expect(linked.changes).toContainEqual({ path: ACL, kind: 'added', after: '/Channel/Application/Writers', governed: true });
    expect(linked.changes).toContainEqual({ path: ENDORSEMENT, kind: 'modified', before: 'MAJORITY Endorsement', after: PEERS, governed: true });
    expect(linked.changes).toContainEqual({ path: BATCH_TIMEOUT, kind: 'modified', before: '2s', after: '250ms', governed: true });
    // The ACLs value the update created has a mod_policy the model does not name: listed, not a fault.
    expect(ungovernedPaths(linked)).toEqual(['Channel/Application/ACLs/ModPolicy']);
  });

  it('a linked block that does not run its CB: AUDIT_BATCH_MISMATCH naming each path with the CB\'s value and the block\'s', () => {
    const wrong = withModel(genesis, { ...(CB1 as unknown as ChannelModel), orderer: { batchTimeoutMs: 250, batchSize: { maxMessageCount: 99 } }, application: { acls: {} } });
    const [, linked] = governPrimaryConfigs(blocks([genesis, null], [wrong, cb(1, CB1)]), cb(0, CB0));
    expect(linked.faults).toEqual([
      {
        code: 'AUDIT_BATCH_MISMATCH',
        height: 1,
        primaryBlock: 1,
        paths: [ENDORSEMENT, MAX_MESSAGE_COUNT, ACL],
        reason:
          "the config does not run CB 1's configuration at 3 governed paths: " +
          `${ENDORSEMENT} is MAJORITY Endorsement, CB 1 wants ${PEERS}; ` +
          `${MAX_MESSAGE_COUNT} is 99, CB 1 wants 20; ` +
          `${ACL} is (none), CB 1 wants /Channel/Application/Writers`,
      },
    ]);
    // Still listed, and governed by the linked CB.
    expect(governedPaths(linked)).toEqual([MAX_MESSAGE_COUNT, BATCH_TIMEOUT]);
  });

  it('after a link, an unlinked change of a governed path is AUDIT_UNLINKED_GOVERNED_CHANGE naming the paths and the signers; of an ungoverned one, listed only', () => {
    const c1 = withModel(genesis, CB1 as unknown as ChannelModel);
    const restricted = withMaxCount(c1, 5);
    const reopened = withModel(restricted, { version: 2, application: { acls: { '_lifecycle/CheckCommitReadiness': '/Channel/Application/Readers' } } });
    const result = governPrimaryConfigs(blocks([genesis, null], [c1, cb(1, CB1)], [restricted, null], [reopened, null]), cb(0, CB0));
    expect(result[2]).toEqual({
      changes: [{ path: MAX_COUNT, kind: 'modified', before: 0, after: 5, governed: false }],
      governedBy: 1,
      changesComplete: true,
      faults: [],
      notices: [],
    });
    expect(result[3].governedBy).toBe(1);
    expect(result[3].changes).toEqual([{ path: ACL, kind: 'modified', before: '/Channel/Application/Writers', after: '/Channel/Application/Readers', governed: true }]);
    expect(result[3].faults).toEqual([
      {
        code: 'AUDIT_UNLINKED_GOVERNED_CHANGE',
        primaryBlock: 3,
        paths: [ACL],
        reason: `an update without a management link, signed by Org2MSP, Org3MSP, Org4MSP, changed 1 path that CB 1's configuration governs: ${ACL} /Channel/Application/Writers → /Channel/Application/Readers`,
      },
    ]);
  });

  it('before any link, CB 0 governs: an unlinked batch change is a fault naming CB 0', () => {
    const faster = withModel(genesis, { version: 2, orderer: { batchTimeoutMs: 500 } });
    const [, unlinked] = governPrimaryConfigs(blocks([genesis, null], [faster, null]), cb(0, CB0));
    expect(unlinked.governedBy).toBe(0);
    expect(unlinked.faults).toEqual([expect.objectContaining({ code: 'AUDIT_UNLINKED_GOVERNED_CHANGE', paths: [BATCH_TIMEOUT], reason: expect.stringContaining("that CB 0's configuration governs") })]);
    // Without a verified genesis nothing governs: changes listed, unclassified, no fault.
    const [, ungoverned] = governPrimaryConfigs(blocks([genesis, null], [faster, null]), undefined);
    expect(ungoverned).toMatchObject({ governedBy: null, faults: [], changes: [{ path: BATCH_TIMEOUT, governed: false }] });
  });

  it('a malformed link is neither governed by its claim nor an unlinked change (its own fault says so)', () => {
    const faster = withModel(genesis, { version: 2, orderer: { batchTimeoutMs: 500 } });
    const input = blocks([genesis, null], [faster, null]);
    const malformed = [input[0], { ...input[1], record: { ...input[1].record, linkError: "invalid management link 'mgmt-cb:x'" } }];
    expect(governPrimaryConfigs(malformed, cb(0, CB0))[1]).toMatchObject({ governedBy: 0, faults: [], changes: [{ path: BATCH_TIMEOUT, governed: true }] });
  });

  it('a linked CB whose configuration the channel cannot take is a fault, not an exception', () => {
    const bad = cb(1, { version: 2, orderer: { batchSize: { maxMessageCount: 0 } } });
    const [, linked] = governPrimaryConfigs(blocks([genesis, null], [genesis, bad]), cb(0, CB0));
    expect(linked.faults).toEqual([{ code: 'AUDIT_BATCH_MISMATCH', height: 1, primaryBlock: 1, reason: expect.stringMatching(/^CB 1's configuration cannot be put in force: .*maxMessageCount/) }]);
  });
});

describe('governPrimaryConfigs on a chain of the two values of older chains', () => {
  const OLD0: JsonObject = { batchTimeoutMs: 2000, maxMessageCount: 10 };
  const OLD1: JsonObject = { batchTimeoutMs: 250, maxMessageCount: 20 };

  it('governs BatchTimeout and MaxMessageCount only: a policy changed with them, or alone, is listed and no fault', () => {
    const both = withModel(genesis, { version: 2, orderer: { batchTimeoutMs: 250, batchSize: { maxMessageCount: 20 } }, application: { policies: { Endorsement: { type: 'Signature', rule: PEERS } } } });
    const policy = withModel(both, { version: 2, application: { policies: { Endorsement: { type: 'ImplicitMeta', rule: 'ANY Endorsement' } } } });
    const result = governPrimaryConfigs(blocks([genesis, null], [both, cb(1, OLD1)], [policy, null]), cb(0, OLD0));
    expect(result.flatMap((g) => g.faults)).toEqual([]);
    expect(governedPaths(result[1])).toEqual([MAX_MESSAGE_COUNT, BATCH_TIMEOUT]);
    expect(ungovernedPaths(result[1])).toEqual([ENDORSEMENT]);
    expect(result[2]).toMatchObject({ governedBy: 1, changes: [{ path: ENDORSEMENT, governed: false }] });
  });

  it('an unlinked batch change is a fault; a linked one must equal its CB', () => {
    const c1 = withModel(genesis, { version: 2, orderer: { batchTimeoutMs: 250, batchSize: { maxMessageCount: 20 } } });
    const drift = withModel(c1, { version: 2, orderer: { batchSize: { maxMessageCount: 30 } } });
    const result = governPrimaryConfigs(blocks([genesis, null], [c1, cb(1, OLD1)], [drift, null], [drift, cb(2, OLD1)]), cb(0, OLD0));
    expect(result[2].faults).toEqual([expect.objectContaining({ code: 'AUDIT_UNLINKED_GOVERNED_CHANGE', paths: [MAX_MESSAGE_COUNT] })]);
    expect(result[3].faults).toEqual([expect.objectContaining({ code: 'AUDIT_BATCH_MISMATCH', height: 2, paths: [MAX_MESSAGE_COUNT], reason: expect.stringContaining(`${MAX_MESSAGE_COUNT} is 30, CB 2 wants 20`) })]);
  });

  it('without configs (version 1 evidence), compares the records\' batch values: the same faults, changes marked incomplete', () => {
    const c1 = withModel(genesis, { version: 2, orderer: { batchTimeoutMs: 250, batchSize: { maxMessageCount: 20 } } });
    const drift = withModel(c1, { version: 2, orderer: { batchSize: { maxMessageCount: 30 } }, application: { policies: { Endorsement: { type: 'Signature', rule: PEERS } } } });
    const withoutConfigs = blocks([genesis, null], [c1, cb(1, OLD1)], [drift, null], [drift, cb(2, OLD1)]).map((b) => ({ ...b, config: undefined }));
    const result = governPrimaryConfigs(withoutConfigs, cb(0, OLD0));
    expect(result.map((g) => g.changesComplete)).toEqual([true, false, false, false]);
    // The policy change is invisible in the records: only batch values are compared.
    expect(result[1].changes).toEqual([
      { path: BATCH_TIMEOUT, kind: 'modified', before: '2s', after: '250ms', governed: true },
      { path: MAX_MESSAGE_COUNT, kind: 'modified', before: 10, after: 20, governed: true },
    ]);
    expect(result[2].faults.map((f) => [f.code, f.paths])).toEqual([['AUDIT_UNLINKED_GOVERNED_CHANGE', [MAX_MESSAGE_COUNT]]]);
    expect(result[3].faults.map((f) => [f.code, f.paths])).toEqual([['AUDIT_BATCH_MISMATCH', [MAX_MESSAGE_COUNT]]]);
  });

  it('on a SmartBFT channel the block interval is RequestBatchMaxInterval: BatchTimeout is not governed', () => {
    const base = testChannelProfile(orgs, { ordererType: 'BFT' });
    const bft = configOf({
      ...base,
      orgs: base.orgs.map((org, i) => ({
        ...org,
        consenter: { host: `orderer${i}.example.com`, port: 7050, clientTlsCert: orgs[i].orderer.tlsCertPem, serverTlsCert: orgs[i].orderer.tlsCertPem, identityCert: orgs[i].orderer.signCertPem },
      })),
    });
    const timeout = withModel(bft, { version: 2, orderer: { batchTimeoutMs: 700 } });
    const interval = withModel(timeout, { version: 2, orderer: { smartbft: { requestBatchMaxIntervalMs: 700 } } });
    const result = governPrimaryConfigs(blocks([bft, null], [timeout, null], [interval, null]), cb(0, OLD0));
    expect(result[1]).toMatchObject({ faults: [], changes: [{ path: BATCH_TIMEOUT, governed: false }] });
    expect(result[2].faults).toEqual([expect.objectContaining({ code: 'AUDIT_UNLINKED_GOVERNED_CHANGE', paths: ['Channel/Orderer/ConsensusType/Options/RequestBatchMaxInterval'] })]);
  });
});

describe('valueText', () => {
  it('prints strings as they are and the rest as JSON, whole or compact', () => {
    const hashes = [`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`];
    expect(valueText('MAJORITY Admins')).toBe('MAJORITY Admins');
    expect(valueText('')).toBe('""');
    expect(valueText(undefined)).toBe('(none)');
    expect(valueText(hashes)).toBe(JSON.stringify(hashes));
    expect(valueText(hashes, 60)).toBe('["sha256:aaaaaaaaaaaa…","sha256:bbbbbbbbbbbb…"]');
    expect(valueText('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(changeText({ after: 5 })).toBe('(none) → 5');
  });
});
