/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Channel config updates: computing one (configtxlator compute_update), and signing and wrapping
 * it (what `peer channel signconfigtx`/`update` do). Whether the signatures authorise an update is
 * ./authorisation.ts; the orderer's own validation is the network's (the devnet's
 * orderer/configValidation.ts).
 */
import { common } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { randomBytes } from 'node:crypto';
import type { SigningIdentity } from '../msp';
import { ConfigtxError } from './errors';

const NONCE_LENGTH = 24;

// ---------------------------------------------------------------------------------------------
// compute_update

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function samePolicy(a: common.ConfigPolicy, b: common.ConfigPolicy): boolean {
  const pa = a.getPolicy();
  const pb = b.getPolicy();
  if (a.getModPolicy() !== b.getModPolicy()) return false;
  if (pa === undefined || pb === undefined) return pa === pb;
  return pa.getType() === pb.getType() && sameBytes(pa.getValue_asU8(), pb.getValue_asU8());
}

function sameValue(a: common.ConfigValue, b: common.ConfigValue): boolean {
  return a.getModPolicy() === b.getModPolicy() && sameBytes(a.getValue_asU8(), b.getValue_asU8());
}

function versionOnlyGroup(version: number): common.ConfigGroup {
  const group = new common.ConfigGroup();
  group.setVersion(version);
  return group;
}

interface MapDiff<T> {
  readonly write: Map<string, T>;
  /** Unchanged members, as version-only stubs: listed only if the parent's membership changes. */
  readonly same: Map<string, T>;
  readonly membersChanged: boolean;
}

function diffPolicies(original: common.ConfigGroup, updated: common.ConfigGroup): MapDiff<common.ConfigPolicy> {
  const write = new Map<string, common.ConfigPolicy>();
  const same = new Map<string, common.ConfigPolicy>();
  let membersChanged = false;
  const updatedMap = updated.getPoliciesMap();
  for (const [name, before] of original.getPoliciesMap().entries()) {
    const after = updatedMap.get(name);
    if (after === undefined) {
      membersChanged = true;
      continue;
    }
    const entry = new common.ConfigPolicy();
    if (samePolicy(before, after)) {
      entry.setVersion(before.getVersion());
      same.set(name, entry);
      continue;
    }
    entry.setVersion(before.getVersion() + 1);
    entry.setModPolicy(after.getModPolicy());
    const policy = after.getPolicy();
    if (policy !== undefined) entry.setPolicy(policy.cloneMessage());
    write.set(name, entry);
  }
  for (const [name, after] of updatedMap.entries()) {
    if (original.getPoliciesMap().has(name)) continue;
    membersChanged = true;
    const entry = new common.ConfigPolicy();
    entry.setVersion(0);
    entry.setModPolicy(after.getModPolicy());
    const policy = after.getPolicy();
    if (policy !== undefined) entry.setPolicy(policy.cloneMessage());
    write.set(name, entry);
  }
  return { write, same, membersChanged };
}

function diffValues(original: common.ConfigGroup, updated: common.ConfigGroup): MapDiff<common.ConfigValue> {
  const write = new Map<string, common.ConfigValue>();
  const same = new Map<string, common.ConfigValue>();
  let membersChanged = false;
  const updatedMap = updated.getValuesMap();
  for (const [name, before] of original.getValuesMap().entries()) {
    const after = updatedMap.get(name);
    if (after === undefined) {
      membersChanged = true;
      continue;
    }
    const entry = new common.ConfigValue();
    if (sameValue(before, after)) {
      entry.setVersion(before.getVersion());
      same.set(name, entry);
      continue;
    }
    entry.setVersion(before.getVersion() + 1);
    entry.setModPolicy(after.getModPolicy());
    entry.setValue(after.getValue_asU8());
    write.set(name, entry);
  }
  for (const [name, after] of updatedMap.entries()) {
    if (original.getValuesMap().has(name)) continue;
    membersChanged = true;
    const entry = new common.ConfigValue();
    entry.setVersion(0);
    entry.setModPolicy(after.getModPolicy());
    entry.setValue(after.getValue_asU8());
    write.set(name, entry);
  }
  return { write, same, membersChanged };
}

interface GroupDiff {
  readonly read: common.ConfigGroup;
  readonly write: common.ConfigGroup;
  readonly changed: boolean;
}

