/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The network an end-to-end test runs against, from the repository's network backend
 * (network/backends): FABRIC_BACKEND picks it, `devnet` (default) or `native` (real Fabric
 * binaries from FABRIC_BIN or PATH; fails loudly, never skips, when they are absent). Each test
 * file gets a private data folder and port grid, and always stops its network.
 */
import { startNetwork as startBackend } from '../../network/backends/src';
import type { BackendName, RunningNetwork } from '../../network/backends/src';

export { REPO_ROOT } from '../../network/backends/src';

/** A test's network: `stop()` also removes its data folder. */
export type TestNetwork = RunningNetwork;

export function backend(): BackendName {
  const b = process.env.FABRIC_BACKEND ?? 'devnet';
  if (b !== 'devnet' && b !== 'native') throw new Error(`FABRIC_BACKEND must be devnet or native, not '${b}'`);
  return b;
}

export function startNetwork(options: { basePort: number; batchTimeout?: string; orgs?: number; ordererOrg?: boolean; chaincodePerOrg?: boolean }): Promise<TestNetwork> {
  return startBackend({ backend: backend(), ...options });
}

/*
 * Port grids of the end-to-end suites (base..base+6001, see network/devnet/src/topology.ts), all
 * below Linux's ephemeral range (32768+) so that no outgoing connection or chaincode port can take
 * one. Grids ending in 50 with distinct hundreds never share a port (benchmarks use bases ending
 * in 25, which never meet those either):
 *   19650 observer, 19750 primaryReconfiguration, 19950 managementNodes, 20050 devnet, 20150 devnetFaults,
 *   20250 devnetFaults (its crash-recovery devnet), 20350 channelConfig, 20450 mgmtChaincode, 20550 audit, 20650 consortiumRestart,
 *   20750 devnetGovernance, 20850 governance, 20950 devnetSystemChaincodes, 21050 membership,
 *   21150 dashboard, 21250 connect, 21350 operationsEndpoint, 21450 signer, 21550 devnetAddPeer (its new peer 29551),
 *   21650 membershipScenario (its new peer 29651), 21750 devnetLifecycle, 21850 devnetDiscovery, 22050 ownFolders,
 *   22250 devnetPrivateData, 22350 devnetGrpcFidelity (native side 22450), 22650 memberKits (native only; its nodes' operations ports 22751-22754),
 *   22850 devnetRealPeer (its real Fabric peer 22950-22952), 23050 devnetPerOrg.
 */
