/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Channel config updates: computing one (configtxlator compute_update), signing and wrapping it
 * (what `peer channel signconfigtx`/`update` do), and validating it as the orderer does
 * (common/configtx: read set versions, delta versions, the existing elements' mod_policy, then the
 * resulting config). Signed bytes are never re-encoded: signatures are checked over the
 * ConfigUpdate bytes exactly as received.
 */
import { common, orderer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { randomBytes } from 'node:crypto';
import { MspRegistry } from '../msp';
import type { Identity, SigningIdentity } from '../msp';
import { readBatchParams, readMsps } from './decode';
import { ConfigtxError, ConfigUpdateError } from './errors';
import type { ConfigUpdateErrorCode } from './errors';
import { ConfigKey } from './keys';
import type { SignedData } from './policy';
import { evaluatePolicyForIdentities, hasPolicy, resolvePolicyPath, validIdentities } from './policy';
import { capabilitiesProblem, configIdProblem } from './profile';

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
   * written to the config. Note that configtxlator cannot decode a config block whose last update has isolated data (see {@link MANAGEMENT_LINK_PREFIX}). It must be set here, before
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
  /** The management block that authorised the update, carried in the tx_id ({@link managementLinkTxId}). */
  readonly managementLink?: ManagementLink;
}

/**
 * Wraps a signed ConfigUpdate in a CONFIG_UPDATE envelope signed by `envelopeSigner`, as
 * `peer channel update` sends it to the orderer's Broadcast (protoutil.CreateSignedEnvelope: no
 * tx_id, epoch 0). The envelope signer must satisfy `/Channel/Writers`.
 *
 * @param channelId - the channel.
 * @param configUpdate - the ConfigUpdate bytes the signatures were made over (or the message, which
 *   is then serialized: pass bytes whenever signatures already exist, so they stay valid).
 * @param signatures - the admins' ConfigSignatures.
 * @param envelopeSigner - who submits the update.
 * @param options - a fixed timestamp.
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
  if (options.managementLink) channelHeader.setTxId(managementLinkTxId(options.managementLink));
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

// ---------------------------------------------------------------------------------------------
// Management link (the update envelope's tx_id)

/**
 * Prefix of the CONFIG_UPDATE envelope's tx_id that names the management block (CB) which
 * authorised the update: `mgmt-cb:<height>:<hash>`.
 *
 * Why the tx_id and not ConfigUpdate.isolated_data: configtxlator (Fabric v3) refuses to decode a
 * ConfigUpdate with an isolated_data key it has no registered type for ("Unknown map key"), and
 * every config block embeds its last update, so the usual fetch → `configtxlator proto_decode` →
 * edit workflow would break on every linked config block. Fabric checks no tx_id on a
 * CONFIG_UPDATE, and the config block keeps the envelope whole (`last_update`), so the link stays
 * readable with Fabric's own tools. It is signed by the submitting admin only; an auditor binds it
 * by checking that the CB (itself proved by a quorum of member signatures) holds the configuration
 * the update put in force.
 */
export const MANAGEMENT_LINK_PREFIX = 'mgmt-cb:';

/** A link to the management chain's configuration block that authorised an update. */
export interface ManagementLink {
  /** The CB's height. */
  readonly height: number;
  /** The CB's hash, lowercase hex sha256. */
  readonly hash: string;
}

function managementLinkProblem(link: ManagementLink): string | undefined {
  if (!Number.isSafeInteger(link.height) || link.height < 0) return `height must be a non-negative integer, got ${String(link.height)}`;
  if (typeof link.hash !== 'string' || !/^[0-9a-f]{64}$/.test(link.hash)) return 'hash must be 64 lowercase hex digits';
  return undefined;
}

/**
 * The tx_id that carries a management link.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) if the link is malformed.
 */
export function managementLinkTxId(link: ManagementLink): string {
  const problem = managementLinkProblem(link);
  if (problem !== undefined) throw new ConfigtxError(`invalid management link: ${problem}`, { code: 'CONFIGTX_BAD_CONFIG' });
  return `${MANAGEMENT_LINK_PREFIX}${link.height}:${link.hash}`;
}

/**
 * Reads the management link from a CONFIG_UPDATE envelope (an update as sent, or a config block's
 * `last_update`).
 *
 * @returns the link, or undefined when the envelope's tx_id carries none.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) if the envelope does not decode or the link is malformed.
 */
