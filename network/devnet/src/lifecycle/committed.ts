/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What a peer does once a block with `_lifecycle` transactions commits: it reads the channel's
 * committed definitions and puts each new or changed one in force, so the chaincode is
 * invokable with the definition's endorsement policy and the package its organisation approved
 * runs. Runs before the block's commit is announced, so a client that saw its commit can invoke.
 */
import type { ChaincodeDefinition, Channel } from '../channel';
import type { CommitResult } from '../ledger/committer';
import type { LedgerStore } from '../ledger/store';
import { TxCode } from '../ledger/validationCodes';
import { ccaasConnectionOf, parseChaincodePackage } from './chaincodePackage';
import type { CcaasConnection } from './chaincodePackage';
import { endorsementPolicyOf, LIFECYCLE } from './definitions';
import type { DefinitionParams } from './definitions';
import type { InstalledPackages } from './installed';
import { applicationMspIds } from './scc';
import { DEFINITION_METADATA_RANGE, definitionNamesOf, readApprovedPackage, readDefinition } from './stateLayout';
import type { KeyState } from './stateLayout';
import { implicitCollectionName } from '../privdata/collections';
import { privateNamespace } from '../privdata/rwset';

/** How the code of a definition runs: a package's Node code, a ccaas server, or a deployed folder. */
export type ChaincodeSource =
  | { kind: 'node'; folder: string }
  | { kind: 'ccaas'; connection: CcaasConnection }
  | { kind: 'folder' }
  | { kind: 'none' };

export interface LifecycleHost {
  readonly store: LedgerStore;
  readonly installed: InstalledPackages;
  /** The MSP IDs of the organisations whose peers this devnet runs. */
  peerOrgs(): readonly string[];
  /** The devnet's node_modules, from which unpacked Node packages resolve their modules. */
  readonly modulesDir: string;
  /**
   * Puts a definition in force: defines it on the channel, records it, and starts its code.
   * Not called for deployed folders (`deploy` does that itself).
   */
  putInForce(def: ChaincodeDefinition, source: ChaincodeSource): Promise<void>;
  log(line: string): void;
}

export class CommittedDefinitions {
  constructor(private readonly host: LifecycleHost) {}

  /** The hook the orderer awaits after each committed block. */
  async afterCommit(channel: Channel, result: CommitResult): Promise<void> {
    if (!result.txs.some((t) => t.chaincodeId === LIFECYCLE && t.validationCode === TxCode.VALID)) return;
    const rows = await this.host.store.rangeState(channel.id, LIFECYCLE, DEFINITION_METADATA_RANGE.start, DEFINITION_METADATA_RANGE.end);
    const state = this.namespaceState(channel.id, LIFECYCLE);
    for (const name of definitionNamesOf(rows.map((r) => ({ key: r.key, value: r.value.value })))) {
      try {
        const params = await readDefinition(state, name);
        if (!params || channel.chaincode(name)?.sequence === params.sequence) continue;
        await this.apply(channel, params);
      } catch (err) {
        this.host.log(`chaincode ${name} on ${channel.id}: cannot put its committed definition in force: ${(err as Error).message}`);
      }
    }
  }

  private async apply(channel: Channel, params: DefinitionParams): Promise<void> {
    const { packageId, source } = await this.sourceOf(channel, params);
    if (source.kind === 'folder') return;
    const policy = endorsementPolicyOf(params.validationParameter);
    const existing = channel.chaincode(params.name);
    const def: ChaincodeDefinition = {
      channel: channel.id,
      name: params.name,
      version: params.version,
      ccid: packageId,
      folder: source.kind === 'node' ? source.folder : '',
      address: source.kind === 'ccaas' ? source.connection.address : (existing?.address ?? ''),
      endorsementPolicy: 'ref' in policy ? policy.ref : '',
      ...('signature' in policy ? { signaturePolicy: Buffer.from(policy.signature.serializeBinary()).toString('base64') } : {}),
      sequence: params.sequence,
      ...(source.kind === 'ccaas' ? { external: true } : {}),
      ...(params.collections.length > 0 ? { collections: Buffer.from(params.collections).toString('base64') } : {}),
    };
    await this.host.putInForce(def, source);
    this.host.log(`chaincode ${params.name} ${params.version} sequence ${params.sequence} committed on ${channel.id} (${packageId === '' ? 'no package installed' : packageId})`);
  }

  /** Committed state of one namespace, read-only. */
  private namespaceState(channelId: string, namespace: string): Pick<KeyState, 'get'> {
    return { get: async (key) => (await this.host.store.getState(channelId, namespace, key))?.value };
  }

  /**
   * The package the devnet runs for a definition: one process serves all its peers, so the first
   * organisation (in the channel's order) whose peer is the devnet's and whose approval names a
   * package installed on that peer decides.
   */
  private async sourceOf(channel: Channel, params: DefinitionParams): Promise<{ packageId: string; source: ChaincodeSource }> {
    const ours = new Set(this.host.peerOrgs());
    for (const org of applicationMspIds(channel.config).filter((o) => ours.has(o))) {
      // The organisation's own copy of its implicit collection, as its peer reads it.
      const own = this.namespaceState(channel.id, privateNamespace(LIFECYCLE, implicitCollectionName(org), org));
      const packageId = await readApprovedPackage(own, params.name, params.sequence);
      if (packageId === '') continue;
      const installed = this.host.installed.find(org, packageId);
      if (!installed) continue;
      if (installed.kind === 'folder') return { packageId, source: { kind: 'folder' } };
      const bytes = this.host.installed.packageBytes(org, packageId);
      if (!bytes) continue;
      const pkg = await parseChaincodePackage(bytes);
      if (pkg.type === 'ccaas') return { packageId, source: { kind: 'ccaas', connection: ccaasConnectionOf(pkg) } };
      if (pkg.type === 'node') return { packageId, source: { kind: 'node', folder: await this.host.installed.unpackNode(org, packageId, this.host.modulesDir) } };
      throw new Error(`package ${packageId} is of type ${pkg.type}; the devnet runs node and ccaas packages only`);
    }
    return { packageId: '', source: { kind: 'none' } };
  }
}
