/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Fabric blocks as audit evidence: decoding the bytes, checking a block's data hash, its place in
 * the hash chain and its orderer signatures (as Fabric's protoutil.BlockSignatureVerifier does),
 * and finding the CBs the management chaincode's Tally transactions wrote. Pure.
 */
import { X509Certificate, verify as verifySignature } from 'node:crypto';
import { common, ledger, msp, peer } from '@hyperledger/fabric-protos';
import { blockDataHash, blockHeaderBytes, blockHeaderHash, ConfigKey, viewChannelConfig } from 'fabric-config/configtx';
import { parseIJson, subjectOrganizationalUnits } from 'mgmt-chaincode/dist/protocol';
import type { JsonValue } from 'mgmt-chaincode/dist/protocol';

/** A block of the evidence does not hold; the message is the reason, without the block's name. */
export class BlockProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlockProblem';
  }
}

function decodeOr<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new BlockProblem(`${what} does not decode: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/**
 * A block from its bytes.
 *
 * @param bytes - a serialized common.Block.
 * @returns the block, with a header.
 * @throws {@link BlockProblem} when the bytes are not a block with a header.
 */
export function decodeBlock(bytes: Uint8Array): common.Block {
  const block = decodeOr('the block', () => common.Block.deserializeBinary(bytes));
  if (block.getHeader() === undefined) throw new BlockProblem('the block has no header');
  return block;
}

/** The block's number (0 when it has no header). */
export function blockNumber(block: common.Block): number {
  return block.getHeader()?.getNumber() ?? 0;
}

/**
 * Checks that the header's data_hash is the hash of the block's data (protoutil.ComputeBlockDataHash),
 * so that the signed header covers the transactions.
 *
 * @throws {@link BlockProblem} naming both hashes when they differ.
 */
export function checkDataHash(block: common.Block): void {
  const stated = block.getHeader()?.getDataHash_asU8() ?? new Uint8Array(0);
  const computed = blockDataHash(block.getData() ?? new common.BlockData());
  if (!Buffer.from(stated).equals(Buffer.from(computed))) {
    throw new BlockProblem(`its data hash ${hex(stated)} is not the hash of its transactions (${hex(computed)})`);
  }
}

/**
 * Checks that `block` follows `previous` in a channel: the next number, and previous_hash equal
 * to the hash of the previous header (protoutil.BlockHeaderHash).
 *
 * @throws {@link BlockProblem} when it does not.
 */
export function checkHashLink(previous: common.Block, block: common.Block): void {
  const expected = blockNumber(previous) + 1;
  if (blockNumber(block) !== expected) throw new BlockProblem(`it is block ${blockNumber(block)}, expected block ${expected} after block ${blockNumber(previous)}`);
  const stated = block.getHeader()?.getPreviousHash_asU8() ?? new Uint8Array(0);
  const computed = blockHeaderHash(previous.getHeader() ?? new common.BlockHeader());
  if (!Buffer.from(stated).equals(Buffer.from(computed))) {
    throw new BlockProblem(`its previous hash ${hex(stated)} is not the hash of block ${blockNumber(previous)} (${hex(computed)})`);
  }
}

/** The channel header of a block's first envelope (protoutil.GetChannelIDFromBlock reads the same). */
function firstChannelHeader(block: common.Block): common.ChannelHeader {
  const data = block.getData()?.getDataList_asU8() ?? [];
  if (data.length === 0) throw new BlockProblem('the block holds no transaction');
  const envelope = decodeOr('its first envelope', () => common.Envelope.deserializeBinary(data[0]));
  const payload = decodeOr('its first payload', () => common.Payload.deserializeBinary(envelope.getPayload_asU8()));
  return decodeOr('its first channel header', () => common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(0)));
}

/**
 * Checks that the block belongs to `channelId`, by its first envelope's channel header.
 *
 * @throws {@link BlockProblem} when it belongs to another channel or does not decode.
 */
export function checkChannel(block: common.Block, channelId: string): void {
  const found = firstChannelHeader(block).getChannelId();
  if (found !== channelId) throw new BlockProblem(`it is a block of channel ${JSON.stringify(found)}, not ${channelId}`);
}

/**
 * The newest channel-header timestamp among the block's envelopes, in epoch ms: when its latest
 * transaction was made (by the clock of its submitter, or the orderer's for a config block).
 *
 * @returns undefined when no envelope carries a timestamp.
 */
export function latestEnvelopeTime(block: common.Block): number | undefined {
  let latest: number | undefined;
  for (const bytes of block.getData()?.getDataList_asU8() ?? []) {
    try {
      const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8());
      const ts = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(0)).getTimestamp();
      if (ts === undefined) continue;
      const ms = ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6);
      if (latest === undefined || ms > latest) latest = ms;
    } catch {
      // An envelope that does not decode has no time to offer.
    }
  }
  return latest;
}

/** An organisation of a channel's Orderer group, as far as block signatures need it. */
export interface OrdererOrg {
  readonly mspId: string;
  readonly roots: readonly X509Certificate[];
  /** With NodeOUs, only certificates with the `orderer` OU count as the orderer's. */
  readonly nodeOUs: boolean;
}

/** Who may sign the blocks of a channel under one configuration. */
export interface OrdererTrust {
  readonly channelId: string;
  /** The config block the trust was read from, for messages. */
  readonly configBlock: number;
  readonly orgs: readonly OrdererOrg[];
  /** BFT consenters by id, for signatures that carry an IdentifierHeader instead of a SignatureHeader. */
  readonly consenters: ReadonlyMap<number, { readonly mspId: string; readonly identity: Uint8Array }>;
}

function parseRoot(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/**
 * The orderer organisations of a channel configuration (its Orderer group: MSP ID, root CA
 * certificates, NodeOUs) and, for BFT channels, its consenters.
 *
 * @param channelId - the channel.
 * @param config - the channel config in force.
 * @param configBlock - the number of the block holding it, for messages.
 * @returns the trust.
 * @throws {@link BlockProblem} when the config does not decode.
 */
export function ordererTrust(channelId: string, config: common.Config, configBlock: number): OrdererTrust {
  let view;
  try {
    view = viewChannelConfig(channelId, config);
  } catch (err) {
    throw new BlockProblem(`the config of block ${configBlock} does not decode: ${err instanceof Error ? err.message : String(err)}`);
  }
  const orgs = view.orgs
    .filter((org) => org.memberOf.includes('Orderer'))
    .map((org) => ({ mspId: org.mspId, roots: org.rootCerts.map(parseRoot).filter((c): c is X509Certificate => c !== undefined), nodeOUs: org.nodeOUs }));
  const consenters = new Map<number, { mspId: string; identity: Uint8Array }>();
  const orderersValue = config.getChannelGroup()?.getGroupsMap().get(ConfigKey.ordererGroup)?.getValuesMap().get(ConfigKey.orderers);
  if (orderersValue !== undefined) {
    const orderers = decodeOr(`the Orderers value of config block ${configBlock}`, () => common.Orderers.deserializeBinary(orderersValue.getValue_asU8()));
    for (const consenter of orderers.getConsenterMappingList()) {
      consenters.set(consenter.getId(), { mspId: consenter.getMspId(), identity: consenter.getIdentity_asU8() });
    }
  }
  return { channelId, configBlock, orgs, consenters };
}

/** The MSP IDs of the Orderer group's organisations with their root certificates' PEM, for anchoring. */
export function ordererOrgsOf(channelId: string, config: common.Config): { mspId: string; rootCerts: readonly string[] }[] {
  return viewChannelConfig(channelId, config)
    .orgs.filter((org) => org.memberOf.includes('Orderer'))
    .map((org) => ({ mspId: org.mspId, rootCerts: org.rootCerts }));
}

/** Why an identity is not an orderer of the trust, or undefined with its certificate when it is. */
function ordererCertificate(mspId: string, idBytes: Uint8Array, trust: OrdererTrust): { cert?: X509Certificate; problem?: string } {
  const org = trust.orgs.find((o) => o.mspId === mspId);
  const where = `the Orderer group of config block ${trust.configBlock}`;
  if (org === undefined) return { problem: `the signer's MSP ${mspId} is not an organisation of ${where}` };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(idBytes));
  } catch {
    return { problem: `the signer's certificate (${mspId}) does not parse` };
  }
  const issuer = org.roots.find((root) => cert.checkIssued(root) && cert.verify(root.publicKey));
  if (issuer === undefined) return { problem: `the signer's certificate is not issued by a root CA of ${mspId} in ${where}` };
  if (org.nodeOUs) {
    const units = subjectOrganizationalUnits(cert);
    if (!units.includes('orderer')) return { problem: `the signer's certificate of ${mspId} is not an orderer's (OU ${units.join(',') || 'none'})` };
  }
  return { cert };
}