export function readManagementLink(updateEnvelope: common.Envelope): ManagementLink | undefined {
  let txId: string;
  try {
    const payload = common.Payload.deserializeBinary(updateEnvelope.getPayload_asU8());
    txId = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(0)).getTxId();
  } catch (error) {
    throw new ConfigtxError('invalid management link: the update envelope does not decode', { code: 'CONFIGTX_BAD_CONFIG', cause: error });
  }
  if (!txId.startsWith(MANAGEMENT_LINK_PREFIX)) return undefined;
  const match = /^mgmt-cb:(\d{1,16}):(.*)$/.exec(txId);
  const link = { height: match ? Number(match[1]) : -1, hash: match ? (match[2] ?? '') : '' };
  const problem = managementLinkProblem(link);
  if (problem !== undefined) throw new ConfigtxError(`invalid management link '${txId}': ${problem}`, { code: 'CONFIGTX_BAD_CONFIG' });
  return link;
}

// ---------------------------------------------------------------------------------------------
// Validation (the orderer side)

type ElementKind = 'Group' | 'Value' | 'Policy';

interface Element {
  readonly kind: ElementKind;
  readonly name: string;
  /** Path of the enclosing group, from the root; empty for the root group. */
  readonly parentPath: readonly string[];
  readonly group?: common.ConfigGroup;
  readonly value?: common.ConfigValue;
  readonly policy?: common.ConfigPolicy;
}

const KIND_PREFIX: Readonly<Record<ElementKind, string>> = { Group: '[Group]  ', Value: '[Value]  ', Policy: '[Policy] ' };

function elementKey(kind: ElementKind, parentPath: readonly string[], name: string): string {
  return `${KIND_PREFIX[kind]}/${[...parentPath, name].join('/')}`;
}

function versionOf(element: Element): number {
  return (element.group ?? element.value ?? element.policy)?.getVersion() ?? 0;
}

function modPolicyOf(element: Element): string {
  return (element.group ?? element.value ?? element.policy)?.getModPolicy() ?? '';
}

function updateError(code: ConfigUpdateErrorCode, message: string, key?: string, cause?: unknown): ConfigUpdateError {
  return new ConfigUpdateError(message, { code, key, cause });
}

/** Flattens a config tree to Fabric's configMap (common/configtx/configmap.go). */
function mapConfig(root: common.ConfigGroup | undefined, what: string): Map<string, Element> {
  const result = new Map<string, Element>();
  const add = (element: Element): void => {
    const problem = configIdProblem(element.name);
    if (problem !== undefined) {
      throw updateError('CONFIG_UPDATE_BAD_MOD_POLICY', `error mapping ${what}: ${problem}: illegal characters in key: ${KIND_PREFIX[element.kind]}`);
    }
    result.set(elementKey(element.kind, element.parentPath, element.name), element);
  };
  const recurse = (group: common.ConfigGroup, parentPath: readonly string[], name: string): void => {
    add({ kind: 'Group', name, parentPath, group });
    const path = [...parentPath, name];
    for (const [childName, child] of group.getGroupsMap().entries()) recurse(child, path, childName);
    for (const [valueName, value] of group.getValuesMap().entries()) add({ kind: 'Value', name: valueName, parentPath: path, value });
    for (const [policyName, policy] of group.getPoliciesMap().entries()) add({ kind: 'Policy', name: policyName, parentPath: path, policy });
  };
  if (root !== undefined) recurse(root, [], ConfigKey.channelGroup);
  return result;
}

/** Rebuilds the tree from a configMap, following each group's member names (configMapToConfig). */
function rebuildGroup(configMap: ReadonlyMap<string, Element>, parentPath: readonly string[], name: string): common.ConfigGroup {
  const key = elementKey('Group', parentPath, name);
  const source = configMap.get(key)?.group;
  if (source === undefined) throw updateError('CONFIG_UPDATE_INVALID_CONFIG', `could not turn configMap back to channelGroup: missing group at path: ${key}`, key);
  const path = [...parentPath, name];
  const group = new common.ConfigGroup();
  group.setVersion(source.getVersion());
  group.setModPolicy(source.getModPolicy());
  for (const childName of source.getGroupsMap().keys()) {
    group.getGroupsMap().set(childName, rebuildGroup(configMap, path, childName));
  }
  for (const valueName of source.getValuesMap().keys()) {
    const valueKey = elementKey('Value', path, valueName);
    const value = configMap.get(valueKey)?.value;
    if (value === undefined) throw updateError('CONFIG_UPDATE_INVALID_CONFIG', `could not turn configMap back to channelGroup: missing value at path: ${valueKey}`, valueKey);
    group.getValuesMap().set(valueName, value.cloneMessage());
  }
  for (const policyName of source.getPoliciesMap().keys()) {
    const policyKey = elementKey('Policy', path, policyName);
    const policy = configMap.get(policyKey)?.policy;
    if (policy === undefined) throw updateError('CONFIG_UPDATE_INVALID_CONFIG', `could not turn configMap back to channelGroup: missing policy at path: ${policyKey}`, policyKey);
    group.getPoliciesMap().set(policyName, policy.cloneMessage());
  }
  return group;
}

