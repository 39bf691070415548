/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Private data collections of a chaincode as a Fabric peer knows them (core/common/privdata,
 * core/chaincode/lifecycle): the collections of the definition's CollectionConfigPackage plus one
 * implicit collection `_implicit_org_<MSPID>` per application organisation of the channel, each
 * with its member organisations, dissemination counts, block-to-live, access rules and optional
 * endorsement policy.
 */
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { ConfigKey, nOutOf } from 'fabric-config/configtx';

export const IMPLICIT_COLLECTION_PREFIX = '_implicit_org_';

/** One collection, decoded. */
export interface Collection {
  name: string;
  /** The MSP IDs named by the member orgs policy: their peers store the private data. */
  memberOrgs: readonly string[];
  memberPolicy: common.SignaturePolicyEnvelope;
  requiredPeerCount: number;
  maximumPeerCount: number;
  /** 0: kept forever; n: purged when block (committed block + n + 1) commits. */
  blockToLive: number;
  memberOnlyRead: boolean;
  memberOnlyWrite: boolean;
  /** The collection-level endorsement policy, which replaces the chaincode's for writes to it. */
  endorsementPolicy?: peer.ApplicationPolicy;
  implicit: boolean;
}

/** An application organisation of a channel: its config group name and MSP ID. */
export interface ApplicationOrg {
  group: string;
  mspId: string;
}

/** The channel's application organisations, in config order. */
export function applicationOrgs(config: common.Config): ApplicationOrg[] {
  const application = config.getChannelGroup()?.getGroupsMap().get(ConfigKey.applicationGroup);
  if (!application) return [];
  const out: ApplicationOrg[] = [];
  for (const [group, org] of application.getGroupsMap().entries() as Iterable<[string, common.ConfigGroup]>) {
    const value = org.getValuesMap().get('MSP');
    if (!value) continue;
    try {
      const config = msp.MSPConfig.deserializeBinary(value.getValue_asU8());
      out.push({ group, mspId: msp.FabricMSPConfig.deserializeBinary(config.getConfig_asU8()).getName() });
    } catch {
      // An organisation whose MSP does not decode has no implicit collection.
    }
  }
  return out;
}

export function implicitCollectionName(mspId: string): string {
  return `${IMPLICIT_COLLECTION_PREFIX}${mspId}`;
}

/**
 * Fabric's GenerateImplicitCollectionForOrg: members are the organisation's members, anyone may
 * read and write (the org's peers alone hold the data), kept forever. Its endorsement policy is
 * the organisation's `Endorsement` policy, or any member of it (ImplicitCollectionEndorsementPolicyAsBytes).
 */
export function implicitCollection(org: ApplicationOrg, hasOrgEndorsementPolicy: boolean): Collection {
  const memberPolicy = nOutOf(1, [{ mspId: org.mspId, role: 'member' }]);
  const endorsementPolicy = new peer.ApplicationPolicy();
  if (hasOrgEndorsementPolicy) endorsementPolicy.setChannelConfigPolicyReference(orgEndorsementPolicyPath(org));
  else endorsementPolicy.setSignaturePolicy(memberPolicy);
  return {
    name: implicitCollectionName(org.mspId),
    memberOrgs: [org.mspId],
    memberPolicy,
    requiredPeerCount: 0,
    maximumPeerCount: 0,
    blockToLive: 0,
    memberOnlyRead: false,
    memberOnlyWrite: false,
    endorsementPolicy,
    implicit: true,
  };
}

/** The path of an organisation's Endorsement policy, for the implicit collection's policy. */
export function orgEndorsementPolicyPath(org: ApplicationOrg): string {
  return `/${ConfigKey.channelGroup}/${ConfigKey.applicationGroup}/${org.group}/Endorsement`;
}

/**
 * The static collections of a CollectionConfigPackage.
 * @throws Error in Fabric's words when an entry is not a static collection.
 */
export function staticCollections(pkgBytes: Uint8Array): peer.StaticCollectionConfig[] {
  if (pkgBytes.length === 0) return [];
  const pkg = peer.CollectionConfigPackage.deserializeBinary(pkgBytes);
  return pkg.getConfigList().map((c) => {
    if (c.getPayloadCase() !== peer.CollectionConfig.PayloadCase.STATIC_COLLECTION_CONFIG) {
      throw new Error('collection config contains unexpected payload type: <nil>');
    }
    const config = c.getStaticCollectionConfig();
    if (!config) throw new Error('collection configuration is empty');
    return config;
  });
}

/** A static collection config, decoded (its member policy is assumed validated). */
export function decodeCollection(config: peer.StaticCollectionConfig): Collection {
  const memberPolicy = config.getMemberOrgsPolicy()?.getSignaturePolicy() ?? new common.SignaturePolicyEnvelope();
  const endorsement = config.getEndorsementPolicy();
  const hasEndorsement = endorsement !== undefined && (endorsement.hasSignaturePolicy() || endorsement.getChannelConfigPolicyReference() !== '');
  return {
    name: config.getName(),
    memberOrgs: principalMspIds(memberPolicy),
    memberPolicy,
    requiredPeerCount: config.getRequiredPeerCount(),
    maximumPeerCount: config.getMaximumPeerCount(),
    blockToLive: config.getBlockToLive(),
    memberOnlyRead: config.getMemberOnlyRead(),
    memberOnlyWrite: config.getMemberOnlyWrite(),
    ...(hasEndorsement ? { endorsementPolicy: endorsement } : {}),
    implicit: false,
  };
}

/** The MSP IDs a signature policy's principals name (role, organisational unit and identity principals). */
export function principalMspIds(envelope: common.SignaturePolicyEnvelope): string[] {
  const ids = new Set<string>();
  for (const principal of envelope.getIdentitiesList()) {
    const id = principalMspId(principal);
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}

function principalMspId(principal: msp.MSPPrincipal): string | undefined {
  try {
    switch (principal.getPrincipalClassification()) {
      case msp.MSPPrincipal.Classification.ROLE:
        return msp.MSPRole.deserializeBinary(principal.getPrincipal_asU8()).getMspIdentifier();
      case msp.MSPPrincipal.Classification.ORGANIZATION_UNIT:
        return msp.OrganizationUnit.deserializeBinary(principal.getPrincipal_asU8()).getMspIdentifier();
      case msp.MSPPrincipal.Classification.IDENTITY:
        return msp.SerializedIdentity.deserializeBinary(principal.getPrincipal_asU8()).getMspid();
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** Every collection of one chaincode on one channel: explicit and implicit, by name. */
export class CollectionSet {
  private readonly byName = new Map<string, Collection>();

  constructor(
    readonly chaincode: string,
    explicit: readonly Collection[],
    implicit: readonly Collection[],
  ) {
    for (const c of [...explicit, ...implicit]) this.byName.set(c.name, c);
  }

  get(name: string): Collection | undefined {
    return this.byName.get(name);
  }

  /**
   * @throws Error in Fabric's words (InvalidCollNameError) when the chaincode has no such collection.
   */
  require(name: string): Collection {
    const found = this.byName.get(name);
    if (!found) throw new Error(`collection [${name}] not defined in the collection config for chaincode [${this.chaincode}]`);
    return found;
  }

  explicit(): Collection[] {
    return [...this.byName.values()].filter((c) => !c.implicit);
  }
}
