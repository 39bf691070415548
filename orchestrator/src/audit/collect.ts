/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The I/O edge of the audit: reading the evidence from a member's peer (the management chain,
 * through the gateway) and orderer (channel config blocks, through Deliver). Everything it reads
 * is untrusted until auditEvidence has checked it.
 */
import type * as grpc from '@grpc/grpc-js';
import type { common } from '@hyperledger/fabric-protos';
import { readConfigBlock, readLastConfigIndex, readMsps } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import { parseIJson } from 'mgmt-chaincode/dist/protocol';
import type { JsonValue } from 'mgmt-chaincode/dist/protocol';
import { fetchPeerBlock } from '../channelConfig/ordererClient';
import { connectGateway, managementChaincodeOf, newGrpcConnection } from '../gateway';
import type { ConnectionFile, MemberConnection } from '../gateway';
import { DEFAULT_MGMT_CHAINCODE, MgmtReader } from '../mgmtClient/client';
import type { MgmtQueryName } from '../mgmtClient/client';
import { LedgerCallError } from '../mgmtClient/errors';
import { cbWritesOf } from './blockEvidence';
import { AuditError } from './errors';
import { scanConfigBlockChain, scanConfigBlocks } from './primary';
import type { AuditEvidence } from './types';

/** The most CBs `GetBlocks` returns in one call (chaincode README). */
export const GET_BLOCKS_PAGE = 100;

/** The management chaincode's name by default (docs/architecture.md, "Topology"). */
export const MANAGEMENT_CHAINCODE = DEFAULT_MGMT_CHAINCODE;

/** Evaluates a query of the management chaincode and returns its result bytes (`MgmtReader.queryBytes`). */
export type EvaluateQuery = (name: MgmtQueryName, ...args: string[]) => Promise<Uint8Array>;

/** Fetches a block of a channel from a peer (with its validation codes), by number or the newest. */
export type ChannelBlockFetcher = (channelId: string, which: number | 'newest') => Promise<common.Block>;

/** Where {@link collectEvidence} reads from; the caller owns (and closes) the connections behind it. */
export interface EvidenceSources {
  readonly managementChannel: string;
  readonly primaryChannel: string;
  readonly chaincode: string;
  readonly evaluate: EvaluateQuery;
  readonly fetchBlock: ChannelBlockFetcher;
  /** The management channel's current config block (the newest block's last-config index, then that block). */
  readonly fetchConfigBlock: (channelId: string) => Promise<common.Block>;
}

function describe(failure: unknown): string {
  // The client's error keeps the gateway's as its cause: name the peers' answers as they came.
  const err = failure instanceof LedgerCallError && failure.cause !== undefined ? failure.cause : failure;
  const message = err instanceof Error ? err.message : String(err);
  // Gateway errors carry the peers' answers in details; the MGMT_ code is there, not in the message.
  const details = (err as { details?: { message?: unknown }[] } | null)?.details;
  const extra = Array.isArray(details) ? details.map((d) => (typeof d.message === 'string' ? d.message : '')).filter((m) => m !== '') : [];
  return extra.length === 0 ? message : `${message} (${extra.join('; ')})`;
}

async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AuditError) throw err;
    throw new AuditError('AUDIT_READ_FAILED', what, describe(err), { cause: err });
  }
}

/**
 * Reads the whole management chain with `GetBlocks`, a page of {@link GET_BLOCKS_PAGE} at a time,
 * from height 0 until a short page. Each page is parsed strictly (duplicate names refused) and
 * its CBs are kept exactly as returned.
 *
 * @param evaluate - runs a chaincode query.
 * @param onPage - called with the number of CBs read so far, for progress output.
 * @returns the CBs, in the order returned.
 * @throws {@link AuditError} `AUDIT_READ_FAILED` naming the page when a query fails or its answer
 *   is not a JSON array of at most a page.
 */
