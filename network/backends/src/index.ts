/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * network-backends: one way to start a local Fabric network, whichever backend runs it, for the
 * end-to-end tests, the benchmarks and `mgmt consortium`. See README.md.
 */
import { startDevnet } from './devnet';
import { startNative } from './native';
import type { RunningNetwork, StartNetworkOptions } from './types';

export { NetworkBackendError } from './types';
export type { BackendName, DeployResult, NetworkBackendErrorCode, RunningNetwork, StartNetworkOptions, StopOptions } from './types';
export { deployToDevnet, runningDevnetPid } from './devnet';
export { readConnection } from './connection';
export { DEVNET_CLI, NATIVE_SCRIPT, REPO_ROOT } from './paths';

/**
 * Starts a network and resolves once it serves (its connection file is written).
 *
 * @example
 * const net = await startNetwork({ backend: 'devnet', basePort: 21125 });
 * await net.deploy('test/fixtures/assets-chaincode', 'primary', 'assets');
 * await net.stop();
 * @throws {@link NetworkBackendError} with a code per failed step and the tail of the network's output.
 */
export function startNetwork(options: Readonly<StartNetworkOptions>): Promise<RunningNetwork> {
  switch (options.backend) {
    case 'devnet':
      return startDevnet(options);
    case 'native':
      return startNative(options);
    default:
      return Promise.reject(new Error(`backend must be devnet or native, not '${String(options.backend)}'`));
  }
}
