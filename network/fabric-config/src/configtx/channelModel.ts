/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The governed configuration of a channel as a desired state: what a consortium changes in a
 * channel's config (batch and consensus values, the consenter set, policies, capabilities, ACLs,
 * anchor peers, member organisations), in a JSON shape close to configtx.yaml.
 * A model names only what it governs: every field present is a value the channel must have, every
 * field absent is left as the channel has it; maps (policies, ACLs, anchor peers and
 * organisations by MSP ID) are partial by key, lists (capabilities, one organisation's anchor
 * peers) are whole, and so is one organisation (./organization.ts).
 *
 * The translation to a config is a pure function of the current config and the model, and it
 * only rewrites what differs by value (a BatchTimeout of "1500ms" is not rewritten as "1.5s"),
 * so every member starting from the same config computes byte-identical updates, whatever the
 * order of the model's keys or of its sets (capabilities; anchor peers, written sorted).
 *
 * Durations are integers of milliseconds, so that a consortium's JSON Schema can bound them;
 * they are written as Go durations (`formatGoDuration`), as configtxgen writes them.
 */
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import { withBatchParams } from './batch';
import { byCodeUnit, configLeaves, shortHash } from './configDiff';
import { canonicalConsenters, consenterText, consentersOfRemainingOrgs, consentersShapeProblems, readConsenters, writeConsenters } from './consenters';
import type { ConsenterModel } from './consenters';
import type { DiffValue } from './configDiff';
import { readBatchParams } from './decode';
import { parseGoDuration, formatGoDuration } from './duration';
import { ConfigtxError } from './errors';
import { ConfigKey } from './keys';
import { organizationFieldProblems, organizationGroup, removeOrganization, writeOrganization } from './organization';
import type { OrganizationGroup, OrganizationModel } from './organization';
import { hasPolicy } from './policy';
import { policyFromModel, policyModelProblem, policyToModel } from './policyExpression';
import type { PolicyModel } from './policyExpression';
import { batchSizeProblem, capabilitiesProblem, configIdProblem } from './profile';
import type { BatchSizeParams } from './profile';
import { computeUpdate } from './update';

/** The version of the model's shape, written in every model (`"version": 2`). */
export const CHANNEL_MODEL_VERSION = 2;

/** Named policies of one config level. */
export type PoliciesModel = Readonly<Record<string, PolicyModel>>;

/** etcdraft `Options` (orderer.etcdraft.Options). */
export interface EtcdraftOptionsModel {
  readonly tickIntervalMs?: number;
  readonly electionTick?: number;
  readonly heartbeatTick?: number;
  readonly maxInflightBlocks?: number;
  readonly snapshotIntervalSize?: number;
}

/** SmartBFT `Options` (orderer.smartbft.Options): request batching, timeouts, view change. */
export interface SmartBftOptionsModel {
  readonly requestBatchMaxCount?: number;
  readonly requestBatchMaxBytes?: number;
  readonly requestBatchMaxIntervalMs?: number;
  readonly incomingMessageBufferSize?: number;
  readonly requestPoolSize?: number;
  readonly requestForwardTimeoutMs?: number;
  readonly requestComplainTimeoutMs?: number;
  readonly requestAutoRemoveTimeoutMs?: number;
  readonly viewChangeResendIntervalMs?: number;
  readonly viewChangeTimeoutMs?: number;
  readonly leaderHeartbeatTimeoutMs?: number;
  readonly leaderHeartbeatCount?: number;
  readonly collectTimeoutMs?: number;
  readonly syncOnStart?: boolean;
  readonly speedUpViewChange?: boolean;
}

/** An anchor peer of an organisation. */
export interface AnchorPeerModel {
  readonly host: string;
  readonly port: number;
}

/** What every level has: policies and capabilities. */
export interface LevelModel {
  readonly policies?: PoliciesModel;
  /** Required capabilities, e.g. `["V2_5"]`; a set (order does not matter). */
  readonly capabilities?: readonly string[];
}

/** `/Channel/Orderer`. */
export interface OrdererModel extends LevelModel {
  readonly batchTimeoutMs?: number;
  readonly batchSize?: Partial<BatchSizeParams>;
  /** Only on a channel of consensus type `etcdraft`. */
  readonly etcdraft?: EtcdraftOptionsModel;
  /** Only on a channel of consensus type `BFT`. */
  readonly smartbft?: SmartBftOptionsModel;
  /**
   * The consenter set, whole (./consenters.ts): etcdraft's consenters, BFT's consenter mapping
   * (entries with `id`, `mspId` and `identity`), or a devnet channel's stored list.
   */
  readonly consenters?: readonly ConsenterModel[];
}

/** `/Channel/Application`. */
export interface ApplicationModel extends LevelModel {
  /** Resource (e.g. `_lifecycle/CheckCommitReadiness`) to policy reference (e.g. `/Channel/Application/Writers`). */
  readonly acls?: Readonly<Record<string, string>>;
  /** Organisation MSP ID to its anchor peers (a set; `[]` removes them). */
  readonly anchorPeers?: Readonly<Record<string, readonly AnchorPeerModel[]>>;
}

/** An organisation the channel must have, and the groups it must be in (it is left as it is in others). */
export type OrganizationEntryModel = OrganizationModel & { readonly groups: readonly OrganizationGroup[] };

/** The governed configuration of a channel (see the top of this file). */
export interface ChannelModel {
  readonly version: typeof CHANNEL_MODEL_VERSION;
  readonly channel?: LevelModel;
  readonly orderer?: OrdererModel;
  readonly application?: ApplicationModel;
  /**
   * Organisations by MSP ID: an entry puts the organisation, whole, in the named groups (added,
   * or replaced as a CA rotation or other update); `null` removes it from both. A model names
   * only the organisations that change: {@link readChannelModel} leaves this out.
   */
  readonly organizations?: Readonly<Record<string, OrganizationEntryModel | null>>;
}

type FieldKind = 'duration' | 'count' | 'flag';

/** One consensus option: the model key, the proto field (PascalCase, as configtx.yaml and the config diff name it). */
interface OptionField {
  readonly key: string;
  readonly name: string;
  readonly kind: FieldKind;
}

const ETCDRAFT_FIELDS: readonly OptionField[] = [
  { key: 'tickIntervalMs', name: 'TickInterval', kind: 'duration' },
  { key: 'electionTick', name: 'ElectionTick', kind: 'count' },
  { key: 'heartbeatTick', name: 'HeartbeatTick', kind: 'count' },
  { key: 'maxInflightBlocks', name: 'MaxInflightBlocks', kind: 'count' },
  { key: 'snapshotIntervalSize', name: 'SnapshotIntervalSize', kind: 'count' },
];

