/*
 * SPDX-License-Identifier: Apache-2.0
 */

import type { Context } from 'fabric-contract-api';

import { EVENTS } from '../protocol';
import type { EventName } from '../protocol';

/** Fabric keeps only the last event a transaction sets, so each transaction emits at most one. */
export function emit(ctx: Context, name: EventName, payload: unknown): void {
  ctx.stub.setEvent(EVENTS[name], Buffer.from(JSON.stringify(payload), 'utf8'));
}
