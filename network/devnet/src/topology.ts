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

export interface OrgTopology {
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

export function orgTopology(basePort: number): OrgTopology[] {
  return Array.from({ length: ORG_COUNT }, (_, i) => {
    const domain = `org${i + 1}.example.com`;
    return {
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
}

export function adminPort(basePort: number): number {
  return basePort + 9;
}

/** Ports the devnet binds, for a clear "port in use" error before anything starts. */
export function allPorts(basePort: number): number[] {
  return [...orgTopology(basePort).flatMap((o) => [o.ordererPort, o.peerPort]), adminPort(basePort)];
}
