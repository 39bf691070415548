/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The I/O edge of the audit: reading the evidence from a member's peer (the management chain,
 * through the gateway) and orderer (channel config blocks, through Deliver). Everything it reads
 * is untrusted until auditEvidence has checked it.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Gateway } from '@hyperledger/fabric-gateway';
import type { common } from '@hyperledger/fabric-protos';
import { readConfigBlock, readMsps } from 'fabric-devnet/dist/configtx';
import { SigningIdentity } from 'fabric-devnet/dist/msp';
import { parseIJson } from 'mgmt-chaincode/dist/protocol';
import type { JsonValue } from 'mgmt-chaincode/dist/protocol';
import { fetchBlock, fetchConfigBlock } from '../channelConfig/ordererClient';
import { connectGateway, newGrpcConnection } from '../gateway';
import type { ConnectionFile, MemberConnection } from '../gateway';
import { AuditError } from './errors';
import { scanConfigBlocks } from './primary';
import type { AuditEvidence } from './types';

/** The most CBs `GetBlocks` returns in one call (chaincode README). */
export const GET_BLOCKS_PAGE = 100;

/** The management chaincode's name (DESIGN.md section 3). */
export const MANAGEMENT_CHAINCODE = 'mgmt';

/** Evaluates a query of the management chaincode and returns its result bytes. */
export type EvaluateQuery = (name: string, ...args: string[]) => Promise<Uint8Array>;

/** Fetches a block of a channel from the orderer, by number or the newest. */
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

function describe(err: unknown): string {
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

/**
 * Reads the evidence of an audit: every config block of the primary channel (walking back along
 * last-config indexes, see {@link scanConfigBlocks}), the MSPs of the management channel's
 * current configuration, and the management chain, in that order.
 *
 * @param sources - where to read from.
 * @param onProgress - one line per step, for progress output.
 * @returns the evidence, unverified.
 * @throws {@link AuditError} `AUDIT_READ_FAILED` naming the step that failed.
 */
export async function collectEvidence(sources: EvidenceSources, onProgress?: (message: string) => void): Promise<AuditEvidence> {
  // Primary first: every CB a primary config block links was sealed before that block was made,
  // so the management chain, read afterwards and append-only, holds them all even while the
  // consortium keeps working. Read the other way round, a CB sealed and applied in between would
  // look like a link to a CB that does not exist.
  const configBlocks = await step(`config blocks of ${sources.primaryChannel}`, () =>
    scanConfigBlocks((which) => sources.fetchBlock(sources.primaryChannel, which)),
  );
  onProgress?.(`found ${configBlocks.length} config blocks on ${sources.primaryChannel}`);
  const mgmtConfig = await step(`config block of ${sources.managementChannel}`, async () => {
    const block = await sources.fetchConfigBlock(sources.managementChannel);
    return { number: block.getHeader()?.getNumber() ?? 0, msps: readMsps(readConfigBlock(block).config) };
  });
  onProgress?.(`read the MSPs of ${sources.managementChannel} from its config block ${mgmtConfig.number}`);
  const managementChain = await readManagementChain(sources.evaluate);
  onProgress?.(`read ${managementChain.length} CBs from ${sources.managementChannel}`);
  return {
    managementChannel: {
      channelId: sources.managementChannel,
      chaincode: sources.chaincode,
      configBlockNumber: mgmtConfig.number,
      msps: mgmtConfig.msps.map((m) => ({ mspId: m.mspId, rootCerts: [...m.rootCerts] })),
    },
    managementChain,
    primaryChannel: { channelId: sources.primaryChannel, configBlocks },
  };
}

/** Open connections to one member's peer and orderer, as {@link EvidenceSources}. */
export interface OpenSources {
  readonly sources: EvidenceSources;
  /** Closes the gateway and both gRPC connections. */
  close(): void;
}

/**
 * Connects to a member's peer (gateway, as the member's client user: an audit only reads) and
 * orderer (Deliver, signed by the same user, who satisfies the channels' Readers policy).
 *
 * @param connection - the connection file's content.
 * @param member - the member whose nodes and identity to use.
 * @param chaincode - the management chaincode's name.
 * @returns the sources and their closer; the caller must call `close()`.
 * @throws Error when the member's MSP folder or TLS CA certificate cannot be read.
 */
export async function openEvidenceSources(connection: ConnectionFile, member: MemberConnection, chaincode = MANAGEMENT_CHAINCODE): Promise<OpenSources> {
  const peerClient: grpc.Client = await newGrpcConnection(member.peer);
  let ordererClient: grpc.Client | undefined;
  let gateway: Gateway | undefined;
  try {
    ordererClient = await newGrpcConnection(member.orderer);
    gateway = await connectGateway(peerClient, member, 'user');
    const signer = SigningIdentity.fromMspDir(member.userMspDir, member.mspId);
    const contract = gateway.getNetwork(connection.channels.management).getContract(chaincode);
    const orderer = ordererClient;
    const opened = gateway;
    return {
      sources: {
        managementChannel: connection.channels.management,
        primaryChannel: connection.channels.primary,
        chaincode,
        evaluate: (name, ...args) => contract.evaluateTransaction(name, ...args),
        fetchBlock: (channelId, which) => fetchBlock(orderer, channelId, signer, which),
        fetchConfigBlock: (channelId) => fetchConfigBlock(orderer, channelId, signer),
      },
      close: () => {
        opened.close();
        orderer.close();
        peerClient.close();
      },
    };
  } catch (err) {
    gateway?.close();
    ordererClient?.close();
    peerClient.close();
    throw err;
  }
}
