/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Primary-channel config updates and member admins' ConfigSignatures of them, built with
 * @hyperledger/fabric-protos as the orchestrator builds them, for the contract's tests.
 */

import { createHash, createPrivateKey } from 'node:crypto';

import { common, msp, orderer } from '@hyperledger/fabric-protos';
import { p256 } from '@noble/curves/nist';

import type { TestIdentity, TestOrg } from './pki';

/** A ConfigUpdate that sets the orderer's BatchTimeout. */
export function configUpdate(timeout = '1s', channelId = 'primary'): Uint8Array {
  const value = new orderer.BatchTimeout();
  value.setTimeout(timeout);
  const configValue = new common.ConfigValue();
  configValue.setVersion(1);
  configValue.setModPolicy('Admins');
  configValue.setValue(value.serializeBinary());
  const ordererWrite = new common.ConfigGroup();
  ordererWrite.getValuesMap().set('BatchTimeout', configValue);
  const write = new common.ConfigGroup();
  write.getGroupsMap().set('Orderer', ordererWrite);
  const read = new common.ConfigGroup();
  read.getGroupsMap().set('Orderer', new common.ConfigGroup());
  const update = new common.ConfigUpdate();
  update.setChannelId(channelId);
  update.setReadSet(read);
  update.setWriteSet(write);
  return update.serializeBinary();
}

export function derLowS(message: Uint8Array, privateKeyPem: string, highS = false): Uint8Array {
  const d = Buffer.from(
    createPrivateKey(privateKeyPem).export({ format: 'jwk' }).d as string,
    'base64url',
  );
  const digest = createHash('sha256').update(message).digest();
  const signature = p256.sign(digest, d, { lowS: true, prehash: false });
  if (!highS) {
    return signature.toBytes('der');
  }
  const flipped = new p256.Signature(signature.r, p256.Point.CURVE().n - signature.s);
  return flipped.toBytes('der');
}

export interface SignOptions {
  readonly creatorMspId?: string;
  readonly signedBytes?: Uint8Array;
  readonly highS?: boolean;
}

export function configSignature(update: Uint8Array, identity: TestIdentity, options: SignOptions = {}): Uint8Array {
  const creator = new msp.SerializedIdentity();
  creator.setMspid(options.creatorMspId ?? identity.mspId);
  creator.setIdBytes(Buffer.from(identity.certificate, 'utf8'));
  const header = new common.SignatureHeader();
  header.setCreator(creator.serializeBinary());
  header.setNonce(new Uint8Array(24).fill(7));
  const headerBytes = header.serializeBinary();
  const signature = new common.ConfigSignature();
  signature.setSignatureHeader(headerBytes);
  signature.setSignature(derLowS(Buffer.concat([headerBytes, options.signedBytes ?? update]), identity.privateKeyPem, options.highS));
  return signature.serializeBinary();
}

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** ShareUpdateSignature's arguments: height, sequence, update and the org admin's signature of it. */
export function shareArgs(org: TestOrg, options: SignOptions & { height?: string; sequence?: string; update?: Uint8Array; signer?: TestIdentity } = {}): string[] {
  const update = options.update ?? configUpdate();
  return [options.height ?? '0', options.sequence ?? '3', b64(update), b64(configSignature(update, options.signer ?? org.admin, options))];
}
