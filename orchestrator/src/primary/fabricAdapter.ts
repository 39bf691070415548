/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The Fabric `primary` channel as the chain Algorithm 2 reconfigures (docs/protocol.md, "Applying a CB to the primary channel").
 *
 * Applying a configuration block (CB) is a channel configuration update that makes the channel
 * run the CB's channel model (cbModel.ts; batch and consensus values, policies, capabilities,
 * ACLs, anchor peers), authorised by the mod_policies of what it changes (for most elements the
 * MAJORITY of the admins of the organisations of that level), and nobody collects signatures
 * centrally:
 *
 *  1. Each member's orchestrator, after its own observer and runtime verified the CB, reads the
 *     channel's current config block from its own orderer and computes the ConfigUpdate
 *     `channelModelUpdate(current, model)` (fabric-config). Every member reads the same
 *     config (same sequence) and google-protobuf writes maps in key order, so every member gets
 *     the same bytes; the SHA-256 of those bytes names the update.
 *  2. If the update's mod_policies count its organisation (fabric-config's updateRequirements),
 *     it signs the update as its member's admin (a ConfigSignature, as `peer channel
 *     signconfigtx`) and records it on the management chain with `ShareUpdateSignature(height,
 *     sequence, update, signature)`, which checks the signer is that member's admin.
 *  3. It follows `UpdateSignatureShared` events (from the block that committed the CB, so none is
 *     missed) and, once the signatures over bytes identical to its own satisfy the channel's
 *     policy (checked as the orderer will, with fabric-config's checkUpdateAuthorised), it
 *     assembles the CONFIG_UPDATE envelope, signed by its own admin, with the link to the CB in
 *     the tx_id (`mgmt-cb:<height>:<hash>`, Fig. 3), and broadcasts it to its own member's orderer.
 *  4. Several members may broadcast the same update; the orderer accepts the first and refuses
 *     the others (their read set pins the version the first one moved on): exactly once in effect.
 *     A BAD_REQUEST is therefore fine when the channel now carries this CB's link or a newer one.
 *
 * A CB whose configuration equals the channel's still gets its config block: the update then only
 * raises BatchTimeout's version, which Fabric accepts as a change. So every CB in force has a
 * linked config block (the auditor's walk has no holes), and no member can conclude "nothing to
 * do" from a config that a concurrent update is about to replace.
 *
 * Ordering and idempotence come from the channel itself: the latest config block's management
 * link names the CB in force. A CB at or below it is not applied again (`in-force`, or
 * `superseded` for an older one), and an update is pinned to the config version it was computed
 * from, so an update for an older CB can never commit after a newer one: it would fail the read
 * set check. Fabric orders a config update as a block of its own and cuts the next block under
 * the new parameters, so "between rounds" is where Fabric applies it anyway.
 */
import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import type { BlockEventsOptions, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import type { BatchParams, ChannelModel, UpdateRequirement } from 'fabric-config/configtx';
import {
  ConfigUpdateError,
  ConfigtxError,
  buildConfigUpdateEnvelope,
  channelModelDifferences,
  channelModelUpdate,
  checkUpdateAuthorised,
  readBatchParams,
  readConfigBlock,
  signConfigUpdate,
  updateRequirements,
} from 'fabric-config/configtx';
import type { SigningIdentity } from 'fabric-config/msp';
import type { ConfigBlock, JsonObject, UpdateSignature } from 'mgmt-chaincode/dist/protocol';
import { EVENTS, messageOf, updateSha256 } from 'mgmt-chaincode/dist/protocol';
import { broadcast, fetchBlock, lastConfigIndex } from '../channelConfig/ordererClient';
import { MgmtClient } from '../mgmtClient/client';
import type { MgmtContractCalls, MgmtEvent, MgmtEventSource } from '../mgmtClient/client';
import { isRefusal } from '../mgmtClient/errors';
import { MgmtEventFollower } from '../mgmtClient/events';
import type { Logger } from '../observer';
import type { ApplyContext, ApplyResult, PrimaryChainAdapter } from './adapter';
import { channelModelOfCb, consensusTypeOf } from './cbModel';
import { PrimaryError } from './errors';
import { managementLinkTxId, readManagementLink } from './managementLink';
import type { ManagementLink } from './managementLink';

/**
 * The management channel as the adapter uses it (through an `MgmtClient`); a gateway Contract
 * and Network fit.
 */
export interface ManagementChannel {
  /** The mgmt chaincode's contract on this member's gateway. */
  readonly contract: MgmtContractCalls;
  /** The mgmt channel's network, for `UpdateSignatureShared` events. */
  readonly network: MgmtEventSource;
  /** `mgmt` (DEFAULT_MGMT_CHAINCODE) by default. */
  readonly chaincodeName?: string;
}

/** The primary channel's network on this member's gateway, for block events. */
export interface PrimaryChannelEvents {
  getBlockEvents(options?: BlockEventsOptions): Promise<CloseableAsyncIterable<common.Block>>;
}

/** Options of {@link FabricPrimaryAdapter}. */
export interface FabricPrimaryAdapterOptions {
  /** The channel to reconfigure, e.g. `primary`. */
  readonly channelId: string;
  /** This member's admin: signs updates, envelopes and Deliver requests. */
  readonly admin: SigningIdentity;
  /** A gRPC connection to this member's orderer; the caller closes it. */
  readonly orderer: grpc.Client;
  readonly management: ManagementChannel;
  readonly primary: PrimaryChannelEvents;
  /**
   * `refuse`: this member takes no part (never signs, never submits), as an orchestrator whose
   * operator withholds consent; it still waits for the others to put a block in force.
   */
  readonly signing?: 'sign' | 'refuse';
  /** A CB's configuration to the channel model it asks for; {@link channelModelOfCb} by default. */
  readonly toModel?: (config: JsonObject, consensusType: string) => ChannelModel;
  /**
   * `changes`: a CB whose model the channel already runs is in force as it is, with no config
   * update of its own (for a channel that only some CBs change, such as `mgmt`, whose organisations
   * follow the CBs that admit or remove one). `every` (default): each CB in force gets its own
   * config block, linked to it.
   */
  readonly updates?: 'every' | 'changes';
  readonly logger?: Logger;
  /** Names the adapter in log lines, e.g. the member's MSP ID. */
  readonly name?: string;
  /** Deadline of one orderer call (Deliver of a block, Broadcast), 10 000 ms by default. */
  readonly ordererTimeoutMs?: number;
}

/** The channel's configuration as read from its orderer. */
export interface ChannelConfigState {
  /** Number of the newest block when read. */
  readonly newestBlock: number;
  /** Number of the block holding the config in force. */
  readonly configBlock: number;
  readonly config: common.Config;
  readonly sequence: number;
  /** The CB the config in force is linked to (the latest linked config block's), if any. */
  readonly link: ManagementLink | undefined;
  /** `etcdraft`, `BFT`, `devnet`. */
  readonly consensusType: string;
  /** The batch values in force, for logs and tests. */
  readonly batch: BatchParams;
}

/** Events of a {@link FabricPrimaryAdapter}. */
export interface FabricPrimaryAdapterEvents {
  /** This member recorded its admin's signature on the management chain. */
  shared: [{ readonly height: number; readonly sequence: number; readonly updateSha256: string }];
  /** This member broadcast the assembled update; `status` is the orderer's answer. */
  submitted: [{ readonly height: number; readonly sequence: number; readonly status: string; readonly info: string; readonly signers: readonly string[] }];
}

/**
 * Longest wait between two looks at the shared signatures and the channel: events wake the adapter
 * at once, this only bounds the cost of an event that never came (a stream that stalled).
 */
const RECHECK_MS = 5_000;

/** How far back past unlinked config updates (made outside the mechanism) the link is looked for. */
const MAX_LINK_WALK = 64;

/** Reopening backoff of the management event stream during an apply, ms. */
const EVENTS_RETRY = { initialMs: 250, maxMs: RECHECK_MS } as const;

class Wakeup {
  private pending = false;
  private error: Error | undefined;
  private resolve: (() => void) | undefined;

  poke(): void {
    this.pending = true;
    this.resolve?.();
  }

  fail(error: Error): void {
    this.error ??= error;
    this.poke();
  }

  /** Resolves on a poke, on abort (then throws), or after `recheckMs` as a safety net against a missed event. */
  async wait(signal: AbortSignal, recheckMs: number): Promise<void> {
    if (!this.pending && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, recheckMs);
        signal.addEventListener('abort', done, { once: true });
        this.resolve = done;
      });
      this.resolve = undefined;
    }
    this.pending = false;
    signal.throwIfAborted();
    if (this.error) throw this.error;
  }
}

function isConfigBlock(block: common.Block): boolean {
  const data = block.getData()?.getDataList_asU8() ?? [];
  if (data.length !== 1) return false;
  try {
    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(data[0]).getPayload_asU8());
    const header = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(0));
    return header.getType() === common.HeaderType.CONFIG;
  } catch {
    return false;
  }
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** Which policies the update needs, who signed, and whose signatures are still missing. */
export function describeWaiting(requirements: readonly UpdateRequirement[], signers: readonly string[]): string {
  const parts = requirements.map((r) => {
    const missing = r.mspIds.filter((id) => !signers.includes(id));
    return `${r.policy} (for ${r.key.trim().replace(/\s+/g, ' ')}) counts admins of ${r.mspIds.join(', ') || 'nobody'}; not yet signed by ${missing.join(', ') || 'anyone else'}`;
  });
  return `signed by ${signers.join(', ') || 'nobody'}, which does not satisfy ${parts.join('; ')}`;
}

/**
 * {@link PrimaryChainAdapter} for a Fabric channel whose orderer batch parameters are the
 * managed configuration. See the comment at the top of this file for the protocol.
 *
 * @example
 * const adapter = new FabricPrimaryAdapter({
 *   channelId: 'primary',
 *   admin: SigningIdentity.fromMspDir(member.adminMspDir, member.mspId),
 *   orderer: await newGrpcConnection(member.orderer),
 *   management: { contract: gateway.getNetwork('mgmt').getContract('mgmt'), network: gateway.getNetwork('mgmt') },
 *   primary: gateway.getNetwork('primary'),
 * });
 */
export class FabricPrimaryAdapter extends EventEmitter<FabricPrimaryAdapterEvents> implements PrimaryChainAdapter {
  private readonly options: Readonly<FabricPrimaryAdapterOptions>;
  private readonly logger: Logger;
  /** The management contract: update signatures, and their events. */
  private readonly management: MgmtClient;
  private readonly timeoutMs: number;
  /** Config block number to the link in force there (walks back past unlinked updates). */
  private readonly links = new Map<number, ManagementLink | undefined>();
  private readonly warned = new Set<string>();

  constructor(options: Readonly<FabricPrimaryAdapterOptions>) {
    super();
    this.options = options;
    const { contract, network, chaincodeName } = options.management;
    this.management = new MgmtClient({ contract, events: network, chaincodeName });
    this.timeoutMs = options.ordererTimeoutMs ?? 10_000;
    const prefix = `[fabric-primary${options.name === undefined ? '' : ` ${options.name}`}]`;
    const logger = options.logger ?? console;
    this.logger = {
      info: (m) => { logger.info(`${prefix} ${m}`); },
      warn: (m) => { logger.warn(`${prefix} ${m}`); },
      error: (m) => { logger.error(`${prefix} ${m}`); },
    };
  }

  /**
   * At once: Fabric orders a config update as a block of its own and cuts every later block
   * under the new parameters, so an update never lands inside a round (a block).
   */
  roundBoundary(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    return Promise.resolve();
  }

  /**
   * The CB height linked to the channel's config in force, walking back past config updates
   * made outside the mechanism.
   *
   * @throws {@link PrimaryError} `PRIMARY_ORDERER` when the orderer cannot be read.
   */
  async activeConfigHeight(): Promise<number | undefined> {
    return (await this.readChannel()).link?.height;
  }

  /**
   * Reads the channel's config in force from this member's orderer.
   *
   * @throws {@link PrimaryError} `PRIMARY_ORDERER` when the orderer cannot be read or answers a
   * block that is not a config block.
   */
  async readChannel(): Promise<ChannelConfigState> {
    const { channelId, admin, orderer } = this.options;
    try {
      const newest = await fetchBlock(orderer, channelId, admin, 'newest', this.timeoutMs);
      const newestBlock = newest.getHeader()?.getNumber() ?? 0;
      const configBlock = lastConfigIndex(newest);
      const block = configBlock === newestBlock ? newest : await fetchBlock(orderer, channelId, admin, configBlock, this.timeoutMs);
      const { config } = readConfigBlock(block);
      return { newestBlock, configBlock, config, sequence: config.getSequence(), link: await this.linkAt(configBlock, block), consensusType: consensusTypeOf(config), batch: readBatchParams(config) };
    } catch (err) {
      if (err instanceof PrimaryError) throw err;
      throw new PrimaryError(`cannot read the config of ${channelId}: ${messageOf(err)}`, { code: 'PRIMARY_ORDERER', cause: err });
    }
  }

  private async linkAt(number: number, block: common.Block): Promise<ManagementLink | undefined> {
    if (this.links.has(number)) return this.links.get(number);
    let link: ManagementLink | undefined;
    let current = block;
    let index = number;
    for (let step = 0; step < MAX_LINK_WALK; step++) {
      const lastUpdate = readConfigBlock(current).lastUpdate;
      if (lastUpdate === undefined) break; // the channel's genesis block
      try {
        link = readManagementLink(lastUpdate);
      } catch (err) {
        this.logger.warn(`config block ${index} carries a malformed management link: ${messageOf(err)}`);
      }
      if (link !== undefined || index === 0) break;
      // An update made outside the mechanism: the link in force is the previous config block's.
      const { orderer, channelId, admin } = this.options;
      const before = await fetchBlock(orderer, channelId, admin, index - 1, this.timeoutMs);
      index = lastConfigIndex(before);
      if (this.links.has(index)) {
        link = this.links.get(index);
        break;
      }
      current = index === before.getHeader()?.getNumber() ? before : await fetchBlock(orderer, channelId, admin, index, this.timeoutMs);
    }
    this.links.set(number, link);
    return link;
  }

  /**
   * Puts the batch parameters of `cb` in force on the channel (see the top of this file) and
   * resolves when the channel runs them, or runs a newer CB's.
   *
   * @throws {@link PrimaryError} `PRIMARY_BAD_CONFIG` (the CB's configuration has no batch
   * parameters), `PRIMARY_LINK_MISMATCH` (the channel is linked to another block at this height),
   * `PRIMARY_ORDERER`, `PRIMARY_SHARE_FAILED`; the abort reason
   * when `context.signal` is aborted.
   */
  async apply(cb: ConfigBlock, context: ApplyContext): Promise<ApplyResult> {
    const { signal } = context;
    let channel = await this.readChannel();
    const model = this.modelOf(cb, channel);
    if (this.options.updates === 'changes' && channelModelDifferences(model, channel.config).length === 0) {
      return { outcome: 'in-force', chainHeight: channel.link?.height, submitted: false };
    }
    const fromHeight = channel.link?.height;
    const first = this.settled(cb, channel, false);
    if (first !== undefined) return first;
    // Newest first and at most a few: the newest earlier block with a majority is the best step.
    const earlier = [...(context.earlier ?? [])].reverse();
    const earlierInForce: number[] = [];
    const watched = new Set([cb.height, ...earlier.map((e) => e.height)]);

    const wake = new Wakeup();
    let closing = false;
    // From the block that committed the CB: every signature shared for it comes after. A stream
    // that fails is reopened after the last event seen, so none is missed meanwhile.
    const signatures = new MgmtEventFollower({
      open: (position) => this.management.events(position),
      startBlock: context.notBeforeBlock ?? 0n,
      retry: EVENTS_RETRY,
      onEvent: (event) => {
        if (event.eventName === EVENTS.UpdateSignatureShared && watched.has(this.eventHeight(event) ?? -1)) wake.poke();
      },
      onFailure: ({ error, retryInMs }) => {
        this.logger.warn(`management event stream failed (${error.message}); reopening in ${retryInMs} ms`);
      },
    });
    const streams: CloseableAsyncIterable<unknown>[] = [];
    const consumers: Promise<void>[] = [];
    const follow = async <T>(open: () => Promise<CloseableAsyncIterable<T>>, relevant: (item: T) => boolean): Promise<void> => {
      const stream = await open();
      streams.push(stream);
      consumers.push(
        (async (): Promise<void> => {
          try {
            for await (const item of stream) if (relevant(item)) wake.poke();
            // A stream the server ended would leave the wait without anything to wake it.
            if (!closing) wake.fail(new Error('an event stream ended'));
          } catch (err) {
            if (!closing) wake.fail(err instanceof Error ? err : new Error(messageOf(err)));
          }
        })(),
      );
    };
    const stop = (): void => {
      closing = true;
      void signatures.stop();
      for (const stream of streams) stream.close();
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      signatures.start();
      // From the block after the newest one read: any config change from now on wakes us.
      await follow(() => this.options.primary.getBlockEvents({ startBlock: BigInt(channel.newestBlock + 1) }), isConfigBlock);
      let submitted = false;
      let lastAttempt = '';
      const attempted = new Set<string>();
      for (;;) {
        signal.throwIfAborted();
        const link = channel.link?.height;
        if (link !== undefined && link < cb.height && watched.has(link) && !earlierInForce.includes(link)) earlierInForce.push(link);
        const settled = this.settled(cb, channel, true, submitted);
        if (settled !== undefined) return { ...settled, ...(fromHeight === undefined ? {} : { fromHeight }), earlierInForce };
        if (await this.submitEarlier(earlier, channel, attempted)) {
          channel = await this.readChannel();
          continue;
        }
        const attempt = await this.step(cb, channel, model, lastAttempt);
        if (attempt.broadcast !== undefined) {
          lastAttempt = attempt.broadcast;
          submitted ||= attempt.success;
        } else {
          await wake.wait(signal, RECHECK_MS);
        }
        channel = await this.readChannel();
      }
    } finally {
      signal.removeEventListener('abort', stop);
      stop();
      await Promise.all([signatures.stop(), ...consumers]);
    }
  }

  private eventHeight(event: MgmtEvent): number | undefined {
    try {
      const decoded = event.decoded;
      return decoded?.name === 'UpdateSignatureShared' ? decoded.shared.height : undefined;
    } catch {
      return undefined;
    }
  }

  /** The result when nothing (more) is to be done, else undefined. */
  private settled(cb: ConfigBlock, channel: ChannelConfigState, started: boolean, submitted = false): ApplyResult | undefined {
    const { link } = channel;
    if (link !== undefined && link.height > cb.height) return { outcome: 'superseded', chainHeight: link.height, submitted: false };
    if (link?.height === cb.height) {
      if (link.hash !== cb.hash) {
        throw new PrimaryError(`channel ${this.options.channelId} is linked to block ${link.height} ${link.hash}, but the verified one is ${cb.hash}`, {
          code: 'PRIMARY_LINK_MISMATCH',
        });
      }
      return { outcome: started ? 'applied' : 'in-force', chainHeight: link.height, submitted };
    }
    return undefined;
  }

  /** The model a CB asks for. @throws {@link PrimaryError} `PRIMARY_BAD_CONFIG`. */
  private modelOf(cb: ConfigBlock, channel: ChannelConfigState): ChannelModel {
    return (this.options.toModel ?? channelModelOfCb)(cb.config, channel.consensusType);
  }

  /**
   * The update that puts `model` in force on the channel as read, computed by every member alike.
   *
   * @throws {@link PrimaryError} `PRIMARY_BAD_CONFIG` when the channel cannot run the model (Fabric would refuse it).
   */
  private updateFor(height: number, channel: ChannelConfigState, model: ChannelModel): Uint8Array {
    try {
      return channelModelUpdate(this.options.channelId, channel.config, model).serializeBinary();
    } catch (err) {
      if (err instanceof ConfigtxError) throw new PrimaryError(`block ${height}: ${err.message}`, { code: 'PRIMARY_BAD_CONFIG', cause: err });
      throw err;
    }
  }

  /**
   * One round of the protocol against the current config: share this member's signature if the
   * update's mod_policies count it and it has not, and submit once the signatures shared satisfy them.
   *
   * @returns `broadcast`: the key of a submission made now (and whether the orderer took it).
   */
  private async step(cb: ConfigBlock, channel: ChannelConfigState, model: ChannelModel, lastAttempt: string): Promise<{ broadcast?: string; success: boolean }> {
    const { admin } = this.options;
    const signing = (this.options.signing ?? 'sign') === 'sign';
    const updateBytes = this.updateFor(cb.height, channel, model);
    const sha = updateSha256(updateBytes);
    const requirements = updateRequirements(channel.config, common.ConfigUpdate.deserializeBinary(updateBytes));
    // Only the organisations the mod_policies name are asked: an anchor-peer change of one
    // organisation needs its admin alone, an orderer value the orderer organisations' admins.
    const needed = requirements.some((r) => r.mspIds.includes(admin.mspId));
    const records = await this.signatures(cb.height);
    const atSequence = records.filter((r) => r.configSequence === channel.sequence);
    const mine = atSequence.find((r) => r.mspId === admin.mspId);
    if (signing && needed && mine === undefined) {
      await this.share(cb, channel.sequence, updateBytes, sha);
      return { success: false, broadcast: undefined };
    }
    const differing = atSequence.filter((r) => r.updateSha256 !== sha);
    const differingKey = `${cb.height}:${channel.sequence}:${differing.map((r) => r.mspId).join(',')}`;
    if (differing.length > 0 && !this.warned.has(differingKey)) {
      this.warned.add(differingKey);
      // Not counted: only bytes equal to this member's own computation are ever submitted.
      this.logger.warn(`ignoring signatures of ${differing.map((r) => r.mspId).join(', ')} for block ${cb.height}: their update ${differing[0]?.updateSha256 ?? ''} differs from ${sha}`);
    }
    if (!signing) return { success: false };
    const matching = atSequence.filter((r) => r.updateSha256 === sha && r.update === b64(updateBytes));
    const signers = matching.map((r) => r.mspId);
    const key = `${channel.sequence}:${sha}:${signers.join(',')}`;
    if (key === lastAttempt) return { success: false };
    const envelope = this.signedEnvelope(cb, updateBytes, matching);
    if (!this.policySatisfied(channel, envelope)) {
      const waitingKey = `waiting:${cb.height}:${channel.sequence}:${signers.join(',')}`;
      if (!this.warned.has(waitingKey)) {
        this.warned.add(waitingKey);
        this.logger.info(`not submitting the update for block ${cb.height} yet (sequence ${channel.sequence}): ${describeWaiting(requirements, signers)}`);
      }
      return { success: false };
    }
    const outcome = await this.submit(cb.height, channel.sequence, envelope, signers);
    if (outcome.statusName === 'SUCCESS') {
      this.logger.info(`submitted the update for block ${cb.height} (sequence ${channel.sequence}, signed by ${signers.join(', ')})`);
    } else {
      // Typically another member got there first and the read set no longer matches.
      this.logger.info(`orderer answered ${outcome.statusName} to the update for block ${cb.height}: ${outcome.info}`);
    }
    return { broadcast: key, success: outcome.statusName === 'SUCCESS' };
  }

  /**
   * Submits the newest earlier block whose update, computed against the current config, other
   * members have already signed enough times to satisfy the policy. Signs nothing itself.
   *
   * @returns whether the orderer accepted a submission (the channel's config is then moving).
   */
  private async submitEarlier(earlier: readonly ConfigBlock[], channel: ChannelConfigState, attempted: Set<string>): Promise<boolean> {
    if ((this.options.signing ?? 'sign') !== 'sign') return false;
    for (const e of earlier) {
      if (channel.link !== undefined && channel.link.height >= e.height) return false;
      let updateBytes: Uint8Array;
      try {
        updateBytes = this.updateFor(e.height, channel, this.modelOf(e, channel));
      } catch {
        continue;
      }
      const sha = updateSha256(updateBytes);
      const matching = (await this.signatures(e.height)).filter(
        (r) => r.configSequence === channel.sequence && r.updateSha256 === sha && r.update === b64(updateBytes),
      );
      if (matching.length === 0) continue;
      const signers = matching.map((r) => r.mspId);
      const key = `${e.height}:${channel.sequence}:${sha}:${signers.join(',')}`;
      if (attempted.has(key)) continue;
      const envelope = this.signedEnvelope(e, updateBytes, matching);
      if (!this.policySatisfied(channel, envelope)) continue;
      attempted.add(key);
      const outcome = await this.submit(e.height, channel.sequence, envelope, signers);
      this.logger.info(
        `block ${e.height} was superseded before it was in force, but ${signers.join(', ')} had signed its update: submitted it (${outcome.statusName}) on the way to a newer block`,
      );
      if (outcome.statusName === 'SUCCESS') return true;
    }
    return false;
  }

  /** The CONFIG_UPDATE envelope of `updateBytes` with the shared signatures, signed by this member's admin and linked to `cb`. */
  private signedEnvelope(cb: ConfigBlock, updateBytes: Uint8Array, records: readonly UpdateSignature[]): common.Envelope {
    const signatures = records.map((r) => common.ConfigSignature.deserializeBinary(Buffer.from(r.configSignature, 'base64')));
    return buildConfigUpdateEnvelope(this.options.channelId, updateBytes, signatures, this.options.admin, { txId: managementLinkTxId({ height: cb.height, hash: cb.hash }) });
  }

  /** Broadcasts an assembled update to this member's orderer and reports it as `submitted`. */
  private async submit(height: number, sequence: number, envelope: common.Envelope, signers: readonly string[]): Promise<Awaited<ReturnType<typeof broadcast>>> {
    let outcome: Awaited<ReturnType<typeof broadcast>>;
    try {
      outcome = await broadcast(this.options.orderer, envelope, this.timeoutMs);
    } catch (err) {
      throw new PrimaryError(`broadcast of the update for block ${height} failed: ${messageOf(err)}`, { code: 'PRIMARY_ORDERER', cause: err });
    }
    this.emit('submitted', { height, sequence, status: outcome.statusName, info: outcome.info, signers });
    return outcome;
  }

  /**
   * The orderer's check of the signatures: do they satisfy the mod_policy (Admins) of every element
   * the update changes? The update was computed from this same config, so its read set and
   * versions match it.
   */
  private policySatisfied(channel: ChannelConfigState, envelope: common.Envelope): boolean {
    try {
      return checkUpdateAuthorised(this.options.channelId, channel.config, envelope).ok;
    } catch (err) {
      if (err instanceof ConfigUpdateError && err.code !== 'CONFIG_UPDATE_MALFORMED' && err.code !== 'CONFIG_UPDATE_INVALID_CONFIG') return false;
      throw err;
    }
  }

  /** The signatures shared for this channel's update of CB `height` (a CB may update several channels). */
  private async signatures(height: number): Promise<UpdateSignature[]> {
    try {
      return (await this.management.getUpdateSignatures(height)).filter((r) => r.channelId === this.options.channelId);
    } catch (err) {
      throw new PrimaryError(`GetUpdateSignatures(${height}) failed: ${messageOf(err)}`, { code: 'PRIMARY_SHARE_FAILED', cause: err });
    }
  }

  private async share(cb: ConfigBlock, sequence: number, updateBytes: Uint8Array, sha: string): Promise<void> {
    const signature = signConfigUpdate(updateBytes, this.options.admin);
    try {
      await this.management.shareUpdateSignature({ height: cb.height, configSequence: sequence, update: b64(updateBytes), configSignature: b64(signature.serializeBinary()) });
    } catch (err) {
      // Shared before a restart: the chain already holds it, which is all that counts.
      if (isRefusal(err, 'MGMT_DUPLICATE_SIGNATURE')) return;
      throw new PrimaryError(`ShareUpdateSignature for block ${cb.height} failed: ${messageOf(err)}`, { code: 'PRIMARY_SHARE_FAILED', cause: err });
    }
    this.logger.info(`shared the admin signature of update ${sha.slice(0, 12)} for block ${cb.height} (sequence ${sequence})`);
    this.emit('shared', { height: cb.height, sequence, updateSha256: sha });
  }
}
