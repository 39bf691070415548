/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The management link: the CB that authorised a `primary` config update, named in the
 * CONFIG_UPDATE envelope's tx_id (docs/protocol.md, "The management link").
 */
import { common } from '@hyperledger/fabric-protos';
import { ConfigtxError } from 'fabric-config/configtx';

/**
 * Prefix of the CONFIG_UPDATE envelope's tx_id that names the management block (CB) which
 * authorised the update: `mgmt-cb:<height>:<hash>`.
 *
 * Why the tx_id and not ConfigUpdate.isolated_data: configtxlator (Fabric v3) refuses to decode a
 * ConfigUpdate with an isolated_data key it has no registered type for ("Unknown map key"), and
 * every config block embeds its last update, so the usual fetch → `configtxlator proto_decode` →
 * edit workflow would break on every linked config block. Fabric checks no tx_id on a
 * CONFIG_UPDATE, and the config block keeps the envelope whole (`last_update`), so the link stays
 * readable with Fabric's own tools. It is signed by the submitting admin only; an auditor binds it
 * by checking that the CB (itself proved by a quorum of member signatures) holds the configuration
 * the update put in force.
 */
export const MANAGEMENT_LINK_PREFIX = 'mgmt-cb:';

/** A link to the management chain's configuration block that authorised an update. */
export interface ManagementLink {
  /** The CB's height. */
  readonly height: number;
  /** The CB's hash, lowercase hex sha256. */
  readonly hash: string;
}

function managementLinkProblem(link: ManagementLink): string | undefined {
  if (!Number.isSafeInteger(link.height) || link.height < 0) return `height must be a non-negative integer, got ${String(link.height)}`;
  if (typeof link.hash !== 'string' || !/^[0-9a-f]{64}$/.test(link.hash)) return 'hash must be 64 lowercase hex digits';
  return undefined;
}

/**
 * The tx_id that carries a management link.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) if the link is malformed.
 */
export function managementLinkTxId(link: ManagementLink): string {
  const problem = managementLinkProblem(link);
  if (problem !== undefined) throw new ConfigtxError(`invalid management link: ${problem}`, { code: 'CONFIGTX_BAD_CONFIG' });
  return `${MANAGEMENT_LINK_PREFIX}${link.height}:${link.hash}`;
}

/**
 * Reads the management link from a CONFIG_UPDATE envelope (an update as sent, or a config block's
 * `last_update`).
 *
 * @returns the link, or undefined when the envelope's tx_id carries none.
 * @throws ConfigtxError (`CONFIGTX_BAD_CONFIG`) if the envelope does not decode or the link is malformed.
 */
export function readManagementLink(updateEnvelope: common.Envelope): ManagementLink | undefined {
  let txId: string;
  try {
    const payload = common.Payload.deserializeBinary(updateEnvelope.getPayload_asU8());
    txId = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(0)).getTxId();
  } catch (error) {
    throw new ConfigtxError('invalid management link: the update envelope does not decode', { code: 'CONFIGTX_BAD_CONFIG', cause: error });
  }
  if (!txId.startsWith(MANAGEMENT_LINK_PREFIX)) return undefined;
  const match = /^mgmt-cb:(\d{1,16}):(.*)$/.exec(txId);
  const link = { height: match ? Number(match[1]) : -1, hash: match ? (match[2] ?? '') : '' };
  const problem = managementLinkProblem(link);
  if (problem !== undefined) throw new ConfigtxError(`invalid management link '${txId}': ${problem}`, { code: 'CONFIGTX_BAD_CONFIG' });
  return link;
}
