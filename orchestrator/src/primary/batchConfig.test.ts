/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * C^prim to the channel's batch parameters, and the update every member computes: same bytes
 * from the same config, authorised as the orderer decides it by a majority of admin signatures.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, orderer } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import { buildConfigUpdateEnvelope, buildGenesisBlock, readBatchParams, readConfigBlock, readMsps, signConfigUpdate } from 'fabric-config/configtx';
import { MspRegistry, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { acceptConfigUpdate, generateTestOrgs, testChannelProfile } from 'fabric-config/testing';
import { batchChangeOf, batchMatches, batchUpdate } from './batchConfig';
import { managementLinkTxId, readManagementLink } from './managementLink';

let root: string;
let orgs: OrgCrypto[];
let genesisBytes: Uint8Array;

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('primary-batch', 4));
  genesisBytes = buildGenesisBlock(testChannelProfile(orgs, { batchTimeout: '100ms' })).serializeBinary();
});

afterAll(() => { rmSync(root, { recursive: true, force: true }); });

/** The config as one member reads it: its own decode of the block bytes. */
function memberView(): common.Config {
  return readConfigBlock(common.Block.deserializeBinary(genesisBytes)).config;
}

function admin(i: number): SigningIdentity {
  const org = orgs[i];
  return new SigningIdentity(org.mspId, org.admin.certPem, org.admin.privateKeyPem);
}

function submit(config: common.Config, update: Uint8Array, signers: number[]): ReturnType<typeof acceptConfigUpdate> {
  const envelope = buildConfigUpdateEnvelope(
    'primary',
    update,
    signers.map((i) => signConfigUpdate(update, admin(i))),
    admin(signers[0]),
    { txId: managementLinkTxId({ height: 4, hash: 'ab'.repeat(32) }) },
  );
  expect(readManagementLink(envelope)).toEqual({ height: 4, hash: 'ab'.repeat(32) });
  return acceptConfigUpdate('primary', config, envelope, new MspRegistry(readMsps(config)));
}

describe('batchChangeOf', () => {
  it('maps batchTimeoutMs to a Go duration and maxMessageCount to BatchSize', () => {
    expect(batchChangeOf({ batchTimeoutMs: 1500, maxMessageCount: 3 })).toEqual({ batchTimeout: '1.5s', maxMessageCount: 3 });
    expect(batchChangeOf({ batchTimeoutMs: 250, maxMessageCount: 40 })).toEqual({ batchTimeout: '250ms', maxMessageCount: 40 });
  });

  it.each([
    [{ batchTimeoutMs: 0, maxMessageCount: 3 }, /batchTimeoutMs/],
    [{ batchTimeoutMs: 1.5, maxMessageCount: 3 }, /batchTimeoutMs/],
    [{ batchTimeoutMs: 100 }, /maxMessageCount/],
    [{ batchTimeoutMs: 100, maxMessageCount: '3' }, /maxMessageCount/],
  ])('refuses %j', (config, message) => {
    expect(() => batchChangeOf(config)).toThrow(message);
    expect(() => batchChangeOf(config)).toThrow(/PRIMARY_BAD_CONFIG/);
  });

  it('compares timeouts by value', () => {
    const current = readBatchParams(memberView());
    expect(batchMatches(current, { batchTimeout: '100ms', maxMessageCount: 10 })).toBe(true);
    expect(batchMatches(current, { batchTimeout: '0.1s', maxMessageCount: 10 })).toBe(true);
    expect(batchMatches(current, { batchTimeout: '100ms', maxMessageCount: 11 })).toBe(false);
  });
});

describe('batchUpdate', () => {
  it('gives every member the same bytes from the same config', () => {
    const change = batchChangeOf({ batchTimeoutMs: 700, maxMessageCount: 4 });
    const a = batchUpdate('primary', memberView(), change).serializeBinary();
    const b = batchUpdate('primary', memberView(), change).serializeBinary();
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('is accepted with 3 of 4 admin signatures and refused with 2', () => {
    const config = memberView();
    const update = batchUpdate('primary', config, batchChangeOf({ batchTimeoutMs: 700, maxMessageCount: 4 })).serializeBinary();
    const applied = submit(config, update, [0, 1, 3]);
    expect(readBatchParams(applied.config)).toMatchObject({ batchTimeout: '700ms', batchSize: { maxMessageCount: 4 } });
    expect(() => submit(config, update, [0, 1])).toThrow(/policy/);
  });

  it('still yields an update, raising only BatchTimeout\'s version, when the parameters already match', () => {
    const config = memberView();
    const update = batchUpdate('primary', config, batchChangeOf({ batchTimeoutMs: 100, maxMessageCount: 10 }));
    const applied = submit(config, update.serializeBinary(), [1, 2, 3]);
    expect(applied.changedKeys).toEqual(['[Value]  /Channel/Orderer/BatchTimeout']);
    expect(applied.config.getSequence()).toBe(config.getSequence() + 1);
    expect(readBatchParams(applied.config)).toEqual(readBatchParams(config));
    const timeout = (c: common.Config): common.ConfigValue => c.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!;
    expect(timeout(applied.config).getVersion()).toBe(timeout(config).getVersion() + 1);
    expect(orderer.BatchTimeout.deserializeBinary(timeout(applied.config).getValue_asU8()).getTimeout()).toBe('100ms');
  });
});
