/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Member admins' signatures of a `primary` channel configuration update, shared through the
 * management chain (docs/protocol.md "Update-signature records"; Fig. 3 of the paper). Each member's orchestrator builds
 * the same ConfigUpdate from the same channel config, signs it as its admin, and records the
 * signature with `ShareUpdateSignature`; whoever sees a majority of signatures over identical
 * bytes assembles the CONFIG_UPDATE envelope. There is no central collector, and the chain keeps
 * a public record of who signed what for which configuration block.
 *
 * A signature is checked as Fabric's configtx checks a ConfigSignature
 * (`protoutil/signeddata.go`): ECDSA P-256 over SHA-256 of `signature_header || config_update`,
 * by the identity in `signature_header.creator`. On top, the protocol requires the creator to be
 * the calling member and an admin (NodeOU `admin`) issued by that member's CA from the genesis
 * params, and refuses high-S signatures, so each signature has exactly one valid encoding.
 */

import { createHash } from 'node:crypto';
import type { X509Certificate } from 'node:crypto';

import { p256 } from '@noble/curves/nist';

import { checkMemberCertificate, p256PublicKey, subjectOrganizationalUnits } from './certificates';
import { MgmtError, messageOf } from './errors';
import { WireFormatError, bytesField, readWireFields, stringField } from './protobufWire';
import type { WireField } from './protobufWire';
import type { Member } from './types';

/** Largest ConfigUpdate accepted, in bytes: a batch-parameter update is a few hundred. */
export const MAX_CONFIG_UPDATE_BYTES = 65_536;

/** Largest ConfigSignature accepted, in bytes: a certificate PEM, a nonce and a DER signature. */
export const MAX_CONFIG_SIGNATURE_BYTES = 16_384;

/** A signature of a configuration update as the chaincode stores it, one key per member. */
export interface UpdateSignature {
  /** Height of the configuration block whose configuration the update puts in force. */
  readonly height: number;
  /** Hash of that configuration block. */
  readonly cbHash: string;
  /** Sequence of the channel config the update was computed against. */
  readonly configSequence: number;
  /** The channel the update is for (ConfigUpdate.channel_id). */
  readonly channelId: string;
  /** The serialized common.ConfigUpdate, base64, exactly as signed. */
  readonly update: string;
  /** Lowercase hex SHA-256 of the update bytes: members compare these, not the bytes. */
  readonly updateSha256: string;
  /** The serialized common.ConfigSignature, base64. */
  readonly configSignature: string;
  readonly mspId: string;
  /** PEM of the admin certificate that signed (from the signature header's creator). */
  readonly signer: string;
  /** Transaction timestamp, `YYYY-MM-DDTHH:mm:ss.sssZ`. */
  readonly timestamp: string;
  readonly txId: string;
}

/** Payload of the `UpdateSignatureShared` event. */
export interface UpdateSignatureShared {
  readonly height: number;
  readonly configSequence: number;
  readonly channelId: string;
  readonly updateSha256: string;
  readonly mspId: string;
}

/** What {@link parseConfigSignature} finds in a ConfigSignature. */
export interface ConfigSignatureParts {
  /** The serialized SignatureHeader, exactly as signed. */
  readonly signatureHeader: Uint8Array;
  /** DER ECDSA signature. */
  readonly signature: Uint8Array;
  /** SignatureHeader.creator's MSP ID. */
  readonly creatorMspId: string;
  /** SignatureHeader.creator's certificate (PEM). */
  readonly creatorCertificate: string;
}

/** What {@link parseConfigUpdate} finds in a ConfigUpdate. */
export interface ConfigUpdateSummary {
  readonly channelId: string;
}

/** ConfigUpdate fields: channel_id 1, read_set 2, write_set 3, isolated_data 5 (4 is reserved). */
const CONFIG_UPDATE_FIELDS: ReadonlySet<number> = new Set([1, 2, 3, 5]);

