/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * An endorsement descriptor from principal sets and the channel's peers, as Fabric's discovery
 * computes it (discovery/endorsement): each distinct principal is a group (G0, G1, ...), each
 * principal set a layout (how many peers of each group), kept when enough peers satisfy its
 * groups, and each group lists the peers that satisfy it and have the chaincode.
 */
import { discovery, msp } from '@hyperledger/fabric-protos';
import { principalKey } from './principalSets';

/** A channel peer as the planner sees it. */
export interface CandidatePeer<P> {
  readonly peer: P;
  /** Whether the chaincode (every chaincode of the interest) is defined and installed on it. */
  readonly hasChaincode: boolean;
}

export interface DescriptorInput<P> {
  chaincode: string;
  principalSets: readonly (readonly msp.MSPPrincipal[])[];
  peers: readonly CandidatePeer<P>[];
  satisfies: (peer: P, principal: msp.MSPPrincipal) => boolean;
  toProto: (peer: P) => discovery.Peer;
}

/** Why no descriptor could be built, in Fabric's words. */
export class LayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutError';
  }
}

/**
 * Fabric's computeEndorsementResponse.
 *
 * @throws LayoutError `no peer combination can satisfy the endorsement policy` when no layout has
 *   enough channel peers, `required chaincodes are not installed on sufficient peers` when none
 *   has enough peers with the chaincode.
 */
export function endorsementDescriptor<P>(input: DescriptorInput<P>): discovery.EndorsementDescriptor {
  // Groups are named in order of first appearance (Fabric: Go map order, so any naming is Fabric's).
  const groups = new Map<string, { name: string; principal: msp.MSPPrincipal }>();
  for (const set of input.principalSets) {
    for (const principal of set) {
      const key = principalKey(principal);
      if (!groups.has(key)) groups.set(key, { name: `G${groups.size}`, principal });
    }
  }
  const satisfying = new Map<string, CandidatePeer<P>[]>();
  for (const { name, principal } of groups.values()) {
    satisfying.set(name, input.peers.filter((c) => input.satisfies(c.peer, principal)));
  }
  const layouts: Map<string, number>[] = [];
  for (const set of input.principalSets) {
    const quantities = new Map<string, number>();
    for (const principal of set) {
      const name = groups.get(principalKey(principal))?.name as string;
      quantities.set(name, (quantities.get(name) ?? 0) + 1);
    }
    if ([...quantities].every(([name, n]) => (satisfying.get(name)?.length ?? 0) >= n)) layouts.push(quantities);
  }
  if (layouts.length === 0) throw new LayoutError('no peer combination can satisfy the endorsement policy');

  const used = new Set(layouts.flatMap((l) => [...l.keys()]));
  const endorsers = new Map<string, P[]>();
  for (const [name, candidates] of satisfying) {
    if (!used.has(name)) continue;
    const withChaincode = candidates.filter((c) => c.hasChaincode).map((c) => c.peer);
    if (withChaincode.length > 0) endorsers.set(name, withChaincode);
  }
  const feasible = layouts.filter((l) => [...l].every(([name, n]) => (endorsers.get(name)?.length ?? 0) >= n));
  if (feasible.length === 0) throw new LayoutError('required chaincodes are not installed on sufficient peers');

  const descriptor = new discovery.EndorsementDescriptor();
  descriptor.setChaincode(input.chaincode);
  for (const [name, peers] of endorsers) {
    const list = new discovery.Peers();
    list.setPeersList(peers.map(input.toProto));
    descriptor.getEndorsersByGroupsMap().set(name, list);
  }
  descriptor.setLayoutsList(
    feasible.map((quantities) => {
      const layout = new discovery.Layout();
      for (const [name, n] of quantities) layout.getQuantitiesByGroupMap().set(name, n);
      return layout;
    }),
  );
  return descriptor;
}
