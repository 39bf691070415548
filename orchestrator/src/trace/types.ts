/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The trace format (`--trace <file>` of `mgmt node` and `mgmt consortium`): one JSON object per
 * line, appended as things happen, read back by `mgmt trace`.
 */
import type { NodeEventType, NodeStep, StepFields } from '../managementNode/events';

export type { StepFields } from '../managementNode/events';

/**
 * A management transaction through the member's gateway, from the call to the commit status:
 * `txStarted` (the proposal is built: the gateway's submit begins), `txEndorsed`, `txSubmitted`
 * (the orderer accepted it), `txCommitted` (the member's peer committed it valid) or `txFailed`.
 */
export type TxStep = 'txStarted' | 'txEndorsed' | 'txSubmitted' | 'txCommitted' | 'txFailed';

/**
 * The member's primary side: its observer `verified` (or `rejected`) a CB, its adapter shared its
 * admin's update signature (`signatureShared`, committed on the management chain) and broadcast
 * the update (`updateSubmitted` when the orderer took it, else `updateNotAccepted`), its runtime
 * `switched` H_cc and saw the CB's config block committed on `primary` (`applied`), or `applyFailed`.
 */
export type PrimaryStep = 'verified' | 'rejected' | 'signatureShared' | 'updateSubmitted' | 'updateNotAccepted' | 'switched' | 'applied' | 'applyFailed';

/** Every step a trace line can name. */
export type TraceStep = NodeEventType | NodeStep | TxStep | PrimaryStep;

/** Records one step of one member as it happens; must return at once and never throw. */
export type Tracer = (step: TraceStep, fields: StepFields) => void;

/** One line of a trace file. */
export interface TraceLine extends StepFields {
  /** When it was recorded, epoch ms with a fractional part. */
  readonly t: number;
  /** The member whose node, observer or primary runtime recorded it. */
  readonly member: string;
  readonly step: string;
}