/** What a block's SIGNATURES metadata establishes once a signature verified. */
export interface SignedMetadata {
  /** MSP IDs of the orderers whose signatures verified. */
  readonly signers: readonly string[];
  /** The last-config index of the signed OrdererBlockMetadata. */
  readonly lastConfig: number;
}

/**
 * Checks a block's orderer signatures as Fabric's BlockSignatureVerifier does: each
 * MetadataSignature of the SIGNATURES slot signs `metadata.value || signature_header ||
 * BlockHeaderBytes(header)` (or the IdentifierHeader of a BFT consenter instead of the signature
 * header); the signer must be an orderer of the channel configuration in force (an organisation
 * of its Orderer group, certificate issued by one of that MSP's root CAs, with the `orderer` OU
 * when NodeOUs are on). At least one signature must verify. Certificate validity periods are not
 * checked, so that an old export stays verifiable after the orderers' certificates expired.
 *
 * @param block - the block.
 * @param trust - the orderers of the config in force when the block was cut.
 * @returns the signers and the signed last-config index.
 * @throws {@link BlockProblem} naming why no signature holds.
 */
export function checkOrdererSignatures(block: common.Block, trust: OrdererTrust): SignedMetadata {
  const header = block.getHeader();
  if (header === undefined) throw new BlockProblem('the block has no header');
  const slot = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES];
  if (slot === undefined || slot.length === 0) throw new BlockProblem('it has no SIGNATURES metadata');
  const metadata = decodeOr('its SIGNATURES metadata', () => common.Metadata.deserializeBinary(slot));
  const value = metadata.getValue_asU8();
  const lastConfig = decodeOr('its OrdererBlockMetadata', () => common.OrdererBlockMetadata.deserializeBinary(value)).getLastConfig();
  if (lastConfig === undefined) throw new BlockProblem('its signed metadata has no last config');
  const headerBytes = blockHeaderBytes(header);
  const signers: string[] = [];
  const problems: string[] = [];
  for (const signature of metadata.getSignaturesList()) {
    let mspId: string;
    let idBytes: Uint8Array;
    let signedHeader: Uint8Array;
    try {
      const signatureHeader = signature.getSignatureHeader_asU8();
      const identifierHeader = signature.getIdentifierHeader_asU8();
      if (signatureHeader.length === 0 && identifierHeader.length > 0) {
        const id = common.IdentifierHeader.deserializeBinary(identifierHeader).getIdentifier();
        const consenter = trust.consenters.get(id);
        if (consenter === undefined) {
          problems.push(`signer ${id} is not a consenter of config block ${trust.configBlock}`);
          continue;
        }
        ({ mspId, identity: idBytes } = consenter);
        signedHeader = identifierHeader;
      } else {
        const creator = msp.SerializedIdentity.deserializeBinary(common.SignatureHeader.deserializeBinary(signatureHeader).getCreator_asU8());
        mspId = creator.getMspid();
        idBytes = creator.getIdBytes_asU8();
        signedHeader = signatureHeader;
      }
    } catch {
      problems.push('a signature header does not decode');
      continue;
    }
    const { cert, problem } = ordererCertificate(mspId, idBytes, trust);
    if (cert === undefined) {
      problems.push(problem ?? 'unknown signer');
      continue;
    }
    let valid = false;
    try {
      valid = verifySignature('sha256', Buffer.concat([value, signedHeader, headerBytes]), { key: cert.publicKey, dsaEncoding: 'der' }, signature.getSignature_asU8());
    } catch {
      valid = false;
    }
    if (valid) signers.push(mspId);
    else problems.push(`the signature of ${mspId}'s orderer does not verify over the block header and metadata`);
  }
  if (signers.length === 0) {
    throw new BlockProblem(problems.length === 0 ? 'it carries no orderer signature' : `no orderer signature holds: ${problems.join('; ')}`);
  }
  return { signers, lastConfig: lastConfig.getIndex() };
}

