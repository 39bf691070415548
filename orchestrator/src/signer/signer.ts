/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt signer`: an organisation whose admin some config updates need (a channel mod_policy counts
 * it) but that is not a consortium member and never votes, typically the ordering service's own
 * organisation (test-network's `OrdererMSP`, whose admin alone satisfies /Channel/Orderer/Admins).
 *
 * It reads the management channel from its orderer (it has no peer there), rebuilds the
 * management chaincode's state (managementReplica.ts), verifies every CB exactly as a member's
 * observer does, from genesis, and runs the same primary-side runtime and Fabric adapter as a
 * member: for each CB in force it computes the same update bytes, signs them as its admin if the
 * update's mod_policies count it, and, since it cannot share that signature on the management
 * channel, submits the update itself once its signature and the members' shared ones satisfy the
 * channel's policies. It proposes, votes and shares nothing.
 */
import type * as grpc from '@grpc/grpc-js';
import type { BlockEventsOptions, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
import type { common } from '@hyperledger/fabric-protos';
import { SigningIdentity } from 'fabric-config/msp';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchBlock, streamBlocks } from '../channelConfig/ordererClient';
import type { BlockStream } from '../channelConfig/ordererClient';
import { newGrpcConnection } from '../gateway';
import type { SignerConnection } from '../gateway';
import type { MemberPrimary } from '../member/memberPrimary';
import { startMemberPrimary } from '../member/memberPrimary';
import { DEFAULT_MGMT_CHAINCODE } from '../mgmtClient/client';
import type { Logger } from '../observer';
import type { StreamState } from '../operations/streamWatch';
import type { AppliedConfiguration } from '../primary';
import type { PrimaryChannelEvents } from '../primary/fabricAdapter';
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import { ManagementReplica } from './managementReplica';

export interface SignerOptions {
  readonly signer: SignerConnection;
  readonly channels: { readonly management: string; readonly primary: string };
  /** `mgmt` by default. */
  readonly chaincodeName?: string;
  /** Observer state: checkpoint and verified chain, kept across restarts. */
  readonly stateDir: string;
  /** The consortium's members (MSP ID and CA certificate PEM) the genesis must name exactly. */
  readonly consortium: readonly { readonly mspId: string; readonly caCertificate: string }[];
  readonly logger?: Logger;
  readonly onApplied?: (applied: AppliedConfiguration) => void;
  /** Aborting while waiting for genesis stops what was started. */
  readonly signal?: AbortSignal;
  readonly genesisTimeoutMs?: number;
  /** The genesis hash anchoring the chain instead of the member list (see MemberPrimaryOptions). */
  readonly genesisHash?: string;
}

export interface RunningSigner {
  readonly replica: ManagementReplica;
  readonly primary: MemberPrimary;
  /** The gRPC connection to the organisation's orderer (for a health probe; closed by `stop`). */
  readonly orderer: grpc.Client;
  /** Whether the management channel's block stream from the orderer is live. */
  streamState(): StreamState;
  stop(): Promise<void>;
}

/** Reopening backoff of the orderer's block stream, ms. */
const RETRY = { initialMs: 250, maxMs: 10_000 } as const;

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The primary channel's blocks, from the orderer (the adapter always names where to start). */
function ordererBlockEvents(orderer: grpc.Client, channelId: string, admin: SigningIdentity): PrimaryChannelEvents {
  return {
    getBlockEvents: async (options?: BlockEventsOptions): Promise<CloseableAsyncIterable<common.Block>> => {
      const from = options?.startBlock ?? BigInt((await fetchBlock(orderer, channelId, admin, 'newest')).getHeader()?.getNumber() ?? 0) + 1n;
      const stream = streamBlocks(orderer, channelId, admin, Number(from));
      return { ...stream, close: () => { stream.close(); }, [Symbol.dispose]: () => { stream.close(); } };
    },
  };
}

/**
 * Starts a signer: follows the management channel from its orderer, waits for the genesis CB,
 * then puts each verified CB in force on the primary channel with the members.
 * @throws when the orderer cannot be reached, the admin's MSP folder cannot be read, or genesis
 *   does not arrive in time or does not name the consortium (everything started is stopped).
 */
export async function startSigner(options: Readonly<SignerOptions>): Promise<RunningSigner> {
  const { signer, channels } = options;
  const logger = options.logger ?? silent;
  const chaincodeName = options.chaincodeName ?? DEFAULT_MGMT_CHAINCODE;
  const admin = SigningIdentity.fromMspDir(signer.adminMspDir, signer.mspId);
  const replica = new ManagementReplica({ chaincodeName, self: { mspId: signer.mspId, caCertificate: readFileSync(signer.caCertPath, 'utf8') } });
  const orderer = await newGrpcConnection(signer.orderer);
  let stopped = false;
  let stream: BlockStream | undefined;
  // Aborts the wait between two attempts, so that stopping never waits out a backoff.
  const backoff = new AbortController();
  let state: StreamState = { connected: false, sinceMs: Date.now(), reason: 'not yet opened' };
  const pump = (async (): Promise<void> => {
    let delay: number = RETRY.initialMs;
    while (!stopped) {
      stream = streamBlocks(orderer, channels.management, admin, replica.height);
      // Live once the orderer answers for the channel, even when no new block comes (an idle chain).
      fetchBlock(orderer, channels.management, admin, 'newest').then(
        () => { if (!state.connected && !stopped) state = { connected: true, sinceMs: Date.now() }; },
        () => undefined,
      );
      try {
        for await (const block of stream) {
          if (!state.connected) state = { connected: true, sinceMs: Date.now() };
          replica.apply(block);
          delay = RETRY.initialMs;
        }
        if (!stopped) throw new Error('the orderer ended the stream');
      } catch (err) {
        if (stopped) break;
        state = { connected: false, sinceMs: state.connected ? Date.now() : state.sinceMs, reason: `reading ${channels.management} from ${signer.orderer.endpoint} failed: ${messageOf(err)}` };
        logger.warn(`[signer ${signer.mspId}] reading ${channels.management} from the orderer failed (${messageOf(err)}); again in ${delay} ms`);
        await sleep(delay, undefined, { signal: backoff.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, RETRY.maxMs);
      }
    }
  })();
  const halt = async (): Promise<void> => {
    stopped = true;
    backoff.abort();
    stream?.close();
    await pump;
    orderer.close();
  };
  let primary: MemberPrimary;
  try {
    // The primary side starts on the chain as it is now, not on a replay still under way.
    const newest = await fetchBlock(orderer, channels.management, admin, 'newest');
    await replica.waitForHeight((newest.getHeader()?.getNumber() ?? 0) + 1, options.genesisTimeoutMs ?? 120_000);
    primary = await startMemberPrimary({
      member: { mspId: signer.mspId, orderer: signer.orderer, adminMspDir: signer.adminMspDir },
      sources: { management: replica.network(), primary: ordererBlockEvents(orderer, channels.primary, admin) },
      orderer,
      channels,
      chaincodeName,
      stateDir: options.stateDir,
      consortium: options.consortium,
      signing: 'sign',
      logger,
      onApplied: options.onApplied,
      signal: options.signal,
      genesisTimeoutMs: options.genesisTimeoutMs,
      genesisHash: options.genesisHash,
    });
  } catch (err) {
    await halt();
    throw err;
  }
  return {
    replica,
    primary,
    orderer,
    streamState: () => state,
    stop: async () => {
      await primary.stop();
      await halt();
    },
  };
}
