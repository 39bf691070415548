/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `_lifecycle` as the devnet wires it: the packages installed on each organisation's peer, the
 * system chaincode its endorser serves, the hook that puts committed definitions in force, and
 * the shortcut the admin `deploy` takes through the same flow (install on every organisation's
 * peer, approve for each, commit), so that a deployed chaincode is defined as one committed with
 * the peer CLI is.
 */
import { common, peer } from '@hyperledger/fabric-protos';
import type { EventEmitter } from 'node:events';
import * as path from 'node:path';
import type { Channel } from '../channel';
import type { Endorser, LocalPeer } from '../endorser/endorser';
import type { CommitResult } from '../ledger/committer';
import type { LedgerStore } from '../ledger/store';
import { TxCode } from '../ledger/validationCodes';
import type { Signer } from '../protoutil';
import { endorsedTransaction, lifecycleProposal } from './client';
import { CommittedDefinitions } from './committed';
import type { ChaincodeSource } from './committed';
import { LIFECYCLE } from './definitions';
import { readSequence } from './stateLayout';
import { InstalledPackages } from './installed';
import { applicationMspIds, LifecycleScc } from './scc';
import type { ChaincodeDefinition } from '../channel';

export type { ChaincodeSource };

/** Where devnets before Fabric's layout kept a committed definition in `_lifecycle`'s namespace. */
const LEGACY_DEFINITION_PREFIX = 'definitions/';

export interface DevnetLifecycleOptions {
  dataDir: string;
  store: LedgerStore;
  /** The MSP IDs of the organisations whose peers the devnet runs. */
  peerOrgs(): readonly string[];
  putInForce(def: ChaincodeDefinition, source: ChaincodeSource): Promise<void>;
  log(line: string): void;
}

/** An organisation taking part in `deploy`'s shortcut: its admin signs, its peer endorses. */
export interface DeployingOrg {
  mspId: string;
  admin: Signer;
  peer: LocalPeer;
}

/** What `deploy` needs to submit a transaction and learn its validation code. */
export interface Submitter {
  broadcast(envelope: common.Envelope): Promise<{ status: number; info: string }>;
  /** Emits 'block' (channelId, CommitResult) after each committed block. */
  commits: EventEmitter;
}

export class DevnetLifecycle {
  readonly installed: InstalledPackages;
  readonly scc: LifecycleScc;
  private readonly committed: CommittedDefinitions;

  constructor(private readonly options: DevnetLifecycleOptions) {
    this.installed = new InstalledPackages(path.join(options.dataDir, 'lifecycle', 'installed'));
    this.scc = new LifecycleScc(this.installed, (mspId, packageId) => { options.log(`chaincode package ${packageId} installed on ${mspId}'s peer`); });
    this.committed = new CommittedDefinitions({
      store: options.store,
      installed: this.installed,
      peerOrgs: () => options.peerOrgs(),
      get modulesDir(): string {
        return devnetModulesDir();
      },
      putInForce: (def, source) => options.putInForce(def, source),
      log: (line) => { options.log(line); },
    });
  }

  /** The orderer's after-commit hook. */
  afterCommit(channel: Channel, result: CommitResult): Promise<void> {
    return this.committed.afterCommit(channel, result);
  }

  /**
   * The sequence of a chaincode's committed definition on a channel (0: none).
   * @throws Error when the definition is in the layout of devnets before Fabric's (`definitions/<name>`).
   */
  async committedSequence(channelId: string, name: string): Promise<number> {
    const sequence = await readSequence({ get: async (key) => (await this.options.store.getState(channelId, LIFECYCLE, key))?.value }, name);
    if (sequence === 0 && (await this.options.store.getState(channelId, LIFECYCLE, `${LEGACY_DEFINITION_PREFIX}${name}`))) {
      throw new Error(`chaincode ${name} on ${channelId} was defined by an older devnet, which kept _lifecycle state in a layout of its own (${LEGACY_DEFINITION_PREFIX}${name}): this devnet reads Fabric's layout only, so start it on a new data folder and deploy again`);
    }
    return sequence;
  }