function modPolicyProblem(modPolicy: string): string | undefined {
  if (modPolicy === '') return 'mod_policy not set';
  const trimmed = modPolicy.startsWith('/') ? modPolicy.slice(1) : modPolicy;
  const segments = trimmed.split('/');
  for (let i = 0; i < segments.length; i++) {
    const problem = configIdProblem(segments[i] ?? '');
    if (problem !== undefined) return `path element at ${i} is invalid: ${problem}`;
  }
  return undefined;
}

/** The absolute path of an existing element's mod_policy: relative names resolve in its own group. */
function modPolicyPath(element: Element): string {
  const groupPath = element.kind === 'Group' ? [...element.parentPath, element.name] : element.parentPath;
  return resolvePolicyPath(groupPath, modPolicyOf(element));
}

interface DecodedUpdate {
  readonly configUpdate: common.ConfigUpdate;
  readonly signedData: SignedData[];
}

function decodeUpdateEnvelope(channelId: string, envelope: common.Envelope): DecodedUpdate {
  const malformed = (message: string, cause?: unknown): ConfigUpdateError =>
    updateError('CONFIG_UPDATE_MALFORMED', `error converting envelope to config update: ${message}`, undefined, cause);
  let payload: common.Payload;
  let channelHeader: common.ChannelHeader;
  let configUpdateEnvelope: common.ConfigUpdateEnvelope;
  try {
    payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  } catch (error) {
    throw malformed(`bad payload: ${String(error)}`, error);
  }
  const header = payload.getHeader();
  if (header === undefined) throw malformed('envelope must have a Header');
  try {
    channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  } catch (error) {
    throw malformed(`invalid ChannelHeader: ${String(error)}`, error);
  }
  if (channelHeader.getType() !== common.HeaderType.CONFIG_UPDATE) {
    throw malformed(`not a tx of type CONFIG_UPDATE (header type ${channelHeader.getType()})`);
  }
  if (channelHeader.getChannelId() !== channelId) {
    throw updateError(
      'CONFIG_UPDATE_WRONG_CHANNEL',
      `envelope is for channel '${channelHeader.getChannelId()}' but this is channel '${channelId}'`,
    );
  }
  try {
    configUpdateEnvelope = common.ConfigUpdateEnvelope.deserializeBinary(payload.getData_asU8());
  } catch (error) {
    throw malformed(`bad config update envelope: ${String(error)}`, error);
  }
  // The exact received bytes: signatures are over these, never over a re-encoding.
  const configUpdateBytes = configUpdateEnvelope.getConfigUpdate_asU8();
  let configUpdate: common.ConfigUpdate;
  try {
    configUpdate = common.ConfigUpdate.deserializeBinary(configUpdateBytes);
  } catch (error) {
    throw updateError('CONFIG_UPDATE_MALFORMED', `error authorizing update: ${String(error)}`, undefined, error);
  }
  const signedData = configUpdateEnvelope.getSignaturesList().map((configSignature): SignedData => {
    const headerBytes = configSignature.getSignatureHeader_asU8();
    let signatureHeader: common.SignatureHeader;
    try {
      signatureHeader = common.SignatureHeader.deserializeBinary(headerBytes);
    } catch (error) {
      throw updateError('CONFIG_UPDATE_MALFORMED', `error authorizing update: bad signature header: ${String(error)}`, undefined, error);
    }
    return {
      identity: signatureHeader.getCreator_asU8(),
      data: Buffer.concat([headerBytes, configUpdateBytes]),
      signature: configSignature.getSignature_asU8(),
    };
  });
  return { configUpdate, signedData };
}

