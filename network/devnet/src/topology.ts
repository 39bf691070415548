/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The topology (docs/architecture.md, "Topology") and its port grid. With the default base port 7050:
 *
 *   org   orderer  peer    (all on 127.0.0.1, TLS)
 *   Org1  7050     7051
 *   Org2  8050     9051
 *   Org3  9050     11051
 *   Org4  10050    13051
 *   admin API (deploy, status): 7059 (plain HTTP, loopback only)
 *
 * Chaincode servers take free ports chosen at deploy time.
 */

export const DEFAULT_BASE_PORT = 7050;
export const CHANNELS = ['mgmt', 'primary'] as const;
export const ORG_COUNT = 4;

/**
 * Which organisations the devnet runs: `orgs` application members (1 to 4), each with a peer and,
 * unless `ordererOrg`, an orderer of its own; with `ordererOrg`, the orderer belongs to a separate
 * ordering-service organisation (`OrdererMSP`, `orderer.example.com` on the base port), as in
 * fabric-samples' test-network, and the members run peers only.
 */
export interface TopologyOptions {
  readonly orgs: number;
  readonly ordererOrg: boolean;
}

export const DEFAULT_TOPOLOGY: TopologyOptions = { orgs: ORG_COUNT, ordererOrg: false };

/** Why a topology cannot be run, or undefined. */
export function topologyProblem(t: TopologyOptions): string | undefined {
  if (!Number.isInteger(t.orgs) || t.orgs < 1 || t.orgs > ORG_COUNT) return `orgs must be an integer from 1 to ${ORG_COUNT}, got ${String(t.orgs)}`;
  return undefined;
}

export interface OrgTopology {
  /** `both`: a member with a peer and an orderer; `application`: peer only; `orderer`: the ordering organisation. */
  role: 'both' | 'application' | 'orderer';
  index: number;
  mspId: string;
  domain: string;
  peerName: string;
  ordererName: string;
  peerHost: string;
  ordererHost: string;
  peerPort: number;
  ordererPort: number;
}

export function orgTopology(basePort: number, options: TopologyOptions = DEFAULT_TOPOLOGY): OrgTopology[] {
  const members = Array.from({ length: options.orgs }, (_, i): OrgTopology => {
    const domain = `org${i + 1}.example.com`;
    return {
      role: options.ordererOrg ? 'application' : 'both',
      index: i,
      mspId: `Org${i + 1}MSP`,
      domain,
      peerName: 'peer0',
      ordererName: 'orderer0',
      peerHost: `peer0.${domain}`,
      ordererHost: `orderer0.${domain}`,
      peerPort: basePort + 1 + i * 2000,
      ordererPort: basePort + i * 1000,
    };
  });
  if (!options.ordererOrg) return members;
  const ordererOrg: OrgTopology = {
    role: 'orderer',
    index: options.orgs,
    mspId: 'OrdererMSP',
    domain: 'example.com',
    peerName: 'peer0',
    ordererName: 'orderer',
    peerHost: 'peer0.example.com',
    ordererHost: 'orderer.example.com',
    peerPort: 0,
    ordererPort: basePort,
  };
  return [...members, ordererOrg];
}

export const runsPeer = (o: OrgTopology): boolean => o.role !== 'orderer';
export const runsOrderer = (o: OrgTopology): boolean => o.role !== 'application';

export function adminPort(basePort: number): number {
  return basePort + 9;
}

/** Ports the devnet binds, for a clear "port in use" error before anything starts. */
export function allPorts(basePort: number, options: TopologyOptions = DEFAULT_TOPOLOGY): number[] {
  const orgs = orgTopology(basePort, options);
  return [...orgs.filter(runsOrderer).map((o) => o.ordererPort), ...orgs.filter(runsPeer).map((o) => o.peerPort), adminPort(basePort)];
}