export async function readManagementChain(evaluate: EvaluateQuery, onPage?: (count: number) => void): Promise<JsonValue[]> {
  const chain: JsonValue[] = [];
  for (let from = 0; ; from += GET_BLOCKS_PAGE) {
    const to = from + GET_BLOCKS_PAGE - 1;
    const what = `GetBlocks ${from}..${to}`;
    const page = await step(what, async () => parseIJson(new TextDecoder().decode(await evaluate('GetBlocks', String(from), String(to))), 'GetBlocks'));
    if (!Array.isArray(page) || page.length > GET_BLOCKS_PAGE) {
      throw new AuditError('AUDIT_READ_FAILED', what, `expected a JSON array of at most ${GET_BLOCKS_PAGE} CBs`);
    }
    chain.push(...page);
    onPage?.(chain.length);
    if (page.length < GET_BLOCKS_PAGE) return chain;
  }
}

/** The most management blocks {@link readManagementTail} walks back from the head before it gives up. */
export const MAX_TAIL_BLOCKS = 10_000;

/** How often {@link readManagementTail} re-reads a chain that grew while it was walking. */
const TAIL_ATTEMPTS = 3;

/** Options of {@link collectEvidence}. */
export interface CollectOptions {
  /**
   * Also read the signed blocks (export versions 2 and 3): keep the primary config blocks and head, read
   * the management chain's head blocks back to the newest CB, and the management config block
   * the head names. False by default (a version 1 reading, as before).
   */
  readonly headEvidence?: boolean;
  /** The clock for `readAt`; `new Date()` by default. */
  readonly now?: () => Date;
}

function newestHeight(chain: readonly JsonValue[]): number {
  return chain.length - 1;
}

/**
 * Reads the management channel's blocks from its head back to the block whose valid Tally
 * transaction wrote the newest CB of `chain`: the evidence that nothing was sealed after it. Call
 * it after reading the chain: the orderer's head then holds every CB the chain has. When a block
 * on the way holds a valid write of a later CB (sealed meanwhile), the chain is read again and the
 * walk starts again from the new head (blocks already read are reused).
 *
 * @param fetch - reads a block of the management channel.
 * @param chaincode - the management chaincode's name.
 * @param chain - the management chain as read.
 * @param reread - reads the management chain again.
 * @param what - the step, for errors.
 * @returns the chain (re-read or not) and the blocks, ascending, ending with the head.
 * @throws {@link AuditError} `AUDIT_READ_FAILED` when no block up to the head holds the newest CB,
 *   the walk passes {@link MAX_TAIL_BLOCKS} blocks, or the chain keeps growing.
 */
export async function readManagementTail(
  fetch: (which: number | 'newest') => Promise<common.Block>,
  chaincode: string,
  chain: JsonValue[],
  reread: () => Promise<JsonValue[]>,
  what = 'head blocks of the management channel',
): Promise<{ chain: JsonValue[]; tail: common.Block[] }> {
  const cache = new Map<number, common.Block>();
  let current = chain;
  for (let attempt = 1; ; attempt++) {
    const head = await fetch('newest');
    const headNumber = head.getHeader()?.getNumber() ?? 0;
    cache.set(headNumber, head);
    const height = newestHeight(current);
    const tail: common.Block[] = [];
    let grew = false;
    for (let n = headNumber; ; n--) {
      const block = cache.get(n) ?? (await fetch(n));
      cache.set(n, block);
      tail.unshift(block);
      const writes = cbWritesOf(block, chaincode).filter((w) => w.valid);
      if (writes.some((w) => w.height > height)) {
        grew = true;
        break;
      }
      if (height < 0 || writes.some((w) => w.height === height)) break;
      if (n === 0) throw new AuditError('AUDIT_READ_FAILED', what, `no block up to the head block ${headNumber} holds a valid write of CB ${height}`);
      if (tail.length >= MAX_TAIL_BLOCKS) {
        throw new AuditError('AUDIT_READ_FAILED', what, `CB ${height} is more than ${MAX_TAIL_BLOCKS} blocks behind the head block ${headNumber}`);
      }
    }
    if (!grew) return { chain: current, tail };
    if (attempt === TAIL_ATTEMPTS) {
      throw new AuditError('AUDIT_READ_FAILED', what, `the management chain grew while it was read, ${TAIL_ATTEMPTS} times: run the audit again`);
    }
    current = await reread();
  }
}

