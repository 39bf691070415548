/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `MgmtLedger` over fabric-gateway, under the name the consortium runner and the end-to-end
 * tests know: the orchestrator's one client of the management contract (../mgmtClient), built
 * from the member's gateway network of the management channel.
 *
 * @example
 * const ledger = new FabricMgmtLedger({ network: gateway.getNetwork('mgmt') });
 * const round = await ledger.getRound();
 */
import type { MgmtClientOptions } from '../mgmtClient/client';

export { decodeEvent, MgmtClient as FabricMgmtLedger } from '../mgmtClient/client';

/** Options of {@link FabricMgmtLedger}: the member's network of the management channel, and the chaincode's name (`mgmt` by default). */
export type FabricMgmtLedgerOptions = MgmtClientOptions;