function checkPolicies(config: common.Config): void {
  const visit = (group: common.ConfigGroup, path: string): void => {
    for (const [name, configPolicy] of group.getPoliciesMap().entries()) {
      const policy = configPolicy.getPolicy();
      const where = `${path}/${name}`;
      try {
        if (policy?.getType() === common.Policy.PolicyType.SIGNATURE) common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8());
        else if (policy?.getType() === common.Policy.PolicyType.IMPLICIT_META) common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
        else throw new Error(`unknown policy type: ${policy?.getType() ?? 'none'}`);
      } catch (error) {
        throw updateError('CONFIG_UPDATE_INVALID_CONFIG', `error processing policy ${where}: ${String(error)}`, `[Policy] ${where}`, error);
      }
    }
    for (const [name, child] of group.getGroupsMap().entries()) visit(child, `${path}/${name}`);
  };
  const root = config.getChannelGroup();
  if (root !== undefined) visit(root, `/${ConfigKey.channelGroup}`);
}

function capabilityNames(group: common.ConfigGroup | undefined): string[] {
  const bytes = group?.getValuesMap().get(ConfigKey.capabilities)?.getValue_asU8();
  return bytes === undefined ? [] : [...common.Capabilities.deserializeBinary(bytes).getCapabilitiesMap().keys()];
}

function consensusTypeOf(config: common.Config): string | undefined {
  const bytes = config.getChannelGroup()?.getGroupsMap().get(ConfigKey.ordererGroup)?.getValuesMap().get(ConfigKey.consensusType)?.getValue_asU8();
  return bytes === undefined ? undefined : orderer.ConsensusType.deserializeBinary(bytes).getType();
}

/** Re-validates the whole resulting config, as the orderer does before accepting it. */
function validateResultingConfig(current: common.Config, next: common.Config): void {
  const invalid = (message: string, cause?: unknown): ConfigUpdateError => updateError('CONFIG_UPDATE_INVALID_CONFIG', message, undefined, cause);
  try {
    readBatchParams(next);
    // The channel's MSP registry is rebuilt from the new config once it is committed, so a root
    // certificate that does not parse must be refused now, not after the block is written.
    try {
      new MspRegistry(readMsps(next));
    } catch (error) {
      throw invalid(`error processing MSP config: ${(error as Error).message}`, error);
    }
    const root = next.getChannelGroup();
    for (const [level, group] of [
      ['channel', root],
      ['orderer', root?.getGroupsMap().get(ConfigKey.ordererGroup)],
      ['application', root?.getGroupsMap().get(ConfigKey.applicationGroup)],
    ] as const) {
      const problem = capabilitiesProblem(level, capabilityNames(group));
      if (problem !== undefined) throw invalid(problem);
    }
    const before = consensusTypeOf(current);
    const after = consensusTypeOf(next);
    if (after === undefined) throw invalid('config has no /Channel/Orderer/ConsensusType value');
    // Fabric allows a type change only through maintenance mode; the devnet has one orderer kind.
    if (before !== after) throw invalid(`attempted to change consensus type from ${before ?? 'none'} to ${after}`);
  } catch (error) {
    if (error instanceof ConfigUpdateError) throw error;
    throw invalid((error as Error).message, error);
  }
  checkPolicies(next);
}

/** The result of an accepted config update. */
export interface AppliedConfigUpdate {
  /** The new config, at the current sequence + 1. */
  readonly config: common.Config;
  /** The ConfigUpdate, decoded from the envelope (for its isolated data). */
  readonly configUpdate: common.ConfigUpdate;
  /** Fabric keys of the changed elements, sorted, e.g. `[Value]  /Channel/Orderer/BatchTimeout`. */
  readonly changedKeys: readonly string[];
}

/**
 * Validates a CONFIG_UPDATE envelope against the current config and returns the next config, as
 * Fabric's orderer does (configtx.ValidatorImpl.ProposeConfigUpdate), then re-validates the result.
 * The envelope's own signature (the `/Channel/Writers` Broadcast filter) is the caller's check:
 * see {@link envelopeSignedData}.
 *
 * Checks, in order: the channel; every read_set element exists at the same version; the delta
 * (write_set elements whose version differs from the read set) is not empty; each delta element
 * has a valid mod_policy and is at current version + 1 (or 0 if new); the EXISTING element's
 * mod_policy, resolved in its own group, is satisfied by the ConfigSignatures (each over
 * signature_header || config_update as received; invalid or duplicate signers do not count);
 * then the resulting config (BatchSize, BatchTimeout, MSPs, policies, capabilities).
 *
 * @param channelId - the channel `current` belongs to; an envelope or ConfigUpdate naming
 *   another channel is refused (a Config does not carry its channel ID).
 * @param current - the current config.
 * @param updateEnvelope - the CONFIG_UPDATE envelope as received.
 * @param msps - the channel's MSPs (from {@link readMsps} of `current`).
 * @returns the new config, the decoded ConfigUpdate and the changed keys.
 * @throws ConfigUpdateError with Fabric's reason and a code for each refusal.
 */
