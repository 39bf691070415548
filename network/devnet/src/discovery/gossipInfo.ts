/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What a Fabric peer's gossip would say about each devnet peer, for discovery answers: an alive
 * message (its endpoint and PKI-ID) and, per channel, a state info message (ledger height and
 * chaincodes). The devnet has no gossip, so these are made when asked, signed by the peer they
 * describe as gossip signs its own messages; clients read them, none verifies them against gossip.
 */
import { discovery, gossip, msp } from '@hyperledger/fabric-protos';
import { createHash } from 'node:crypto';
import type { Signer } from '../protoutil';

/** A peer as gossip describes it. */
export interface GossipPeer {
  readonly mspId: string;
  /** host:port, the endpoint gossip would advertise (the peer's own address). */
  readonly address: string;
  readonly signer: Signer;
}

/** A chaincode in a state info message: its name and, as a v2 lifecycle peer reports, its definition sequence. */
export interface GossipChaincode {
  readonly name: string;
  readonly version: string;
}

/** Gossip's PKI-ID of an identity: SHA-256 of the MSP ID followed by the certificate bytes. */
export function pkiIdOf(serializedIdentity: Uint8Array): Uint8Array {
  const identity = msp.SerializedIdentity.deserializeBinary(serializedIdentity);
  return createHash('sha256').update(identity.getMspid()).update(identity.getIdBytes_asU8()).digest();
}

/** Gossip messages of the devnet's peers; one incarnation number per devnet process, as a peer has per start. */
export class GossipInfo {
  private readonly incarnation = Date.now();
  private sequence = 0;

  /** The peer's alive message, signed by it. */
  aliveEnvelope(peer: GossipPeer): gossip.Envelope {
    const member = new gossip.Member();
    member.setEndpoint(peer.address);
    member.setPkiId(pkiIdOf(peer.signer.serialize()));
    const alive = new gossip.AliveMessage();
    alive.setMembership(member);
    alive.setTimestamp(this.timestamp());
    const message = new gossip.GossipMessage();
    message.setTag(gossip.GossipMessage.Tag.EMPTY);
    message.setAliveMsg(alive);
    return this.sign(peer, message);
  }

  /** The peer's state info on a channel, signed by it. */
  stateInfoEnvelope(peer: GossipPeer, ledgerHeight: number, chaincodes: readonly GossipChaincode[]): gossip.Envelope {
    const properties = new gossip.Properties();
    properties.setLedgerHeight(ledgerHeight);
    properties.setChaincodesList(
      chaincodes.map((c) => {
        const cc = new gossip.Chaincode();
        cc.setName(c.name);
        cc.setVersion(c.version);
        return cc;
      }),
    );
    const stateInfo = new gossip.StateInfo();
    stateInfo.setTimestamp(this.timestamp());
    stateInfo.setPkiId(pkiIdOf(peer.signer.serialize()));
    stateInfo.setProperties(properties);
    const message = new gossip.GossipMessage();
    message.setTag(gossip.GossipMessage.Tag.CHAN_OR_ORG);
    message.setStateInfo(stateInfo);
    return this.sign(peer, message);
  }

  /** A discovery Peer: identity, alive message and, for channel queries, state info. */
  peer(peer: GossipPeer, state?: { ledgerHeight: number; chaincodes: readonly GossipChaincode[] }): discovery.Peer {
    const out = new discovery.Peer();
    out.setIdentity(peer.signer.serialize());
    out.setMembershipInfo(this.aliveEnvelope(peer));
    if (state) out.setStateInfo(this.stateInfoEnvelope(peer, state.ledgerHeight, state.chaincodes));
    return out;
  }

  private timestamp(): gossip.PeerTime {
    const time = new gossip.PeerTime();
    time.setIncNum(this.incarnation);
    time.setSeqNum(++this.sequence);
    return time;
  }

  private sign(peer: GossipPeer, message: gossip.GossipMessage): gossip.Envelope {
    const payload = message.serializeBinary();
    const envelope = new gossip.Envelope();
    envelope.setPayload(payload);
    envelope.setSignature(peer.signer.sign(payload));
    return envelope;
  }
}
