/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The difference between two channel configs, leaf by leaf, under paths spelled as configtx.yaml
 * spells them (`Channel/Orderer/BatchSize/PreferredMaxBytes`): what an audit of a config change
 * reports and what a desired-state check compares. Versions are not leaves: they count writes, and
 * a write of the same bytes changes nothing a node acts on. Nothing a node reads may go unreported,
 * so a value this module cannot decode is hashed, never skipped.
 */
import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import { createHash } from 'node:crypto';
import { ConfigKey } from './keys';
import { formatPolicy } from './policyExpression';
import { DEVNET_CONSENSUS_TYPE } from './profile';

/** How a leaf differs: present only after, only before, or in both with different values. */
export type ConfigChangeKind = 'added' | 'removed' | 'modified';

/** A leaf's value: JSON-shaped, so it prints, serialises and compares without protobuf. */
export type DiffValue = null | boolean | number | string | DiffValue[] | { [key: string]: DiffValue };

/** One leaf that differs between two configs. */
export interface ConfigChange {
  /** e.g. `Channel/Orderer/BatchSize/PreferredMaxBytes` */
  readonly path: string;
  readonly kind: ConfigChangeKind;
  /** The value before; absent when added. */
  readonly before?: DiffValue;
  /** The value after; absent when removed. */
  readonly after?: DiffValue;
}

// Names Fabric reads that keys.ts does not list, because this project's genesis never writes them.
const CONSORTIUMS_GROUP = 'Consortiums';
const CONSORTIUM_VALUE = 'Consortium';
const ACLS_VALUE = 'ACLs';
const MOD_POLICY = 'ModPolicy';
const POLICIES = 'Policies';
const UNKNOWN_FIELDS = 'UnknownFields';
/** msp.MSPConfig.type of a Fabric (X.509) MSP; 1 is Idemix, whose config is not decoded here. */
const FABRIC_MSP_TYPE = 0;
const ETCDRAFT = 'etcdraft';
const BFT = 'BFT';

export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function hashRef(bytes: Uint8Array): string {
  return `sha256:${sha256Hex(bytes)}`;
}

/** Enough of a certificate's hash to tell a rotation apart inside a one-line entry. */
/**
 * A consenter's certificate by the hash of its PEM text with line ends normalised: the channel
 * model (consenters.ts) names certificates the same way, whatever line ends a file had.
 */
function pemHash(bytes: Uint8Array): string {
  return shortHash(new TextEncoder().encode(new TextDecoder().decode(bytes).replace(/\r\n/g, '\n').trim() + '\n'));
}

/** The short SHA-256 the diff shows a certificate by. */
export function shortHash(bytes: Uint8Array): string {
  return sha256Hex(bytes).slice(0, 16);
}

function undecodable(bytes: Uint8Array): string {
  return `undecodable: ${hashRef(bytes)}`;
}

function enumName<M extends { [K in keyof M]: number }>(values: M, value: number): string {
  const name = (Object.keys(values) as (keyof M & string)[]).find((key) => values[key] === value);
  return name ?? `UNKNOWN(${value})`;
}

// ---------------------------------------------------------------------------------------------
// Bytes a decoded message does not represent

/**
 * The raw top-level fields of a protobuf message, tag included; undefined when the bytes are not
 * a sequence of fields this reader can delimit (groups, truncation).
 */
function topLevelFields(bytes: Uint8Array): Uint8Array[] | undefined {
  const fields: Uint8Array[] = [];
  let at = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (at >= bytes.length) return undefined;
      const byte = bytes[at++];
      // Multiplication, not <<, because tags and lengths past 2^31 would turn negative.
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  while (at < bytes.length) {
    const start = at;
    const tag = varint();
    if (tag === undefined) return undefined;
    switch (tag % 8) {
      case 0:
        if (varint() === undefined) return undefined;
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = varint();
        if (length === undefined) return undefined;
        at += length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        return undefined;
    }
    if (at > bytes.length) return undefined;
    fields.push(bytes.subarray(start, at));
  }
  return fields;
}

