/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What a Fabric v3.1.5 orderer refuses in the config an update would produce, after the update
 * itself was authorised (orderer/common/multichannel ChainSupport.ProposeConfigUpdate): the new
 * config must build as a channelconfig bundle (common/channelconfig NewBundle: every value decodes
 * as its message, the orderer's batch values validate, ACLs only with the capability, every policy
 * compiles), the capabilities it requires must be supported (checkResources), it must be a
 * permitted successor of the current one (Bundle.ValidateNew), and a consensus type or state
 * change must follow the maintenance-mode rules (msgprocessor/maintenancefilter.go). Each
 * problem is reported in Fabric's words, as the text after Fabric's own prefix.
 */
import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import {
  ACLS_KEY,
  ConfigKey,
  applicationAllowsAcls,
  batchSizeProblem,
  batchTimeoutProblem,
  capabilitiesProblem,
  consenterChangeProblems,
  etcdraftOptionsProblem,
  readConsenters,
} from 'fabric-config/configtx';

/** Go's protobuf error for bytes that are not a message: the devnet's decoder gives no better. */
const PROTO_PARSE_ERROR = 'proto: cannot parse invalid wire-format data';
const GO_MAX_UINT32 = 0xffffffff;

type Decoder = (bytes: Uint8Array) => unknown;

/** The values each kind of group may hold, with their message types (Fabric's *Protos structs). */
const CHANNEL_VALUES: Readonly<Record<string, Decoder>> = {
  [ConfigKey.hashingAlgorithm]: (b) => common.HashingAlgorithm.deserializeBinary(b),
  [ConfigKey.blockDataHashingStructure]: (b) => common.BlockDataHashingStructure.deserializeBinary(b),
  [ConfigKey.ordererAddresses]: (b) => common.OrdererAddresses.deserializeBinary(b),
  [ConfigKey.orderers]: (b) => common.Orderers.deserializeBinary(b),
  Consortium: (b) => common.Consortium.deserializeBinary(b),
  [ConfigKey.capabilities]: (b) => common.Capabilities.deserializeBinary(b),
};
const ORDERER_VALUES: Readonly<Record<string, Decoder>> = {
  [ConfigKey.consensusType]: (b) => orderer.ConsensusType.deserializeBinary(b),
  [ConfigKey.batchSize]: (b) => orderer.BatchSize.deserializeBinary(b),
  [ConfigKey.batchTimeout]: (b) => orderer.BatchTimeout.deserializeBinary(b),
  KafkaBrokers: (b) => orderer.KafkaBrokers.deserializeBinary(b),
  [ConfigKey.channelRestrictions]: (b) => orderer.ChannelRestrictions.deserializeBinary(b),
  [ConfigKey.orderers]: (b) => common.Orderers.deserializeBinary(b),
  [ConfigKey.capabilities]: (b) => common.Capabilities.deserializeBinary(b),
};
const ORDERER_ORG_VALUES: Readonly<Record<string, Decoder>> = {
  [ConfigKey.endpoints]: (b) => common.OrdererAddresses.deserializeBinary(b),
  [ConfigKey.msp]: (b) => msp.MSPConfig.deserializeBinary(b),
};
const APPLICATION_VALUES: Readonly<Record<string, Decoder>> = {
  [ACLS_KEY]: (b) => peer.ACLs.deserializeBinary(b),
  [ConfigKey.capabilities]: (b) => common.Capabilities.deserializeBinary(b),
};
const APPLICATION_ORG_VALUES: Readonly<Record<string, Decoder>> = {
  [ConfigKey.anchorPeers]: (b) => peer.AnchorPeers.deserializeBinary(b),
  [ConfigKey.msp]: (b) => msp.MSPConfig.deserializeBinary(b),
};

/** Hashing algorithms channelconfig accepts (bccsp.SHA256, bccsp.SHA3_256). */
const HASHING_ALGORITHMS = ['SHA256', 'SHA3_256'];

/** A refusal, in Fabric's words; thrown inside this module only, caught by its exported checks. */
class Refusal extends Error {}

function refuse(message: string): never {
  throw new Refusal(message);
}