export function applyConfigUpdate(
  channelId: string,
  current: common.Config,
  updateEnvelope: common.Envelope,
  msps: MspRegistry,
): AppliedConfigUpdate {
  const { configUpdate, signedData } = decodeUpdateEnvelope(channelId, updateEnvelope);
  const authorizing = (message: string): string => `error authorizing update: ${message}`;
  if (configUpdate.getChannelId() !== channelId) {
    throw updateError(
      'CONFIG_UPDATE_WRONG_CHANNEL',
      authorizing(`ConfigUpdate for channel '${configUpdate.getChannelId()}' but envelope for channel '${channelId}'`),
    );
  }

  const currentMap = mapConfig(current.getChannelGroup(), 'current config');
  const readSet = mapConfig(configUpdate.getReadSet(), 'ReadSet');
  for (const [key, element] of readSet) {
    const existing = currentMap.get(key);
    if (existing === undefined) {
      throw updateError(
        'CONFIG_UPDATE_READ_SET_MISMATCH',
        authorizing(`error validating ReadSet: existing config does not contain element for ${key} but was in the read set`),
        key,
      );
    }
    if (versionOf(existing) !== versionOf(element)) {
      throw updateError(
        'CONFIG_UPDATE_READ_SET_MISMATCH',
        authorizing(
          `error validating ReadSet: proposed update requires that key ${key} be at version ${versionOf(element)}, but it is currently at version ${versionOf(existing)}`,
        ),
        key,
      );
    }
  }

  const writeSet = mapConfig(configUpdate.getWriteSet(), 'WriteSet');
  const delta = new Map<string, Element>();
  for (const [key, element] of writeSet) {
    const read = readSet.get(key);
    if (read !== undefined && versionOf(read) === versionOf(element)) continue;
    delta.set(key, element);
  }
  if (delta.size === 0) {
    throw updateError('CONFIG_UPDATE_EMPTY', authorizing('error validating DeltaSet: delta set was empty -- update would have no effect'));
  }

  // Verify every signature once; each mod_policy is then evaluated over the same signers.
  let identities: Identity[] | undefined;
  const changedKeys = [...delta.keys()].sort();
  for (const key of changedKeys) {
    const element = delta.get(key) as Element;
    const problem = modPolicyProblem(modPolicyOf(element));
    if (problem !== undefined) {
      throw updateError('CONFIG_UPDATE_BAD_MOD_POLICY', authorizing(`error validating DeltaSet: invalid mod_policy for element ${key}: ${problem}`), key);
    }
    const existing = currentMap.get(key);
    if (existing === undefined) {
      if (versionOf(element) !== 0) {
        throw updateError(
          'CONFIG_UPDATE_BAD_VERSION',
          authorizing(`error validating DeltaSet: attempted to set key ${key} to version ${versionOf(element)}, but key does not exist`),
          key,
        );
      }
      // A new element is authorised by its parent group's change, which the delta also holds.
      continue;
    }
    if (versionOf(element) !== versionOf(existing) + 1) {
      throw updateError(
        'CONFIG_UPDATE_BAD_VERSION',
        authorizing(`error validating DeltaSet: attempt to set key ${key} to version ${versionOf(element)}, but key is at version ${versionOf(existing)}`),
        key,
      );
    }
    const policyPath = modPolicyPath(existing);
    if (!hasPolicy(current, policyPath)) {
      throw updateError(
        'CONFIG_UPDATE_POLICY_NOT_SATISFIED',
        authorizing(`error validating DeltaSet: unexpected missing policy ${modPolicyOf(existing)} for item ${key}`),
        key,
      );
    }
    identities ??= validIdentities(signedData, msps);
    const verdict = evaluatePolicyForIdentities(current, policyPath, identities, msps);
    if (!verdict.ok) {
      throw updateError(
        'CONFIG_UPDATE_POLICY_NOT_SATISFIED',
        authorizing(`error validating DeltaSet: policy for ${key} not satisfied: ${verdict.reason}`),
        key,
      );
    }
  }

  const proposed = new Map(currentMap);
  for (const [key, element] of delta) proposed.set(key, element);
  const next = new common.Config();
  next.setSequence(current.getSequence() + 1);
  next.setChannelGroup(rebuildGroup(proposed, [], ConfigKey.channelGroup));
  validateResultingConfig(current, next);
  return { config: next, configUpdate, changedKeys };
}
