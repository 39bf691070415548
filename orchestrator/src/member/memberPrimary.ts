/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * One member's primary side, assembled: its observer (verified CBs from the management chain, in
 * order, once), its primary-node runtime (Algorithm 2: H_cc, switches between rounds) and the
 * Fabric adapter that turns each CB into a majority-signed update of the `primary` channel. The
 * management node decides; this part makes the decision true on the primary chain.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Gateway } from '@hyperledger/fabric-gateway';
import { SigningIdentity } from 'fabric-config/msp';
import { readFileSync } from 'node:fs';
import type { ConnectionFile, EndpointInfo } from '../gateway';
import { newGrpcConnection } from '../gateway';
import { DEFAULT_MGMT_CHAINCODE } from '../mgmtClient/client';
import type { MgmtNetwork } from '../mgmtClient/client';
import type { PrimaryChannelEvents } from '../primary/fabricAdapter';
import { Logger, Observer } from '../observer';
import { managementModelOfCb } from '../primary/cbModel';
import { AppliedConfiguration, FabricPrimaryAdapter, PrimaryNodeRuntime } from '../primary';

/** Where the primary side reads the two channels: a gateway's networks, or a replica's (`mgmt signer`). */
export interface ChannelSources {
  /** The management channel: the contract, its events, and its blocks (for the `mgmt` channel's own updates). */
  readonly management: MgmtNetwork & PrimaryChannelEvents;
  /** The primary channel's blocks. */
  readonly primary: PrimaryChannelEvents;
}

export interface MemberPrimaryOptions {
  /** The organisation: its MSP ID, its orderer and its admin's MSP folder (a member's or a signer's connection entry). */
  readonly member: { readonly mspId: string; readonly orderer: EndpointInfo; readonly adminMspDir: string };
  /** The member's gateway (its user identity); the caller closes it after `stop`. Or `sources`. */
  readonly gateway?: Gateway;
  /** Where the channels are read when there is no gateway. */
  readonly sources?: ChannelSources;
  /** A connection to the orderer to use instead of opening one (the caller closes it). */
  readonly orderer?: grpc.Client;
  readonly channels: { readonly management: string; readonly primary: string };
  /** The management chaincode's name, {@link DEFAULT_MGMT_CHAINCODE} (`mgmt`) by default. */
  readonly chaincodeName?: string;
  /** Observer state: checkpoint and the verified chain, kept across restarts. */
  readonly stateDir: string;
  /** `refuse`: this member's operator withholds consent; the others still form a majority. */
  readonly signing?: 'sign' | 'refuse';
  readonly logger?: Logger;
  /** Each configuration put in force on the primary channel. */
  readonly onApplied?: (applied: AppliedConfiguration) => void;
  /** Aborting while waiting for genesis stops what was started. */
  readonly signal?: AbortSignal;
  /** The consortium's members (MSP ID and CA certificate PEM) the genesis must name exactly. */
  readonly consortium: readonly { readonly mspId: string; readonly caCertificate: string }[];
  /** How long to wait for the genesis CB on start (it may not be sealed yet). */
  readonly genesisTimeoutMs?: number;
  /**
   * The genesis CB's hash, given out of band (the connection file's `managementGenesisHash`):
   * it anchors the chain instead of the member list, for a member admitted after genesis, whose
   * consortium genesis does not name whole. The observer refuses any other genesis.
   */
  readonly genesisHash?: string;
}

export interface MemberPrimary {
  readonly observer: Observer;
  readonly runtime: PrimaryNodeRuntime;
  readonly adapter: FabricPrimaryAdapter;
  /**
   * The management channel's own runtime: it puts in force on `mgmt` the organisations a CB
   * admits, rotates or removes (the channel model's `organizations`) and the CB's `management`
   * section (the `mgmt` channel's own values, such as its consenter set), and nothing else.
   */
  readonly managementRuntime: PrimaryNodeRuntime;
  stop(): Promise<void>;
}


/** The consortium as a connection file describes it: each member's MSP ID and CA certificate. */
export function consortiumOf(connection: ConnectionFile): { mspId: string; caCertificate: string }[] {
  return connection.members.map((m) => ({ mspId: m.mspId, caCertificate: readFileSync(m.caCertPath, 'utf8') }));
}

/**
 * Why a genesis member list is not the consortium's, or undefined when it is. A member whose CA
 * the verified chain later rotated may name the new CA (`rotatedTo`: each MSP ID's CA
 * certificates in later params), as its operator's connection file does after a rotation.
 */
