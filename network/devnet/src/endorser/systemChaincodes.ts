/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The query and configuration system chaincodes a Fabric v3.1.5 peer runs in process: qscc
 * (core/scc/qscc/query.go: chain info, blocks by number, hash and txid, transactions by id) and
 * cscc (core/scc/cscc/configure.go: the channel config, its block, the channels the peer is on),
 * with their argument conventions, ACLs checked with the config in force (core/aclmgmt) and their
 * error texts, so that `peer channel getinfo`, `peer channel list` and SDKs that use them work.
 * The endorser decides what a caller gets back around these responses.
 */
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { isUtf8 } from 'node:buffer';
import { blockHeaderHash } from 'fabric-config/configtx';
import type { SignedData } from 'fabric-config/configtx';
import type { MspRegistry } from 'fabric-config/msp';
import type { Channel } from '../channel';
import type { LedgerStore } from '../ledger/store';

export const QSCC = 'qscc';
export const CSCC = 'cscc';

/** Whether a chaincode name is one of the system chaincodes served here. */
export function isSystemChaincode(name: string): boolean {
  return name === QSCC || name === CSCC;
}

/** The MSP of the peer a proposal reached, which peer-wide checks use (Fabric's local MSP). */
export interface LocalMsp {
  readonly mspId: string;
  readonly msp: MspRegistry;
}

/** The channels this peer has joined, in the order `GetChannels` lists them. */
export interface ChannelDirectory {
  get(channelId: string): Channel | undefined;
  keys(): IterableIterator<string>;
}

export interface SystemInvocation {
  /** The ChaincodeInput's args: the function name first. */
  args: readonly Uint8Array[];
  /** The proposal's creator, bytes and signature, over which ACLs are evaluated. */
  signed: SignedData;
  local: LocalMsp;
}

/**
 * A system chaincode answer that never reaches the endorser as a response: Go's protobuf refuses
 * to marshal a message that is not UTF-8 (as one quoting a raw block hash usually is), so the
 * shim reports that failure instead, and the peer answers 500 without payload.
 */
export class ShimFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShimFailure';
  }
}

const MAX_UINT64 = 2n ** 64n - 1n;

export class SystemChaincodes {
  constructor(
    private readonly channels: ChannelDirectory,
    private readonly store: LedgerStore,
  ) {}

  /**
   * Runs qscc or cscc as Fabric's shim would: 200 with the payload, or 500 with the message.
   * @throws ShimFailure when Fabric's shim could not send the response (see {@link ShimFailure}).
   */
  invoke(name: string, call: SystemInvocation): Promise<peer.Response> {
    return name === QSCC ? this.qscc(call) : this.cscc(call);
  }

  private async qscc({ args, signed }: SystemInvocation): Promise<peer.Response> {
    if (args.length < 2) return failure(go`Incorrect number of arguments, ${args.length}`);
    const [fname, cid] = args;
    const fn = text(fname);
    if (fn !== 'GetChainInfo' && args.length < 3) return failure(go`missing 3rd argument for ${fname}`);
    const channel = this.channels.get(text(cid));
    if (!channel) return failure(go`Invalid chain ID, ${cid}`);
    // Checked before the function is known, so an unknown one is refused as an unmapped resource.
    const acl = channel.checkAcl(`qscc/${fn}`, [signed]);
    if (!acl.ok) return failure(go`access denied for [${fname}][${cid}]: [${acl.reason}]`);
    switch (fn) {
      case 'GetChainInfo':
        return this.chainInfo(channel.id);
      case 'GetBlockByNumber':
        return this.blockByNumber(channel.id, args[2]);
      case 'GetBlockByHash':
        return this.blockByHash(channel.id, args[2]);
      case 'GetTransactionByID':
        return this.transactionById(channel.id, args[2]);
      case 'GetBlockByTxID':
        return this.blockByTxId(channel.id, args[2]);
      default:
        return failure(go`Requested function ${fname} not found.`);
    }
  }

  private async chainInfo(channelId: string): Promise<peer.Response> {
    const height = await this.store.height(channelId);
    const info = new common.BlockchainInfo();
    info.setHeight(height);
    if (height > 0) {
      const header = (await this.mustBlock(channelId, height - 1)).getHeader() ?? new common.BlockHeader();
      info.setCurrentblockhash(blockHeaderHash(header));
      info.setPreviousblockhash(header.getPreviousHash_asU8());
    }
    return success(info.serializeBinary());
  }

