/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `_lifecycle`'s state in Fabric's layout: the keys and the StateMetadata / StateData bytes a
 * Fabric peer writes (serializer.go), unchanged fields not written again, and approvals compared
 * by hashes only.
 */
import { describe, expect, it } from '@jest/globals';
import { peer } from '@hyperledger/fabric-protos';
import { sha256 } from '../privdata/rwset';
import { withDefaults } from './definitions';
import type { DefinitionParams } from './definitions';
import { approvalMismatches, readApproval, readDefinition, readSequence, writeApproval, writeDefinition } from './stateLayout';
import type { KeyState } from './stateLayout';

const def: DefinitionParams = withDefaults({
  name: 'basic', sequence: 2, version: '1.0', endorsementPlugin: '', validationPlugin: '',
  validationParameter: new Uint8Array(), initRequired: true, collections: new Uint8Array(),
});

/** A key space in memory that records each transaction's writes. */
class MemoryState implements KeyState {
  readonly committed = new Map<string, Uint8Array>();
  writes = new Map<string, Uint8Array | undefined>();
  get(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.committed.get(key));
  }
  put(key: string, value: Uint8Array): void {
    this.writes.set(key, value);
  }
  del(key: string): void {
    this.writes.set(key, undefined);
  }
  commit(): string[] {
    const keys = [...this.writes.keys()].sort();
    for (const [k, v] of this.writes) {
      if (v === undefined) this.committed.delete(k);
      else this.committed.set(k, v);
    }
    this.writes = new Map();
    return keys;
  }
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');
const text = (s: string): string => Buffer.from(s).toString('hex');
const lengthPrefixed = (s: string): string => `${s.length.toString(16).padStart(2, '0')}${text(s)}`;

describe('_lifecycle state layout', () => {
  it("writes a definition as Fabric's ChaincodeDefinition: metadata and four fields, byte for byte", async () => {
    const state = new MemoryState();
    await writeDefinition(state, def);
    expect(state.commit()).toEqual(['namespaces/fields/basic/Collections', 'namespaces/fields/basic/EndorsementInfo', 'namespaces/fields/basic/Sequence', 'namespaces/fields/basic/ValidationInfo', 'namespaces/metadata/basic']);
    // StateMetadata{datatype: 1, fields: 2} and StateData{int64: 1 | bytes: 2}, as Go's proto.Marshal writes them.
    const fields = ['Sequence', 'EndorsementInfo', 'ValidationInfo', 'Collections'];
    expect(hex(state.committed.get('namespaces/metadata/basic'))).toBe(`0a${lengthPrefixed('ChaincodeDefinition')}${fields.map((f) => `12${lengthPrefixed(f)}`).join('')}`);
    expect(hex(state.committed.get('namespaces/fields/basic/Sequence'))).toBe('0802');
    expect(hex(state.committed.get('namespaces/fields/basic/Collections'))).toBe('1200');
    // ChaincodeEndorsementInfo{version: 1, init_required: 2, endorsement_plugin: 3} in a bytes StateData.
    const info = `0a${lengthPrefixed('1.0')}1001` + `1a${lengthPrefixed('escc')}`;
    expect(hex(state.committed.get('namespaces/fields/basic/EndorsementInfo'))).toBe(`12${(info.length / 2).toString(16).padStart(2, '0')}${info}`);
    expect(await readDefinition(state, 'basic')).toEqual({ ...def, validationParameter: expect.anything(), collections: expect.anything() });
    expect(Buffer.from((await readDefinition(state, 'basic'))?.validationParameter ?? []).equals(Buffer.from(def.validationParameter))).toBe(true);
    expect(await readSequence(state, 'basic')).toBe(2);
    expect(await readSequence(state, 'other')).toBe(0);
    expect(await readDefinition(state, 'other')).toBeUndefined();
  });

  it('writes only the fields that changed, as Fabric does', async () => {
    const state = new MemoryState();
    await writeDefinition(state, def);
    state.commit();
    await writeDefinition(state, { ...def, sequence: 3 });
    expect(state.commit()).toEqual(['namespaces/fields/basic/Sequence']);
    await writeApproval(state, def, 'basic_1:aa');
    state.commit();
    await writeApproval(state, def, 'basic_1:bb');
    expect(state.commit()).toEqual(['chaincode-sources/fields/basic#2/PackageID']);
    expect((await readApproval(state, 'basic', 2))?.packageId).toBe('basic_1:bb');
    expect(await readApproval(state, 'basic', 3)).toBeUndefined();
  });

  it("compares an organisation's approval with a definition by hashes, naming Fabric's mismatches", async () => {
    const state = new MemoryState();
    await writeApproval(state, def, '');
    state.commit();
    const hashes = { hash: (key: string): Promise<Uint8Array | undefined> => Promise.resolve(state.committed.has(key) ? sha256(state.committed.get(key) ?? new Uint8Array()) : undefined) };
    expect(await approvalMismatches(hashes, def)).toEqual([]);
    expect(await approvalMismatches(hashes, { ...def, version: '2.0' })).toEqual(['EndorsementInfo']);
    const collections = new peer.CollectionConfigPackage();
    collections.addConfig(new peer.CollectionConfig());
    expect(await approvalMismatches(hashes, { ...def, collections: collections.serializeBinary() })).toEqual(['Collections']);
    expect(await approvalMismatches(hashes, { ...def, sequence: 3 })).toEqual(['ChaincodeParameters']);
    expect((await readApproval(state, 'basic', 2))?.packageId).toBe('');
  });
});