/**
 * The stored fields that re-encoding the decoded message does not reproduce: fields of a newer
 * proto than the installed one (jspb drops them on decode), or an unusual encoding. Compared as
 * multisets of whole fields, because Go writes map entries in random order and jspb in key order.
 */
function unrepresentedFields(stored: Uint8Array, reencoded: Uint8Array): Uint8Array[] {
  const storedFields = topLevelFields(stored);
  if (storedFields === undefined) return [stored];
  const remaining = new Map<string, number>();
  for (const field of topLevelFields(reencoded) ?? []) {
    const key = Buffer.from(field).toString('hex');
    remaining.set(key, (remaining.get(key) ?? 0) + 1);
  }
  return storedFields.filter((field) => {
    const key = Buffer.from(field).toString('hex');
    const count = remaining.get(key) ?? 0;
    if (count === 0) return true;
    remaining.set(key, count - 1);
    return false;
  });
}

// ---------------------------------------------------------------------------------------------
// Values

/** The leaves of one config value, collected before any is kept so a failed decode leaves none. */
interface Decoding {
  readonly leaves: [string, DiffValue][];
  readonly unrepresented: Uint8Array[];
}

function newDecoding(): Decoding {
  return { leaves: [], unrepresented: [] };
}

function leaf(decoding: Decoding, path: string, value: DiffValue): void {
  decoding.leaves.push([path, value]);
}

/** Decodes one message; throws on malformed bytes, which the caller turns into an undecodable leaf. */
function decode<T extends { serializeBinary(): Uint8Array }>(decoding: Decoding, bytes: Uint8Array, deserialize: (bytes: Uint8Array) => T): T {
  const message = deserialize(bytes);
  decoding.unrepresented.push(...unrepresentedFields(bytes, message.serializeBinary()));
  return message;
}

type ValueDecoder = (decoding: Decoding, path: string, bytes: Uint8Array) => void;

/** A decoder for a message with one field: the leaf is the value's path, or `<path>/<field>`. */
function oneField<T extends { serializeBinary(): Uint8Array }>(
  deserialize: (bytes: Uint8Array) => T,
  read: (message: T) => DiffValue,
  field?: string,
): ValueDecoder {
  return (d, path, bytes) => {
    leaf(d, field === undefined ? path : `${path}/${field}`, read(decode(d, bytes, deserialize)));
  };
}

const decodeCapabilities: ValueDecoder = (d, path, bytes) => {
  const capabilities = decode(d, bytes, (b) => common.Capabilities.deserializeBinary(b));
  leaf(d, path, [...capabilities.getCapabilitiesMap().keys()].sort(byCodeUnit));
};

const decodeOrdererAddresses: ValueDecoder = (d, path, bytes) => {
  leaf(d, path, decode(d, bytes, (b) => common.OrdererAddresses.deserializeBinary(b)).getAddressesList());
};

function decodeEtcdraftMetadata(d: Decoding, path: string, bytes: Uint8Array): void {
  const metadata = decode(d, bytes, (b) => orderer.etcdraft.ConfigMetadata.deserializeBinary(b));
  leaf(
    d,
    `${path}/Consenters`,
    metadata
      .getConsentersList()
      .map((c) => `${c.getHost()}:${c.getPort()} client=${pemHash(c.getClientTlsCert_asU8())} server=${pemHash(c.getServerTlsCert_asU8())}`)
      .sort(byCodeUnit),
  );
  const options = metadata.getOptions();
  if (options === undefined) return;
  const at = `${path}/Options`;
  leaf(d, `${at}/TickInterval`, options.getTickInterval());
  leaf(d, `${at}/ElectionTick`, options.getElectionTick());
  leaf(d, `${at}/HeartbeatTick`, options.getHeartbeatTick());
  leaf(d, `${at}/MaxInflightBlocks`, options.getMaxInflightBlocks());
  leaf(d, `${at}/SnapshotIntervalSize`, options.getSnapshotIntervalSize());
}