  /**
   * `deploy`'s shortcut: records the folder as installed on every organisation's peer, has each
   * organisation's admin approve the next sequence with that package (the approvals in one
   * block), then commits it, endorsed by every peer. The orderer orders both steps and the
   * committer validates them as it does the peer CLI's.
   * @returns the committed sequence.
   * @throws Error naming the step that failed and why.
   */
  async defineEverywhere(req: { channel: Channel; name: string; version: string; packageId: string; folder: string; orgs: readonly DeployingOrg[]; endorser: Endorser; submitter: Submitter }): Promise<number> {
    const { channel, name } = req;
    // Only organisations the channel's config admits now can approve (one may have been removed).
    const members = new Set(applicationMspIds(channel.config));
    const orgs = req.orgs.filter((o) => members.has(o.mspId));
    if (orgs.length === 0) throw new Error(`none of the devnet's organisations (${req.orgs.map((o) => o.mspId).join(', ')}) is a member of channel ${channel.id}`);
    for (const org of orgs) this.installed.recordFolder(org.mspId, req.packageId, req.folder);
    const sequence = (await this.committedSequence(channel.id, name)) + 1;
    const params = <T extends ParamsSetter>(args: T): T => {
      args.setName(name);
      args.setSequence(sequence);
      args.setVersion(req.version);
      return args;
    };
    await Promise.all(orgs.map(async (org) => {
      const approve = params(new peer.lifecycle.ApproveChaincodeDefinitionForMyOrgArgs());
      const source = new peer.lifecycle.ChaincodeSource();
      const local = new peer.lifecycle.ChaincodeSource.Local();
      local.setPackageId(req.packageId);
      source.setLocalPackage(local);
      approve.setSource(source);
      await this.transact(req, org.admin, 'ApproveChaincodeDefinitionForMyOrg', approve.serializeBinary(), [org.peer], `${org.mspId}'s approval`);
    }));
    const commit = params(new peer.lifecycle.CommitChaincodeDefinitionArgs());
    await this.transact(req, orgs[0].admin, 'CommitChaincodeDefinition', commit.serializeBinary(), orgs.map((o) => o.peer), 'the commit');
    return sequence;
  }

  private async transact(
    req: { channel: Channel; endorser: Endorser; submitter: Submitter },
    admin: Signer,
    fn: string,
    arg: Uint8Array,
    peers: readonly LocalPeer[],
    what: string,
  ): Promise<void> {
    const { signed, proposal, txId } = lifecycleProposal(admin, req.channel.id, fn, arg);
    const responses = await Promise.all(peers.map((p) => req.endorser.processProposal(signed, p)));
    let envelope: common.Envelope;
    try {
      envelope = endorsedTransaction(proposal, responses, admin);
    } catch (err) {
      throw new Error(`${what} on ${req.channel.id} was not endorsed: ${(err as Error).message}`);
    }
    const committed = waitForTx(req.submitter.commits, req.channel.id, txId);
    const sent = await req.submitter.broadcast(envelope);
    if (sent.status !== common.Status.SUCCESS) {
      committed.cancel();
      throw new Error(`${what} on ${req.channel.id} was refused by the orderer: ${sent.status} ${sent.info}`);
    }
    const code = await committed.done;
    if (code !== TxCode.VALID) throw new Error(`${what} on ${req.channel.id} was invalidated with code ${code} (${txCodeName(code)})`);
  }
}

type ParamsSetter = { setName(v: string): unknown; setSequence(v: number): unknown; setVersion(v: string): unknown };

function waitForTx(commits: EventEmitter, channelId: string, txId: string): { done: Promise<number>; cancel(): void } {
  let listener: (channel: string, result: CommitResult) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    listener = (channel, result) => {
      if (channel !== channelId) return;
      const tx = result.txs.find((t) => t.txId === txId);
      if (!tx) return;
      commits.off('block', listener);
      resolve(tx.validationCode);
    };
    commits.on('block', listener);
  });
  return { done, cancel: () => { commits.off('block', listener); } };
}

function txCodeName(code: number): string {
  return Object.entries(peer.TxValidationCode).find(([, v]) => v === code)?.[0] ?? 'unknown';
}

/**
 * The folder whose modules an unpacked Node package resolves (fabric-shim, fabric-contract-api):
 * the devnet's own, since packages leave node_modules out and the devnet runs no `npm install`.
 */
export function devnetModulesDir(): string {
  try {
    return path.dirname(path.dirname(require.resolve('fabric-shim/package.json')));
  } catch {
    throw new Error('fabric-shim is not installed where the devnet runs, so Node chaincode packages cannot run: run `npm install` at the repository root');
  }
}