const SMARTBFT_FIELDS: readonly OptionField[] = [
  { key: 'requestBatchMaxCount', name: 'RequestBatchMaxCount', kind: 'count' },
  { key: 'requestBatchMaxBytes', name: 'RequestBatchMaxBytes', kind: 'count' },
  { key: 'requestBatchMaxIntervalMs', name: 'RequestBatchMaxInterval', kind: 'duration' },
  { key: 'incomingMessageBufferSize', name: 'IncomingMessageBufferSize', kind: 'count' },
  { key: 'requestPoolSize', name: 'RequestPoolSize', kind: 'count' },
  { key: 'requestForwardTimeoutMs', name: 'RequestForwardTimeout', kind: 'duration' },
  { key: 'requestComplainTimeoutMs', name: 'RequestComplainTimeout', kind: 'duration' },
  { key: 'requestAutoRemoveTimeoutMs', name: 'RequestAutoRemoveTimeout', kind: 'duration' },
  { key: 'viewChangeResendIntervalMs', name: 'ViewChangeResendInterval', kind: 'duration' },
  { key: 'viewChangeTimeoutMs', name: 'ViewChangeTimeout', kind: 'duration' },
  { key: 'leaderHeartbeatTimeoutMs', name: 'LeaderHeartbeatTimeout', kind: 'duration' },
  { key: 'leaderHeartbeatCount', name: 'LeaderHeartbeatCount', kind: 'count' },
  { key: 'collectTimeoutMs', name: 'CollectTimeout', kind: 'duration' },
  { key: 'syncOnStart', name: 'SyncOnStart', kind: 'flag' },
  { key: 'speedUpViewChange', name: 'SpeedUpViewChange', kind: 'flag' },
];

const BATCH_SIZE_FIELDS = [
  { key: 'maxMessageCount', name: 'MaxMessageCount' },
  { key: 'absoluteMaxBytes', name: 'AbsoluteMaxBytes' },
  { key: 'preferredMaxBytes', name: 'PreferredMaxBytes' },
] as const;

const LEVELS = [
  { key: 'channel', path: ['Channel'], capabilities: 'channel' },
  { key: 'orderer', path: ['Channel', ConfigKey.ordererGroup], capabilities: 'orderer' },
  { key: 'application', path: ['Channel', ConfigKey.applicationGroup], capabilities: 'application' },
] as const;

const UINT32_MAX = 0xffffffff;
const ACLS = 'ACLs';

// ---------------------------------------------------------------------------------------------
// Proto field access by the PascalCase names of the tables above (jspb getters/setters).

type Accessors = Record<string, unknown>;

function getField(message: object, name: string): unknown {
  const getter = (message as Accessors)[`get${name}`];
  return typeof getter === 'function' ? (getter as () => unknown).call(message) : undefined;
}

function setField(message: object, name: string, value: unknown): void {
  const setter = (message as Accessors)[`set${name}`];
  if (typeof setter !== 'function') throw new Error(`no field ${name}`);
  (setter as (v: unknown) => void).call(message, value);
}

// ---------------------------------------------------------------------------------------------
// Shape validation: every problem, each naming its field.

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