function decodeSmartBftOptions(d: Decoding, path: string, bytes: Uint8Array): void {
  const options = decode(d, bytes, (b) => orderer.smartbft.Options.deserializeBinary(b));
  const fields: [string, DiffValue][] = [
    ['RequestBatchMaxCount', options.getRequestBatchMaxCount()],
    ['RequestBatchMaxBytes', options.getRequestBatchMaxBytes()],
    ['RequestBatchMaxInterval', options.getRequestBatchMaxInterval()],
    ['IncomingMessageBufferSize', options.getIncomingMessageBufferSize()],
    ['RequestPoolSize', options.getRequestPoolSize()],
    ['RequestForwardTimeout', options.getRequestForwardTimeout()],
    ['RequestComplainTimeout', options.getRequestComplainTimeout()],
    ['RequestAutoRemoveTimeout', options.getRequestAutoRemoveTimeout()],
    ['RequestMaxBytes', options.getRequestMaxBytes()],
    ['ViewChangeResendInterval', options.getViewChangeResendInterval()],
    ['ViewChangeTimeout', options.getViewChangeTimeout()],
    ['LeaderHeartbeatTimeout', options.getLeaderHeartbeatTimeout()],
    ['LeaderHeartbeatCount', options.getLeaderHeartbeatCount()],
    ['CollectTimeout', options.getCollectTimeout()],
    ['SyncOnStart', options.getSyncOnStart()],
    ['SpeedUpViewChange', options.getSpeedUpViewChange()],
    ['LeaderRotation', enumName(orderer.smartbft.Options.Rotation, options.getLeaderRotation())],
    ['DecisionsPerLeader', options.getDecisionsPerLeader()],
  ];
  for (const [name, value] of fields) leaf(d, `${path}/Options/${name}`, value);
}

const decodeConsensusType: ValueDecoder = (d, path, bytes) => {
  const consensus = decode(d, bytes, (b) => orderer.ConsensusType.deserializeBinary(b));
  const type = consensus.getType();
  leaf(d, `${path}/Type`, type);
  leaf(d, `${path}/State`, enumName(orderer.ConsensusType.State, consensus.getState()));
  const metadata = consensus.getMetadata_asU8();
  // A devnet channel may store an etcdraft-shaped consenter list (it orders alone; the list is governed all the same).
  const raftShaped = type === ETCDRAFT || (type === DEVNET_CONSENSUS_TYPE && metadata.length > 0);
  const decodeMetadata = raftShaped ? decodeEtcdraftMetadata : type === BFT ? decodeSmartBftOptions : undefined;
  if (decodeMetadata === undefined) {
    leaf(d, `${path}/Metadata`, metadata.length === 0 ? '' : hashRef(metadata));
    return;
  }
  // Bad metadata must not hide the type and state, which decoded: only the metadata is undecodable.
  const nested = newDecoding();
  try {
    decodeMetadata(nested, path, metadata);
  } catch {
    leaf(d, `${path}/Metadata`, undecodable(metadata));
    return;
  }
  d.leaves.push(...nested.leaves);
  d.unrepresented.push(...nested.unrepresented);
};

const decodeOrderers: ValueDecoder = (d, path, bytes) => {
  const orderers = decode(d, bytes, (b) => common.Orderers.deserializeBinary(b));
  leaf(
    d,
    path,
    orderers
      .getConsenterMappingList()
      .map(
        (c) =>
          `id=${c.getId()} ${c.getMspId()} ${c.getHost()}:${c.getPort()} identity=${pemHash(c.getIdentity_asU8())}` +
          ` client=${pemHash(c.getClientTlsCert_asU8())} server=${pemHash(c.getServerTlsCert_asU8())}`,
      )
      .sort(byCodeUnit),
  );
};

const decodeAcls: ValueDecoder = (d, path, bytes) => {
  const acls = decode(d, bytes, (b) => peer.ACLs.deserializeBinary(b));
  for (const [resource, apiResource] of acls.getAclsMap().entries()) leaf(d, `${path}/${resource}`, apiResource.getPolicyRef());
};

