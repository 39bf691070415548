/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Traces a member's primary side from the events its parts already emit: the observer's
 * verification, the adapter's shared signature and broadcast update, the runtime's switch and
 * the CB in force on `primary`.
 */
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import type { MemberPrimary } from '../member/memberPrimary';
import type { ObserverEvents } from '../observer/observer';
import type { FabricPrimaryAdapterEvents } from '../primary/fabricAdapter';
import type { PrimaryRuntimeEvents } from '../primary/runtime';
import type { Tracer } from './types';

/**
 * Records the steps of `primary` with `tracer` until the returned function is called.
 *
 * @example
 * const primary = await startMemberPrimary({ ... });
 * const untrace = tracePrimary(primary, writer.tracerFor('Org1MSP'));
 */
export function tracePrimary(primary: Pick<MemberPrimary, 'observer' | 'adapter' | 'runtime'>, tracer: Tracer): () => void {
  const { observer, adapter, runtime } = primary;
  const listeners = {
    verified: ({ block, receipt }: ObserverEvents['verified'][0]): void => {
      tracer('verified', { height: block.height, cycle: block.cycle, proposalId: block.hash, at: receipt.receivedAtMs, detail: receipt.source });
    },
    rejected: (r: ObserverEvents['rejected'][0]): void => {
      tracer('rejected', { height: r.height, proposalId: r.hash, detail: `${r.code}: ${r.reason}` });
    },
    shared: (s: FabricPrimaryAdapterEvents['shared'][0]): void => {
      tracer('signatureShared', { height: s.height, detail: `sequence ${s.sequence}` });
    },
    submitted: (s: FabricPrimaryAdapterEvents['submitted'][0]): void => {
      const signed = `signed by ${s.signers.join(', ')}`;
      if (s.status === 'SUCCESS') tracer('updateSubmitted', { height: s.height, detail: `sequence ${s.sequence}, ${signed}` });
      else tracer('updateNotAccepted', { height: s.height, detail: `${s.status}${s.info === '' ? '' : ` (${s.info})`}, ${signed}` });
    },
    switched: (s: PrimaryRuntimeEvents['switched'][0]): void => {
      tracer('switched', { height: s.to, detail: `from ${s.from}` });
    },
    applied: (a: PrimaryRuntimeEvents['applied'][0]): void => {
      tracer('applied', { height: a.height, detail: `${a.result.outcome}${a.result.submitted ? ', submitted here' : ''}` });
    },
    applyFailed: (f: PrimaryRuntimeEvents['applyFailed'][0]): void => {
      tracer('applyFailed', { height: f.height, detail: messageOf(f.error) });
    },
  };
  observer.on('verified', listeners.verified);
  observer.on('rejected', listeners.rejected);
  adapter.on('shared', listeners.shared);
  adapter.on('submitted', listeners.submitted);
  runtime.on('switched', listeners.switched);
  runtime.on('applied', listeners.applied);
  runtime.on('applyFailed', listeners.applyFailed);
  return () => {
    observer.off('verified', listeners.verified);
    observer.off('rejected', listeners.rejected);
    adapter.off('shared', listeners.shared);
    adapter.off('submitted', listeners.submitted);
    runtime.off('switched', listeners.switched);
    runtime.off('applied', listeners.applied);
    runtime.off('applyFailed', listeners.applyFailed);
  };
}