class Problems {
  readonly list: string[] = [];
  add(field: string, problem: string): void {
    this.list.push(`${field}: ${problem}`);
  }
  keys(value: Record<string, unknown>, allowed: readonly string[], field: string): void {
    for (const key of Object.keys(value)) if (!allowed.includes(key)) this.add(`${field}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }
  integer(value: unknown, field: string, min: number, max: number = Number.MAX_SAFE_INTEGER): void {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      this.add(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
  }
  object(value: unknown, field: string): value is Record<string, unknown> {
    if (isRecord(value)) return true;
    this.add(field, 'must be an object');
    return false;
  }
}

function checkPolicies(value: unknown, field: string, problems: Problems): void {
  if (!problems.object(value, field)) return;
  for (const [name, policy] of Object.entries(value)) {
    const badName = configIdProblem(name);
    if (badName !== undefined) problems.add(`${field}.${name}`, badName);
    const bad = policyModelProblem(policy);
    if (bad !== undefined) problems.add(`${field}.${name}`, bad);
  }
}

function checkCapabilities(value: unknown, field: string, level: 'channel' | 'orderer' | 'application', problems: Problems): void {
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string')) {
    problems.add(field, 'must be an array of capability names');
    return;
  }
  const names = value as string[];
  if (new Set(names).size !== names.length) problems.add(field, 'lists a capability twice');
  const unsupported = capabilitiesProblem(level, names);
  if (unsupported !== undefined) problems.add(field, unsupported);
}

function checkOptions(value: unknown, fields: readonly OptionField[], field: string, problems: Problems): void {
  if (!problems.object(value, field)) return;
  problems.keys(value, fields.map((f) => f.key), field);
  for (const f of fields) {
    const v = value[f.key];
    if (v === undefined) continue;
    if (f.kind === 'flag') {
      if (typeof v !== 'boolean') problems.add(`${field}.${f.key}`, `must be true or false, got ${JSON.stringify(v)}`);
    } else {
      problems.integer(v, `${field}.${f.key}`, f.key === 'snapshotIntervalSize' ? 0 : 1, f.kind === 'count' ? UINT32_MAX : Number.MAX_SAFE_INTEGER);
    }
  }
}

function checkAnchorPeers(value: unknown, field: string, problems: Problems): void {
  if (!problems.object(value, field)) return;
  for (const [mspId, peers] of Object.entries(value)) {
    const at = `${field}.${mspId}`;
    if (!Array.isArray(peers)) {
      problems.add(at, 'must be an array of {host, port}');
      continue;
    }
    const seen = new Set<string>();
    peers.forEach((p: unknown, i) => {
      if (!problems.object(p, `${at}[${i}]`)) return;
      problems.keys(p, ['host', 'port'], `${at}[${i}]`);
      if (typeof p.host !== 'string' || p.host.length === 0 || /\s/.test(p.host)) problems.add(`${at}[${i}].host`, 'must be a host name without spaces');
      problems.integer(p.port, `${at}[${i}].port`, 1, 65535);
      const id = `${String(p.host)}:${String(p.port)}`;
      if (seen.has(id)) problems.add(`${at}[${i}]`, `${id} is listed twice`);
      seen.add(id);
    });
  }
}

function checkOrganizations(value: unknown, app: unknown, problems: Problems): void {
  const field = 'config.organizations';
  if (!problems.object(value, field)) return;
  // One place per value: an organisation entry states its anchor peers, whole. Anchor peers of
  // an organisation the model removes are left over from before (a CB carries the whole state)
  // and are not written: the removal wins.
  const anchorPeers = isRecord(app) && isRecord(app.anchorPeers) ? Object.keys(app.anchorPeers) : [];
  for (const mspId of anchorPeers) {
    if (Object.hasOwn(value, mspId) && value[mspId] !== null) problems.add(`config.application.anchorPeers.${mspId}`, `${mspId} is in ${field} too; state its anchor peers there`);
  }
  for (const [mspId, entry] of Object.entries(value)) {
    const at = `${field}.${mspId}`;
    if (entry === null) {
      const badId = configIdProblem(mspId);
      if (badId !== undefined) problems.add(at, badId);
      continue;
    }
    problems.list.push(...organizationFieldProblems(entry, at, ['groups']));
    if (!isRecord(entry)) continue;
    if (entry.mspId !== mspId) problems.add(`${at}.mspId`, `must be the entry's key ${mspId}, got ${JSON.stringify(entry.mspId)}`);
    const groups = entry.groups;
    if (!Array.isArray(groups) || groups.length === 0 || groups.some((g) => g !== 'application' && g !== 'orderer') || new Set(groups).size !== groups.length) {
      problems.add(`${at}.groups`, `must list application, orderer or both, each once, got ${JSON.stringify(groups)}`);
    }
  }
}

function checkAcls(value: unknown, field: string, problems: Problems): void {
  if (!problems.object(value, field)) return;
  for (const [resource, ref] of Object.entries(value)) {
    if (resource.length === 0) problems.add(field, 'an ACL resource name is empty');
    if (typeof ref !== 'string' || ref.length === 0) problems.add(`${field}.${resource}`, 'must be a policy reference such as /Channel/Application/Writers');
  }
}

/**
 * Every reason `value` is not a channel model, independent of any channel: shape, types, ranges,
 * policy expressions, capability names this Fabric version knows.
 *
 * @param value - a parsed JSON value.
 * @returns the problems, each `field: problem` (empty when valid).
 */
export function channelModelProblems(value: unknown): string[] {
  const problems = new Problems();
  if (!problems.object(value, 'config')) return problems.list;
  problems.keys(value, ['version', 'channel', 'orderer', 'application', 'organizations'], 'config');
  if (value.version !== CHANNEL_MODEL_VERSION) problems.add('config.version', `must be ${CHANNEL_MODEL_VERSION}, got ${JSON.stringify(value.version)}`);
  const levelKeys = { channel: ['policies', 'capabilities'], orderer: ['policies', 'capabilities', 'batchTimeoutMs', 'batchSize', 'etcdraft', 'smartbft', 'consenters'], application: ['policies', 'capabilities', 'acls', 'anchorPeers'] };
  for (const level of LEVELS) {
    const section = value[level.key];
    const at = `config.${level.key}`;
    if (section === undefined || !problems.object(section, at)) continue;
    problems.keys(section, levelKeys[level.key], at);
    if (section.policies !== undefined) checkPolicies(section.policies, `${at}.policies`, problems);
    if (section.capabilities !== undefined) checkCapabilities(section.capabilities, `${at}.capabilities`, level.capabilities, problems);
  }
  const ord = value.orderer;
  if (isRecord(ord)) {
    if (ord.batchTimeoutMs !== undefined) problems.integer(ord.batchTimeoutMs, 'config.orderer.batchTimeoutMs', 1);
    if (ord.batchSize !== undefined && problems.object(ord.batchSize, 'config.orderer.batchSize')) {
      const size = ord.batchSize;
      problems.keys(size, BATCH_SIZE_FIELDS.map((f) => f.key), 'config.orderer.batchSize');
      for (const f of BATCH_SIZE_FIELDS) if (size[f.key] !== undefined) problems.integer(size[f.key], `config.orderer.batchSize.${f.key}`, 1, UINT32_MAX);
    }
    if (ord.etcdraft !== undefined) checkOptions(ord.etcdraft, ETCDRAFT_FIELDS, 'config.orderer.etcdraft', problems);
    if (ord.smartbft !== undefined) checkOptions(ord.smartbft, SMARTBFT_FIELDS, 'config.orderer.smartbft', problems);
    if (ord.etcdraft !== undefined && ord.smartbft !== undefined) problems.add('config.orderer', 'names both etcdraft and smartbft options; a channel has one consensus type');
    if (ord.consenters !== undefined) for (const problem of consentersShapeProblems(ord.consenters, 'config.orderer.consenters')) problems.list.push(problem);
  }
  const app = value.application;
  if (isRecord(app)) {
    if (app.acls !== undefined) checkAcls(app.acls, 'config.application.acls', problems);
    if (app.anchorPeers !== undefined) checkAnchorPeers(app.anchorPeers, 'config.application.anchorPeers', problems);
  }
  if (value.organizations !== undefined) checkOrganizations(value.organizations, app, problems);
  return problems.list;
}

/**
 * `value` as a channel model.
 *
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) listing every problem of {@link channelModelProblems}.
 */
export function parseChannelModel(value: unknown): ChannelModel {
  const problems = channelModelProblems(value);
  if (problems.length > 0) throw new ConfigtxError(`invalid channel model: ${problems.join('; ')}`, { code: 'CONFIGTX_BAD_CONFIG' });
  return value as ChannelModel;
}

/** Whether a CB's configuration is a channel model (it says `"version": 2`) rather than the two batch values of older chains. */
export function isChannelModel(value: unknown): boolean {
  return isRecord(value) && value.version === CHANNEL_MODEL_VERSION;
}

// ---------------------------------------------------------------------------------------------
// Reading a config as a model

function groupAt(config: common.Config, path: readonly string[]): common.ConfigGroup | undefined {
  let group = config.getChannelGroup();
  for (const name of path.slice(1)) group = group?.getGroupsMap().get(name);
  return group;
}

/** A jspb map's entries as messages (its toArray() gives message values in their array form). */
function entriesOf<V>(map: { forEach(callback: (value: V, key: string) => void): void }): [string, V][] {
  const entries: [string, V][] = [];
  map.forEach((value, key) => entries.push([key, value]));
  return entries;
}

function readCapabilities(group: common.ConfigGroup): string[] {
  const bytes = group.getValuesMap().get(ConfigKey.capabilities)?.getValue_asU8();
  if (bytes === undefined) return [];
  return entriesOf(common.Capabilities.deserializeBinary(bytes).getCapabilitiesMap()).map(([name]) => name).sort();
}

function readPolicies(group: common.ConfigGroup): Record<string, PolicyModel> {
  const policies: Record<string, PolicyModel> = {};
  for (const [name, configPolicy] of entriesOf(group.getPoliciesMap())) {
    const policy = configPolicy.getPolicy();
    if (policy === undefined) continue;
    let model: PolicyModel;
    try {
      model = policyToModel(policy);
    } catch {
      continue; // a policy type the model cannot write (none in Fabric's own configs)
    }
    // BFT's BlockValidation names orderer identities, not roles: it follows the consenter set
    // (membership), and the policy language cannot write it back.
    if (policyModelProblem(model) !== undefined) continue;
    policies[name] = model;
  }
  return policies;
}

function consensusType(config: common.Config): orderer.ConsensusType | undefined {
  const bytes = groupAt(config, ['Channel', ConfigKey.ordererGroup])?.getValuesMap().get(ConfigKey.consensusType)?.getValue_asU8();
  return bytes === undefined ? undefined : orderer.ConsensusType.deserializeBinary(bytes);
}

function readOptions(options: object, fields: readonly OptionField[]): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const f of fields) {
    const v = getField(options, f.name);
    if (f.kind === 'duration') out[f.key] = typeof v === 'string' && v !== '' ? parseGoDuration(v) : 0;
    else if (f.kind === 'flag') out[f.key] = v === true;
    else out[f.key] = Number(v ?? 0);
  }
  return out;
}