function ouText(identifier: msp.FabricOUIdentifier): string {
  const certificate = identifier.getCertificate_asU8();
  const ou = identifier.getOrganizationalUnitIdentifier();
  return certificate.length === 0 ? ou : `${ou}@${shortHash(certificate)}`;
}

/** One line, so that enabling NodeOUs or re-pointing one role's OU is a single modified leaf. */
function nodeOusText(nodeOus: msp.FabricNodeOUs | undefined): string {
  if (nodeOus === undefined) return '';
  const roles: [string, msp.FabricOUIdentifier | undefined][] = [
    ['client', nodeOus.getClientOuIdentifier()],
    ['peer', nodeOus.getPeerOuIdentifier()],
    ['admin', nodeOus.getAdminOuIdentifier()],
    ['orderer', nodeOus.getOrdererOuIdentifier()],
  ];
  const parts = [`enable=${nodeOus.getEnable()}`];
  for (const [role, identifier] of roles) if (identifier !== undefined) parts.push(`${role}=${ouText(identifier)}`);
  return parts.join(' ');
}

const decodeMsp: ValueDecoder = (d, path, bytes) => {
  const config = decode(d, bytes, (b) => msp.MSPConfig.deserializeBinary(b));
  leaf(d, `${path}/Type`, config.getType());
  if (config.getType() !== FABRIC_MSP_TYPE) {
    leaf(d, `${path}/Config`, hashRef(config.getConfig_asU8()));
    return;
  }
  const fabric = decode(d, config.getConfig_asU8(), (b) => msp.FabricMSPConfig.deserializeBinary(b));
  const hashes = (list: Uint8Array[]): string[] => list.map(hashRef);
  leaf(d, `${path}/Name`, fabric.getName());
  leaf(d, `${path}/RootCerts`, hashes(fabric.getRootCertsList_asU8()));
  leaf(d, `${path}/IntermediateCerts`, hashes(fabric.getIntermediateCertsList_asU8()));
  leaf(d, `${path}/TLSRootCerts`, hashes(fabric.getTlsRootCertsList_asU8()));
  leaf(d, `${path}/TLSIntermediateCerts`, hashes(fabric.getTlsIntermediateCertsList_asU8()));
  leaf(d, `${path}/Admins`, hashes(fabric.getAdminsList_asU8()));
  leaf(d, `${path}/RevocationList`, hashes(fabric.getRevocationListList_asU8()));
  leaf(d, `${path}/NodeOUs`, nodeOusText(fabric.getFabricNodeOus()));
  // The MSP validates identities against these too, so a change to them is a change in who is a member.
  leaf(d, `${path}/OrganizationalUnitIdentifiers`, fabric.getOrganizationalUnitIdentifiersList().map(ouText));
  const crypto = fabric.getCryptoConfig();
  if (crypto !== undefined) {
    leaf(d, `${path}/CryptoConfig/SignatureHashFamily`, crypto.getSignatureHashFamily());
    leaf(d, `${path}/CryptoConfig/IdentityIdentifierHashFunction`, crypto.getIdentityIdentifierHashFunction());
  }
  const signingIdentity = fabric.getSigningIdentity();
  if (signingIdentity !== undefined) leaf(d, `${path}/SigningIdentity`, hashRef(signingIdentity.serializeBinary()));
};

const decodeAnchorPeers: ValueDecoder = (d, path, bytes) => {
  const anchors = decode(d, bytes, (b) => peer.AnchorPeers.deserializeBinary(b));
  leaf(d, path, anchors.getAnchorPeersList().map((anchor) => `${anchor.getHost()}:${anchor.getPort()}`));
};

/** Where a group sits, which decides how Fabric reads its values (common/channelconfig). */
type GroupRole = 'channel' | 'orderer' | 'application' | 'org' | 'other';

