/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Human output: tables and one-line renderings of rounds, blocks and node events.
 */
import type { ConfigBlock, Round } from 'mgmt-chaincode/dist/protocol';
import { abbreviatePems } from '../consortium/display';
import type { NodeEvent } from '../managementNode/events';

const short = (hash: string): string => (hash === '' ? '-' : `${hash.slice(0, 16)}…`);
const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 23);

/** Two aligned columns. */
export function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
}

/** `GetRound` as a table. */
export function roundTable(r: Round): string[] {
  const rows: [string, string][] = [
    ['now', r.now],
    ['next height', String(r.nextHeight)],
    ['latest hash', short(r.latestHash)],
  ];
  if (r.phase === 'genesis') rows.push(['phase', 'genesis (not sealed yet)']);
  else if (r.phase === 'waiting') rows.push(['phase', `waiting: round ${String(r.round)} opens at ${String(r.opensAt)}`]);
  else {
    rows.push(['phase', `cycle ${String(r.cycle)} of round ${String(r.round)} (opened ${String(r.opensAt)})`]);
    rows.push(['cycle window', `${String(r.cycleStartsAt)} .. ${String(r.cycleEndsAt)}`]);
    rows.push(['proposer', String(r.expectedProposer)]);
  }
  const p = r.proposal;
  if (p === null) rows.push(['proposal', '-']);
  else {
    rows.push(['proposal', `${p.id} (${p.status}${p.failure === undefined ? '' : `: ${p.failure}`})`]);
    rows.push(['  by', `${p.header.proposer}, height ${p.header.height}, cycle ${p.header.cycle}, at ${p.header.timestamp}`]);
    rows.push(['  config', JSON.stringify(p.header.config)]);
    rows.push(['  cycle ends', p.cycleEndsAt]);
  }
  rows.push(['votes', r.votes.length === 0 ? '-' : r.votes.map((v) => `${v.approve ? '✔' : '✖'} ${v.mspId}${v.reason === '' ? '' : ` (${v.reason})`}`).join(', ')]);
  if (r.outcome !== null) {
    const t = r.outcome.tally;
    const verdict = r.outcome.verdict === 'failed' ? `failed (${r.outcome.reason})` : r.outcome.verdict;
    const hint = r.outcome.verdict === 'sealed' && p?.status === 'open' ? ': a quorum exists, submit `mgmt tally`' : '';
    rows.push(['outcome', `${verdict}, ${t.approvals} approvals, ${t.rejections} rejections of ${t.n} (quorum ${t.quorum})${hint}`]);
  }
  return table(rows);
}

/** One line per block, for `mgmt blocks`. */
export function blockLine(b: ConfigBlock): string {
  return `#${b.height}  ${short(b.hash)}  ${b.timestamp}  ${b.proposer}  cycle ${b.cycle}  ${b.proof.length} approvals  ${JSON.stringify(b.config)}`;
}

/** A block in detail, for `mgmt latest`. */
export function blockTable(b: ConfigBlock): string[] {
  const rows: [string, string][] = [
    ['height', String(b.height)],
    ['hash', b.hash],
    ['prev hash', b.prevHash === '' ? '-' : b.prevHash],
    ['proposer', b.proposer],
    ['cycle', String(b.cycle)],
    ['timestamp', b.timestamp],
    ['config', JSON.stringify(b.config)],
    ['approvals', b.proof.map((p) => p.mspId).join(', ')],
  ];
  if (b.params !== undefined) {
    rows.push(['members', b.params.members.map((m) => m.mspId).join(', ')]);
    rows.push(['timing', `CBI ${b.params.cbiSeconds} s, cycle ${b.params.cycleTimeoutSeconds} s, clock tolerance ${b.params.clockToleranceSeconds} s`]);
  }
  return table(rows);
}

/** One progress line of a node event, for `mgmt node`. */
export function formatNodeEvent(e: NodeEvent): string {
  const at = `${clock(e.atMs)} ${e.mspId}`;
  switch (e.type) {
    case 'started':
      return `${at} started: next height ${e.nextHeight}, ${e.phase}`;
    case 'roundOpened':
      return `${at} round ${e.round} for CB #${e.height} opened at ${clock(e.opensAtMs)}`;
    case 'cycleStarted':
      return `${at} cycle ${e.cycle} of CB #${e.height}: proposer ${e.proposer}, until ${clock(e.endsAtMs)}`;
    case 'proposed':
      return `${at} ${e.proposer} proposed ${JSON.stringify(abbreviatePems(e.config))} for CB #${e.height} (cycle ${e.cycle}, ${short(e.proposalId)})`;
    case 'voteCast':
      return `${at} vote ${e.approve ? '✔' : '✖'} ${e.voter} on ${short(e.proposalId)}`;
    case 'voted':
      return `${at} voted ${e.approve ? 'approve' : 'reject'} on ${short(e.proposalId)}: ${e.reason}`;
    case 'committed': {
      const delay = e.agreementDelayMs === undefined ? '' : `, agreement ${(e.agreementDelayMs / 1000).toFixed(2)} s`;
      return `${at} CB #${e.block.height} committed: ${short(e.block.hash)}, proposer ${e.block.proposer}, cycle ${e.block.cycle}, ${e.block.proof.length} approvals${delay}${e.late ? ' (caught up)' : ''}`;
    }
    case 'cycleFailed':
      return `${at} cycle ${e.cycle} of CB #${e.height} failed: ${e.reason}`;
    case 'tallied':
      return `${at} tallied ${short(e.proposalId)}: ${e.outcome}`;
    case 'refused':
      return `${at} ✖ ${e.action} refused: ${e.message}`;
    case 'twinFailed':
      return `${at} ✖ twin could not ${e.action}: ${e.message}`;
    case 'disconnected':
      return `${at} peer unavailable (attempt ${e.attempt}), retrying in ${e.retryInMs} ms: ${e.message}`;
    case 'reconnected':
      return `${at} peer available again after ${(e.downMs / 1000).toFixed(1)} s`;
    case 'warning':
      return `${at} ! ${e.message}`;
    case 'stopped':
      return `${at} stopped`;
  }
}