function readAnchorPeers(group: common.ConfigGroup): AnchorPeerModel[] {
  const bytes = group.getValuesMap().get(ConfigKey.anchorPeers)?.getValue_asU8();
  if (bytes === undefined) return [];
  return peer.AnchorPeers.deserializeBinary(bytes).getAnchorPeersList().map((a) => ({ host: a.getHost(), port: a.getPort() }));
}

function readAcls(group: common.ConfigGroup): Record<string, string> | undefined {
  const bytes = group.getValuesMap().get(ACLS)?.getValue_asU8();
  if (bytes === undefined) return undefined;
  const acls: Record<string, string> = {};
  for (const [resource, api] of entriesOf(peer.ACLs.deserializeBinary(bytes).getAclsMap())) acls[resource] = api.getPolicyRef();
  return acls;
}

/**
 * The whole governed configuration of a channel, as a model: what an operator edits to state a
 * change (`mgmt propose --edit`), and what a CB's model is compared with. Organisations are left
 * out (a model names the membership changes it makes; `readOrganization` reads one).
 *
 * @param config - the channel config.
 * @returns the model of every governed value present in the config.
 */
export function readChannelModel(config: common.Config): ChannelModel {
  const root = config.getChannelGroup();
  if (root === undefined) throw new ConfigtxError('config has no channel group', { code: 'CONFIGTX_BAD_CONFIG' });
  const model: { version: 2; channel?: LevelModel; orderer?: OrdererModel; application?: ApplicationModel } = {
    version: CHANNEL_MODEL_VERSION,
    channel: { policies: readPolicies(root), capabilities: readCapabilities(root) },
  };
  const ordererGroup = root.getGroupsMap().get(ConfigKey.ordererGroup);
  if (ordererGroup !== undefined) {
    const batch = readBatchParams(config);
    const type = consensusType(config);
    let etcdraft: EtcdraftOptionsModel | undefined;
    let smartbft: SmartBftOptionsModel | undefined;
    if (type?.getType() === 'etcdraft') {
      const options = orderer.etcdraft.ConfigMetadata.deserializeBinary(type.getMetadata_asU8()).getOptions();
      if (options !== undefined) etcdraft = readOptions(options, ETCDRAFT_FIELDS);
    } else if (type?.getType() === 'BFT') {
      smartbft = readOptions(orderer.smartbft.Options.deserializeBinary(type.getMetadata_asU8()), SMARTBFT_FIELDS);
    }
    const consenters = readConsenters(ordererGroup);
    model.orderer = {
      policies: readPolicies(ordererGroup),
      capabilities: readCapabilities(ordererGroup),
      batchTimeoutMs: batch.batchTimeoutMs,
      batchSize: { ...batch.batchSize },
      ...(etcdraft === undefined ? {} : { etcdraft }),
      ...(smartbft === undefined ? {} : { smartbft }),
      ...(consenters === undefined ? {} : { consenters }),
    };
  }
  const applicationGroup = root.getGroupsMap().get(ConfigKey.applicationGroup);
  if (applicationGroup !== undefined) {
    const anchorPeers: Record<string, AnchorPeerModel[]> = {};
    for (const [mspId, org] of entriesOf(applicationGroup.getGroupsMap())) anchorPeers[mspId] = readAnchorPeers(org);
    const acls = readAcls(applicationGroup);
    model.application = {
      policies: readPolicies(applicationGroup),
      capabilities: readCapabilities(applicationGroup),
      ...(acls === undefined ? {} : { acls }),
      anchorPeers,
    };
  }
  return model;
}

// ---------------------------------------------------------------------------------------------
// Leaves: one comparable value per governed field, named by the config diff's path

/** One governed value of a model: where it lives in the config, and its value in comparable form. */
export interface ModelLeaf {
  /** The model field, e.g. `orderer.batchSize.maxMessageCount`. */
  readonly field: string;
  /** The config path, as `diffConfigs` names it, e.g. `Channel/Orderer/BatchSize/MaxMessageCount`. */
  readonly path: string;
  /**
   * Normalised: policies as canonical text, sets sorted, durations in ms; an organisation's values
   * as `diffConfigs` gives them (certificates as `sha256:<hex>` lists). `null`: the element must
   * not exist (an organisation the model removes).
   */
  readonly value: number | boolean | string | readonly string[] | null;
}

/** Implicit-meta rules (`MAJORITY Admins`) and policydsl (`OR(...)`) cannot be mistaken for each other. */
function policyText(model: PolicyModel): string {
  return policyToModel(policyFromModel(model)).rule;
}

const sortedPeers = (peers: readonly AnchorPeerModel[]): string[] => peers.map((p) => `${p.host}:${p.port}`).sort();

const ORGANIZATIONS = 'organizations';
const ORGANIZATION_GROUPS: readonly OrganizationGroup[] = ['application', 'orderer'];
const GROUP_PATHS: Readonly<Record<OrganizationGroup, string>> = { application: 'Channel/Application', orderer: 'Channel/Orderer' };