function roleOf(names: readonly string[]): GroupRole {
  const [root, top] = names;
  if (root !== ConfigKey.channelGroup) return 'other';
  if (names.length === 1) return 'channel';
  if (names.length === 2 && top === ConfigKey.ordererGroup) return 'orderer';
  if (names.length === 2 && top === ConfigKey.applicationGroup) return 'application';
  if (names.length === 3 && (top === ConfigKey.ordererGroup || top === ConfigKey.applicationGroup)) return 'org';
  // A system channel's member orgs: /Channel/Consortiums/<consortium>/<org>.
  if (names.length === 4 && top === CONSORTIUMS_GROUP) return 'org';
  return 'other';
}

// Maps, not records: a value named e.g. `constructor` must not find Object.prototype's.
const DECODERS: Readonly<Record<GroupRole, ReadonlyMap<string, ValueDecoder>>> = {
  channel: new Map<string, ValueDecoder>([
    [ConfigKey.hashingAlgorithm, oneField((b) => common.HashingAlgorithm.deserializeBinary(b), (m) => m.getName())],
    [ConfigKey.blockDataHashingStructure, oneField((b) => common.BlockDataHashingStructure.deserializeBinary(b), (m) => m.getWidth())],
    [ConfigKey.ordererAddresses, decodeOrdererAddresses],
    [CONSORTIUM_VALUE, oneField((b) => common.Consortium.deserializeBinary(b), (m) => m.getName())],
    [ConfigKey.capabilities, decodeCapabilities],
  ]),
  orderer: new Map<string, ValueDecoder>([
    [
      ConfigKey.batchSize,
      (d, path, bytes) => {
        const size = decode(d, bytes, (b) => orderer.BatchSize.deserializeBinary(b));
        leaf(d, `${path}/MaxMessageCount`, size.getMaxMessageCount());
        leaf(d, `${path}/AbsoluteMaxBytes`, size.getAbsoluteMaxBytes());
        leaf(d, `${path}/PreferredMaxBytes`, size.getPreferredMaxBytes());
      },
    ],
    [ConfigKey.batchTimeout, oneField((b) => orderer.BatchTimeout.deserializeBinary(b), (m) => m.getTimeout())],
    [ConfigKey.channelRestrictions, oneField((b) => orderer.ChannelRestrictions.deserializeBinary(b), (m) => m.getMaxCount(), 'MaxCount')],
    [ConfigKey.consensusType, decodeConsensusType],
    [ConfigKey.orderers, decodeOrderers],
    [ConfigKey.capabilities, decodeCapabilities],
  ]),
  application: new Map<string, ValueDecoder>([
    [ACLS_VALUE, decodeAcls],
    [ConfigKey.capabilities, decodeCapabilities],
  ]),
  org: new Map<string, ValueDecoder>([
    [ConfigKey.msp, decodeMsp],
    [ConfigKey.anchorPeers, decodeAnchorPeers],
    [ConfigKey.endpoints, decodeOrdererAddresses],
    [ConfigKey.capabilities, decodeCapabilities],
  ]),
  other: new Map<string, ValueDecoder>([[ConfigKey.capabilities, decodeCapabilities]]),
};

type Emit = (path: string, value: DiffValue) => void;

function valueLeaves(role: GroupRole, path: string, value: common.ConfigValue, emit: Emit): void {
  emit(`${path}/${MOD_POLICY}`, value.getModPolicy());
  const bytes = value.getValue_asU8();
  const name = path.slice(path.lastIndexOf('/') + 1);
  const decoder = DECODERS[role].get(name);
  if (decoder === undefined) {
    emit(path, hashRef(bytes));
    return;
  }
  const decoding = newDecoding();
  try {
    decoder(decoding, path, bytes);
  } catch {
    emit(path, undecodable(bytes));
    return;
  }
  for (const [leafPath, leafValue] of decoding.leaves) emit(leafPath, leafValue);
  if (decoding.unrepresented.length > 0) {
    // Sorted, so that the same unknown fields hash the same whichever order they were stored in.
    const fields = decoding.unrepresented.map((field) => Buffer.from(field)).sort((a, b) => Buffer.compare(a, b));
    emit(`${path}/${UNKNOWN_FIELDS}`, hashRef(Buffer.concat(fields)));
  }
}

// ---------------------------------------------------------------------------------------------
// Policies

