/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * ShareUpdateSignature and GetUpdateSignatures: member admins' signatures of the primary channel
 * update that puts a configuration block in force, pooled on the management chain. The updates
 * and signatures are built with @hyperledger/fabric-protos, as the orchestrator builds them, so
 * the contract's minimal wire parser is checked against the real encoder.
 */

import './testing/quietLogs';

import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { common } from '@hyperledger/fabric-protos';

import type { ConfigBlock, MgmtErrorCode, UpdateSignature } from './protocol';
import { parseConfigSignature, parseConfigUpdate, updateSha256 } from './protocol';
import { ContractHarness, T0 } from './testing/harness';
import { createTestConsortium, createTestOrg } from './testing/pki';
import type { TestIdentity, TestOrg } from './testing/pki';
import { b64, configSignature, configUpdate, shareArgs } from './testing/updateSignatures';

let orgs: TestOrg[];
let impostor: TestOrg;
let h: ContractHarness;
let genesis: ConfigBlock;

const T1 = T0 + 60_000;

beforeAll(async () => {
  orgs = await createTestConsortium();
  // Claims Org1MSP with a CA that is not in the genesis params.
  impostor = await createTestOrg('Org1MSP');
});

beforeEach(async () => {
  h = ContractHarness.fromOrgs(orgs);
  genesis = await h.sealGenesis(T0);
});

async function refused(promise: Promise<unknown>, code: MgmtErrorCode, message?: RegExp): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'MgmtError', code });
  if (message !== undefined) {
    await expect(promise).rejects.toThrow(message);
  }
}

describe('wire parsing', () => {
  it('reads the channel of a ConfigUpdate and the creator of a ConfigSignature built with fabric-protos', () => {
    const update = configUpdate('2s', 'primary');
    expect(parseConfigUpdate(update)).toEqual({ channelId: 'primary' });
    const parts = parseConfigSignature(configSignature(update, orgs[1].admin));
    expect(parts).toMatchObject({ creatorMspId: 'Org2MSP', creatorCertificate: orgs[1].admin.certificate });
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['empty bytes', new Uint8Array(0), /1 to 65536 bytes/],
    ['a truncated field', Uint8Array.from([0x0a, 0x05, 0x61]), /claims 5 bytes/],
    ['a field ConfigUpdate does not have', Uint8Array.from([0x20, 0x01]), /field 4/],
    ['no channel', (() => {
      const u = common.ConfigUpdate.deserializeBinary(configUpdate());
      u.setChannelId('');
      return u.serializeBinary();
    })(), /no channel_id/],
    ['no write set', (() => {
      const u = common.ConfigUpdate.deserializeBinary(configUpdate());
      u.clearWriteSet();
      return u.serializeBinary();
    })(), /empty write_set/],
    ['a channel that is not UTF-8', Uint8Array.from([0x0a, 0x01, 0xff, 0x1a, 0x02, 0x08, 0x01]), /UTF-8/],
  ])('refuses an update with %s', (_label, bytes, message) => {
    expect(() => parseConfigUpdate(bytes)).toThrow(message);
    expect(() => parseConfigUpdate(bytes)).toThrow(/^MGMT_BAD_UPDATE/);
  });
});

