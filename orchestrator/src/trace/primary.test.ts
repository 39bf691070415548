/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { MemberPrimary } from '../member/memberPrimary';
import { tracePrimary } from './primary';
import type { StepFields, TraceStep } from './types';

describe('tracePrimary', () => {
  it('records the observer, adapter and runtime events as steps until detached', () => {
    const observer = new EventEmitter();
    const adapter = new EventEmitter();
    const runtime = new EventEmitter();
    const steps: [TraceStep, StepFields][] = [];
    const detach = tracePrimary({ observer, adapter, runtime } as unknown as Pick<MemberPrimary, 'observer' | 'adapter' | 'runtime'>, (step, fields) => steps.push([step, fields]));
    observer.emit('verified', { block: { height: 3, cycle: 0, hash: 'h3' }, receipt: { receivedAtMs: 100, source: 'event' } });
    adapter.emit('shared', { height: 3, sequence: 9, updateSha256: 'u' });
    adapter.emit('submitted', { height: 3, sequence: 9, status: 'BAD_REQUEST', info: 'stale', signers: ['Org1MSP'] });
    adapter.emit('submitted', { height: 3, sequence: 9, status: 'SUCCESS', info: '', signers: ['Org1MSP', 'Org2MSP', 'Org3MSP'] });
    runtime.emit('applied', { height: 3, result: { outcome: 'applied', submitted: true }, switchedAtMs: 1, inForceAtMs: 2 });
    runtime.emit('applyFailed', { height: 4, error: new Error('orderer away'), retryInMs: 500 });
    expect(steps).toEqual([
      ['verified', { height: 3, cycle: 0, proposalId: 'h3', at: 100, detail: 'event' }],
      ['signatureShared', { height: 3, detail: 'sequence 9' }],
      ['updateNotAccepted', { height: 3, detail: 'BAD_REQUEST (stale), signed by Org1MSP' }],
      ['updateSubmitted', { height: 3, detail: 'sequence 9, signed by Org1MSP, Org2MSP, Org3MSP' }],
      ['applied', { height: 3, detail: 'applied, submitted here' }],
      ['applyFailed', { height: 4, detail: 'orderer away' }],
    ]);
    detach();
    observer.emit('verified', { block: { height: 4, cycle: 0, hash: 'h4' }, receipt: { receivedAtMs: 200, source: 'event' } });
    expect(steps).toHaveLength(6);
    for (const emitter of [observer, adapter, runtime]) expect(emitter.eventNames()).toEqual([]);
  });
});