function wire<T>(code: 'MGMT_BAD_UPDATE' | 'MGMT_BAD_SIGNATURE', what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WireFormatError) {
      throw new MgmtError(code, `${what}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/**
 * Checks that bytes are a serialized common.ConfigUpdate with a channel and a write set. Only
 * the top level is read: the orderer validates the rest against the channel's config, and each
 * member compares the bytes with the update it computed itself.
 *
 * @throws {@link MgmtError} `MGMT_BAD_UPDATE` naming what is wrong.
 */
export function parseConfigUpdate(update: Uint8Array): ConfigUpdateSummary {
  if (update.length === 0 || update.length > MAX_CONFIG_UPDATE_BYTES) {
    throw new MgmtError('MGMT_BAD_UPDATE', `update must be 1 to ${MAX_CONFIG_UPDATE_BYTES} bytes, got ${update.length}`);
  }
  const fields: WireField[] = wire('MGMT_BAD_UPDATE', 'update', () => readWireFields(update));
  const unknown = fields.find((f) => !CONFIG_UPDATE_FIELDS.has(f.number));
  if (unknown !== undefined) {
    throw new MgmtError('MGMT_BAD_UPDATE', `update has field ${unknown.number}, which common.ConfigUpdate does not`);
  }
  const channelId = wire('MGMT_BAD_UPDATE', 'update channel_id', () => stringField(fields, 1));
  if (channelId === '') {
    throw new MgmtError('MGMT_BAD_UPDATE', 'update has no channel_id');
  }
  const writeSet = wire('MGMT_BAD_UPDATE', 'update write_set', () => bytesField(fields, 3));
  if (writeSet.length === 0) {
    throw new MgmtError('MGMT_BAD_UPDATE', 'update has an empty write_set');
  }
  wire('MGMT_BAD_UPDATE', 'update read_set', () => readWireFields(bytesField(fields, 2)));
  wire('MGMT_BAD_UPDATE', 'update write_set', () => readWireFields(writeSet));
  return { channelId };
}

/**
 * Splits a serialized common.ConfigSignature into the signed header, the signature and the
 * creator (msp.SerializedIdentity inside common.SignatureHeader).
 *
 * @throws {@link MgmtError} `MGMT_BAD_SIGNATURE` when any layer does not parse or is empty.
 */
export function parseConfigSignature(configSignature: Uint8Array): ConfigSignatureParts {
  if (configSignature.length === 0 || configSignature.length > MAX_CONFIG_SIGNATURE_BYTES) {
    throw new MgmtError('MGMT_BAD_SIGNATURE', `configSignature must be 1 to ${MAX_CONFIG_SIGNATURE_BYTES} bytes, got ${configSignature.length}`);
  }
  return wire('MGMT_BAD_SIGNATURE', 'configSignature', () => {
    const outer = readWireFields(configSignature);
    const signatureHeader = bytesField(outer, 1);
    const signature = bytesField(outer, 2);
    const creator = bytesField(readWireFields(signatureHeader), 1);
    const identity = readWireFields(creator);
    const creatorMspId = stringField(identity, 1);
    const creatorCertificate = stringField(identity, 2);
    if (signature.length === 0 || creatorMspId === '' || creatorCertificate === '') {
      throw new WireFormatError('signature, creator MSP ID and creator certificate must all be present');
    }
    return { signatureHeader, signature, creatorMspId, creatorCertificate };
  });
}

/** Whether the certificate carries Fabric's NodeOU `admin` role in its subject. */
export function hasAdminRole(cert: X509Certificate): boolean {
  return subjectOrganizationalUnits(cert).some((unit) => unit.toLowerCase() === 'admin');
}

/** Lowercase hex SHA-256 of the update bytes, the name members compare updates by. */
export function updateSha256(update: Uint8Array): string {
  return createHash('sha256').update(update).digest('hex');
}

/** Inputs of {@link assertUpdateSignature}. */
export interface UpdateSignatureCheck {
  /** The serialized ConfigUpdate, exactly as signed. */
  readonly update: Uint8Array;
  /** The serialized ConfigSignature. */
  readonly configSignature: Uint8Array;
  /** The member the signature must come from (from the genesis params). */
  readonly member: Member;
  /** The instant at which the signer's certificate must be valid. */
  readonly atMs: number;
}

/**
 * Verifies a member admin's signature of a configuration update: the creator is the member, its
 * certificate is an admin certificate issued by the member's CA and valid at `atMs` (the
 * protocol's certificate rule plus NodeOU `admin`, which the channel's Admins policies require),
 * and the signature is canonical low-S DER ECDSA P-256 over SHA-256 of
 * `signature_header || update` with that certificate's key.
 *
 * @returns the parsed signature.
 * @throws {@link MgmtError} `MGMT_BAD_SIGNATURE` (unparseable, another member's, high-S, not
 * verifying) or `MGMT_BAD_CERTIFICATE` (not the member's CA, not valid then, not an admin).
 */
export function assertUpdateSignature(check: UpdateSignatureCheck): ConfigSignatureParts {
  const parts = parseConfigSignature(check.configSignature);
  if (parts.creatorMspId !== check.member.mspId) {
    throw new MgmtError('MGMT_BAD_SIGNATURE', `signature is by a ${parts.creatorMspId} identity; a member shares only its own (${check.member.mspId})`);
  }
  const cert = checkMemberCertificate({
    certificate: parts.creatorCertificate,
    mspId: check.member.mspId,
    caCertificate: check.member.caCertificate,
    atMs: check.atMs,
  });
  if (!hasAdminRole(cert)) {
    throw new MgmtError('MGMT_BAD_CERTIFICATE', `signer of ${check.member.mspId} is not an admin (NodeOU admin): the channel's Admins policies would not count it`);
  }
  let signature: ReturnType<typeof p256.Signature.fromBytes>;
  try {
    signature = p256.Signature.fromBytes(parts.signature, 'der');
  } catch (err) {
    throw new MgmtError('MGMT_BAD_SIGNATURE', `signature is not DER: ${messageOf(err)}`, { cause: err });
  }
  if (Buffer.compare(Buffer.from(signature.toBytes('der')), Buffer.from(parts.signature)) !== 0) {
    throw new MgmtError('MGMT_BAD_SIGNATURE', 'signature DER is not canonical');
  }
  if (signature.hasHighS()) {
    throw new MgmtError('MGMT_BAD_SIGNATURE', 'signature has a high S value');
  }
  const digest = createHash('sha256').update(parts.signatureHeader).update(check.update).digest();
  if (!p256.verify(parts.signature, digest, p256PublicKey(cert), { lowS: true, prehash: false, format: 'der' })) {
    throw new MgmtError('MGMT_BAD_SIGNATURE', `signature of ${check.member.mspId} does not verify over signature_header || update`);
  }
  return parts;
}
