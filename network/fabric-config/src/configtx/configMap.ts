/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Fabric's configMap (common/configtx/configmap.go and update.go): a config tree flattened to
 * keyed elements, the delta an update writes, and the config that results. Structure only: whether
 * an update may be applied is the orderer's validation, and whether its signatures authorise it is
 * ./authorisation.ts.
 */
import { common } from '@hyperledger/fabric-protos';
import { ConfigUpdateError } from './errors';
import type { ConfigUpdateErrorCode } from './errors';
import { ConfigKey } from './keys';
import { resolvePolicyPath } from './policy';
import { configIdProblem } from './profile';

/** The three kinds of config elements. */
export type ConfigElementKind = 'Group' | 'Value' | 'Policy';

/** One element of a configMap: a group, value or policy, with where it sits. */
export interface ConfigElement {
  readonly kind: ConfigElementKind;
  readonly name: string;
  /** Path of the enclosing group, from the root; empty for the root group. */
  readonly parentPath: readonly string[];
  readonly group?: common.ConfigGroup;
  readonly value?: common.ConfigValue;
  readonly policy?: common.ConfigPolicy;
}

const KIND_PREFIX: Readonly<Record<ConfigElementKind, string>> = { Group: '[Group]  ', Value: '[Value]  ', Policy: '[Policy] ' };

/** Fabric's key of an element, e.g. `[Value]  /Channel/Orderer/BatchTimeout`. */
export function elementKey(kind: ConfigElementKind, parentPath: readonly string[], name: string): string {
  return `${KIND_PREFIX[kind]}/${[...parentPath, name].join('/')}`;
}

/** The element's version. */
export function elementVersion(element: ConfigElement): number {
  return (element.group ?? element.value ?? element.policy)?.getVersion() ?? 0;
}

/** The element's mod_policy, as written (relative or absolute). */
export function elementModPolicy(element: ConfigElement): string {
  return (element.group ?? element.value ?? element.policy)?.getModPolicy() ?? '';
}

/** A {@link ConfigUpdateError}; for this package's modules. */
export function updateError(code: ConfigUpdateErrorCode, message: string, key?: string, cause?: unknown): ConfigUpdateError {
  return new ConfigUpdateError(message, { code, key, cause });
}

/**
 * Flattens a config tree to Fabric's configMap (common/configtx/configmap.go), keyed by
 * {@link elementKey}.
 *
 * @param root - the channel group (of a config, or a read or write set).
 * @param what - names the tree in error messages, e.g. `ReadSet`.
 * @returns the elements by key.
 * @throws ConfigUpdateError (`CONFIG_UPDATE_BAD_MOD_POLICY`) if a name is not a valid config ID.
 */
export function mapConfig(root: common.ConfigGroup | undefined, what: string): Map<string, ConfigElement> {
  const result = new Map<string, ConfigElement>();
  const add = (element: ConfigElement): void => {
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
function rebuildGroup(configMap: ReadonlyMap<string, ConfigElement>, parentPath: readonly string[], name: string): common.ConfigGroup {
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

/** The absolute path of an existing element's mod_policy: relative names resolve in its own group. */
export function modPolicyPath(element: ConfigElement): string {
  const groupPath = element.kind === 'Group' ? [...element.parentPath, element.name] : element.parentPath;
  return resolvePolicyPath(groupPath, elementModPolicy(element));
}

/**
 * The delta of an update (Fabric's computeDeltaSet): the write set's elements whose version
 * differs from the read set's (or that the read set does not hold).
 *
 * @param readSet - the update's read set, from {@link mapConfig}.
 * @param writeSet - the update's write set, from {@link mapConfig}.
 * @returns the changed elements by key.
 */
export function deltaSet(readSet: ReadonlyMap<string, ConfigElement>, writeSet: ReadonlyMap<string, ConfigElement>): Map<string, ConfigElement> {
  const delta = new Map<string, ConfigElement>();
  for (const [key, element] of writeSet) {
    const read = readSet.get(key);
    if (read !== undefined && elementVersion(read) === elementVersion(element)) continue;
    delta.set(key, element);
  }
  return delta;
}

/**
 * The config an update leads to (Fabric's computeUpdateResult): the current config with the
 * update's delta in place, at the next sequence. It checks the shape only: whether the update may
 * be applied (read set, versions, signatures, the resulting config's validity) is the orderer's
 * decision, and {@link checkUpdateAuthorised} answers for the signatures.
 *
 * @param current - the current config.
 * @param configUpdate - the update.
 * @returns the next config.
 * @throws ConfigUpdateError (`CONFIG_UPDATE_BAD_MOD_POLICY`) for an illegal name,
 *   (`CONFIG_UPDATE_INVALID_CONFIG`) when a group names a member neither holds.
 */
export function configAfterUpdate(current: common.Config, configUpdate: common.ConfigUpdate): common.Config {
  const proposed = mapConfig(current.getChannelGroup(), 'current config');
  const delta = deltaSet(mapConfig(configUpdate.getReadSet(), 'ReadSet'), mapConfig(configUpdate.getWriteSet(), 'WriteSet'));
  for (const [key, element] of delta) proposed.set(key, element);
  const next = new common.Config();
  next.setSequence(current.getSequence() + 1);
  next.setChannelGroup(rebuildGroup(proposed, [], ConfigKey.channelGroup));
  return next;
}
