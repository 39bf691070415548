/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `_lifecycle` system chaincode of the devnet's peers, with the functions, argument protos
 * (peer/lifecycle), ACLs and refusals of Fabric v3.1.5's (core/chaincode/lifecycle/scc.go and
 * lifecycle.go): install and query packages on the receiving peer (its organisation's), approve
 * a definition for the peer's organisation, check commit readiness, commit, and query committed
 * definitions. Functions on a channel read and write the `_lifecycle` namespace through the
 * transaction's simulator, so approvals and commits become transactions that the orderer orders
 * and the committer validates (./definitions.ts says who must endorse them): a definition in
 * public state, an approval as private data of the organisation's implicit collection
 * (./stateLayout.ts), whose hashes alone the commit and the readiness check read.
 */
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { ConfigKey } from 'fabric-config/configtx';
import type { SignedData } from 'fabric-config/configtx';
import type { Channel } from '../channel';
import type { TxSimulator } from '../ledger/simulator';
import type { LocalMsp } from '../endorser/systemChaincodes';
import { PackageError } from './chaincodePackage';
import { mismatches, withDefaults } from './definitions';
import type { DefinitionParams } from './definitions';
import { approvalMismatches, DEFINITION_METADATA_RANGE, definitionNamesOf, readApproval, readDefinition, writeApproval, writeDefinition } from './stateLayout';
import type { HashState, KeyState } from './stateLayout';
import { implicitCollectionName } from '../privdata/collections';
import type { InstalledPackages } from './installed';
import { validateCollectionConfigs } from '../privdata/validation';

const lc = peer.lifecycle;

/** Functions checked against the peer's local MSP Admins (Fabric's peer-wide `_lifecycle` ACLs). */
const LOCAL_ADMIN_FUNCTIONS = new Set([
  'InstallChaincode',
  'QueryInstalledChaincode',
  'GetInstalledChaincodePackage',
  'QueryInstalledChaincodes',
  'ApproveChaincodeDefinitionForMyOrg',
  'QueryApprovedChaincodeDefinition',
  'QueryApprovedChaincodeDefinitions',
]);

const NAME = /^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/;
const VERSION = /^[A-Za-z0-9_.+-]+$/;
const SYSTEM_NAMES = new Set(['cscc', 'escc', 'lscc', 'qscc', 'vscc', '_lifecycle']);

export interface LifecycleInvocation {
  args: readonly Uint8Array[];
  signed: SignedData;
  local: LocalMsp;
  /** The channel of the proposal; undefined for a channel-less one (install and the queries of installed packages). */
  channel?: Channel;
  /** The transaction's simulator over the `_lifecycle` namespace (with `channel`). */
  state?: TxSimulator;
}

/** A refusal the endorser answers as the function's 500 response. */
class Refusal extends Error {}

export class LifecycleScc {
  /**
   * @param installed - the packages installed on each organisation's peer.
   * @param onInstalled - told of each install, e.g. to log it.
   */
  constructor(
    private readonly installed: InstalledPackages,
    private readonly onInstalled: (mspId: string, packageId: string) => void = () => undefined,
  ) {}

  /** Runs one function: 200 with the result proto, or 500 with Fabric's message. */
  async invoke(call: LifecycleInvocation): Promise<peer.Response> {
    if (call.args.length !== 2) return failure(`lifecycle scc operations require exactly two arguments but received ${call.args.length}`);
    const fn = Buffer.from(call.args[0]).toString('utf8');
    if (call.channel && !call.channel.lifecycleV20) {
      return failure(`cannot use new lifecycle for channel '${call.channel.id}' as it does not have the required capabilities enabled`);
    }
    const denied = this.checkAcl(fn, call);
    if (denied !== undefined) return failure(`Failed to authorize invocation due to failed ACL check: ${denied}`);
    try {
      return success(await this.dispatch(fn, call));
    } catch (err) {
      if (err instanceof Refusal || err instanceof PackageError) return failure(`failed to invoke backing implementation of '${fn}': ${err.message}`);
      throw err;
    }
  }

  private checkAcl(fn: string, call: LifecycleInvocation): string | undefined {
    if (LOCAL_ADMIN_FUNCTIONS.has(fn)) return localAdminCheck(call.local, call.signed);
    if (!call.channel) return `unknown function or no channel for _lifecycle/${fn}`;
    const acl = call.channel.checkAcl(`_lifecycle/${fn}`, [call.signed]);
    return acl.ok ? undefined : acl.reason;
  }

  private async dispatch(fn: string, call: LifecycleInvocation): Promise<Uint8Array> {
    const arg = call.args[1];
    const mspId = call.local.mspId;
    switch (fn) {
      case 'InstallChaincode': {
        const input = parseArg(() => lc.InstallChaincodeArgs.deserializeBinary(arg), fn);
        const pkg = await this.installed.install(mspId, input.getChaincodeInstallPackage_asU8());
        this.onInstalled(mspId, pkg.packageId);
        const result = new lc.InstallChaincodeResult();
        result.setPackageId(pkg.packageId);
        result.setLabel(pkg.label);
        return result.serializeBinary();
      }
      case 'QueryInstalledChaincode': {
        const input = parseArg(() => lc.QueryInstalledChaincodeArgs.deserializeBinary(arg), fn);
        const found = this.installed.find(mspId, input.getPackageId());
        if (!found) throw new Refusal(`could not get chaincode install package: chaincode install package '${input.getPackageId()}' not found`);
        const result = new lc.QueryInstalledChaincodeResult();
        result.setPackageId(found.packageId);
        result.setLabel(found.label);
        return result.serializeBinary();
      }
      case 'QueryInstalledChaincodes': {
        const result = new lc.QueryInstalledChaincodesResult();
        result.setInstalledChaincodesList(
          this.installed.list(mspId).map((p) => {
            const entry = new lc.QueryInstalledChaincodesResult.InstalledChaincode();
            entry.setPackageId(p.packageId);
            entry.setLabel(p.label);
            return entry;
          }),
        );
        return result.serializeBinary();
      }
      case 'GetInstalledChaincodePackage': {
        const input = parseArg(() => lc.GetInstalledChaincodePackageArgs.deserializeBinary(arg), fn);
        const bytes = this.installed.packageBytes(mspId, input.getPackageId());
        if (!bytes) throw new Refusal(`could not load cc install package: chaincode install package '${input.getPackageId()}' not found`);
        const result = new lc.GetInstalledChaincodePackageResult();
        result.setChaincodeInstallPackage(bytes);
        return result.serializeBinary();
      }
      case 'ApproveChaincodeDefinitionForMyOrg':
        return this.approve(parseArg(() => lc.ApproveChaincodeDefinitionForMyOrgArgs.deserializeBinary(arg), fn), onChannel(call, fn), mspId);
      case 'CheckCommitReadiness': {
        const input = parseArg(() => lc.CheckCommitReadinessArgs.deserializeBinary(arg), fn);
        const { channel, state } = onChannel(call, fn);
        const { approvals, mismatched } = await this.readiness(paramsOf(input), channel, state);
        const result = new lc.CheckCommitReadinessResult();
        for (const [org, ok] of approvals) result.getApprovalsMap().set(org, ok);
        for (const [org, items] of mismatched) {
          const m = new lc.CheckCommitReadinessResult.Mismatches();
          m.setItemsList(items);
          result.getMismatchesMap().set(org, m);
        }
        return result.serializeBinary();
      }
      case 'CommitChaincodeDefinition':
        return this.commit(parseArg(() => lc.CommitChaincodeDefinitionArgs.deserializeBinary(arg), fn), onChannel(call, fn), mspId);
      case 'QueryChaincodeDefinition': {
        const input = parseArg(() => lc.QueryChaincodeDefinitionArgs.deserializeBinary(arg), fn);
        const { channel, state } = onChannel(call, fn);
        const def = await committedDefinition(state, input.getName());
        if (!def) throw new Refusal(`namespace ${input.getName()} is not defined`);
        const { approvals } = await approvalsOf(def, channel, state);
        const result = new lc.QueryChaincodeDefinitionResult();
        setParams(result, def);
        for (const [org, ok] of approvals) result.getApprovalsMap().set(org, ok);
        return result.serializeBinary();
      }
      case 'QueryChaincodeDefinitions':
        return queryDefinitions(onChannel(call, fn).state);
      case 'QueryApprovedChaincodeDefinition': {
        const input = parseArg(() => lc.QueryApprovedChaincodeDefinitionArgs.deserializeBinary(arg), fn);
        const { state } = onChannel(call, fn);
        let sequence = input.getSequence();
        if (sequence === 0) sequence = ((await committedDefinition(state, input.getName()))?.sequence ?? 0) || 1;
        const approval = await readApproval(orgState(state, mspId), input.getName(), sequence);
        if (!approval) throw new Refusal(`could not fetch approved chaincode definition (name: '${input.getName()}', sequence: '${sequence}') on channel '${call.channel?.id ?? ''}'`);
        const result = new lc.QueryApprovedChaincodeDefinitionResult();
        setParams(result, approval);
        result.setSequence(approval.sequence);
        result.setSource(sourceOf(approval.packageId));
        return result.serializeBinary();
      }
      default:
        throw new Refusal(`unknown function ${fn}`);
    }
  }

  /** Writes the approval of the receiving peer's organisation (`owner`), and only its. */
  private async approve(input: peer.lifecycle.ApproveChaincodeDefinitionForMyOrgArgs, { channel, state }: ChannelCall, owner: string): Promise<Uint8Array> {
    const params = withDefaults(paramsOf(input));
    validateParams(params);
    const source = input.getSource();
    const packageId = source?.getLocalPackage()?.getPackageId() ?? '';
    const current = await committedDefinition(state, params.name);
    validateCollections(params, channel, current);
    const currentSequence = current?.sequence ?? 0;
    const requested = params.sequence;
    if (currentSequence === requested && requested === 0) throw new Refusal('requested sequence is 0, but first definable sequence number is 1');
    if (requested < currentSequence) throw new Refusal(`currently defined sequence ${currentSequence} is larger than requested sequence ${requested}`);
    if (requested > currentSequence + 1) throw new Refusal(`requested sequence ${requested} is larger than the next available sequence number ${currentSequence + 1}`);
    const own = orgState(state, owner);
    const previous = await readApproval(own, params.name, requested);
    if (current && requested === currentSequence) {
      if (mismatches(current, params).length > 0) {
        throw new Refusal(`attempted to redefine the current committed sequence (${currentSequence}) for namespace ${params.name} with different parameters: ${mismatches(current, params).join(', ')} differ`);
      }
      if (previous && previous.packageId === packageId) throw new Refusal(`attempted to redefine the current committed sequence (${currentSequence}) for namespace ${params.name}`);
    }
    if (requested === currentSequence + 1 && previous && previous.packageId === packageId && mismatches(previous, params).length === 0) {
      throw new Refusal(`attempted to redefine uncommitted sequence (${requested}) for namespace ${params.name} with unchanged content`);
    }
    await writeApproval(own, params, packageId);
    return new lc.ApproveChaincodeDefinitionForMyOrgResult().serializeBinary();
  }

  private async readiness(raw: DefinitionParams, channel: Channel, state: TxSimulator): Promise<{ approvals: Map<string, boolean>; mismatched: Map<string, string[]> }> {
    const params = withDefaults(raw);
    validateParams(params);
    const committed = await committedDefinition(state, params.name);
    validateCollections(params, channel, committed);
    const current = committed?.sequence ?? 0;
    if (params.sequence !== current + 1) throw new Refusal(`requested sequence is ${params.sequence}, but new definition must be sequence ${current + 1}`);
    return approvalsOf(params, channel, state);
  }

  private async commit(input: peer.lifecycle.CommitChaincodeDefinitionArgs, { channel, state }: ChannelCall, mspId: string): Promise<Uint8Array> {
    const params = withDefaults(paramsOf(input));
    const { approvals } = await this.readiness(params, channel, state);
    if (!approvals.has(mspId)) throw new Refusal("impossibly, this peer's org is processing requests for a channel it is not a member of");
    // As in Fabric, each endorsing peer requires its own organisation's approval, so a commit
    // whose endorsements satisfy LifecycleEndorsement (checked at validation) has approvals that do.
    if (approvals.get(mspId) !== true) throw new Refusal(`chaincode definition not agreed to by this org (${mspId})`);
    await writeDefinition(publicState(state), params);
    return new lc.CommitChaincodeDefinitionResult().serializeBinary();
  }
}

type ChannelCall = { channel: Channel; state: TxSimulator };

function onChannel(call: LifecycleInvocation, fn: string): ChannelCall {
  if (!call.channel || !call.state) throw new Refusal(`${fn} needs a channel: name one with --channelID`);
  return { channel: call.channel, state: call.state };
}

async function committedDefinition(state: TxSimulator, name: string): Promise<DefinitionParams | undefined> {
  try {
    return await readDefinition(publicState(state), name);
  } catch (err) {
    throw new Refusal(`could not deserialize namespace ${name} as chaincode: ${(err as Error).message}`);
  }
}

/** Every committed definition on the channel (Fabric's QueryChaincodeDefinitions). */
async function queryDefinitions(state: TxSimulator): Promise<Uint8Array> {
  const page = await state.getStateByRange(DEFINITION_METADATA_RANGE.start, DEFINITION_METADATA_RANGE.end);
  const entries: peer.lifecycle.QueryChaincodeDefinitionsResult.ChaincodeDefinition[] = [];
  for (const name of definitionNamesOf(page.results)) {
    const def = await committedDefinition(state, name);
    if (!def) continue;
    const entry = new lc.QueryChaincodeDefinitionsResult.ChaincodeDefinition();
    entry.setName(def.name);
    setParams(entry, def);
    entries.push(entry);
  }
  const result = new lc.QueryChaincodeDefinitionsResult();
  result.setChaincodeDefinitionsList(entries);
  return result.serializeBinary();
}

function publicState(state: TxSimulator): KeyState {
  return {
    get: (key) => state.getState(key),
    put: (key, value) => { state.putState(key, value); },
    del: (key) => { state.deleteState(key); },
  };
}

function privateOf(state: TxSimulator): NonNullable<TxSimulator['privateData']> {
  // The endorser gives `_lifecycle` its collections; a simulator without them cannot hold approvals.
  if (!state.privateData) throw new Refusal('approvals are private data of the implicit collections, and this peer has no private data for _lifecycle');
  return state.privateData;
}

/** An organisation's own private copy of its implicit collection (Fabric's ChaincodePrivateLedgerShim). */
function orgState(state: TxSimulator, mspId: string): KeyState {
  const pvt = privateOf(state);
  const collection = implicitCollectionName(mspId);
  return {
    get: (key) => pvt.getPrivateData(collection, key),
    put: (key, value) => { pvt.putPrivateData(collection, key, value); },
    del: (key) => { pvt.deletePrivateData(collection, key); },
  };
}

/** The hashes of any organisation's implicit collection, which every peer has. */
function orgHashes(state: TxSimulator, mspId: string): HashState {
  const pvt = privateOf(state);
  const collection = implicitCollectionName(mspId);
  return { hash: (key) => pvt.getPrivateDataHash(collection, key) };
}

/**
 * Each application organisation's approval of exactly these parameters (any package), from the
 * hashes of its implicit collection, as Fabric's QueryOrgApprovals; mismatches named as Fabric
 * names them (ChaincodeParameters when it approved nothing, else EndorsementInfo, ValidationInfo, Collections).
 */
async function approvalsOf(params: DefinitionParams, channel: Channel, state: TxSimulator): Promise<{ approvals: Map<string, boolean>; mismatched: Map<string, string[]> }> {
  const approvals = new Map<string, boolean>();
  const mismatched = new Map<string, string[]>();
  for (const org of applicationMspIds(channel.config)) {
    const differ = await approvalMismatches(orgHashes(state, org), params);
    approvals.set(org, differ.length === 0);
    if (differ.length > 0) mismatched.set(org, differ);
  }
  return { approvals, mismatched };
}

/** The MSP IDs of the channel's application organisations, in config order. */
export function applicationMspIds(config: common.Config): string[] {
  const application = config.getChannelGroup()?.getGroupsMap().get(ConfigKey.applicationGroup);
  if (!application) return [];
  const out: string[] = [];
  for (const [, org] of application.getGroupsMap().entries() as Iterable<[string, common.ConfigGroup]>) {
    const value = org.getValuesMap().get('MSP');
    if (!value) continue;
    try {
      const config = msp.MSPConfig.deserializeBinary(value.getValue_asU8());
      out.push(msp.FabricMSPConfig.deserializeBinary(config.getConfig_asU8()).getName());
    } catch {
      // An organisation whose MSP does not decode cannot approve.
    }
  }
  return out;
}

type ParamsInput = Pick<
  peer.lifecycle.CommitChaincodeDefinitionArgs,
  'getName' | 'getSequence' | 'getVersion' | 'getEndorsementPlugin' | 'getValidationPlugin' | 'getValidationParameter_asU8' | 'getInitRequired' | 'getCollections'
>;

function paramsOf(input: ParamsInput): DefinitionParams {
  return {
    name: input.getName(),
    sequence: input.getSequence(),
    version: input.getVersion(),
    endorsementPlugin: input.getEndorsementPlugin(),
    validationPlugin: input.getValidationPlugin(),
    validationParameter: input.getValidationParameter_asU8(),
    initRequired: input.getInitRequired(),
    collections: input.getCollections()?.serializeBinary() ?? new Uint8Array(0),
  };
}

type ParamsOutput = Pick<
  peer.lifecycle.QueryChaincodeDefinitionResult,
  'setSequence' | 'setVersion' | 'setEndorsementPlugin' | 'setValidationPlugin' | 'setValidationParameter' | 'setInitRequired' | 'setCollections'
>;

function setParams(out: ParamsOutput, def: DefinitionParams): void {
  out.setSequence(def.sequence);
  out.setVersion(def.version);
  out.setEndorsementPlugin(def.endorsementPlugin);
  out.setValidationPlugin(def.validationPlugin);
  out.setValidationParameter(def.validationParameter);
  out.setInitRequired(def.initRequired);
  // Always set, an empty package included, as Fabric's answers carry it (`"collections": {}` in the CLI's JSON).
  out.setCollections(peer.CollectionConfigPackage.deserializeBinary(def.collections));
}

function sourceOf(packageId: string): peer.lifecycle.ChaincodeSource {
  const source = new lc.ChaincodeSource();
  if (packageId === '') {
    source.setUnavailable(new lc.ChaincodeSource.Unavailable());
  } else {
    const local = new lc.ChaincodeSource.Local();
    local.setPackageId(packageId);
    source.setLocalPackage(local);
  }
  return source;
}

/**
 * Fabric's validateInput on the collections: names, counts, member policies naming the
 * channel's organisations, and an existing collection kept with its block-to-live.
 */
function validateCollections(params: DefinitionParams, channel: Channel, committed: DefinitionParams | undefined): void {
  try {
    validateCollectionConfigs(params.collections, new Set(applicationMspIds(channel.config)), committed?.collections);
  } catch (err) {
    throw new Refusal(`error validating chaincode definition: ${(err as Error).message}`);
  }
}

/** Fabric's validateInput: name, version and validation parameter (the collections: {@link validateCollections}). */
function validateParams(params: DefinitionParams): void {
  if (!NAME.test(params.name)) {
    throw new Refusal(`error validating chaincode definition: invalid chaincode name '${params.name}'. Names can only consist of alphanumerics, '_', and '-' and can only begin with alphanumerics`);
  }
  if (SYSTEM_NAMES.has(params.name)) throw new Refusal(`error validating chaincode definition: chaincode name '${params.name}' is the name of a system chaincode`);
  if (!VERSION.test(params.version)) {
    throw new Refusal(`error validating chaincode definition: invalid chaincode version '${params.version}'. Versions can only consist of alphanumerics, '_', '-', '+', and '.'`);
  }
  try {
    const policy = peer.ApplicationPolicy.deserializeBinary(params.validationParameter);
    if (!policy.hasSignaturePolicy() && policy.getChannelConfigPolicyReference() === '') throw new Error('empty');
  } catch {
    throw new Refusal('error validating chaincode definition: the validation parameter is not an ApplicationPolicy (a signature policy or a channel policy reference)');
  }
}

function parseArg<T>(fn: () => T, name: string): T {
  try {
    return fn();
  } catch (err) {
    throw new Refusal(`failed to decode input arg to ${name}: ${(err as Error).message}`);
  }
}

/**
 * Fabric's check of a peer-wide resource whose policy is the local MSP's `Admins`: the creator is
 * an admin (NodeOU `admin`) of the receiving peer's own organisation, and the signature is its.
 * @returns the refusal, or undefined.
 */
function localAdminCheck(local: LocalMsp, signed: SignedData): string | undefined {
  const refused = (reason: string): string => `Failed verifying that proposal's creator satisfies local MSP principal during channelless check policy with policy [Admins]: [${reason}]`;
  let mspId: string;
  try {
    mspId = msp.SerializedIdentity.deserializeBinary(signed.identity).getMspid();
  } catch {
    return refused('could not deserialize a SerializedIdentity');
  }
  if (mspId !== local.mspId) return refused(`The identity is a member of a different MSP (expected ${local.mspId}, got ${mspId})`);
  try {
    const identity = local.msp.deserialize(signed.identity);
    if (!local.msp.verify(identity, signed.data, signed.signature)) return refused('The signature is invalid');
    if (!local.msp.satisfiesRole(identity, local.mspId, 'admin')) return refused(`The identity is not an admin under this MSP [${local.mspId}]: The identity does not contain OU [ADMIN], MSP: [${local.mspId}]`);
    return undefined;
  } catch (err) {
    return refused((err as Error).message);
  }
}

function success(payload: Uint8Array): peer.Response {
  const response = new peer.Response();
  response.setStatus(200);
  response.setPayload(payload);
  return response;
}

function failure(message: string): peer.Response {
  const response = new peer.Response();
  response.setStatus(500);
  response.setMessage(message);
  return response;
}