/** A diff leaf as a model leaf; anchor peers and endpoints are sets, compared sorted. */
function leafValue(path: string, value: DiffValue): ModelLeaf['value'] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return path.endsWith(`/${ConfigKey.anchorPeers}`) || path.endsWith(`/${ConfigKey.endpoints}`) ? [...value].sort() : value;
  }
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/** The model field of an organisation's diff leaf, e.g. `organizations.Org5MSP.application.MSP.RootCerts`. */
function organizationField(mspId: string, group: OrganizationGroup, rest: string): string {
  return `${ORGANIZATIONS}.${mspId}.${group}${rest === '' ? '' : `.${rest.split('/').join('.')}`}`;
}

function organizationsLeaves(organizations: Readonly<Record<string, OrganizationEntryModel | null>>): ModelLeaf[] {
  return Object.keys(organizations)
    .sort()
    .flatMap((mspId) => organizationLeaves(mspId, organizations[mspId] ?? null));
}

/**
 * An organisation entry's leaves: every leaf `diffConfigs` gives for its groups as configtxgen
 * writes them; for a removal, each group's ModPolicy, the leaf every group has (null: no group).
 */
function organizationLeaves(mspId: string, entry: OrganizationEntryModel | null): ModelLeaf[] {
  if (entry === null) {
    return ORGANIZATION_GROUPS.map((group) => ({ field: organizationField(mspId, group, ''), path: `${GROUP_PATHS[group]}/${mspId}/ModPolicy`, value: null }));
  }
  const { groups, ...org } = entry;
  const root = new common.ConfigGroup();
  for (const group of ORGANIZATION_GROUPS) {
    if (!groups.includes(group)) continue;
    const section = new common.ConfigGroup();
    section.getGroupsMap().set(mspId, organizationGroup(org, group));
    root.getGroupsMap().set(group === 'application' ? ConfigKey.applicationGroup : ConfigKey.ordererGroup, section);
  }
  const scratch = new common.Config();
  scratch.setChannelGroup(root);
  const leaves: ModelLeaf[] = [];
  for (const group of ORGANIZATION_GROUPS) {
    const base = `${GROUP_PATHS[group]}/${mspId}/`;
    for (const [path, value] of configLeaves(scratch)) {
      if (path.startsWith(base)) leaves.push({ field: organizationField(mspId, group, path.slice(base.length)), path, value: leafValue(path, value) });
    }
  }
  return leaves;
}

/** The orderer section's leaves (batch values, consensus options, the consenter set). */
function ordererLeaves(ord: OrdererModel): ModelLeaf[] {
  const leaves: ModelLeaf[] = [];
  const leaf = (field: string, path: string, value: ModelLeaf['value']): void => {
    leaves.push({ field, path, value });
  };
  if (ord.batchTimeoutMs !== undefined) leaf('orderer.batchTimeoutMs', 'Channel/Orderer/BatchTimeout', ord.batchTimeoutMs);
  for (const f of BATCH_SIZE_FIELDS) {
    const v = ord.batchSize?.[f.key];
    if (v !== undefined) leaf(`orderer.batchSize.${f.key}`, `Channel/Orderer/BatchSize/${f.name}`, v);
  }
  for (const [key, fields] of [['etcdraft', ETCDRAFT_FIELDS], ['smartbft', SMARTBFT_FIELDS]] as const) {
    const options = ord[key] as Readonly<Record<string, number | boolean>> | undefined;
    if (options === undefined) continue;
    for (const f of fields) {
      const v = options[f.key];
      if (v !== undefined) leaf(`orderer.${key}.${f.key}`, `Channel/Orderer/ConsensusType/Options/${f.name}`, v);
    }
  }
  if (ord.consenters !== undefined) {
    // The diff's path and words for the set (configDiff.ts): BFT's mapping names ids and identities.
    const bft = ord.consenters.some((c) => c.identity !== undefined || c.mspId !== undefined);
    leaf('orderer.consenters', bft ? 'Channel/Orderer/Orderers' : 'Channel/Orderer/ConsensusType/Consenters', canonicalConsenters(ord.consenters).map((c) => consenterText(c, shortHash)).sort(byCodeUnit));
  }
  return leaves;
}

/**
 * Every governed value of a model, in a fixed order, with the config path that holds it.
 *
 * @param model - a valid model (see {@link parseChannelModel}).
 * @returns the leaves.
 */
export function modelLeaves(model: ChannelModel): ModelLeaf[] {
  const leaves: ModelLeaf[] = [];
  const leaf = (field: string, path: string, value: ModelLeaf['value']): void => {
    leaves.push({ field, path, value });
  };
  for (const level of LEVELS) {
    const section: LevelModel | undefined = model[level.key];
    if (section === undefined) continue;
    const base = level.path.join('/');
    for (const name of Object.keys(section.policies ?? {}).sort()) {
      leaf(`${level.key}.policies.${name}`, `${base}/Policies/${name}`, policyText((section.policies ?? {})[name]));
    }
    if (section.capabilities !== undefined) leaf(`${level.key}.capabilities`, `${base}/Capabilities`, [...section.capabilities].sort());
  }
  if (model.orderer !== undefined) leaves.push(...ordererLeaves(model.orderer));
  const app = model.application;
  if (app !== undefined) {
    for (const resource of Object.keys(app.acls ?? {}).sort()) leaf(`application.acls.${resource}`, `Channel/Application/ACLs/${resource}`, (app.acls ?? {})[resource]);
    for (const mspId of Object.keys(app.anchorPeers ?? {}).sort()) {
      if (model.organizations?.[mspId] === null) continue;
      leaf(`application.anchorPeers.${mspId}`, `Channel/Application/${mspId}/AnchorPeers`, sortedPeers((app.anchorPeers ?? {})[mspId] ?? []));
    }
  }
  leaves.push(...organizationsLeaves(model.organizations ?? {}));
  return leaves;
}

/** A governed value the channel does not have. */
export interface ModelDifference {
  readonly field: string;
  readonly path: string;
  readonly want: ModelLeaf['value'];
  /** Absent when the channel has no such element. */
  readonly have?: ModelLeaf['value'];
}

/**
 * Where a channel's config departs from a model: empty when the channel runs it.
 *
 * @param model - the desired state.
 * @param config - the channel config.
 * @returns the differences, in {@link modelLeaves} order.
 */
