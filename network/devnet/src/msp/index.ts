/**
 * Membership for the devnet: cryptogen-layout crypto material, signing identities, and the
 * identity validator used by the endorser, committer, orderer and policy engine.
 */
export { MspError } from './errors';
export type { MspErrorCode, MspErrorOptions } from './errors';
export { generateOrgCrypto, loadOrgCrypto, nodeOuConfigYaml } from './cryptogen';
export type { NodeCrypto, OrgCrypto, OrgSpec, UserCrypto } from './cryptogen';
export { SigningIdentity } from './identity';
export { MspRegistry, mspDefinitionFromFolder } from './registry';
export type { Identity, MspDefinition, MspRegistryOptions, MspRole, NodeOuRole } from './registry';
