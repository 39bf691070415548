/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The pieces of `mgmt propose` below the command: JSON Patch checks and application, the change
 * list, and the checks against the genesis schema, the channel model and a real channel config.
 * The command itself (editor, exit codes, output) is tested in ../program.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common } from '@hyperledger/fabric-protos';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { buildGenesisBlock, readConfigBlock } from 'fabric-config/configtx';
import { generateTestOrgs, testChannelProfile } from 'fabric-config/testing';
import type { JsonObject, JsonValue } from 'mgmt-chaincode/dist/protocol';
import { CliError, UsageError } from '../errors';
import { configChanges, formatChange } from './changes';
import { checkConfiguration } from './checks';
import type { ProposalChecks } from './checks';
import { editorFromEnv } from './edit';
import { applyConfigPatch, parsePatch } from './patch';

const SCHEMA = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'schemas', 'channel-config.schema.json'), 'utf8')) as JsonObject;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const CONFIG: JsonObject = deepFreeze({
  version: 2,
  orderer: { batchTimeoutMs: 2000, batchSize: { maxMessageCount: 10 } },
  application: {
    policies: { Endorsement: { type: 'Signature', rule: "OutOf(1, 'Org1MSP.peer', 'Org2MSP.peer')" } },
    anchorPeers: { Org1MSP: [{ host: 'peer0.org1.example.com', port: 7051 }] },
  },
});

const patched = (patch: JsonValue): JsonValue => applyConfigPatch(CONFIG, parsePatch(patch, 'p.json'));