/** The storage key prefix of CBs in the management chaincode (chaincode README, "Storage"). */
const CB_KEY = /^cb:(\d{16})$/;

/** A CB the management chaincode wrote (only Tally writes `cb:<height>`), as a block holds it. */
export interface CbWrite {
  /** Index of the transaction in the block. */
  readonly tx: number;
  readonly txId: string;
  /** The transaction's channel-header time, epoch ms (undefined when absent). */
  readonly txTimeMs: number | undefined;
  /** Whether the peer flagged the transaction VALID (TRANSACTIONS_FILTER: not covered by the orderer's signature). */
  readonly valid: boolean;
  readonly validationCode: number;
  /** The height in the key. */
  readonly height: number;
  /** The written CB, parsed strictly; undefined when the value is not I-JSON. */
  readonly value: JsonValue | undefined;
}

function transactionWrites(payload: common.Payload, chaincode: string): { key: string; value: Uint8Array }[] {
  const writes: { key: string; value: Uint8Array }[] = [];
  const transaction = peer.Transaction.deserializeBinary(payload.getData_asU8());
  for (const action of transaction.getActionsList()) {
    const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
    const responsePayload = actionPayload.getAction()?.getProposalResponsePayload_asU8();
    if (responsePayload === undefined) continue;
    const chaincodeAction = peer.ChaincodeAction.deserializeBinary(peer.ProposalResponsePayload.deserializeBinary(responsePayload).getExtension_asU8());
    const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(chaincodeAction.getResults_asU8());
    for (const ns of rwset.getNsRwsetList()) {
      if (ns.getNamespace() !== chaincode) continue;
      const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
      for (const write of kv.getWritesList()) {
        if (!write.getIsDelete()) writes.push({ key: write.getKey(), value: write.getValue_asU8() });
      }
    }
  }
  return writes;
}