export function channelModelDifferences(model: ChannelModel, config: common.Config): ModelDifference[] {
  const have = new Map(modelLeaves(readChannelModel(config)).map((l) => [l.field, l.value]));
  const differences: ModelDifference[] = [];
  // An organisation is compared with what diffConfigs reads of the config, leaf by leaf.
  const configValues = model.organizations === undefined ? new Map<string, DiffValue>() : configLeaves(config);
  const organizationPaths = new Set<string>();
  for (const want of modelLeaves(model)) {
    if (want.field.startsWith(`${ORGANIZATIONS}.`)) {
      organizationPaths.add(want.path);
      const found = configValues.get(want.path);
      const actual = found === undefined ? undefined : leafValue(want.path, found);
      if (actual === undefined) {
        if (want.value !== null) differences.push({ field: want.field, path: want.path, want: want.value });
      } else if (JSON.stringify(actual) !== JSON.stringify(want.value)) {
        differences.push({ field: want.field, path: want.path, want: want.value, have: actual });
      }
      continue;
    }
    const actual = have.get(want.field);
    if (actual === undefined) {
      // An organisation without anchor peers reads as []; anything else absent is missing.
      differences.push({ field: want.field, path: want.path, want: want.value });
    } else if (JSON.stringify(actual) !== JSON.stringify(want.value)) {
      differences.push({ field: want.field, path: want.path, want: want.value, have: actual });
    }
  }
  // An organisation is stated whole: what else its groups hold departs from the model.
  const orgs = model.organizations ?? {};
  for (const mspId of Object.keys(orgs).sort()) {
    const entry = orgs[mspId];
    for (const group of entry === null || entry === undefined ? [] : entry.groups) {
      const base = `${GROUP_PATHS[group]}/${mspId}/`;
      for (const [path, value] of configValues) {
        if (!path.startsWith(base) || organizationPaths.has(path)) continue;
        differences.push({ field: organizationField(mspId, group, path.slice(base.length)), path, want: null, have: leafValue(path, value) });
      }
    }
  }
  return differences;
}

// ---------------------------------------------------------------------------------------------
// Writing a model into a config

function setValue(group: common.ConfigGroup, name: string, message: { serializeBinary(): Uint8Array }): void {
  const bytes = message.serializeBinary();
  const existing = group.getValuesMap().get(name);
  if (existing !== undefined) {
    if (Buffer.from(existing.getValue_asU8()).equals(Buffer.from(bytes))) return;
    existing.setValue(bytes);
    return;
  }
  const value = new common.ConfigValue();
  value.setValue(bytes);
  value.setModPolicy(ConfigKey.admins);
  group.getValuesMap().set(name, value);
}

function writeCapabilities(group: common.ConfigGroup, names: readonly string[]): void {
  const want = [...names].sort();
  if (JSON.stringify(readCapabilities(group)) === JSON.stringify(want)) return;
  if (want.length === 0) {
    group.getValuesMap().del(ConfigKey.capabilities);
    return;
  }
  const capabilities = new common.Capabilities();
  for (const name of want) capabilities.getCapabilitiesMap().set(name, new common.Capability());
  setValue(group, ConfigKey.capabilities, capabilities);
}

function writePolicies(group: common.ConfigGroup, policies: PoliciesModel): void {
  for (const name of Object.keys(policies).sort()) {
    const policy = policyFromModel(policies[name]);
    const existing = group.getPoliciesMap().get(name);
    if (existing !== undefined) {
      const current = existing.getPolicy()?.serializeBinary();
      if (current !== undefined && Buffer.from(current).equals(Buffer.from(policy.serializeBinary()))) continue;
      existing.setPolicy(policy);
    } else {
      const configPolicy = new common.ConfigPolicy();
      configPolicy.setPolicy(policy);
      configPolicy.setModPolicy(ConfigKey.admins);
      group.getPoliciesMap().set(name, configPolicy);
    }
  }
}

function writeOptions(options: object, fields: readonly OptionField[], model: Readonly<Record<string, number | boolean>>): boolean {
  let changed = false;
  for (const f of fields) {
    const want = model[f.key];
    if (want === undefined) continue;
    const current = getField(options, f.name);
    if (f.kind === 'duration') {
      const currentMs = typeof current === 'string' && current !== '' ? parseGoDuration(current) : undefined;
      if (currentMs === want) continue;
      setField(options, f.name, formatGoDuration(want as number));
    } else {
      if (f.kind === 'count' ? Number(current ?? 0) === want : current === want) continue;
      setField(options, f.name, want);
    }
    changed = true;
  }
  return changed;
}

function etcdraftProblem(o: Readonly<Record<string, number | boolean>>): string | undefined {
  const { heartbeatTick, electionTick, maxInflightBlocks, tickIntervalMs } = o as Record<string, number>;
  if (tickIntervalMs === 0) return 'TickInterval must be positive';
  if (heartbeatTick === 0 || electionTick === 0 || maxInflightBlocks === 0) {
    return `none of HeartbeatTick (${heartbeatTick}), ElectionTick (${electionTick}) and MaxInflightBlocks (${maxInflightBlocks}) can be zero`;
  }
  if ((electionTick ?? 0) <= (heartbeatTick ?? 0)) return `ElectionTick (${electionTick}) must be greater than HeartbeatTick (${heartbeatTick})`;
  return undefined;
}

function smartBftProblem(o: Readonly<Record<string, number | boolean>>): string | undefined {
  for (const f of SMARTBFT_FIELDS) if (f.kind !== 'flag' && o[f.key] === 0) return `${f.name} should be greater than zero`;
  const n = o as Record<string, number>;
  const order: [string, string][] = [
    ['requestBatchMaxCount', 'requestBatchMaxBytes'],
    ['requestForwardTimeoutMs', 'requestComplainTimeoutMs'],
    ['requestComplainTimeoutMs', 'requestAutoRemoveTimeoutMs'],
    ['viewChangeResendIntervalMs', 'viewChangeTimeoutMs'],
  ];
  for (const [small, big] of order) {
    if ((n[small] ?? 0) > (n[big] ?? 0)) {
      const name = (key: string): string => SMARTBFT_FIELDS.find((f) => f.key === key)?.name ?? key;
      return `${name(small)} is bigger than ${name(big)}`;
    }
  }
  return undefined;
}

