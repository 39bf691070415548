/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each peer's transient store: copies per organisation, gone once their block commits or after the retention.
 */
import { describe, expect, it } from '@jest/globals';
import { ledger } from '@hyperledger/fabric-protos';
import { TransientStore } from './transientStore';

function pvt(namespace: string): ledger.rwset.TxPvtReadWriteSet {
  const ns = new ledger.rwset.NsPvtReadWriteSet();
  ns.setNamespace(namespace);
  const tx = new ledger.rwset.TxPvtReadWriteSet();
  tx.setNsPvtRwsetList([ns]);
  return tx;
}

describe('TransientStore', () => {
  it("keeps one copy per endorsing peer's organisation, by channel and txid", () => {
    const store = new TransientStore();
    store.put('primary', 'tx1', 'Org1MSP', pvt('a'), 5);
    store.put('primary', 'tx1', 'Org2MSP', pvt('b'), 5);
    store.put('mgmt', 'tx1', 'Org1MSP', pvt('c'), 5);
    expect(store.get('primary', 'tx1').map((t) => t.getNsPvtRwsetList()[0].getNamespace()).sort()).toEqual(['a', 'b']);
    expect(store.get('primary', 'tx2')).toEqual([]);
  });

  it("drops a block's transactions when it commits, and others once the retention has passed", () => {
    const store = new TransientStore(10);
    store.put('primary', 'committed', 'Org1MSP', pvt('a'), 5);
    store.put('primary', 'pending', 'Org1MSP', pvt('a'), 5);
    store.put('mgmt', 'other-channel', 'Org1MSP', pvt('a'), 5);
    store.purge('primary', ['committed'], 6);
    expect(store.get('primary', 'committed')).toEqual([]);
    expect(store.get('primary', 'pending')).toHaveLength(1);
    store.purge('primary', [], 14);
    expect(store.get('primary', 'pending')).toHaveLength(1);
    store.purge('primary', [], 15);
    expect(store.get('primary', 'pending')).toEqual([]);
    expect(store.get('mgmt', 'other-channel')).toHaveLength(1);
  });
});
