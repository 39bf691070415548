/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The management chaincode as the management node (and the CLI, and the consortium's genesis)
 * sees it: typed transactions and decoded events. `MgmtClient` (../mgmtClient) is the Fabric
 * implementation; tests use a fake. Every method rejects with a `LedgerCallError` subclass.
 */
import type { ConfigBlock, GenesisParams, JsonObject, Proposal, Round, Vote } from 'mgmt-chaincode/dist/protocol';
import type { EventStream, EventStreamOptions, MgmtEvent, TallyResult } from '../mgmtClient/client';

export { fetchBlocks } from '../mgmtClient/client';
export type { DecodedEvent, EventStream, EventStreamOptions, MgmtEvent, TallyResult } from '../mgmtClient/client';

/** The management chaincode's transactions the node uses, typed. */
export interface MgmtLedger {
  /** `GetRound`. @throws {@link LedgerCallError} */
  getRound(): Promise<Round>;
  /** `GetParams`. @throws {@link LedgerCallError} (refusal `MGMT_NOT_INITIALISED` before genesis) */
  getParams(): Promise<GenesisParams>;
  /** `GetLatest`. @throws {@link LedgerCallError} (refusal `MGMT_NOT_INITIALISED` before genesis) */
  getLatest(): Promise<ConfigBlock>;
  /** `GetBlocks(from, to)`: at most 100 blocks. @throws {@link LedgerCallError} */
  getBlocks(from: number, to: number): Promise<ConfigBlock[]>;
  /** `InitLedger(paramsJson)`. @throws {@link LedgerCallError} */
  initLedger(paramsJson: string): Promise<Proposal>;
  /** `Propose(configJson)`. @throws {@link LedgerCallError} */
  propose(config: JsonObject): Promise<Proposal>;
  /** `ProposeParams(configJson, paramsJson)`: a CB that also changes the params. @throws {@link LedgerCallError} */
  proposeParams(config: JsonObject, params: GenesisParams): Promise<Proposal>;
  /** `Vote(proposalId, approve, signature, reason)`. @throws {@link LedgerCallError} */
  vote(proposalId: string, approve: boolean, signature: string, reason: string): Promise<Vote>;
  /** `Tally(proposalId)`. @throws {@link LedgerCallError} */
  tally(proposalId: string): Promise<TallyResult>;
  /** The contract's chaincode events (one stream; the node follows them with `MgmtEventFollower`). @throws {@link LedgerCallError} (also from the iterator) */
  events(options?: EventStreamOptions): Promise<EventStream<MgmtEvent>>;
}
