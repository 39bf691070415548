/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Where things are in the source checkout this package is part of.
 */
import * as path from 'node:path';

/** The repository root (this package lives in <root>/network/backends). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** The devnet's command line, from its workspace package. */
export const DEVNET_CLI = path.join(path.dirname(require.resolve('fabric-devnet/package.json')), 'dist', 'cli.js');
/** The native backend's command line. */
export const NATIVE_SCRIPT = path.join(REPO_ROOT, 'network', 'native', 'network.sh');
