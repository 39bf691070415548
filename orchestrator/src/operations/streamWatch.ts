/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Whether a management node's chaincode-event stream is live, seen from outside the node: its
 * ledger is wrapped so that opening the stream, and the stream failing or ending, are noted.
 * (The node reopens the stream itself, through the same ledger, with backoff.)
 */
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import type { EventStream, EventStreamOptions, MgmtEvent, MgmtLedger } from '../managementNode/ledger';

/** The stream's state as last seen. */
export type StreamState =
  | { readonly connected: true; readonly sinceMs: number }
  | { readonly connected: false; readonly sinceMs: number; readonly reason: string };

/** A ledger whose event stream is watched. */
export interface WatchedLedger {
  /** Give this one to the node. */
  readonly ledger: MgmtLedger;
  state(): StreamState;
}

/**
 * Wraps `ledger` so that its event stream's state can be read: connected once a stream opened,
 * down (with why) once opening failed or the open stream failed or ended.
 */
export function watchEventStream(ledger: MgmtLedger, clock: () => number = Date.now): WatchedLedger {
  let state: StreamState = { connected: false, sinceMs: clock(), reason: 'the event stream has not been opened yet' };
  let current = 0;
  const down = (reason: string): void => {
    if (state.connected || state.reason !== reason) state = { connected: false, sinceMs: clock(), reason };
  };
  const watched = (stream: EventStream<MgmtEvent>, id: number): EventStream<MgmtEvent> => ({
    close: () => {
      if (id === current) down('the event stream was closed');
      stream.close();
    },
    async *[Symbol.asyncIterator]() {
      try {
        for await (const event of stream) yield event;
        if (id === current) down('the event stream ended');
      } catch (err) {
        if (id === current) down(`the event stream failed: ${messageOf(err)}`);
        throw err;
      }
    },
  });
  const events = async (options?: EventStreamOptions): Promise<EventStream<MgmtEvent>> => {
    const id = ++current;
    try {
      const stream = await ledger.events(options);
      state = { connected: true, sinceMs: clock() };
      return watched(stream, id);
    } catch (err) {
      down(`the event stream cannot be opened: ${messageOf(err)}`);
      throw err;
    }
  };
  return {
    ledger: {
      getRound: () => ledger.getRound(),
      getParams: () => ledger.getParams(),
      getLatest: () => ledger.getLatest(),
      getBlocks: (from, to) => ledger.getBlocks(from, to),
      initLedger: (paramsJson) => ledger.initLedger(paramsJson),
      propose: (config) => ledger.propose(config),
      proposeParams: (config, params) => ledger.proposeParams(config, params),
      vote: (proposalId, approve, signature, reason) => ledger.vote(proposalId, approve, signature, reason),
      tally: (proposalId) => ledger.tally(proposalId),
      events,
    },
    state: () => state,
  };
}