/** The error `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('JSON Patch of the configuration in force', () => {
  it('applies every RFC 6902 operation without touching the configuration it was given', () => {
    const result = patched([
      { op: 'test', path: '/orderer/batchTimeoutMs', value: 2000 },
      { op: 'replace', path: '/orderer/batchTimeoutMs', value: 500 },
      { op: 'add', path: '/orderer/batchSize/preferredMaxBytes', value: 524288 },
      { op: 'add', path: '/application/anchorPeers/Org1MSP/-', value: { host: 'peer1.org1.example.com', port: 7051 } },
      { op: 'copy', from: '/application/anchorPeers/Org1MSP', path: '/application/anchorPeers/Org2MSP' },
      { op: 'remove', path: '/application/anchorPeers/Org2MSP/0' },
      { op: 'move', from: '/application/anchorPeers/Org2MSP', path: '/application/anchorPeers/Org3MSP' },
    ]);
    expect(result).toEqual({
      version: 2,
      orderer: { batchTimeoutMs: 500, batchSize: { maxMessageCount: 10, preferredMaxBytes: 524288 } },
      application: {
        policies: { Endorsement: { type: 'Signature', rule: "OutOf(1, 'Org1MSP.peer', 'Org2MSP.peer')" } },
        anchorPeers: {
          Org1MSP: [{ host: 'peer0.org1.example.com', port: 7051 }, { host: 'peer1.org1.example.com', port: 7051 }],
          Org3MSP: [{ host: 'peer1.org1.example.com', port: 7051 }],
        },
      },
    });
    // CONFIG is deeply frozen: an in-place change would have thrown above; it still reads as before.
    expect((CONFIG.orderer as JsonObject).batchTimeoutMs).toBe(2000);
  });

  it('leaves the patch document as it was, even when a later operation changes a value it inserted', () => {
    const operations = parsePatch([
      { op: 'add', path: '/channel', value: { capabilities: ['V2_0'] } },
      { op: 'add', path: '/channel/capabilities/-', value: 'V3_0' },
    ], 'p.json');
    expect(applyConfigPatch(CONFIG, operations)).toMatchObject({ channel: { capabilities: ['V2_0', 'V3_0'] } });
    expect(operations[0]).toEqual({ op: 'add', path: '/channel', value: { capabilities: ['V2_0'] } });
  });

  it.each([
    [[{ op: 'replace', path: '/orderer/batchTimeoutMs', value: 1 }, { op: 'remove', path: '/orderer/batchSize' }, { op: 'replace', path: '/orderer/batchTimeout', value: 5 }], 'patch operation 2 (replace /orderer/batchTimeout): path does not exist; nothing proposed'],
    [[{ op: 'remove', path: '/channel/policies' }], 'patch operation 0 (remove /channel/policies): path does not exist; nothing proposed'],
    [[{ op: 'add', path: '/channel/policies/Admins', value: { type: 'ImplicitMeta', rule: 'MAJORITY Admins' } }], 'patch operation 0 (add /channel/policies/Admins): the parent of the path does not exist; nothing proposed'],
    [[{ op: 'move', from: '/orderer/etcdraft', path: '/orderer/smartbft' }], 'patch operation 0 (move /orderer/smartbft): from /orderer/etcdraft does not exist; nothing proposed'],
    [[{ op: 'add', path: '/application/anchorPeers/Org1MSP/5', value: { host: 'h', port: 1 } }], 'patch operation 0 (add /application/anchorPeers/Org1MSP/5): the array index is past the end of the array; nothing proposed'],
    [[{ op: 'add', path: '/application/anchorPeers/Org1MSP/first', value: 1 }], 'patch operation 0 (add /application/anchorPeers/Org1MSP/first): the path goes through an array with something other than an index (or - for the end); nothing proposed'],
  ])('names the operation that does not apply: %j', (patch, message) => {
    const err = thrown(() => patched(patch as JsonValue));
    expect(err).toBeInstanceOf(CliError);
    expect(err.message).toBe(message);
  });

  it('says that the configuration is not the expected one when a test operation fails', () => {
    const err = thrown(() => patched([
      { op: 'replace', path: '/orderer/batchSize/maxMessageCount', value: 20 },
      { op: 'test', path: '/orderer/batchTimeoutMs', value: 1000 },
      { op: 'replace', path: '/orderer/batchTimeoutMs', value: 500 },
    ]));
    expect(err).toBeInstanceOf(CliError);
    expect(err.message).toMatch(/^patch operation 1 \(test \/orderer\/batchTimeoutMs\): test failed: the configuration has 2000 there, the patch expects 1000; the configuration in force is not the one the patch was written for/);
    expect(thrown(() => patched([{ op: 'test', path: '/channel', value: {} }])).message).toMatch(/has nothing there, the patch expects \{\}/);
  });

  it.each([
    [{ op: 'replace', path: '/orderer/batchTimeoutMs', value: 1 }, 'the JSON Patch p.json must be an array of operations (RFC 6902)'],
    [[7], 'patch operation 0 must be an object'],
    [[{ op: 'test', path: '', value: CONFIG }, { op: 'frob', path: '/x' }], 'patch operation 1 (frob /x): op must be one of add, remove, replace, move, copy, test'],
    [[{ op: '_get', path: '/x' }], 'patch operation 0 (_get /x): op must be one of'],
    [[{ path: '/x', value: 1 }], 'patch operation 0 (no op /x): op must be one of'],
    [[{ op: 'replace', path: 'orderer/batchTimeoutMs', value: 1 }], 'patch operation 0 (replace orderer/batchTimeoutMs): path must be a JSON Pointer'],
    [[{ op: 'replace', value: 1 }], 'patch operation 0 (replace): path is missing or not a string'],
    [[{ op: 'remove', path: '/a~2b' }], 'patch operation 0 (remove /a~2b): path has a ~ not followed by 0 or 1'],
    [[{ op: 'add', path: '/__proto__/x', value: 1 }], 'patch operation 0 (add /__proto__/x): path names __proto__'],
    [[{ op: 'replace', path: '/orderer/batchTimeoutMs' }], 'patch operation 0 (replace /orderer/batchTimeoutMs): value is missing'],
    [[{ op: 'copy', path: '/x' }], 'patch operation 0 (copy /x): from is missing or not a string'],
    [[{ op: 'move', from: '/orderer', path: '/orderer/batchSize/x' }], 'patch operation 0 (move /orderer/batchSize/x): cannot move /orderer into itself'],
  ])('refuses a malformed patch document as bad usage: %j', (patch, message) => {
    const err = thrown(() => parsePatch(patch as JsonValue, 'p.json'));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message.startsWith(message)).toBe(true);
  });

  it('may replace the whole document, which the checks then refuse if it is not an object', () => {
    expect(patched([{ op: 'replace', path: '', value: [1] }])).toEqual([1]);
  });
});

describe('changes relative to the configuration in force', () => {
  it('lists the values that differ as JSON Pointers, lists as whole values', () => {
    const after = {
      version: 2,
      orderer: { batchTimeoutMs: 500, batchSize: { maxMessageCount: 10 } },
      application: { policies: { Endorsement: { type: 'Signature', rule: "OutOf(1, 'Org1MSP.peer', 'Org2MSP.peer')" } }, anchorPeers: { Org1MSP: [{ port: 7051, host: 'peer0.org1.example.com' }] }, acls: { 'a/b~c': '/Channel/Application/Writers' } },
    };
    const changes = configChanges(CONFIG, after);
    expect(changes).toEqual([
      { path: '/orderer/batchTimeoutMs', before: 2000, after: 500 },
      { path: '/application/acls', after: { 'a/b~c': '/Channel/Application/Writers' } },
    ]);
    expect(changes.map(formatChange)).toEqual(['/orderer/batchTimeoutMs: 2000 -> 500', '/application/acls: (none) -> {"a/b~c":"/Channel/Application/Writers"}']);
    expect(configChanges({ acls: { 'a/b~c': 'x' } }, {})).toEqual([{ path: '/acls', before: { 'a/b~c': 'x' } }]);
    expect(configChanges({ acls: { 'a/b~c': 'x' } }, { acls: {} })).toEqual([{ path: '/acls/a~1b~0c', before: 'x' }]);
    expect(configChanges(CONFIG, JSON.parse(JSON.stringify(CONFIG)) as JsonValue)).toEqual([]);
  });
});

describe('checks before proposing', () => {
  let root: string;
  let channel: common.Config;
  const warnings: string[] = [];
  const checks = (readChannel: () => Promise<common.Config> = () => Promise.resolve(channel)): ProposalChecks => ({
    schema: SCHEMA,
    channelId: 'primary',
    readChannel,
    warn: (line) => {
      warnings.push(line);
    },
  });

  beforeAll(async () => {
    const generated = await generateTestOrgs('propose-checks', 2);
    root = generated.root;
    channel = readConfigBlock(common.Block.deserializeBinary(buildGenesisBlock(testChannelProfile(generated.orgs)).serializeBinary())).config;
  });
  afterAll(() => { rmSync(root, { recursive: true, force: true }); });

  const refusal = async (config: JsonValue, c: ProposalChecks = checks()): Promise<string> => {
    try {
      await checkConfiguration(config, c);
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      return (err as Error).message;
    }
    throw new Error('expected a refusal');
  };

  it('passes a configuration the schema, the model and the channel accept', async () => {
    await expect(checkConfiguration(CONFIG, checks())).resolves.toBe(CONFIG);
  });

  it('refuses, in order: not an object, outside the schema, not a valid model, not runnable by the channel', async () => {
    expect(await refusal([CONFIG])).toBe('the configuration must be a JSON object, not an array; nothing proposed');
    expect(await refusal({ version: 2, orderer: { batchTimeoutMs: 20 } })).toMatch(/^the configuration breaks the genesis schema \(the chaincode would refuse it with MGMT_INVALID_CONFIG\): config\.orderer\.batchTimeoutMs must be >= 50; nothing proposed$/);
    expect(await refusal({ version: 2, application: { policies: { Endorsement: { type: 'Signature', rule: 'OutOf(2,' } } } })).toMatch(/^the configuration is not a valid channel model: config\.application\.policies\.Endorsement/);
    // The test channel runs the devnet consensus type: etcdraft options are another type's.
    expect(await refusal({ version: 2, orderer: { etcdraft: { electionTick: 10 } } })).toMatch(/^channel primary: the channel cannot run this configuration: orderer\.etcdraft: .*devnet.*; nothing proposed$/);
    expect(await refusal({ version: 2, application: { anchorPeers: { Org9MSP: [{ host: 'h', port: 1 }] } } })).toMatch(/^channel primary: .*Org9MSP/);
  });

  it('warns and goes on when the channel cannot be read', async () => {
    warnings.length = 0;
    const unreadable = checks(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:7050')));
    await expect(checkConfiguration({ version: 2, orderer: { etcdraft: { electionTick: 10 } } }, unreadable)).resolves.toEqual({ version: 2, orderer: { etcdraft: { electionTick: 10 } } });
    expect(warnings).toEqual(['! cannot read channel primary (connect ECONNREFUSED 127.0.0.1:7050): the configuration is not checked against it; the chaincode still enforces the genesis schema']);
  });
});

describe('the editor', () => {
  it('is $VISUAL, else $EDITOR, else a usage error saying to set EDITOR', () => {
    expect(editorFromEnv({ VISUAL: 'code --wait', EDITOR: 'vi' })).toEqual({ command: 'code --wait', variable: 'VISUAL' });
    expect(editorFromEnv({ VISUAL: ' ', EDITOR: 'vi' })).toEqual({ command: 'vi', variable: 'EDITOR' });
    const err = thrown(() => editorFromEnv({}));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/set EDITOR/);
  });
});
