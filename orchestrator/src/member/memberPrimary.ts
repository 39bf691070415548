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
import { SigningIdentity } from 'fabric-devnet/dist/msp';
import type { MemberConnection } from '../gateway';
import { newGrpcConnection } from '../gateway';
import { Logger, Observer } from '../observer';
import { AppliedConfiguration, FabricPrimaryAdapter, PrimaryNodeRuntime } from '../primary';

export interface MemberPrimaryOptions {
  readonly member: MemberConnection;
  /** The member's gateway (its user identity); the caller closes it after `stop`. */
  readonly gateway: Gateway;
  readonly channels: { readonly management: string; readonly primary: string };
  /** Observer state: checkpoint and the verified chain, kept across restarts. */
  readonly stateDir: string;
  /** `refuse`: this member's operator withholds consent; the others still form a majority. */
  readonly signing?: 'sign' | 'refuse';
  readonly logger?: Logger;
  /** Each configuration put in force on the primary channel. */
  readonly onApplied?: (applied: AppliedConfiguration) => void;
  /** Aborting while waiting for genesis stops what was started. */
  readonly signal?: AbortSignal;
  /** How long to wait for the genesis CB on start (it may not be sealed yet). */
  readonly genesisTimeoutMs?: number;
}

export interface MemberPrimary {
  readonly observer: Observer;
  readonly runtime: PrimaryNodeRuntime;
  readonly adapter: FabricPrimaryAdapter;
  stop(): Promise<void>;
}

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Starts the observer, waits for the genesis CB, then starts the primary runtime on the verified chain.
 * @throws when the orderer cannot be reached or genesis does not arrive in time (everything started is stopped).
 */
export async function startMemberPrimary(options: Readonly<MemberPrimaryOptions>): Promise<MemberPrimary> {
  const { member, gateway, channels } = options;
  const logger = options.logger ?? silent;
  const orderer: grpc.Client = await newGrpcConnection(member.orderer);
  const management = gateway.getNetwork(channels.management);
  const adapter = new FabricPrimaryAdapter({
    channelId: channels.primary,
    admin: SigningIdentity.fromMspDir(member.adminMspDir, member.mspId),
    orderer,
    management: { contract: management.getContract('mgmt'), network: management },
    primary: gateway.getNetwork(channels.primary),
    signing: options.signing ?? 'sign',
    logger,
    name: member.mspId,
  });
  // The runtime exists only once the observer has the chain up to genesis; blocks delivered in
  // between are queued here so that none slips between MC_i and the runtime.
  const holder: { runtime?: PrimaryNodeRuntime } = {};
  const observer = new Observer({
    network: management,
    stateDir: options.stateDir,
    onConfigBlock: (verified) => {
      holder.runtime?.receive(verified.block, verified.receipt);
    },
    logger,
    name: member.mspId,
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
    orderer.close();
    throw err;
  }
  const runtime = new PrimaryNodeRuntime({
    adapter,
    chain: observer.chain,
    hints: observer.entries.map((e) => e.receipt),
    logger,
    name: member.mspId,
  });
  holder.runtime = runtime;
  if (options.onApplied) runtime.on('applied', options.onApplied);
  runtime.start();
  return {
    observer,
    runtime,
    adapter,
    stop: async () => {
      await runtime.stop();
      await observer.stop();
      orderer.close();
    },
  };
}