describe('ShareUpdateSignature', () => {
  it('records each member admin signature under its own key and emits UpdateSignatureShared', async () => {
    const update = configUpdate();
    for (const [i, org] of orgs.slice(0, 3).entries()) {
      const record = JSON.parse(await h.submit(org.client, 'ShareUpdateSignature', shareArgs(org, { update }), T0 + 1_000 + i)) as UpdateSignature;
      expect(record).toMatchObject({
        height: 0,
        cbHash: genesis.hash,
        configSequence: 3,
        channelId: 'primary',
        update: b64(update),
        updateSha256: updateSha256(update),
        mspId: org.mspId,
        signer: org.admin.certificate,
      });
      const event = h.ledger.events.at(-1)!;
      expect(event.name).toBe('UpdateSignatureShared');
      expect(JSON.parse(event.payload)).toEqual({ height: 0, configSequence: 3, channelId: 'primary', updateSha256: updateSha256(update), mspId: org.mspId });
    }
    const listed = JSON.parse(await h.evaluate(orgs[3].client, 'GetUpdateSignatures', ['0'], T0 + 2_000)) as UpdateSignature[];
    expect(listed.map((r) => r.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    expect(new Set(listed.map((r) => r.updateSha256)).size).toBe(1);
    expect(JSON.parse(await h.evaluate(orgs[0].client, 'GetUpdateSignatures', ['1'], T0 + 2_000))).toEqual([]);
  });

  it('lets all four members share in the same block: no hot key', async () => {
    const update = configUpdate();
    const endorsed = [];
    for (const org of orgs) {
      const tx = await h.endorse(org.client, 'ShareUpdateSignature', shareArgs(org, { update }), T0 + 1_000);
      expect(tx.error).toBeUndefined();
      endorsed.push(tx);
    }
    expect(h.commit(endorsed)).toEqual(['VALID', 'VALID', 'VALID', 'VALID']);
    const written = endorsed.map((tx) => [...tx.stub.rwset().writes.keys()]);
    expect(written).toEqual(orgs.map((org) => [`\u0000updsig\u00000\u0000primary\u0000${'3'.padStart(16, '0')}\u0000${org.mspId}\u0000`]));
  });

  it('orders a height\'s signatures by config sequence, and accepts a member again at a new sequence', async () => {
    const org = orgs[0];
    await h.submit(org.client, 'ShareUpdateSignature', shareArgs(org, { sequence: '10', update: configUpdate('3s') }), T0 + 1_000);
    await h.submit(org.client, 'ShareUpdateSignature', shareArgs(org, { sequence: '9' }), T0 + 1_001);
    const listed = JSON.parse(await h.evaluate(org.client, 'GetUpdateSignatures', ['0'], T0 + 2_000)) as UpdateSignature[];
    expect(listed.map((r) => r.configSequence)).toEqual([9, 10]);
  });

  it('is accepted when submitted by the member\'s admin itself', async () => {
    const org = orgs[2];
    await expect(h.submit(org.admin, 'ShareUpdateSignature', shareArgs(org), T0 + 1_000)).resolves.toContain('"mspId":"Org3MSP"');
  });

  it.each<[string, () => { org: TestOrg; args: string[]; caller?: TestIdentity }, MgmtErrorCode, RegExp]>([
    ['a block that is not sealed', () => ({ org: orgs[0], args: shareArgs(orgs[0], { height: '1' }) }), 'MGMT_NOT_FOUND', /height 1/],
    ['a malformed height', () => ({ org: orgs[0], args: shareArgs(orgs[0], { height: '01' }) }), 'MGMT_BAD_ARGUMENT', /height/],
    ['a malformed sequence', () => ({ org: orgs[0], args: shareArgs(orgs[0], { sequence: '-1' }) }), 'MGMT_BAD_ARGUMENT', /configSequence/],
    ['an update that is not base64', () => ({ org: orgs[0], args: ['0', '3', 'not base64!', shareArgs(orgs[0])[3]] }), 'MGMT_BAD_ARGUMENT', /update/],
    ['an update that is not a ConfigUpdate', () => {
      const garbage = Uint8Array.from([0x22, 0x00]);
      return { org: orgs[0], args: shareArgs(orgs[0], { update: garbage }) };
    }, 'MGMT_BAD_UPDATE', /field 4/],
    ['a signature by a client, not an admin', () => ({ org: orgs[0], args: shareArgs(orgs[0], { signer: orgs[0].client }) }), 'MGMT_BAD_CERTIFICATE', /not an admin/],
    ['another member\'s admin signature', () => ({ org: orgs[0], args: shareArgs(orgs[1]), caller: orgs[0].client }), 'MGMT_BAD_SIGNATURE', /Org2MSP identity/],
    ['an admin certificate from a CA outside the genesis params', () => ({ org: orgs[0], args: shareArgs(impostor) }), 'MGMT_BAD_CERTIFICATE', /not issued by the Org1MSP CA/],
    ['a signature over other bytes', () => ({ org: orgs[0], args: shareArgs(orgs[0], { signedBytes: configUpdate('9s') }) }), 'MGMT_BAD_SIGNATURE', /does not verify/],
    ['a high-S signature', () => ({ org: orgs[0], args: shareArgs(orgs[0], { highS: true }) }), 'MGMT_BAD_SIGNATURE', /high S/],
    ['a signature that is not a ConfigSignature', () => ({ org: orgs[0], args: ['0', '3', b64(configUpdate()), b64(Uint8Array.from([0x0a, 0x09]))] }), 'MGMT_BAD_SIGNATURE', /configSignature/],
  ])('refuses %s', async (_label, input, code, message) => {
    const { org, args, caller } = input();
    await refused(h.submit(caller ?? org.client, 'ShareUpdateSignature', args, T0 + 1_000), code, message);
  });

  it('refuses a second signature of the same member for the same height and sequence', async () => {
    const org = orgs[1];
    await h.submit(org.client, 'ShareUpdateSignature', shareArgs(org), T0 + 1_000);
    await refused(h.submit(org.client, 'ShareUpdateSignature', shareArgs(org), T0 + 1_001), 'MGMT_DUPLICATE_SIGNATURE', /Org2MSP already shared/);
  });

  it('refuses before genesis is sealed', async () => {
    const fresh = ContractHarness.fromOrgs(orgs);
    await refused(fresh.submit(orgs[0].client, 'ShareUpdateSignature', shareArgs(orgs[0]), T1), 'MGMT_NOT_INITIALISED');
  });
});
