/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What each config update of `primary` changed, and whether the management chain allowed it: the
 * difference from the previous config leaf by leaf (fabric-config's diffConfigs, under the paths
 * configtx.yaml spells), each leaf governed when the configuration of the governing CB names it,
 * a linked block checked to run its CB's configuration, and an unlinked change of a governed
 * leaf a fault. Pure: the configs come decoded from the evidence, the CBs verified.
 */
import type { common } from '@hyperledger/fabric-protos';
import { channelModelDifferences, diffConfigs, modelLeaves } from 'fabric-config/configtx';
import type { ChannelModel, ConfigChange as ChannelConfigChange, DiffValue, ModelLeaf } from 'fabric-config/configtx';
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import { channelModelOfCb, consensusTypeOf } from '../primary/cbModel';
import { PrimaryError } from '../primary/errors';
import type { AuditFault, PrimaryChange, PrimaryConfigRecord } from './types';

/** The config path of BatchTimeout, as diffConfigs and modelLeaves name it. */
export const BATCH_TIMEOUT_PATH = 'Channel/Orderer/BatchTimeout';
/** The config path of BatchSize.MaxMessageCount. */
export const MAX_MESSAGE_COUNT_PATH = 'Channel/Orderer/BatchSize/MaxMessageCount';

/** One primary config block as the governance check sees it. */
export interface GovernanceInput {
  readonly record: PrimaryConfigRecord;
  /** The block's config from its signed bytes; undefined when the evidence has none (version 1) or they do not decode. */
  readonly config: common.Config | undefined;
  /**
   * The verified CB the block's link names with its hash; undefined when the block has no link
   * or its link does not hold (then the link check has its own fault).
   */
  readonly linkedCb: ConfigBlock | undefined;
}

/** What {@link governPrimaryConfigs} found for one block. */
export interface BlockGovernance {
  readonly changes: PrimaryChange[];
  /** Height of the CB whose configuration decided what is governed; null when there is none. */
  readonly governedBy: number | null;
  /** False when the changes come from the records' batch values alone. */
  readonly changesComplete: boolean;
  /** `AUDIT_BATCH_MISMATCH` or `AUDIT_UNLINKED_GOVERNED_CHANGE`, at this block. */
  readonly faults: AuditFault[];
  /** What could not be established for this block, in words. */
  readonly notices: string[];
}

/** A governed value the block does not have: its path, the CB's value and the block's (absent when the block has none). */
interface Departure {
  readonly path: string;
  readonly want: ModelLeaf['value'];
  readonly have?: ModelLeaf['value'];
}

type Governing = { readonly cb: ConfigBlock; readonly model: ChannelModel } | { readonly cb: ConfigBlock; readonly problem: string };

function governingOf(cb: ConfigBlock | undefined, consensusType: string): Governing | undefined {
  if (cb === undefined) return undefined;
  try {
    return { cb, model: channelModelOfCb(cb.config, consensusType) };
  } catch (err) {
    if (!(err instanceof PrimaryError)) throw err;
    return { cb, problem: err.message };
  }
}

/**
 * A value in one line: strings as they are (`""` when empty), anything else as JSON. With `max`,
 * compact: hashes of certificates and undecodable values (`sha256:<64 hex>`) cut to 12 digits and
 * the whole to `max` characters, so that a certificate list or a consenter set stays one readable
 * cell; without, whole.
 *
 * @param value - a diff or model value; undefined prints as `(none)`.
 * @param max - the most characters, for a compact text.
 * @returns the text.
 */
export function valueText(value: DiffValue | ModelLeaf['value'] | undefined, max?: number): string {
  if (value === undefined) return '(none)';
  const text = typeof value === 'string' ? (value === '' ? '""' : value) : JSON.stringify(value);
  if (max === undefined) return text;
  const short = text.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, 'sha256:$1…');
  return short.length > max ? `${short.slice(0, Math.max(0, max - 1))}…` : short;
}

/** `before → after` of a change, each value compact within `max` characters when given (see {@link valueText}). */
export function changeText(change: Pick<PrimaryChange, 'before' | 'after'>, max?: number): string {
  return `${valueText(change.before, max)} → ${valueText(change.after, max)}`;
}

/** The leaves a record states (its batch values), under the paths diffConfigs gives them. */
function recordLeaves(record: PrimaryConfigRecord): [string, DiffValue][] {
  return [
    [BATCH_TIMEOUT_PATH, record.batchTimeout],
    [MAX_MESSAGE_COUNT_PATH, record.maxMessageCount],
  ];
}

/** The changes between two records' batch values: all a version 1 export can show. */
function recordChanges(before: PrimaryConfigRecord, after: PrimaryConfigRecord): ChannelConfigChange[] {
  const old = new Map(recordLeaves(before));
  return recordLeaves(after)
    .filter(([path, value]) => old.get(path) !== value)
    .map(([path, value]) => ({ path, kind: 'modified', before: old.get(path) as DiffValue, after: value }));
}

/** Where a record's batch values depart from a model, and the model's paths a record cannot show. */
function recordDepartures(model: ChannelModel, record: PrimaryConfigRecord): { departures: Departure[]; unchecked: string[] } {
  const have = new Map<string, ModelLeaf['value']>([
    [BATCH_TIMEOUT_PATH, record.batchTimeoutMs],
    [MAX_MESSAGE_COUNT_PATH, record.maxMessageCount],
  ]);
  const departures: Departure[] = [];
  const unchecked: string[] = [];
  for (const leaf of modelLeaves(model)) {
    const actual = have.get(leaf.path);
    if (actual === undefined) unchecked.push(leaf.path);
    else if (actual !== leaf.value) departures.push({ path: leaf.path, want: leaf.value, have: actual });
  }
  return { departures, unchecked };
}