/**
 * Reads the evidence of an audit: every config block of the primary channel (walking back along
 * last-config indexes, see {@link scanConfigBlocks}), the MSPs of the management channel's
 * current configuration, and the management chain, in that order. With `headEvidence`, the
 * order is: the primary channel (keeping its head and config blocks), the management chain, the
 * management channel's blocks from its head back to the newest CB ({@link readManagementTail}),
 * and the config block that head names (its MSPs).
 *
 * @param sources - where to read from.
 * @param onProgress - one line per step, for progress output.
 * @param options - `headEvidence` to read the signed blocks as well.
 * @returns the evidence, unverified.
 * @throws {@link AuditError} `AUDIT_READ_FAILED` naming the step that failed.
 */
export async function collectEvidence(sources: EvidenceSources, onProgress?: (message: string) => void, options: Readonly<CollectOptions> = {}): Promise<AuditEvidence> {
  if (options.headEvidence === true) return collectSignedEvidence(sources, onProgress, options.now ?? ((): Date => new Date()));
  // Primary first: every CB a primary config block links was sealed before that block was made,
  // so the management chain, read afterwards and append-only, holds them all even while the
  // consortium keeps working. Read the other way round, a CB sealed and applied in between would
  // look like a link to a CB that does not exist.
  const configBlocks = await step(`config blocks of ${sources.primaryChannel}`, () =>
    scanConfigBlocks((which) => sources.fetchBlock(sources.primaryChannel, which)),
  );
  onProgress?.(`found ${configBlocks.length} config blocks on ${sources.primaryChannel}`);
  const mgmtConfig = await step(`config block of ${sources.managementChannel}`, async () => channelMsps(await sources.fetchConfigBlock(sources.managementChannel)));
  onProgress?.(`read the MSPs of ${sources.managementChannel} from its config block ${mgmtConfig.number}`);
  const managementChain = await readManagementChain(sources.evaluate);
  onProgress?.(`read ${managementChain.length} CBs from ${sources.managementChannel}`);
  return {
    managementChannel: { channelId: sources.managementChannel, chaincode: sources.chaincode, configBlockNumber: mgmtConfig.number, msps: mgmtConfig.msps },
    managementChain,
    primaryChannel: { channelId: sources.primaryChannel, configBlocks },
  };
}

/** A channel config block's number and the root certificates of each MSP it defines. */
function channelMsps(block: common.Block): { block: common.Block; number: number; msps: { mspId: string; rootCerts: string[] }[] } {
  const msps = readMsps(readConfigBlock(block).config).map((m) => ({ mspId: m.mspId, rootCerts: [...m.rootCerts] }));
  return { block, number: block.getHeader()?.getNumber() ?? 0, msps };
}