/**
 * Every CB written in the block's endorser transactions of `chaincode` (key `cb:<16-digit height>`),
 * whatever the peer's validation flag, which each write records.
 *
 * @param block - a block of the management channel.
 * @param chaincode - the management chaincode's name (the rwset namespace).
 * @returns the writes, by transaction order.
 * @throws nothing: a transaction that does not decode writes nothing.
 */
export function cbWritesOf(block: common.Block, chaincode: string): CbWrite[] {
  const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array(0);
  const writes: CbWrite[] = [];
  (block.getData()?.getDataList_asU8() ?? []).forEach((bytes, tx) => {
    try {
      const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8());
      const channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(0));
      if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return;
      const ts = channelHeader.getTimestamp();
      const txTimeMs = ts === undefined ? undefined : ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6);
      const validationCode = filter[tx] ?? peer.TxValidationCode.NOT_VALIDATED;
      for (const write of transactionWrites(payload, chaincode)) {
        const match = CB_KEY.exec(write.key);
        if (match === null) continue;
        let value: JsonValue | undefined;
        try {
          value = parseIJson(Buffer.from(write.value).toString('utf8'), write.key);
        } catch {
          value = undefined;
        }
        writes.push({ tx, txId: channelHeader.getTxId(), txTimeMs, valid: validationCode === peer.TxValidationCode.VALID, validationCode, height: Number(match[1]), value });
      }
    } catch {
      // Not an endorser transaction this reader understands: it writes no CB.
    }
  });
  return writes;
}
