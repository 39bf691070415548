/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * An installation without the network backend (an operator's, against native Fabric) must fail
 * with a clear error only when the consortium has to start a devnet.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { NetworkStartError, startDevnet } from './devnetProcess';

jest.mock('network-backends', () => {
  throw new Error("Cannot find module 'network-backends'");
});

describe('startDevnet without the network-backends package', () => {
  it('fails with a NetworkStartError that says to use a source checkout or --connection', async () => {
    const failure = startDevnet({ dataDir: '/nonexistent/devnet' });
    await expect(failure).rejects.toBeInstanceOf(NetworkStartError);
    await expect(failure).rejects.toMatchObject({ code: 'DEVNET_MISSING', message: expect.stringMatching(/source checkout.*--connection/) });
  });
});