function diffGroups(original: common.ConfigGroup, updated: common.ConfigGroup): MapDiff<common.ConfigGroup> & { read: Map<string, common.ConfigGroup> } {
  const read = new Map<string, common.ConfigGroup>();
  const write = new Map<string, common.ConfigGroup>();
  const same = new Map<string, common.ConfigGroup>();
  let membersChanged = false;
  const updatedMap = updated.getGroupsMap();
  for (const [name, before] of original.getGroupsMap().entries()) {
    const after = updatedMap.get(name);
    if (after === undefined) {
      membersChanged = true;
      continue;
    }
    const diff = diffGroup(before, after);
    if (!diff.changed) {
      same.set(name, diff.read);
      continue;
    }
    read.set(name, diff.read);
    write.set(name, diff.write);
  }
  for (const [name, after] of updatedMap.entries()) {
    if (original.getGroupsMap().has(name)) continue;
    membersChanged = true;
    // A new group is written whole at version 0, as diffed against an empty group.
    const diff = diffGroup(new common.ConfigGroup(), after);
    const entry = diff.write;
    entry.setVersion(0);
    entry.setModPolicy(after.getModPolicy());
    write.set(name, entry);
  }
  return { read, write, same, membersChanged };
}

function fill<T>(target: { set(key: string, value: T): unknown }, entries: ReadonlyMap<string, T>): void {
  for (const [key, value] of entries) target.set(key, value);
}

/** configtxlator's computeGroupUpdate (internal/configtxlator/update/update.go). */
function diffGroup(original: common.ConfigGroup, updated: common.ConfigGroup): GroupDiff {
  const policies = diffPolicies(original, updated);
  const values = diffValues(original, updated);
  const groups = diffGroups(original, updated);
  const version = original.getVersion();
  const membershipChanged =
    policies.membersChanged || values.membersChanged || groups.membersChanged || original.getModPolicy() !== updated.getModPolicy();

  if (!membershipChanged) {
    if (policies.write.size === 0 && values.write.size === 0 && groups.write.size === 0) {
      return { read: versionOnlyGroup(version), write: versionOnlyGroup(version), changed: false };
    }
    // Same members: only the changed children are listed, and the group keeps its version.
    const read = versionOnlyGroup(version);
    fill(read.getGroupsMap(), groups.read);
    const write = versionOnlyGroup(version);
    fill(write.getPoliciesMap(), policies.write);
    fill(write.getValuesMap(), values.write);
    fill(write.getGroupsMap(), groups.write);
    return { read, write, changed: true };
  }

  // Membership changed: the group's own version goes up, so every kept member must be listed
  // (unchanged ones as version stubs in both sets), or the orderer would drop it.
  const read = versionOnlyGroup(version);
  fill(read.getPoliciesMap(), policies.same);
  fill(read.getValuesMap(), values.same);
  fill(read.getGroupsMap(), groups.read);
  fill(read.getGroupsMap(), groups.same);
  const write = versionOnlyGroup(version + 1);
  write.setModPolicy(updated.getModPolicy());
  fill(write.getPoliciesMap(), policies.write);
  fill(write.getPoliciesMap(), policies.same);
  fill(write.getValuesMap(), values.write);
  fill(write.getValuesMap(), values.same);
  fill(write.getGroupsMap(), groups.write);
  fill(write.getGroupsMap(), groups.same);
  return { read, write, changed: true };
}

/** Options of {@link computeUpdate}. */
export interface ComputeUpdateOptions {
  /**
   * Entries for ConfigUpdate.isolated_data: data carried by (and signed with) the update but not
   * written to the config. Note that configtxlator cannot decode a config block whose last update
   * has isolated data (an isolated_data key it has no registered type for): data that must stay
   * readable with Fabric's tools belongs in the envelope's tx_id instead. It must be set here, before
   * anyone signs, because the config signatures cover the whole ConfigUpdate.
   */
  readonly isolatedData?: Readonly<Record<string, Uint8Array>>;
}

/**
 * Computes the ConfigUpdate turning `original` into `updated`, as `configtxlator compute_update`:
 * the read set pins the current versions of what the change depends on, the write set carries the
 * changed elements at version + 1 (new ones at 0). Values and policies are compared by their
 * serialized bytes and mod_policy.
 *
 * @param channelId - the channel, written to ConfigUpdate.channel_id.
 * @param original - the current config.
 * @param updated - the desired config (typically a modified copy of `original`).
 * @param options - isolated data to attach.
 * @returns the ConfigUpdate.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) if either config has no channel group or they do not differ.
 */