/** Where a config departs from a model; a config this reader cannot read as a model is a reason, not an exception. */
function configDepartures(model: ChannelModel, config: common.Config): Departure[] | string {
  try {
    return channelModelDifferences(model, config).map((d) => ({ path: d.path, want: d.want, ...(d.have === undefined ? {} : { have: d.have }) }));
  } catch (err) {
    // An orderer-signed config can still hold a value this reader does not decode (consensus metadata, durations).
    return messageOf(err);
  }
}

function signersText(signers: readonly string[]): string {
  return signers.length === 0 ? 'with no signatures recorded' : `signed by ${signers.join(', ')}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The faults of a linked block: it must run the linked CB's configuration. */
function linkedFaults(record: PrimaryConfigRecord, config: common.Config | undefined, governing: Governing, notices: string[]): AuditFault[] {
  const { height } = governing.cb;
  const at = { height, primaryBlock: record.number };
  if ('problem' in governing) {
    return [{ code: 'AUDIT_BATCH_MISMATCH', ...at, reason: `CB ${height}'s configuration cannot be put in force: ${governing.problem}` }];
  }
  let departures: Departure[];
  if (config === undefined) {
    const partial = recordDepartures(governing.model, record);
    departures = partial.departures;
    if (partial.unchecked.length > 0) {
      notices.push(`primary config block ${record.number}: without its config, ${partial.unchecked.join(', ')} of CB ${height}'s configuration could not be checked`);
    }
  } else {
    const found = configDepartures(governing.model, config);
    if (typeof found === 'string') return [{ code: 'AUDIT_BATCH_MISMATCH', ...at, reason: `the config cannot be read as a channel model: ${found}` }];
    departures = found;
  }
  if (departures.length === 0) return [];
  const each = departures.map((d) => `${d.path} is ${valueText(d.have, 200)}, CB ${height} wants ${valueText(d.want, 200)}`);
  return [
    {
      code: 'AUDIT_BATCH_MISMATCH',
      ...at,
      reason: `the config does not run CB ${height}'s configuration at ${plural(departures.length, 'governed path')}: ${each.join('; ')}`,
      paths: departures.map((d) => d.path),
    },
  ];
}

/**
 * The changes of every primary config block, which of them are governed, and the faults:
 *
 * - changes: for each block after the first, every leaf of its config that differs from the
 *   previous block's (`diffConfigs`); without both configs (a version 1 export, a block that does
 *   not decode), only the records' BatchTimeout and MaxMessageCount, and `changesComplete` is false;
 * - the governing CB: the one the block links (when the link holds), else the one the channel was
 *   last linked to before it, CB 0 before any link; its configuration, as `channelModelOfCb` reads
 *   it for the block's consensus type, decides: a change is governed when the model names its path
 *   (`modelLeaves`), so for the two values of older chains BatchTimeout and MaxMessageCount only;
 * - a linked block must run its CB's model (`channelModelDifferences` empty), else
 *   `AUDIT_BATCH_MISMATCH` naming each path with the CB's value and the block's; its changes at
 *   paths the model does not name are listed, not faults;
 * - an unlinked block (no link, not a malformed one) that changes a governed path is
 *   `AUDIT_UNLINKED_GOVERNED_CHANGE`, naming the paths and the update's signers; changes of
 *   ungoverned paths alone are listed, not faults.
 *
 * @param blocks - the primary config blocks, by ascending block number.
 * @param genesis - the verified management genesis CB (height 0), undefined when it did not verify.
 * @returns one result per block, in order.
 * @throws nothing for faulty evidence.
 */
export function governPrimaryConfigs(blocks: readonly GovernanceInput[], genesis: ConfigBlock | undefined): BlockGovernance[] {
  let inForce = genesis;
  return blocks.map((block, i): BlockGovernance => {
    const { record, config, linkedCb } = block;
    const previous = i === 0 ? undefined : blocks[i - 1];
    const governing = governingOf(linkedCb ?? inForce, config === undefined ? '' : consensusTypeOf(config));
    const notices: string[] = [];
    let governed = new Set<string>();
    if (governing !== undefined && 'model' in governing) governed = new Set(modelLeaves(governing.model).map((l) => l.path));
    else if (governing !== undefined && linkedCb === undefined) {
      notices.push(`primary config block ${record.number}: CB ${governing.cb.height}'s configuration is not one this audit reads (${governing.problem}): its changes are not classified`);
    }
    const complete = previous === undefined || (config !== undefined && previous.config !== undefined);
    let raw: ChannelConfigChange[] = [];
    if (previous !== undefined) raw = complete ? diffConfigs(previous.config as common.Config, config as common.Config) : recordChanges(previous.record, record);
    const changes = raw.map((c): PrimaryChange => ({ ...c, governed: governed.has(c.path) }));
    const faults: AuditFault[] = [];
    if (linkedCb !== undefined && governing !== undefined) {
      faults.push(...linkedFaults(record, config, governing, notices));
      inForce = linkedCb;
    } else if (record.link === null && record.linkError === undefined) {
      const touched = changes.filter((c) => c.governed);
      if (touched.length > 0) {
        faults.push({
          code: 'AUDIT_UNLINKED_GOVERNED_CHANGE',
          primaryBlock: record.number,
          reason:
            `an update without a management link, ${signersText(record.signers)}, changed ${plural(touched.length, 'path')} ` +
            `that CB ${governing?.cb.height ?? '-'}'s configuration governs: ${touched.map((c) => `${c.path} ${changeText(c, 200)}`).join('; ')}`,
          paths: touched.map((c) => c.path),
        });
      }
    }
    return { changes, governedBy: governing?.cb.height ?? null, changesComplete: complete, faults, notices };
  });
}
