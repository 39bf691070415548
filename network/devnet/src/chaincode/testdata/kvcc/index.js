/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A plain-JavaScript contract (no decorators, so every method is a string-argument transaction)
 * that exercises each shim -> peer request kind the devnet runtime serves. fabric-contract-api and
 * fabric-shim resolve from the repository root's node_modules by normal Node resolution.
 */
'use strict';

const { Contract } = require('fabric-contract-api');

/** Drains a shim iterator into plain objects; closing happens in the shim when it reports done. */
async function drain(iterator, map) {
  const out = [];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    out.push(map(next.value));
  }
  await iterator.close();
  return out;
}

const kv = (r) => ({ key: r.key, value: Buffer.from(r.value).toString('utf8') });

class KvContract extends Contract {
  async put(ctx, key, value) {
    await ctx.stub.putState(key, Buffer.from(value, 'utf8'));
    return key;
  }

  async get(ctx, key) {
    const value = await ctx.stub.getState(key);
    return Buffer.from(value).toString('utf8');
  }

  async del(ctx, key) {
    await ctx.stub.deleteState(key);
    return key;
  }

  async range(ctx, startKey, endKey) {
    const rows = await drain(await ctx.stub.getStateByRange(startKey, endKey), kv);
    return JSON.stringify(rows);
  }

  async rangePage(ctx, startKey, endKey, pageSize, bookmark) {
    const { iterator, metadata } = await ctx.stub.getStateByRangeWithPagination(startKey, endKey, Number(pageSize), bookmark);
    const rows = await drain(iterator, kv);
    return JSON.stringify({ rows, bookmark: metadata.bookmark, fetched: metadata.fetchedRecordsCount });
  }

  async putComposite(ctx, objectType, a, b, value) {
    const key = ctx.stub.createCompositeKey(objectType, [a, b]);
    await ctx.stub.putState(key, Buffer.from(value, 'utf8'));
    return key;
  }

  async partial(ctx, objectType, a) {
    const rows = await drain(await ctx.stub.getStateByPartialCompositeKey(objectType, [a]), (r) => {
      const { attributes } = ctx.stub.splitCompositeKey(r.key);
      return { attributes, value: Buffer.from(r.value).toString('utf8') };
    });
    return JSON.stringify(rows);
  }

  async history(ctx, key) {
    const rows = await drain(await ctx.stub.getHistoryForKey(key), (m) => ({
      txId: m.txId,
      value: Buffer.from(m.value).toString('utf8'),
      isDelete: m.isDelete,
      seconds: Number(m.timestamp.seconds),
      nanos: m.timestamp.nanos,
    }));
    return JSON.stringify(rows);
  }

  async emit(ctx, name, payload) {
    ctx.stub.setEvent(name, Buffer.from(payload, 'utf8'));
    return 'emitted';
  }

  async whoami(ctx) {
    return JSON.stringify({
      clientMspId: ctx.clientIdentity.getMSPID(),
      clientId: ctx.clientIdentity.getID(),
      peerMspId: ctx.stub.getMspID(),
      txId: ctx.stub.getTxID(),
      channelId: ctx.stub.getChannelID(),
    });
  }

  async txTimestamp(ctx) {
    const ts = ctx.stub.getTxTimestamp();
    return JSON.stringify({ seconds: Number(ts.seconds), nanos: ts.nanos });
  }

  async transient(ctx, key) {
    const value = ctx.stub.getTransient().get(key);
    return value === undefined ? '' : Buffer.from(value).toString('utf8');
  }

  async fail(ctx, message) {
    throw new Error(message);
  }

  async richQuery(ctx, query) {
    return JSON.stringify(await drain(await ctx.stub.getQueryResult(query), kv));
  }

  async privateGet(ctx, collection, key) {
    return Buffer.from(await ctx.stub.getPrivateData(collection, key)).toString('utf8');
  }

  async privatePut(ctx, collection, key, value) {
    await ctx.stub.putPrivateData(collection, key, Buffer.from(value, 'utf8'));
    return key;
  }

  async privateDel(ctx, collection, key) {
    await ctx.stub.deletePrivateData(collection, key);
    return key;
  }

  async privatePurge(ctx, collection, key) {
    await ctx.stub.purgePrivateData(collection, key);
    return key;
  }

  async privateHash(ctx, collection, key) {
    return Buffer.from(await ctx.stub.getPrivateDataHash(collection, key)).toString('hex');
  }

  async privateRange(ctx, collection, startKey, endKey) {
    // fabric-shim resolves this one to { iterator } (getStateByRange unwraps it, this does not).
    const result = await ctx.stub.getPrivateDataByRange(collection, startKey, endKey);
    return JSON.stringify(await drain(result.iterator ?? result, kv));
  }

  async privateSetEndorsers(ctx, collection, key, policy) {
    await ctx.stub.setPrivateDataValidationParameter(collection, key, Buffer.from(policy, 'utf8'));
    return key;
  }

  async privateGetEndorsers(ctx, collection, key) {
    return Buffer.from(await ctx.stub.getPrivateDataValidationParameter(collection, key)).toString('utf8');
  }

  async callOther(ctx, name) {
    const response = await ctx.stub.invokeChaincode(name, ['get', 'k'], ctx.stub.getChannelID());
    return String(response.status);
  }

  async setEndorsers(ctx, key, policy) {
    await ctx.stub.setStateValidationParameter(key, Buffer.from(policy, 'utf8'));
    return key;
  }

  async getEndorsers(ctx, key) {
    return Buffer.from(await ctx.stub.getStateValidationParameter(key)).toString('utf8');
  }

  /** Several reads issued at once: the shim queues them per transaction and the peer answers each in turn. */
  async getMany(ctx, ...keys) {
    const values = await Promise.all(keys.map((k) => ctx.stub.getState(k)));
    return JSON.stringify(values.map((v) => Buffer.from(v).toString('utf8')));
  }

  async sleep(ctx, ms) {
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return 'slept';
  }
}

module.exports.contracts = [KvContract];