/**
 * A policy as one line: `MAJORITY Admins` for an ImplicitMeta policy, policydsl for a signature
 * policy. The only place a policy is rendered, so that another renderer replaces it here alone.
 */
function policyText(policy: common.Policy): string {
  const bytes = policy.getValue_asU8();
  const type = policy.getType();
  if (type !== common.Policy.PolicyType.IMPLICIT_META && type !== common.Policy.PolicyType.SIGNATURE) return `type ${type}: ${hashRef(bytes)}`;
  try {
    // The same canonical text the channel model writes, so a diff line reads as the CB that set it.
    return formatPolicy(policy);
  } catch {
    return undecodable(bytes);
  }
}

function policyLeaves(path: string, configPolicy: common.ConfigPolicy, emit: Emit): void {
  emit(`${path}/${MOD_POLICY}`, configPolicy.getModPolicy());
  emit(path, policyText(configPolicy.getPolicy() ?? new common.Policy()));
}

// ---------------------------------------------------------------------------------------------
// Groups

function groupLeaves(group: common.ConfigGroup, names: readonly string[], emit: Emit): void {
  const path = names.join('/');
  // Always present, so that a group with nothing else in it still shows when added or removed.
  emit(`${path}/${MOD_POLICY}`, group.getModPolicy());
  const role = roleOf(names);
  for (const [name, value] of group.getValuesMap().entries()) valueLeaves(role, `${path}/${name}`, value, emit);
  for (const [name, configPolicy] of group.getPoliciesMap().entries()) policyLeaves(`${path}/${POLICIES}/${name}`, configPolicy, emit);
  for (const [name, child] of group.getGroupsMap().entries()) groupLeaves(child, [...names, name], emit);
}

/**
 * The leaves of one config, by path: every group's, value's and policy's mod_policy, every policy
 * as one line, and every value decoded into fields where Fabric's meaning is known (hashed where
 * not). Versions and the config sequence are left out.
 *
 * @param config - the channel config.
 * @returns path to value, in path order (UTF-16 code units); empty when the config has no channel group.
 */
export function configLeaves(config: common.Config): Map<string, DiffValue> {
  const leaves = new Map<string, DiffValue>();
  // Names may collide with this scheme's own words (an org group called `ACLs`, an ACL resource
  // called `ModPolicy`); a suffix keeps both leaves rather than letting one silently replace the other.
  const emit: Emit = (path, value) => {
    let unique = path;
    for (let n = 2; leaves.has(unique); n++) unique = `${path}#${n}`;
    leaves.set(unique, value);
  };
  const root = config.getChannelGroup();
  if (root !== undefined) groupLeaves(root, [ConfigKey.channelGroup], emit);
  return new Map([...leaves].sort(([a], [b]) => byCodeUnit(a, b)));
}

/** Map keys in code unit order, so that `{a, b}` and `{b, a}` are the same value. */
function canonical(value: DiffValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort(byCodeUnit)
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Every leaf that differs between two configs (see {@link configLeaves}). A version bump that
 * writes the same bytes is no change; a value that does not decode still differs by its hash.
 *
 * @param before - the config before.
 * @param after - the config after.
 * @returns the changes, sorted by path (UTF-16 code unit order).
 */
export function diffConfigs(before: common.Config, after: common.Config): ConfigChange[] {
  const beforeLeaves = configLeaves(before);
  const afterLeaves = configLeaves(after);
  const paths = [...new Set([...beforeLeaves.keys(), ...afterLeaves.keys()])].sort(byCodeUnit);
  const changes: ConfigChange[] = [];
  for (const path of paths) {
    const wasThere = beforeLeaves.has(path);
    const isThere = afterLeaves.has(path);
    const old = beforeLeaves.get(path) ?? null;
    const now = afterLeaves.get(path) ?? null;
    if (!wasThere) changes.push({ path, kind: 'added', after: now });
    else if (!isThere) changes.push({ path, kind: 'removed', before: old });
    else if (canonical(old) !== canonical(now)) changes.push({ path, kind: 'modified', before: old, after: now });
  }
  return changes;
}
