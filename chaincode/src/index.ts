/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { MgmtContract } from './mgmtContract';

export { MgmtContract } from './mgmtContract';

/** The contracts fabric-chaincode-node registers; the first is the default. */
export const contracts: (typeof MgmtContract)[] = [MgmtContract];
