/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The auth filters a Fabric v3 peer runs before its endorser sees a proposal (core.yaml
 * peer.handlers.authFilters: DefaultAuth, ExpirationCheck, TimeWindowCheck; see
 * core/handlers/auth/filter). A refusal here is a gRPC error without any ProposalResponse, which
 * Fabric's gateway reads as an unreachable peer (UNAVAILABLE, tries the next one) rather than as
 * a refused proposal.
 */
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { X509Certificate } from 'node:crypto';
import { rfc3339, unmarshal } from '../fabricProto';
import { timestampMs } from '../protoutil';

/** Fabric's `peer.authentication.timewindow` (15m0s). */
export const TIME_WINDOW_MS = 15 * 60 * 1000;

/**
 * Why the filters refuse `signed`, worded as Fabric's, or undefined when they let it through.
 * @param now - the peer's clock, ms since the epoch.
 */
export function authFilterRefusal(signed: peer.SignedProposal, now: number = Date.now()): string | undefined {
  let proposal: peer.Proposal;
  let header: common.Header;
  let signatureHeader: common.SignatureHeader;
  let channelHeader: common.ChannelHeader;
  try {
    proposal = parsing('proposal', () => unmarshal(() => peer.Proposal.deserializeBinary(signed.getProposalBytes_asU8()), 'Proposal'));
    header = parsing('header', () => unmarshal(() => common.Header.deserializeBinary(proposal.getHeader_asU8()), 'Header'));
    signatureHeader = parsing('signature header', () => unmarshal(() => common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()), 'SignatureHeader'));
  } catch (err) {
    return (err as Error).message;
  }
  // ExpirationCheck: an expired creator certificate; an unreadable one is left to the endorser.
  const expiry = certificateExpiry(signatureHeader.getCreator_asU8());
  if (expiry !== undefined && now > expiry) return 'proposal client identity expired';
  try {
    channelHeader = parsing('channel header', () => unmarshal(() => common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()), 'ChannelHeader'));
  } catch (err) {
    return (err as Error).message;
  }
  // TimeWindowCheck; a missing timestamp reads as the epoch, as Go's AsTime() of nil.
  const at = timestampMs(channelHeader.getTimestamp());
  if (Math.abs(now - at) > TIME_WINDOW_MS) {
    return `request unauthorized due to incorrect timestamp ${rfc3339(at)}, peer time ${rfc3339(now)}, peer.authentication.timewindow 15m0s`;
  }
  return undefined;
}

function parsing<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new Error(`failed parsing ${what}: ${(err as Error).message}`);
  }
}

/** The creator certificate's notAfter (ms), undefined when the creator is no X.509 identity. */
function certificateExpiry(creator: Uint8Array): number | undefined {
  // Parsing the certificate was a tenth of a busy devnet's time: the same few creators send every
  // proposal, so the answer is kept per creator bytes (a pure function of them); the clock is
  // still compared on every proposal.
  const key = Buffer.from(creator).toString('base64');
  if (expiries.has(key)) return expiries.get(key);
  let expiry: number | undefined;
  try {
    const identity = msp.SerializedIdentity.deserializeBinary(creator);
    expiry = Date.parse(new X509Certificate(Buffer.from(identity.getIdBytes_asU8())).validTo);
  } catch {
    expiry = undefined;
  }
  // Maps iterate in insertion order: the oldest creator is forgotten first.
  if (expiries.size >= EXPIRY_CACHE_SIZE) expiries.delete(expiries.keys().next().value as string);
  expiries.set(key, expiry);
  return expiry;
}

const EXPIRY_CACHE_SIZE = 1000;
const expiries = new Map<string, number | undefined>();