export function genesisMembersProblem(
  genesis: readonly { readonly mspId: string; readonly caCertificate: string }[],
  consortium: readonly { readonly mspId: string; readonly caCertificate: string }[],
  rotatedTo: readonly { readonly mspId: string; readonly caCertificate: string }[] = [],
): string | undefined {
  const pem = (s: string): string => s.replace(/\r\n/g, '\n').trim();
  const expected = new Map(consortium.map((m) => [m.mspId, pem(m.caCertificate)]));
  const named = new Map(genesis.map((m) => [m.mspId, pem(m.caCertificate)]));
  const later = new Set(rotatedTo.map((m) => `${m.mspId}\n${pem(m.caCertificate)}`));
  // A genesis naming fewer members than the consortium would be sealed by fewer of them: it must
  // name them all. (A member admitted later anchors the chain by its genesis hash instead.)
  const missing = [...expected.keys()].filter((id) => !named.has(id));
  const extra = [...named.keys()].filter((id) => !expected.has(id));
  const otherCa = [...expected.keys()].filter((id) => named.has(id) && named.get(id) !== expected.get(id) && !later.has(`${id}\n${expected.get(id) ?? ''}`));
  const parts = [
    missing.length > 0 ? `missing ${missing.join(', ')}` : '',
    extra.length > 0 ? `unknown ${extra.join(', ')}` : '',
    otherCa.length > 0 ? `another CA certificate for ${otherCa.join(', ')}` : '',
  ].filter((p) => p !== '');
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function gatewaySources(gateway: Gateway | undefined, channels: MemberPrimaryOptions['channels']): ChannelSources {
  if (gateway === undefined) throw new Error('startMemberPrimary needs a gateway or sources');
  return { management: gateway.getNetwork(channels.management), primary: gateway.getNetwork(channels.primary) };
}

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** How long stop() waits for the configuration in flight. */
const STOP_BOUND_MS = 10_000;

/**
 * Starts the observer, waits for the genesis CB, then starts the primary runtime on the verified chain.
 * @throws when the orderer cannot be reached or genesis does not arrive in time (everything started is stopped).
 */
export async function startMemberPrimary(options: Readonly<MemberPrimaryOptions>): Promise<MemberPrimary> {
  const { member, channels } = options;
  const logger = options.logger ?? silent;
  const sources: ChannelSources = options.sources ?? gatewaySources(options.gateway, channels);
  const ownOrderer = options.orderer === undefined;
  const orderer: grpc.Client = options.orderer ?? (await newGrpcConnection(member.orderer));
  const closeOrderer = (): void => { if (ownOrderer) orderer.close(); };
  const management = sources.management;
  const chaincodeName = options.chaincodeName ?? DEFAULT_MGMT_CHAINCODE;
  const admin = SigningIdentity.fromMspDir(member.adminMspDir, member.mspId);
  const managementContract = { contract: management.getContract(chaincodeName), network: management, chaincodeName };
  const mgmtAdapter = new FabricPrimaryAdapter({
    channelId: channels.management,
    admin,
    orderer,
    management: managementContract,
    primary: management,
    signing: options.signing ?? 'sign',
    toModel: managementModelOfCb,
    updates: 'changes',
    logger,
    name: `${member.mspId} ${channels.management}`,
  });
  const adapter = new FabricPrimaryAdapter({
    channelId: channels.primary,
    admin,
    orderer,
    management: managementContract,
    primary: sources.primary,
    signing: options.signing ?? 'sign',
    logger,
    name: member.mspId,
  });
  // The runtime exists only once the observer has the chain up to genesis; blocks delivered in
  // between are queued here so that none slips between MC_i and the runtime.
  const holder: { runtime?: PrimaryNodeRuntime; managementRuntime?: PrimaryNodeRuntime } = {};
  const observer = new Observer({
    network: management,
    chaincodeName,
    stateDir: options.stateDir,
    onConfigBlock: (verified) => {
      holder.runtime?.receive(verified.block, verified.receipt);
      holder.managementRuntime?.receive(verified.block, verified.receipt);
    },
    logger,
    name: member.mspId,
    ...(options.genesisHash === undefined ? {} : { trustedGenesisHash: options.genesisHash }),
  });
  try {
    await observer.start();
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { reject(new Error('stopped while waiting for the genesis configuration block')); };
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      observer.waitForDelivered(0, options.genesisTimeoutMs ?? 120_000).then(
        () => { options.signal?.removeEventListener('abort', onAbort); resolve(); },
        (err: unknown) => { options.signal?.removeEventListener('abort', onAbort); reject(err instanceof Error ? err : new Error(String(err))); },
      );
    });
  } catch (err) {
    await observer.stop();
    closeOrderer();
    throw err;
  }
  // Genesis is sealed by a quorum of the members it names, so a genesis naming only one member
  // would be that member's alone: the consortium this member knows (its connection file) anchors
  // it, unless the genesis hash does (the observer then verified it is exactly that genesis).
  const laterMembers = observer.chain.slice(1).flatMap((block) => block.params?.members ?? []);
  const problem = options.genesisHash !== undefined ? undefined : genesisMembersProblem(observer.chain[0]?.params?.members ?? [], options.consortium, laterMembers);
  if (problem !== undefined) {
    await observer.stop();
    closeOrderer();
    throw new Error(`the management chain's genesis does not name this consortium: ${problem}`);
  }
  const runtime = new PrimaryNodeRuntime({
    adapter,
    chain: observer.chain,
    hints: observer.entries.map((e) => e.receipt),
    logger,
    name: member.mspId,
  });
  const managementRuntime = new PrimaryNodeRuntime({
    adapter: mgmtAdapter,
    chain: observer.chain,
    hints: observer.entries.map((e) => e.receipt),
    logger,
    name: `${member.mspId} ${channels.management}`,
  });
  holder.runtime = runtime;
  holder.managementRuntime = managementRuntime;
  if (options.onApplied) runtime.on('applied', options.onApplied);
  runtime.start();
  managementRuntime.start();
  return {
    observer,
    runtime,
    adapter,
    managementRuntime,
    stop: async () => {
      await managementRuntime.stop();
      // A configuration in flight is abandoned after a bound: a call to an orderer that was taken
      // down (an evicted consenter) must not keep the member from stopping.
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        runtime.stop().then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => { resolve(false); }, STOP_BOUND_MS))),
      ]);
      clearTimeout(timer);
      if (!stopped) logger.warn(`the primary runtime did not stop within ${STOP_BOUND_MS} ms; stopping without it`);
      await observer.stop();
      closeOrderer();
    },
  };
}