/** Runs `check`, prefixing a refusal the way Fabric wraps errors on the way up. */
function within(prefix: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof Refusal) throw new Refusal(`${prefix}: ${error.message}`);
    throw error;
  }
}

function sortedEntries<V>(map: { forEach(callback: (value: V, key: string) => void): void }): [string, V][] {
  const entries: [string, V][] = [];
  map.forEach((value, key) => entries.push([key, value]));
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function valueBytes(group: common.ConfigGroup | undefined, key: string): Uint8Array | undefined {
  return group?.getValuesMap().get(key)?.getValue_asU8();
}

/** DeserializeProtoValuesFromGroup: an unknown key or bytes that are not the key's message. */
function deserializeValues(group: common.ConfigGroup, decoders: Readonly<Record<string, Decoder>>): void {
  within('failed to deserialize values', () => {
    for (const [key, value] of sortedEntries(group.getValuesMap())) {
      const decode = Object.hasOwn(decoders, key) ? decoders[key] : undefined;
      if (decode === undefined) refuse(`Unexpected key ${key}`);
      try {
        decode(value.getValue_asU8());
      } catch {
        refuse(PROTO_PARSE_ERROR);
      }
    }
  });
}

/** Capability names of a group whose values already decoded. */
export function capabilityNames(group: common.ConfigGroup | undefined): string[] {
  const bytes = valueBytes(group, ConfigKey.capabilities);
  if (bytes === undefined) return [];
  return sortedEntries(common.Capabilities.deserializeBinary(bytes).getCapabilitiesMap()).map(([name]) => name);
}

/** The channel capabilities' switches (common/capabilities/channel.go). */
function channelSwitches(names: readonly string[]): { migration: boolean; orgEndpoints: boolean; bft: boolean } {
  const has = (...wanted: string[]): boolean => wanted.some((name) => names.includes(name));
  return { migration: has('V1_4_2', 'V1_4_3', 'V2_0', 'V3_0'), orgEndpoints: has('V1_4_2', 'V1_4_3', 'V2_0', 'V3_0'), bft: has('V3_0') };
}

function ordererGroupOf(config: common.Config): common.ConfigGroup | undefined {
  return config.getChannelGroup()?.getGroupsMap().get(ConfigKey.ordererGroup);
}

function applicationGroupOf(config: common.Config): common.ConfigGroup | undefined {
  return config.getChannelGroup()?.getGroupsMap().get(ConfigKey.applicationGroup);
}

/** The ConsensusType of a config whose values decoded; an absent value reads as Fabric's empty message. */
export function consensusTypeOf(config: common.Config): orderer.ConsensusType {
  const bytes = valueBytes(ordererGroupOf(config), ConfigKey.consensusType);
  return bytes === undefined ? new orderer.ConsensusType() : orderer.ConsensusType.deserializeBinary(bytes);
}

function stateName(state: number): string {
  return state === orderer.ConsensusType.State.STATE_MAINTENANCE ? 'STATE_MAINTENANCE' : state === orderer.ConsensusType.State.STATE_NORMAL ? 'STATE_NORMAL' : String(state);
}

function endpointsOf(org: common.ConfigGroup): string[] {
  const bytes = valueBytes(org, ConfigKey.endpoints);
  return bytes === undefined ? [] : common.OrdererAddresses.deserializeBinary(bytes).getAddressesList();
}

function mspIdOf(org: common.ConfigGroup): string | undefined {
  const bytes = valueBytes(org, ConfigKey.msp);
  if (bytes === undefined) return undefined;
  try {
    return msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(bytes).getConfig_asU8()).getName();
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// channelconfig.NewChannelConfig

function checkChannelGroup(root: common.ConfigGroup): void {
  deserializeValues(root, CHANNEL_VALUES);
  const switches = channelSwitches(capabilityNames(root));
  const hashing = valueBytes(root, ConfigKey.hashingAlgorithm);
  const algorithm = hashing === undefined ? '' : common.HashingAlgorithm.deserializeBinary(hashing).getName();
  if (!HASHING_ALGORITHMS.includes(algorithm)) refuse(`Unknown hashing algorithm type: ${algorithm}`);
  const structure = valueBytes(root, ConfigKey.blockDataHashingStructure);
  const width = structure === undefined ? 0 : common.BlockDataHashingStructure.deserializeBinary(structure).getWidth();
  if (width !== GO_MAX_UINT32) refuse('BlockDataHashStructure width only supported at MaxUint32 in this version');
  const addressBytes = valueBytes(root, ConfigKey.ordererAddresses);
  const addresses = addressBytes === undefined ? [] : common.OrdererAddresses.deserializeBinary(addressBytes).getAddressesList();
  if (!switches.orgEndpoints && addresses.length === 0) refuse('Must set some OrdererAddresses');
  if (switches.bft && addresses.length > 0) refuse('global OrdererAddresses are not allowed with V3_0 capability, use org specific addresses only');

  for (const [name, group] of sortedEntries(root.getGroupsMap())) {
    within(`could not create channel ${name} sub-group config`, () => {
      if (name === ConfigKey.applicationGroup) checkApplicationGroup(group);
      else if (name === ConfigKey.ordererGroup) checkOrdererGroup(group, switches);
      else refuse(`Disallowed channel group: ${name}`);
    });
  }
}

function checkApplicationGroup(group: common.ConfigGroup): void {
  deserializeValues(group, APPLICATION_VALUES);
  if (group.getValuesMap().has(ACLS_KEY) && !applicationAllowsAcls(capabilityNames(group))) {
    refuse('ACLs may not be specified without the required capability');
  }
  for (const [, org] of sortedEntries(group.getGroupsMap())) {
    if (org.getGroupsMap().getLength() > 0) refuse('ApplicationOrg config does not allow sub-groups');
    deserializeValues(org, APPLICATION_ORG_VALUES);
  }
}

function checkOrdererGroup(group: common.ConfigGroup, switches: ReturnType<typeof channelSwitches>): void {
  deserializeValues(group, ORDERER_VALUES);
  const sizeBytes = valueBytes(group, ConfigKey.batchSize);
  const size = sizeBytes === undefined ? new orderer.BatchSize() : orderer.BatchSize.deserializeBinary(sizeBytes);
  const sizeProblem = batchSizeProblem({
    maxMessageCount: size.getMaxMessageCount(),
    absoluteMaxBytes: size.getAbsoluteMaxBytes(),
    preferredMaxBytes: size.getPreferredMaxBytes(),
  });
  if (sizeProblem !== undefined) refuse(sizeProblem);
  const timeoutBytes = valueBytes(group, ConfigKey.batchTimeout);
  const timeout = timeoutBytes === undefined ? '' : orderer.BatchTimeout.deserializeBinary(timeoutBytes).getTimeout();
  const timeoutProblem = batchTimeoutProblem(timeout);
  if (timeoutProblem !== undefined) refuse(timeoutProblem);
  const missingEndpoints: string[] = [];
  for (const [name, org] of sortedEntries(group.getGroupsMap())) {
    if (org.getGroupsMap().getLength() > 0) refuse('OrdererOrg config does not allow sub-groups');
    if (!switches.orgEndpoints && org.getValuesMap().has(ConfigKey.endpoints)) {
      refuse(`Orderer Org ${name} cannot contain endpoints value until V1_4_2+ capabilities have been enabled`);
    }
    deserializeValues(org, ORDERER_ORG_VALUES);
    if (endpointsOf(org).length === 0) missingEndpoints.push(name);
  }
  if (switches.bft && missingEndpoints.length > 0) refuse(`some orderer organizations endpoints are empty: [${missingEndpoints.join(' ')}]`);
}

// ---------------------------------------------------------------------------------------------
// policies.NewManagerImpl and cauthdsl's compile

function signatureRuleProblem(rule: common.SignaturePolicy | undefined, identities: number): string | undefined {
  if (rule === undefined) return 'Empty policy element';
  switch (rule.getTypeCase()) {
    case common.SignaturePolicy.TypeCase.N_OUT_OF: {
      for (const child of rule.getNOutOf()?.getRulesList() ?? []) {
        const problem = signatureRuleProblem(child, identities);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    case common.SignaturePolicy.TypeCase.SIGNED_BY: {
      const index = rule.getSignedBy();
      return index < 0 || index >= identities ? `identity index out of range, requested ${index}, but identities length is ${identities}` : undefined;
    }
    default:
      return 'Unknown type: <nil>:<nil>';
  }
}

const IMPLICIT_META_RULES: readonly number[] = Object.values(common.ImplicitMetaPolicy.Rule);

function checkPolicy(name: string, path: string, configPolicy: common.ConfigPolicy): void {
  const policy = configPolicy.getPolicy();
  if (policy === undefined) refuse(`policy ${name} at path ${path} was nil`);
  switch (policy.getType()) {
    case common.Policy.PolicyType.IMPLICIT_META: {
      let meta: common.ImplicitMetaPolicy;
      try {
        meta = common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
      } catch {
        refuse(`implicit policy ${name} at path ${path} did not compile: Error unmarshalling to ImplicitMetaPolicy: ${PROTO_PARSE_ERROR}`);
      }
      // Fabric builds such a policy with a threshold of 0, which any signature set satisfies:
      // the devnet refuses it instead (see the README).
      if (!IMPLICIT_META_RULES.includes(meta.getRule())) {
        refuse(`implicit policy ${name} at path ${path} did not compile: unknown ImplicitMetaPolicy rule ${meta.getRule()}: the devnet evaluates only ANY (0), ALL (1) and MAJORITY (2)`);
      }
      return;
    }
    case common.Policy.PolicyType.SIGNATURE: {
      const failed: (reason: string) => never = (reason) => refuse(`policy ${name} at path ${path} did not compile: ${reason}`);
      let envelope: common.SignaturePolicyEnvelope;
      try {
        envelope = common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8());
      } catch {
        failed(`Error unmarshalling to SignaturePolicy: ${PROTO_PARSE_ERROR}`);
      }
      if (envelope.getVersion() !== 0) failed(`This evaluator only understands messages of version 0, but version was ${envelope.getVersion()}`);
      const problem = signatureRuleProblem(envelope.getRule(), envelope.getIdentitiesList().length);
      if (problem !== undefined) failed(problem);
      return;
    }
    default:
      refuse(`policy ${name} at path ${path} has unknown policy type: ${policy.getType()}`);
  }
}

/** Sub-groups first, then the group's own policies, as NewManagerImpl builds them. */
function checkPolicies(group: common.ConfigGroup, path: string): void {
  for (const [name, child] of sortedEntries(group.getGroupsMap())) checkPolicies(child, `${path}/${name}`);
  for (const [name, configPolicy] of sortedEntries(group.getPoliciesMap())) checkPolicy(name, path, configPolicy);
}

// ---------------------------------------------------------------------------------------------
// The orderer's checks around the bundle

function preValidate(root: common.ConfigGroup): void {
  const ordererGroup = root.getGroupsMap().get(ConfigKey.ordererGroup);
  if (ordererGroup === undefined || ordererGroup.getValuesMap().has(ConfigKey.capabilities)) return;
  if (root.getValuesMap().has(ConfigKey.capabilities)) refuse('cannot enable channel capabilities without orderer support first');
  if (root.getGroupsMap().get(ConfigKey.applicationGroup)?.getValuesMap().has(ConfigKey.capabilities) === true) {
    refuse('cannot enable application capabilities without orderer support first');
  }
}

/** checkResources, plus the application capabilities a Fabric peer checks once the block reaches it. */
function checkCapabilitiesSupported(root: common.ConfigGroup): void {
  const levels = [
    ['orderer', root.getGroupsMap().get(ConfigKey.ordererGroup)],
    ['channel', root],
    ['application', root.getGroupsMap().get(ConfigKey.applicationGroup)],
  ] as const;
  for (const [level, group] of levels) {
    const problem = capabilitiesProblem(level, capabilityNames(group));
    // Fabric repeats the cause after its own message (errors.WithMessagef(err, "...: %s", err)).
    if (problem !== undefined) refuse(`config update is not compatible: config requires unsupported ${level} capabilities: ${problem}: ${problem}`);
  }
}

/** Bundle.ValidateNew: what may not change from one config to the next. */
function checkSuccessor(current: common.Config, next: common.Config): void {
  const currentOrderer = ordererGroupOf(current);
  const nextOrderer = ordererGroupOf(next);
  if (currentOrderer !== undefined) {
    if (nextOrderer === undefined) refuse('current config has orderer section, but new config does not');
    const currentRoot = current.getChannelGroup() as common.ConfigGroup;
    const nextRoot = next.getChannelGroup() as common.ConfigGroup;
    if (!channelSwitches(capabilityNames(currentRoot)).migration) {
      const from = consensusTypeOf(current).getType();
      const to = consensusTypeOf(next).getType();
      if (from !== to) refuse(`attempted to change consensus type from ${from} to ${to}`);
    }
    if (!channelSwitches(capabilityNames(currentRoot)).bft && channelSwitches(capabilityNames(nextRoot)).bft) {
      for (const [name, org] of sortedEntries(nextOrderer.getGroupsMap())) {
        if (endpointsOf(org).length === 0) refuse(`illegal orderer config update detected: endpoints of org ${name} are missing`);
      }
    }
    checkMspIds('orderer', currentOrderer, nextOrderer);
  }
  const currentApplication = applicationGroupOf(current);
  if (currentApplication !== undefined) {
    const nextApplication = applicationGroupOf(next);
    if (nextApplication === undefined) refuse('current config has application section, but new config does not');
    checkMspIds('application', currentApplication, nextApplication);
  }
}

/**
 * ChainSupport.ValidateConsensusMetadata for the consenter list a devnet channel stores: the
 * etcdraft rules (the devnet orders alone, so the list has no effect on ordering, but it is
 * refused where Fabric's etcdraft would refuse it).
 */
function checkConsenters(current: common.Config, next: common.Config): void {
  const before = ordererGroupOf(current);
  const after = ordererGroupOf(next);
  if (before === undefined || after === undefined) return;
  const was = readConsenters(before);
  const now = readConsenters(after);
  if (was === undefined || now === undefined) return;
  const problems = consenterChangeProblems(after, was, now, 'consenters');
  if (problems.length > 0) refuse(`consensus metadata update for channel config update is invalid: ${problems[0]}`);
  // An etcdraft channel's options are checked as etcdraft checks them, though the devnet ticks no
  // Raft clock. As in Fabric, the running chain judges: a type change into etcdraft is left to the
  // maintenance rules.
  const type = consensusTypeOf(next);
  if (type.getType() !== 'etcdraft' || consensusTypeOf(current).getType() !== 'etcdraft') return;
  const optionsProblem = etcdraftOptionsProblem(orderer.etcdraft.ConfigMetadata.deserializeBinary(type.getMetadata_asU8()));
  if (optionsProblem !== undefined) refuse(`consensus metadata update for channel config update is invalid: invalid new config metadata: ${optionsProblem}`);
}

function checkMspIds(kind: 'orderer' | 'application', current: common.ConfigGroup, next: common.ConfigGroup): void {
  for (const [name, org] of sortedEntries(current.getGroupsMap())) {
    const successor = next.getGroupsMap().get(name);
    if (successor === undefined) continue;
    const before = mspIdOf(org);
    const after = mspIdOf(successor);
    if (before !== after) refuse(`${kind} org ${name} attempted to change MSP ID from ${before ?? ''} to ${after ?? ''}`);
  }
}

/**
 * Why Fabric's orderer would not apply `next` after `current` (ChainSupport.ProposeConfigUpdate
 * after the update was authorised), in the words that follow Fabric's `error applying config
 * update to existing channel '<id>': `; undefined when it would.
 *
 * @param current - the channel's config in force.
 * @param next - the config the update produces.
 * @returns the problem, or undefined.
 */
export function bundleProblem(current: common.Config, next: common.Config): string | undefined {
  try {
    const root = next.getChannelGroup();
    if (root === undefined) refuse('config must contain a channel group');
    preValidate(root);
    within('initializing channelconfig failed', () => {
      checkChannelGroup(root);
    });
    within('initializing policymanager failed', () => {
      checkPolicies(root, ConfigKey.channelGroup);
    });
    checkCapabilitiesSupported(root);
    checkSuccessor(current, next);
    checkConsenters(current, next);
    return undefined;
  } catch (error) {
    if (error instanceof Refusal) return error.message;
    throw error;
  }
}

/** msgprocessor's ensureConsensusTypeChangeOnly: entering or leaving maintenance changes nothing else. */
function consensusTypeChangeOnly(configUpdate: common.ConfigUpdate): void {
  const writeSet = configUpdate.getWriteSet() ?? new common.ConfigGroup();
  if (writeSet.getGroupsMap().getLength() === 0) refuse('config update contains no changes');
  if (writeSet.getValuesMap().getLength() > 0) refuse(`config update contains changes to values in group ${ConfigKey.channelGroup}`);
  if (writeSet.getGroupsMap().getLength() > 1) refuse('config update contains changes to more than one group');
  const ordererGroup = writeSet.getGroupsMap().get(ConfigKey.ordererGroup);
  if (ordererGroup === undefined) refuse(`update does not contain the ${ConfigKey.ordererGroup} group`);
  if (ordererGroup.getGroupsMap().getLength() > 0) refuse(`config update contains changes to groups within the ${ConfigKey.ordererGroup} group`);
  if (!ordererGroup.getValuesMap().has(ConfigKey.consensusType)) refuse(`config update does not contain the ${ConfigKey.consensusType} value`);
  if (ordererGroup.getValuesMap().getLength() > 1) {
    refuse(`config update contain more then just the ${ConfigKey.consensusType} value in the ${ConfigKey.ordererGroup} group`);
  }
}

/**
 * Why Fabric's maintenance filter refuses the consensus change `next` makes, in the words that
 * follow `config update for existing channel did not pass maintenance checks: config transaction
 * inspection failed: `; undefined when it does not. The devnet's orderer migrates to no other
 * consensus type, so a type change is never permitted (Fabric permits only etcdraft to BFT).
 *
 * @param current - the channel's config in force (its orderer capabilities decide the rules).
 * @param next - the config the update produces, already checked by {@link bundleProblem}.
 * @param configUpdate - the update, for the rule that a state change changes nothing else.
 * @returns the problem, or undefined.
 */
export function maintenanceProblem(current: common.Config, next: common.Config, configUpdate: common.ConfigUpdate): string | undefined {
  try {
    const before = consensusTypeOf(current);
    const after = consensusTypeOf(next);
    const normal = orderer.ConsensusType.State.STATE_NORMAL;
    const ordererCapabilities = capabilityNames(ordererGroupOf(current));
    if (!ordererCapabilities.some((name) => name === 'V1_4_2' || name === 'V2_0')) {
      if (after.getState() !== normal) refuse(`next config attempted to change ConsensusType.State to ${stateName(after.getState())}, but capability is disabled`);
      if (before.getType() !== after.getType()) {
        refuse(`next config attempted to change ConsensusType.Type from ${before.getType()} to ${after.getType()}, but capability is disabled`);
      }
      return undefined;
    }
    if (before.getState() !== after.getState()) {
      consensusTypeChangeOnly(configUpdate);
      const states = `ConsensusType.State is changing from ${stateName(before.getState())} to ${stateName(after.getState())}`;
      if (before.getType() !== after.getType()) refuse(`attempted to change ConsensusType.Type from ${before.getType()} to ${after.getType()}, but ${states}`);
      if (!Buffer.from(before.getMetadata_asU8()).equals(Buffer.from(after.getMetadata_asU8()))) refuse(`attempted to change ConsensusType.Metadata, but ${states}`);
    }
    if (before.getType() !== after.getType()) {
      const change = `attempted to change consensus type from ${before.getType()} to ${after.getType()}`;
      if (before.getState() === normal) refuse(`${change}, but current config ConsensusType.State is not in maintenance mode`);
      if (after.getState() === normal) refuse(`${change}, but next config ConsensusType.State is not in maintenance mode`);
      refuse(`${change}, transition not supported`);
    }
    return undefined;
  } catch (error) {
    if (error instanceof Refusal) return error.message;
    throw error;
  }
}