  private async blockByNumber(channelId: string, arg: Uint8Array): Promise<peer.Response> {
    const parsed = parseUint64(arg);
    if ('error' in parsed) return failure(go`Failed to parse block number with error ${parsed.error}`);
    const height = BigInt(await this.store.height(channelId));
    // Fabric's block store reads MaxUint64 as "the newest block".
    const num = parsed.value === MAX_UINT64 ? height - 1n : parsed.value;
    const bytes = num >= 0n && num < height ? await this.store.getBlockBytes(channelId, Number(num)) : undefined;
    if (!bytes) return failure(go`Failed to get block number ${num}, error no such block number [${num}] in index`);
    return success(bytes);
  }

  private async blockByHash(channelId: string, hash: Uint8Array): Promise<peer.Response> {
    const num = await this.store.getBlockNumberByHash(channelId, hash);
    const bytes = num === undefined ? undefined : await this.store.getBlockBytes(channelId, num);
    if (!bytes) return failure(go`Failed to get block hash ${hash}, error no such block hash [${Buffer.from(hash).toString('hex')}] in index`);
    return success(bytes);
  }

  private async transactionById(channelId: string, txId: Uint8Array): Promise<peer.Response> {
    const tx = await this.store.getTx(channelId, txId);
    if (!tx) return failure(go`Failed to get transaction with id ${txId}, error no such transaction ID [${txId}] in index`);
    const envelope = (await this.mustBlock(channelId, tx.blockNum)).getData()?.getDataList_asU8()[tx.txNum];
    if (!envelope) throw new Error(`transaction ${tx.txNum} of block ${tx.blockNum} of channel ${channelId} is missing from the ledger`);
    const processed = new peer.ProcessedTransaction();
    processed.setTransactionenvelope(common.Envelope.deserializeBinary(envelope));
    processed.setValidationcode(tx.validationCode);
    return success(processed.serializeBinary());
  }

  private async blockByTxId(channelId: string, txId: Uint8Array): Promise<peer.Response> {
    const tx = await this.store.getTx(channelId, txId);
    const bytes = tx === undefined ? undefined : await this.store.getBlockBytes(channelId, tx.blockNum);
    if (!bytes) return failure(go`Failed to get block for txID ${txId}, error no such transaction ID [${txId}] in index`);
    return success(bytes);
  }

  private async cscc({ args, signed, local }: SystemInvocation): Promise<peer.Response> {
    if (args.length < 1) return failure(go`Incorrect number of arguments, ${args.length}`);
    const fname = args[0];
    const fn = text(fname);
    if (fn !== 'GetChannels' && fn !== 'JoinBySnapshotStatus' && args.length < 2) return failure(go`Incorrect number of arguments, ${args.length}`);
    switch (fn) {
      case 'GetChannels': {
        const denied = localMembersCheck(local, signed);
        if (denied !== undefined) return failure(go`access denied for [${fname}]: ${denied}`);
        const response = new peer.ChannelQueryResponse();
        response.setChannelsList(
          [...this.channels.keys()].map((id) => {
            const info = new peer.ChannelInfo();
            info.setChannelId(id);
            return info;
          }),
        );
        return success(response.serializeBinary());
      }
      case 'GetChannelConfig': {
        if (args[1].length === 0) return failure(go`empty channel name provided`);
        const { channel, denied } = this.channelAcl(args[1], 'cscc/GetChannelConfig', signed);
        if (!channel) return failure(go`access denied for [${fname}][${args[1]}]: ${denied}`);
        return success(channel.config.serializeBinary());
      }
      case 'GetConfigBlock': {
        const { channel, denied } = this.channelAcl(args[1], 'cscc/GetConfigBlock', signed);
        if (!channel) return failure(go`access denied for [${fname}][${args[1]}]: ${denied}`);
        const bytes = await this.store.getBlockBytes(channel.id, channel.lastConfigBlock);
        if (!bytes) throw new Error(`config block ${channel.lastConfigBlock} of channel ${channel.id} is missing from the ledger`);
        return success(bytes);
      }
      case 'JoinChain':
      case 'JoinChainBySnapshot':
      case 'JoinBySnapshotStatus':
        return failure(go`${fname} is not supported by the devnet: every peer is joined to ${[...this.channels.keys()].join(', ')} from the start`);
      default:
        return failure(go`Requested function ${fname} not found.`);
    }
  }