async function collectSignedEvidence(sources: EvidenceSources, onProgress: ((message: string) => void) | undefined, now: () => Date): Promise<AuditEvidence> {
  // The clock before the first head is read: a CB sealed after it is at most as late as it looks.
  const readAt = now().toISOString();
  // Primary first, as in collectEvidence; then the chain; then the management head, which is
  // therefore at least as new as the chain's newest CB.
  const primary = await step(`config blocks of ${sources.primaryChannel}`, () =>
    scanConfigBlockChain((which) => sources.fetchBlock(sources.primaryChannel, which)),
  );
  const primaryHead = primary.head.getHeader()?.getNumber() ?? 0;
  onProgress?.(`found ${primary.records.length} config blocks on ${sources.primaryChannel} (head block ${primaryHead})`);
  const first = await readManagementChain(sources.evaluate);
  const { chain: managementChain, tail } = await step(`head blocks of ${sources.managementChannel}`, () =>
    readManagementTail(
      (which) => sources.fetchBlock(sources.managementChannel, which),
      sources.chaincode,
      first,
      () => readManagementChain(sources.evaluate),
      `head blocks of ${sources.managementChannel}`,
    ),
  );
  onProgress?.(`read ${managementChain.length} CBs from ${sources.managementChannel}`);
  const head = tail[tail.length - 1];
  const headNumber = head.getHeader()?.getNumber() ?? 0;
  const fromNumber = tail[0].getHeader()?.getNumber() ?? 0;
  onProgress?.(`read ${tail.length} blocks of ${sources.managementChannel}, from block ${fromNumber} (newest CB) to the head block ${headNumber}`);
  const mgmtConfig = await step(`config block of ${sources.managementChannel}`, async () => channelMsps(await sources.fetchBlock(sources.managementChannel, readLastConfigIndex(head))));
  onProgress?.(`read the MSPs of ${sources.managementChannel} from its config block ${mgmtConfig.number}`);
  const bytes = (block: common.Block): Uint8Array => block.serializeBinary();
  return {
    managementChannel: { channelId: sources.managementChannel, chaincode: sources.chaincode, configBlockNumber: mgmtConfig.number, msps: mgmtConfig.msps },
    managementChain,
    primaryChannel: { channelId: sources.primaryChannel, configBlocks: primary.records },
    signedBlocks: {
      readAt,
      managementConfigBlock: bytes(mgmtConfig.block),
      managementTail: tail.map(bytes),
      primaryConfigBlocks: primary.blocks.map(bytes),
      primaryHead: bytes(primary.head),
    },
  };
}

/** Open connections to one member's peer and orderer, as {@link EvidenceSources}. */
export interface OpenSources {
  readonly sources: EvidenceSources;
  /** Closes the gateway and both gRPC connections. */
  close(): void;
}

/**
 * Connects to a member's peer: its gateway as the member's client user (an audit only reads) and
 * its Deliver service, signed by the same user, who satisfies the channels' Readers policy. Blocks
 * come from the peer, not an orderer: only a committing peer's blocks say which transactions were
 * valid, and the head evidence needs that for the Tally that wrote the newest CB.
 *
 * @param connection - the connection file's content.
 * @param member - the member whose nodes and identity to use.
 * @param chaincode - the management chaincode's name.
 * @returns the sources and their closer; the caller must call `close()`.
 * @throws Error when the member's MSP folder or TLS CA certificate cannot be read.
 */
export async function openEvidenceSources(connection: ConnectionFile, member: MemberConnection, chaincode = managementChaincodeOf(connection)): Promise<OpenSources> {
  const peerClient: grpc.Client = await newGrpcConnection(member.peer);
  try {
    const gateway = await connectGateway(peerClient, member, 'user');
    const signer = SigningIdentity.fromMspDir(member.userMspDir, member.mspId);
    const reader = new MgmtReader({ network: gateway.getNetwork(connection.channels.management), chaincodeName: chaincode });
    const fetchBlock: ChannelBlockFetcher = (channelId, which) => fetchPeerBlock(peerClient, channelId, signer, which);
    return {
      sources: {
        managementChannel: connection.channels.management,
        primaryChannel: connection.channels.primary,
        chaincode,
        evaluate: (name, ...args) => reader.queryBytes(name, ...args),
        fetchBlock,
        fetchConfigBlock: async (channelId) => fetchBlock(channelId, readLastConfigIndex(await fetchBlock(channelId, 'newest'))),
      },
      close: () => {
        gateway.close();
        peerClient.close();
      },
    };
  } catch (err) {
    peerClient.close();
    throw err;
  }
}