function writeConsensusOptions(group: common.ConfigGroup, model: OrdererModel, problems: string[]): void {
  if (model.etcdraft === undefined && model.smartbft === undefined) return;
  const value = group.getValuesMap().get(ConfigKey.consensusType);
  const type = value === undefined ? undefined : orderer.ConsensusType.deserializeBinary(value.getValue_asU8());
  const typeName = type?.getType() ?? '(none)';
  if (model.etcdraft !== undefined) {
    if (type === undefined || typeName !== 'etcdraft') {
      problems.push(`orderer.etcdraft: the channel's consensus type is ${typeName}, not etcdraft`);
      return;
    }
    const metadata = orderer.etcdraft.ConfigMetadata.deserializeBinary(type.getMetadata_asU8());
    const options = metadata.getOptions() ?? new orderer.etcdraft.Options();
    const changed = writeOptions(options, ETCDRAFT_FIELDS, model.etcdraft as Record<string, number>);
    const problem = etcdraftProblem(readOptions(options, ETCDRAFT_FIELDS));
    if (problem !== undefined) problems.push(`orderer.etcdraft: ${problem}`);
    if (!changed) return;
    metadata.setOptions(options);
    type.setMetadata(metadata.serializeBinary());
  } else {
    if (type === undefined || typeName !== 'BFT') {
      problems.push(`orderer.smartbft: the channel's consensus type is ${typeName}, not BFT`);
      return;
    }
    const options = orderer.smartbft.Options.deserializeBinary(type.getMetadata_asU8());
    const changed = writeOptions(options, SMARTBFT_FIELDS, model.smartbft as Record<string, number | boolean>);
    const problem = smartBftProblem(readOptions(options, SMARTBFT_FIELDS));
    if (problem !== undefined) problems.push(`orderer.smartbft: ${problem}`);
    if (!changed) return;
    type.setMetadata(options.serializeBinary());
  }
  setValue(group, ConfigKey.consensusType, type);
}

function writeBatch(config: common.Config, model: OrdererModel, problems: string[]): common.Config {
  if (model.batchTimeoutMs === undefined && model.batchSize === undefined) return config;
  const current = readBatchParams(config);
  const size = { ...current.batchSize, ...model.batchSize };
  const problem = batchSizeProblem(size);
  if (problem !== undefined) {
    problems.push(`orderer.batchSize: ${problem}`);
    return config;
  }
  const timeoutChanged = model.batchTimeoutMs !== undefined && model.batchTimeoutMs !== current.batchTimeoutMs;
  const sizeChanged = BATCH_SIZE_FIELDS.some((f) => size[f.key] !== current.batchSize[f.key]);
  if (!timeoutChanged && !sizeChanged) return config;
  return withBatchParams(config, {
    ...(timeoutChanged ? { batchTimeout: formatGoDuration(model.batchTimeoutMs) } : {}),
    ...(sizeChanged ? size : {}),
  });
}

function writeAcls(group: common.ConfigGroup, acls: Readonly<Record<string, string>>): void {
  const bytes = group.getValuesMap().get(ACLS)?.getValue_asU8();
  const message = bytes === undefined ? new peer.ACLs() : peer.ACLs.deserializeBinary(bytes);
  for (const resource of Object.keys(acls).sort()) {
    const api = new peer.APIResource();
    api.setPolicyRef(acls[resource]);
    message.getAclsMap().set(resource, api);
  }
  setValue(group, ACLS, message);
}

/** Entries first, removals after, each in MSP ID order: a model may replace the last organisation of a group. */
function writeOrganizations(config: common.Config, organizations: Readonly<Record<string, OrganizationEntryModel | null>>, problems: string[]): common.Config {
  let copy = config;
  const ids = Object.keys(organizations).sort();
  for (const mspId of ids) {
    const entry = organizations[mspId];
    if (entry === null || entry === undefined) continue;
    const { groups, ...org } = entry;
    const result = writeOrganization(copy, org, { application: groups.includes('application'), orderer: groups.includes('orderer') }, `${ORGANIZATIONS}.${mspId}`);
    problems.push(...result.problems);
    copy = result.config;
  }
  for (const mspId of ids) {
    if (organizations[mspId] !== null) continue;
    const result = removeOrganization(copy, mspId, `${ORGANIZATIONS}.${mspId}`, true);
    problems.push(...result.problems);
    copy = result.config;
  }
  return copy;
}

function writeAnchorPeers(application: common.ConfigGroup, anchorPeers: Readonly<Record<string, readonly AnchorPeerModel[]>>, problems: string[]): void {
  for (const mspId of Object.keys(anchorPeers).sort()) {
    const org = application.getGroupsMap().get(mspId);
    if (org === undefined) {
      problems.push(`application.anchorPeers.${mspId}: the channel has no application organisation ${mspId}`);
      continue;
    }
    const want = anchorPeers[mspId] ?? [];
    if (JSON.stringify(sortedPeers(readAnchorPeers(org))) === JSON.stringify(sortedPeers(want))) continue;
    if (want.length === 0) {
      org.getValuesMap().del(ConfigKey.anchorPeers);
      continue;
    }
    const message = new peer.AnchorPeers();
    const sorted = [...want].sort((a, b) => (a.host === b.host ? a.port - b.port : a.host < b.host ? -1 : 1));
    message.setAnchorPeersList(
      sorted.map((p) => {
        const anchor = new peer.AnchorPeer();
        anchor.setHost(p.host);
        anchor.setPort(p.port);
        return anchor;
      }),
    );
    setValue(org, ConfigKey.anchorPeers, message);
  }
}

/** Fabric resolves an ACL's policy reference that is not absolute under `/Channel/Application/`. */
export function aclPolicyPath(policyRef: string): string {
  return policyRef.startsWith('/') ? policyRef : `/Channel/${ConfigKey.applicationGroup}/${policyRef}`;
}

/**
 * The model's organisations written, with the consenter set kept valid: an organisation removed
 * takes its ordering nodes out of the set unless the model states the set (on BFT before it
 * leaves, on etcdraft by the TLS CAs that remain), and a set that keeps
 * a node no remaining orderer organisation issues is refused (Fabric verifies it against the
 * resulting config).
 */