  /**
   * A channel ACL checked as Fabric's aclmgmt does for a channel named in the arguments: on a
   * channel the peer has not joined, the default policy has no policy manager to ask.
   */
  private channelAcl(name: Uint8Array, resource: string, signed: SignedData): { channel: Channel; denied?: undefined } | { channel?: undefined; denied: Buffer } {
    const channel = this.channels.get(text(name));
    if (!channel) return { denied: go`Failed to get policy manager for channel [${name}]` };
    const acl = channel.checkAcl(resource, [signed]);
    return acl.ok ? { channel } : { denied: go`${acl.reason}` };
  }

  private async mustBlock(channelId: string, num: number): Promise<common.Block> {
    const bytes = await this.store.getBlockBytes(channelId, num);
    if (!bytes) throw new Error(`block ${num} of channel ${channelId} is missing from the ledger`);
    return common.Block.deserializeBinary(bytes);
  }
}

/**
 * Fabric's channel-less check of a peer-wide resource whose policy is `Members`
 * (core/policy CheckPolicyNoChannel): the creator must be an identity of the peer's own MSP, and
 * the signature its.
 * @returns the refusal in Fabric's words, or undefined.
 */
function localMembersCheck(local: LocalMsp, signed: SignedData): string | undefined {
  const refused = (reason: string): string => `Failed deserializing proposal creator during channelless check policy with policy [Members]: [${reason}]`;
  let mspId: string;
  try {
    mspId = msp.SerializedIdentity.deserializeBinary(signed.identity).getMspid();
  } catch {
    return refused('could not deserialize a SerializedIdentity');
  }
  if (mspId !== local.mspId) return refused(`expected MSP ID ${local.mspId}, received ${mspId}`);
  try {
    const identity = local.msp.deserialize(signed.identity);
    return local.msp.verify(identity, signed.data, signed.signature) ? undefined : 'The signature is invalid';
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

function failure(message: Buffer): peer.Response {
  if (!isUtf8(message)) throw new ShimFailure('failed to marshal response: proto: field protos.Response.message contains invalid UTF-8');
  const response = new peer.Response();
  response.setStatus(500);
  response.setMessage(message.toString('utf8'));
  return response;
}

type GoValue = string | number | bigint | Uint8Array;

/**
 * A message as Go's Sprintf builds it: an argument's bytes go in raw, as `%s` of a []byte does,
 * so a message quoting them may not be UTF-8 (which {@link failure} then handles as Fabric does).
 */
function go(strings: TemplateStringsArray, ...values: GoValue[]): Buffer {
  const parts: Buffer[] = [];
  strings.forEach((literal, i) => {
    parts.push(Buffer.from(literal, 'utf8'));
    if (i >= values.length) return;
    const value = values[i];
    parts.push(value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(String(value), 'utf8'));
  });
  return Buffer.concat(parts);
}

/** An argument as a name to look up; bytes that are not UTF-8 then match no name. */
function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

/** Go's strconv.ParseUint(s, 10, 64), with its error texts. */
function parseUint64(bytes: Uint8Array): { value: bigint } | { error: string } {
  const s = Buffer.from(bytes);
  if (s.length === 0 || !s.every((b) => b >= 0x30 && b <= 0x39)) return { error: `strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax` };
  const value = BigInt(s.toString('latin1'));
  if (value > MAX_UINT64) return { error: `strconv.ParseUint: parsing ${goQuote(s)}: value out of range` };
  return { value };
}

const QUOTE_ESCAPES: Readonly<Record<string, string>> = {
  '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\',
};

/** Go's strconv.Quote: printable runes as they are, invalid bytes as \xNN (non-ASCII runes are taken as printable). */
function goQuote(bytes: Buffer): string {
  let out = '"';
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i];
    const width = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    const rune = width > 0 && i + width <= bytes.length && isUtf8(bytes.subarray(i, i + width)) ? bytes.subarray(i, i + width).toString('utf8') : undefined;
    if (rune === undefined) {
      out += `\\x${lead.toString(16).padStart(2, '0')}`;
      i++;
      continue;
    }
    i += width;
    const code = rune.codePointAt(0) ?? 0;
    if (QUOTE_ESCAPES[rune] !== undefined) out += QUOTE_ESCAPES[rune];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += rune;
  }
  return `${out}"`;
}
