/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Fabric's ACLs (core/aclmgmt): which policy guards a peer resource on a channel. A channel whose
 * Application group has an `ACLs` value (peer.ACLs) names a policy per resource; a resource it
 * does not name falls back to the peer's built-in default (defaultaclprovider.go). Pure: no I/O.
 */
import { common, peer } from '@hyperledger/fabric-protos';
import { aclPolicyPath } from './channelModel';
import { ConfigKey } from './keys';

/** The `ACLs` value of the Application group. */
export const ACLS_KEY = 'ACLs';

const CHANNEL_APPLICATION_READERS = '/Channel/Application/Readers';
const CHANNEL_APPLICATION_WRITERS = '/Channel/Application/Writers';

/**
 * Channel resources and the policy a Fabric v3.1.5 peer applies when the channel's ACLs do not
 * name them (core/aclmgmt/defaultaclprovider.go, its channel map). `lscc/Deploy` and
 * `lscc/Upgrade` are left out: Fabric maps them to no policy, since peer/Propose covers them.
 */
export const DEFAULT_CHANNEL_ACLS: Readonly<Record<string, string>> = {
  '_lifecycle/CommitChaincodeDefinition': CHANNEL_APPLICATION_WRITERS,
  '_lifecycle/QueryChaincodeDefinition': CHANNEL_APPLICATION_WRITERS,
  '_lifecycle/QueryChaincodeDefinitions': CHANNEL_APPLICATION_WRITERS,
  '_lifecycle/CheckCommitReadiness': CHANNEL_APPLICATION_WRITERS,
  'lscc/ChaincodeExists': CHANNEL_APPLICATION_READERS,
  'lscc/GetDeploymentSpec': CHANNEL_APPLICATION_READERS,
  'lscc/GetChaincodeData': CHANNEL_APPLICATION_READERS,
  'lscc/GetInstantiatedChaincodes': CHANNEL_APPLICATION_READERS,
  'lscc/GetCollectionsConfig': CHANNEL_APPLICATION_READERS,
  'qscc/GetChainInfo': CHANNEL_APPLICATION_READERS,
  'qscc/GetBlockByNumber': CHANNEL_APPLICATION_READERS,
  'qscc/GetBlockByHash': CHANNEL_APPLICATION_READERS,
  'qscc/GetTransactionByID': CHANNEL_APPLICATION_READERS,
  'qscc/GetBlockByTxID': CHANNEL_APPLICATION_READERS,
  'cscc/GetConfigBlock': CHANNEL_APPLICATION_READERS,
  'cscc/GetChannelConfig': CHANNEL_APPLICATION_READERS,
  'peer/Propose': CHANNEL_APPLICATION_WRITERS,
  'peer/ChaincodeToChaincode': CHANNEL_APPLICATION_WRITERS,
  'event/Block': CHANNEL_APPLICATION_READERS,
  'event/FilteredBlock': CHANNEL_APPLICATION_READERS,
  'gateway/CommitStatus': CHANNEL_APPLICATION_READERS,
  'gateway/ChaincodeEvents': CHANNEL_APPLICATION_READERS,
};

/**
 * Peer-wide resources, checked against the peer's local MSP admins whatever a channel's ACLs say
 * (Fabric's resourceProvider never lets a channel override them).
 */
export const PEER_WIDE_ACL_RESOURCES: readonly string[] = [
  '_lifecycle/InstallChaincode',
  '_lifecycle/QueryInstalledChaincode',
  '_lifecycle/GetInstalledChaincodePackage',
  '_lifecycle/QueryInstalledChaincodes',
  '_lifecycle/ApproveChaincodeDefinitionForMyOrg',
  '_lifecycle/QueryApprovedChaincodeDefinition',
  '_lifecycle/QueryApprovedChaincodeDefinitions',
  'snapshot/submitrequest',
  'snapshot/cancelrequest',
  'snapshot/listpending',
  'lscc/Install',
  'lscc/GetInstalledChaincodes',
  'cscc/JoinChain',
  'cscc/JoinChainBySnapshot',
  'cscc/JoinBySnapshotStatus',
  'cscc/GetChannels',
];

/**
 * Application capabilities that allow an `ACLs` value (common/capabilities/application.go
 * `ACLs()`): V1_2 and later. Without one of them Fabric does not build the channel config.
 */
export const ACL_APPLICATION_CAPABILITIES: readonly string[] = ['V1_2', 'V1_3', 'V1_4_2', 'V2_0', 'V2_5'];

/**
 * Whether an Application capability set allows an `ACLs` value.
 *
 * @param capabilities - the Application group's capability names.
 * @returns true with V1_2 or later.
 */
export function applicationAllowsAcls(capabilities: readonly string[]): boolean {
  return capabilities.some((name) => ACL_APPLICATION_CAPABILITIES.includes(name));
}

/**
 * The policies a channel's `ACLs` value names, by resource, each reference made absolute as
 * Fabric's channelconfig does (relative ones live under `/Channel/Application/`). An empty
 * reference is left out: Fabric warns and falls back to the default for that resource.
 *
 * @param config - the channel config.
 * @returns the policy paths by resource; empty when the channel has no `ACLs` value.
 * @throws Error if the `ACLs` value does not decode (a config Fabric would not have built).
 */
export function configuredAcls(config: common.Config): ReadonlyMap<string, string> {
  const bytes = config.getChannelGroup()?.getGroupsMap().get(ConfigKey.applicationGroup)?.getValuesMap().get(ACLS_KEY)?.getValue_asU8();
  const acls = new Map<string, string>();
  if (bytes === undefined) return acls;
  peer.ACLs.deserializeBinary(bytes)
    .getAclsMap()
    .forEach((api, resource) => {
      const ref = api.getPolicyRef();
      if (ref !== '') acls.set(resource, aclPolicyPath(ref));
    });
  return acls;
}

/** Where the policy guarding a resource comes from. */
export interface AclPolicy {
  /** The absolute policy path, e.g. `/Channel/Application/Writers`. */
  readonly policy: string;
  /** `config` when the channel's ACLs name it, `default` for the peer's built-in one. */
  readonly source: 'config' | 'default';
}

/**
 * The policy guarding a channel resource, as Fabric's resourceProvider picks it.
 *
 * @param acls - the channel's configured ACLs ({@link configuredAcls}).
 * @param resource - e.g. `peer/Propose`.
 * @returns the policy; undefined for a peer-wide resource (see {@link PEER_WIDE_ACL_RESOURCES}) and
 *   for one with neither a configured nor a default policy (Fabric refuses those: `Unmapped policy
 *   for <resource>`).
 */
export function aclPolicyFor(acls: ReadonlyMap<string, string>, resource: string): AclPolicy | undefined {
  if (PEER_WIDE_ACL_RESOURCES.includes(resource)) return undefined;
  const configured = acls.get(resource);
  if (configured !== undefined) return { policy: configured, source: 'config' };
  // Own keys only: a resource named like an Object.prototype member has no default.
  return Object.hasOwn(DEFAULT_CHANNEL_ACLS, resource) ? { policy: DEFAULT_CHANNEL_ACLS[resource], source: 'default' } : undefined;
}
