/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Config edits and signers for configtx tests: a channel config changed as an operator edits
 * configtxlator's JSON, and member identities named the short way tests read best.
 */
import { common, orderer } from '@hyperledger/fabric-protos';
import { buildConfigUpdateEnvelope, signConfigUpdate } from '../configtx';
import { SigningIdentity } from '../msp';
import type { OrgCrypto } from '../msp';

/** Batch values to change; absent ones stay as they are. */
export interface BatchEdit {
  timeout?: string;
  maxMessageCount?: number;
  absoluteMaxBytes?: number;
}

function ordererValues(config: common.Config): Map<string, common.ConfigValue> {
  const group = config.getChannelGroup()?.getGroupsMap().get('Orderer');
  if (group === undefined) throw new Error('the config has no Orderer group');
  return group.getValuesMap() as unknown as Map<string, common.ConfigValue>;
}

function value(values: Map<string, common.ConfigValue>, key: string): common.ConfigValue {
  const found = values.get(key);
  if (found === undefined) throw new Error(`the Orderer group has no ${key}`);
  return found;
}

/** A modified copy of `config`, as an operator edits configtxlator's JSON. */
export function withBatch(config: common.Config, change: BatchEdit): common.Config {
  const copy = config.cloneMessage();
  const values = ordererValues(copy);
  if (change.timeout !== undefined) {
    const timeout = new orderer.BatchTimeout();
    timeout.setTimeout(change.timeout);
    value(values, 'BatchTimeout').setValue(timeout.serializeBinary());
  }
  if (change.maxMessageCount !== undefined || change.absoluteMaxBytes !== undefined) {
    const size = orderer.BatchSize.deserializeBinary(value(values, 'BatchSize').getValue_asU8());
    if (change.maxMessageCount !== undefined) size.setMaxMessageCount(change.maxMessageCount);
    if (change.absoluteMaxBytes !== undefined) size.setAbsoluteMaxBytes(change.absoluteMaxBytes);
    value(values, 'BatchSize').setValue(size.serializeBinary());
  }
  return copy;
}

/**
 * A signer by a short name over `orgs` (1-based): `'2.admin'` is the second org's admin, `'3.user'`
 * the third org's client.
 */
export function signerOf(orgs: readonly OrgCrypto[], spec: string): SigningIdentity {
  const [index, role] = spec.split('.') as [string, 'admin' | 'user'];
  const org = orgs[Number(index) - 1];
  if (org === undefined) throw new Error(`no org ${index} among ${orgs.length}`);
  const user = role === 'admin' ? org.admin : org.user;
  return new SigningIdentity(org.mspId, user.certPem, user.privateKeyPem);
}

/** The exact update bytes signed by each signer and wrapped in an envelope submitted by the first. */
export function signedEnvelope(orgs: readonly OrgCrypto[], updateBytes: Uint8Array, signers: readonly string[], channelId = 'primary'): common.Envelope {
  const signatures = signers.map((spec) => signConfigUpdate(updateBytes, signerOf(orgs, spec)));
  return buildConfigUpdateEnvelope(channelId, updateBytes, signatures, signerOf(orgs, signers[0] ?? '1.admin'));
}
