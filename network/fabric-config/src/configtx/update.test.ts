import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, orderer } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import type { OrgCrypto } from '../msp';
import { withBatch } from '../testing/configEdits';
import { generateTestOrgs, testChannelProfile } from '../testing/orgs';
import { readConfigBlock } from './decode';
import { buildGenesisBlock } from './genesis';
import type { ChannelProfile } from './profile';
import { computeUpdate } from './update';

let root: string;
let orgs: OrgCrypto[];
let genesis: common.Config;

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('configtx-update', 4));
  genesis = readConfigBlock(buildGenesisBlock(profile())).config;
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function profile(): ChannelProfile {
  return testChannelProfile(orgs);
}

function ordererGroup(config: common.Config): common.ConfigGroup {
  return config.getChannelGroup()!.getGroupsMap().get('Orderer')!;
}

describe('computeUpdate', () => {
  it('pins Channel and Orderer at their versions and writes BatchTimeout at version + 1', () => {
    const configUpdate = computeUpdate('primary', genesis, withBatch(genesis, { timeout: '500ms' }));
    expect(configUpdate.getChannelId()).toBe('primary');
    expect(configUpdate.toObject()).toMatchObject({
      readSet: { version: 0, modPolicy: '', valuesMap: [], policiesMap: [], groupsMap: [['Orderer', { version: 0, modPolicy: '', valuesMap: [], policiesMap: [], groupsMap: [] }]] },
      writeSet: {
        version: 0,
        modPolicy: '',
        valuesMap: [],
        policiesMap: [],
        groupsMap: [['Orderer', { version: 0, modPolicy: '', policiesMap: [], groupsMap: [], valuesMap: [['BatchTimeout', { version: 1, modPolicy: 'Admins' }]] }]],
      },
    });
    const written = configUpdate.getWriteSet()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!;
    expect(orderer.BatchTimeout.deserializeBinary(written.getValue_asU8()).getTimeout()).toBe('500ms');
  });

  it('lists every kept member when a group loses one', () => {
    const updated = genesis.cloneMessage();
    ordererGroup(updated).getValuesMap().del('ChannelRestrictions');
    const configUpdate = computeUpdate('primary', genesis, updated);
    const write = configUpdate.getWriteSet()!.getGroupsMap().get('Orderer')!;
    expect(write.getVersion()).toBe(1);
    expect(write.getModPolicy()).toBe('Admins');
    expect([...write.getValuesMap().keys()].sort()).toEqual(['BatchSize', 'BatchTimeout', 'Capabilities', 'ConsensusType']);
    expect(write.getValuesMap().get('BatchSize')!.getValue_asU8()).toHaveLength(0);
    expect([...write.getGroupsMap().keys()]).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    const read = configUpdate.getReadSet()!.getGroupsMap().get('Orderer')!;
    expect(read.getVersion()).toBe(0);
    expect([...read.getValuesMap().keys()].sort()).toEqual(['BatchSize', 'BatchTimeout', 'Capabilities', 'ConsensusType']);
  });

  it('refuses identical configs', () => {
    expect(() => computeUpdate('primary', genesis, genesis.cloneMessage())).toThrow(
      expect.objectContaining({ code: 'CONFIGTX_BAD_CONFIG', message: 'no differences detected between original and updated config' }),
    );
  });
});
