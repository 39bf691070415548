/**
 * Membership: cryptogen-layout crypto material, signing identities, and the identity validator
 * used by the policy engine (and by the devnet's endorser, committer and orderer).
 */
export { MspError } from './errors';
export type { MspErrorCode, MspErrorOptions } from './errors';
export { generateOrgCrypto, issuePeerNode, loadOrgCrypto, nodeOuConfigYaml } from './cryptogen';
export type { NodeCrypto, OrgCrypto, OrgSpec, UserCrypto } from './cryptogen';
export { SigningIdentity } from './identity';
export { MspRegistry, mspDefinitionFromFolder } from './registry';
export { sameCertificate } from './pem';
export type { Identity, MspDefinition, MspRegistryOptions, MspRole, NodeOuRole } from './registry';