export function computeUpdate(
  channelId: string,
  original: common.Config,
  updated: common.Config,
  options: Readonly<ComputeUpdateOptions> = {},
): common.ConfigUpdate {
  const before = original.getChannelGroup();
  const after = updated.getChannelGroup();
  if (before === undefined) throw new ConfigtxError('no channel group included for original config', { code: 'CONFIGTX_BAD_CONFIG' });
  if (after === undefined) throw new ConfigtxError('no channel group included for updated config', { code: 'CONFIGTX_BAD_CONFIG' });
  const diff = diffGroup(before, after);
  if (!diff.changed) {
    throw new ConfigtxError('no differences detected between original and updated config', { code: 'CONFIGTX_BAD_CONFIG' });
  }
  const update = new common.ConfigUpdate();
  update.setChannelId(channelId);
  update.setReadSet(diff.read);
  update.setWriteSet(diff.write);
  for (const [key, value] of Object.entries(options.isolatedData ?? {})) update.getIsolatedDataMap().set(key, value);
  return update;
}

// ---------------------------------------------------------------------------------------------
// Signing and wrapping

/**
 * Signs a ConfigUpdate as an org admin does with `peer channel signconfigtx`: the signature covers
 * signature_header || config_update, with signature_header = SignatureHeader{creator, nonce}.
 *
 * @param configUpdateBytes - the serialized ConfigUpdate, exactly as it will be sent.
 * @param signer - the admin's signing identity.
 * @returns the ConfigSignature.
 */
export function signConfigUpdate(configUpdateBytes: Uint8Array, signer: SigningIdentity): common.ConfigSignature {
  const header = new common.SignatureHeader();
  header.setCreator(signer.serialize());
  header.setNonce(new Uint8Array(randomBytes(NONCE_LENGTH)));
  const headerBytes = header.serializeBinary();
  const signature = new common.ConfigSignature();
  signature.setSignatureHeader(headerBytes);
  signature.setSignature(signer.sign(Buffer.concat([headerBytes, configUpdateBytes])));
  return signature;
}

/** Options of {@link buildConfigUpdateEnvelope}. */
export interface ConfigUpdateEnvelopeOptions {
  /** The channel header timestamp; default now. */
  readonly timestamp?: Date;
  /**
   * The channel header's tx_id; none by default, as `peer channel update` sends it. Fabric checks no
   * tx_id on a CONFIG_UPDATE and the config block keeps the envelope whole (`last_update`), so a
   * client may put its own reference here, readable with Fabric's own tools.
   */
  readonly txId?: string;
}

/**
 * Wraps a signed ConfigUpdate in a CONFIG_UPDATE envelope signed by `envelopeSigner`, as
 * `peer channel update` sends it to the orderer's Broadcast (protoutil.CreateSignedEnvelope: no
 * tx_id unless `options.txId`, epoch 0). The envelope signer must satisfy `/Channel/Writers`.
 *
 * @param channelId - the channel.
 * @param configUpdate - the ConfigUpdate bytes the signatures were made over (or the message, which
 *   is then serialized: pass bytes whenever signatures already exist, so they stay valid).
 * @param signatures - the admins' ConfigSignatures.
 * @param envelopeSigner - who submits the update.
 * @param options - a fixed timestamp, a tx_id.
 * @returns the signed envelope.
 */
export function buildConfigUpdateEnvelope(
  channelId: string,
  configUpdate: Uint8Array | common.ConfigUpdate,
  signatures: readonly common.ConfigSignature[],
  envelopeSigner: SigningIdentity,
  options: Readonly<ConfigUpdateEnvelopeOptions> = {},
): common.Envelope {
  const configUpdateEnvelope = new common.ConfigUpdateEnvelope();
  configUpdateEnvelope.setConfigUpdate(configUpdate instanceof common.ConfigUpdate ? configUpdate.serializeBinary() : configUpdate);
  configUpdateEnvelope.setSignaturesList([...signatures]);

  const timestamp = new Timestamp();
  timestamp.setSeconds(Math.floor((options.timestamp ?? new Date()).getTime() / 1000));
  timestamp.setNanos(0);
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.CONFIG_UPDATE);
  channelHeader.setVersion(0);
  channelHeader.setChannelId(channelId);
  channelHeader.setEpoch(0);
  channelHeader.setTimestamp(timestamp);
  if (options.txId !== undefined) channelHeader.setTxId(options.txId);
  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(envelopeSigner.serialize());
  signatureHeader.setNonce(new Uint8Array(randomBytes(NONCE_LENGTH)));
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(configUpdateEnvelope.serializeBinary());
  const payloadBytes = payload.serializeBinary();
  const envelope = new common.Envelope();
  envelope.setPayload(payloadBytes);
  envelope.setSignature(envelopeSigner.sign(payloadBytes));
  return envelope;
}