function writeOrganizationsAndTheirNodes(config: common.Config, model: ChannelModel, problems: string[]): common.Config {
  const organizations = model.organizations ?? {};
  const removed = Object.keys(organizations).filter((mspId) => organizations[mspId] === null);
  let start = config;
  if (removed.length > 0 && model.orderer?.consenters === undefined) {
    // SmartBFT names each consenter's organisation, and Fabric refuses a channel that loses the
    // MSP of one: the organisation's nodes leave the set first, in the same update.
    const before = groupAt(config, ['Channel', ConfigKey.ordererGroup]);
    const kept = (before === undefined ? undefined : readConsenters(before))?.filter((c) => c.mspId === undefined || !removed.includes(c.mspId));
    if (before !== undefined && kept !== undefined && kept.length !== readConsenters(before)?.length) {
      start = config.cloneMessage();
      problems.push(...writeConsenters(groupAt(start, ['Channel', ConfigKey.ordererGroup]) as common.ConfigGroup, kept, 'orderer.consenters'));
    }
  }
  const copy = writeOrganizations(start, organizations, problems);
  // An organisation removed takes its ordering nodes out of the consenter set, unless the model
  // states the set itself (Fabric would otherwise refuse consenters no orderer CA issues).
  const removes = Object.values(organizations).some((entry) => entry === null);
  const group = groupAt(copy, ['Channel', ConfigKey.ordererGroup]);
  if (removes && model.orderer?.consenters === undefined && group !== undefined) {
    const remaining = consentersOfRemainingOrgs(group);
    if (remaining !== undefined && remaining.length !== readConsenters(group)?.length) problems.push(...writeConsenters(group, remaining, 'orderer.consenters'));
  }
  // Fabric verifies the consenter set against the orderer organisations of the resulting config.
  const finalSet = group === undefined ? undefined : readConsenters(group);
  const issued = group === undefined ? undefined : consentersOfRemainingOrgs(group);
  for (const c of finalSet ?? []) {
    if (issued?.some((x) => x.clientTlsCert === c.clientTlsCert) === true) continue;
    problems.push(`orderer.consenters: ${c.host}:${c.port}: the TLS client certificate is not issued by a TLS CA of an orderer organisation of the channel once the model's organisations are written; take the node out of the set in the same change`);
  }
  return copy;
}

/**
 * A copy of `config` running the model: only the values that differ are rewritten (element
 * versions untouched: `computeUpdate` bumps them).
 *
 * @param config - the channel's current config.
 * @param model - the desired state; validated here too.
 * @returns the desired config.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) listing every reason Fabric would refuse the
 * result or the model does not fit the channel: an invalid model, options for another consensus
 * type, a section the channel lacks, anchor peers of an unknown organisation, an ACL naming a
 * policy the resulting config does not have, invalid batch or consensus values, an organisation
 * the channel cannot take or lose (see `withOrganization` and `withoutOrganization`; removing one
 * it does not have is no change).
 */
export function withChannelModel(config: common.Config, model: ChannelModel): common.Config {
  parseChannelModel(model);
  const problems: string[] = [];
  let copy = config.cloneMessage();
  for (const level of LEVELS) {
    const section: LevelModel | undefined = model[level.key];
    if (section === undefined) continue;
    const group = groupAt(copy, level.path);
    if (group === undefined) {
      problems.push(`${level.key}: the channel has no /${level.path.join('/')} group`);
      continue;
    }
    if (section.policies !== undefined) writePolicies(group, section.policies);
    if (section.capabilities !== undefined) writeCapabilities(group, section.capabilities);
  }
  const ordererModel = model.orderer;
  if (ordererModel !== undefined) {
    const group = groupAt(copy, ['Channel', ConfigKey.ordererGroup]);
    if (group !== undefined) writeConsensusOptions(group, ordererModel, problems);
    if (group !== undefined && ordererModel.consenters !== undefined) problems.push(...writeConsenters(group, ordererModel.consenters, 'orderer.consenters'));
    if (group !== undefined) copy = writeBatch(copy, ordererModel, problems);
  }
  const app = model.application;
  const application = groupAt(copy, ['Channel', ConfigKey.applicationGroup]);
  if (app !== undefined && application !== undefined) {
    if (app.acls !== undefined) writeAcls(application, app.acls);
    if (app.anchorPeers !== undefined) {
      const removed = new Set(Object.entries(model.organizations ?? {}).flatMap(([id, entry]) => (entry === null ? [id] : [])));
      writeAnchorPeers(application, Object.fromEntries(Object.entries(app.anchorPeers).filter(([id]) => !removed.has(id))), problems);
    }
  }
  if (model.organizations !== undefined) copy = writeOrganizationsAndTheirNodes(copy, model, problems);
  // References are checked against the result: an ACL may name a policy the same model adds.
  for (const [resource, ref] of Object.entries(app?.acls ?? {})) {
    if (!hasPolicy(copy, aclPolicyPath(ref))) problems.push(`application.acls.${resource}: no such policy ${aclPolicyPath(ref)}`);
  }
  if (problems.length > 0) throw new ConfigtxError(`the channel cannot run this configuration: ${problems.join('; ')}`, { code: 'CONFIGTX_BAD_CONFIG' });
  return copy;
}

/**
 * The ConfigUpdate that puts a model in force on a channel whose config is `config`: what
 * `configtxlator compute_update` gives for {@link withChannelModel}'s result. When the channel
 * already runs the model, the update raises BatchTimeout's version with its value unchanged (a
 * delta Fabric accepts), so that putting it in force still gets a config block of its own (and
 * its link to the management chain).
 *
 * @throws ConfigtxError as {@link withChannelModel}, or when the config has no BatchTimeout.
 */
export function channelModelUpdate(channelId: string, config: common.Config, model: ChannelModel): common.ConfigUpdate {
  const desired = withChannelModel(config, model);
  if (channelModelDifferences(model, config).length > 0) return computeUpdate(channelId, config, desired);
  const root = config.getChannelGroup() as common.ConfigGroup;
  const ordererGroup = root.getGroupsMap().get(ConfigKey.ordererGroup);
  const timeout = ordererGroup?.getValuesMap().get(ConfigKey.batchTimeout);
  if (ordererGroup === undefined || timeout === undefined) {
    throw new ConfigtxError('config has no /Channel/Orderer/BatchTimeout value', { code: 'CONFIGTX_BAD_CONFIG' });
  }
  const skeleton = (): common.ConfigGroup => {
    const group = new common.ConfigGroup();
    group.setVersion(root.getVersion());
    const inner = new common.ConfigGroup();
    inner.setVersion(ordererGroup.getVersion());
    group.getGroupsMap().set(ConfigKey.ordererGroup, inner);
    return group;
  };
  const bumped = new common.ConfigValue();
  bumped.setVersion(timeout.getVersion() + 1);
  bumped.setModPolicy(timeout.getModPolicy());
  bumped.setValue(timeout.getValue_asU8());
  const write = skeleton();
  write.getGroupsMap().get(ConfigKey.ordererGroup)?.getValuesMap().set(ConfigKey.batchTimeout, bumped);
  const update = new common.ConfigUpdate();
  update.setChannelId(channelId);
  update.setReadSet(skeleton());
  update.setWriteSet(write);
  return update;
}
