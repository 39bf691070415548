/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The report of a synthetic trace whose every figure is known: four members, three CBs, every
 * transaction 140-160 ms (p50 150), and the traps a real trace holds (a rejection among the
 * votes, a late commit, a refused update broadcast) placed so that counting them would change
 * the figures.
 */
import { describe, expect, it } from '@jest/globals';
import type { StepFields, TraceLine } from './types';
import { parseTrace } from './read';
import { analyseTrace, renderReport } from './report';

const line = (t: number, member: string, step: string, fields: StepFields = {}): TraceLine => ({ t, member, step, ...fields });

/** One gateway-level transaction: endorsed after 10 ms, at the orderer after 30, committed after `ms`. */
function tx(member: string, name: string, txId: string, start: number, ms: number, fields: StepFields): TraceLine[] {
  const f = { tx: name, txId, ...fields };
  return [line(start, member, 'txStarted', f), line(start + 10, member, 'txEndorsed', f), line(start + 30, member, 'txSubmitted', f), line(start + ms, member, 'txCommitted', f)];
}

/** A CB opened at `open` and committed `agreement` ms later; in force 500 ms after that. */
function cb(height: number, open: number, agreement: number): TraceLine[] {
  const p = `p${height}`;
  const at = (ms: number): number => open + ms;
  const c = open + agreement;
  const ids = { height, cycle: 0, proposalId: p };
  return [
    line(at(5), 'Org1MSP', 'roundOpened', { height, at: open }),
    line(at(30), 'Org2MSP', 'getRound', { height, cycle: 0, detail: 'cycle' }),
    line(at(40), 'Org2MSP', 'proposeSent', { height, cycle: 0 }),
    ...tx('Org2MSP', 'Propose', `${p}-propose`, at(40), 150, ids),
    line(at(190), 'Org2MSP', 'proposeCommitted', ids),
    line(at(195), 'Org1MSP', 'proposed', { ...ids, by: 'Org2MSP' }),
    // A rejection commits first: it must not count towards the quorum of approvals.
    ...tx('Org3MSP', 'Vote', `${p}-v3`, at(180), 150, { proposalId: p }),
    line(at(330), 'Org3MSP', 'voteCommitted', { ...ids, detail: 'reject' }),
    ...tx('Org2MSP', 'Vote', `${p}-v2`, at(190), 150, { proposalId: p }),
    line(at(340), 'Org2MSP', 'voteCommitted', { ...ids, detail: 'approve' }),
    ...tx('Org1MSP', 'Vote', `${p}-v1`, at(210), 140, { proposalId: p }),
    line(at(350), 'Org1MSP', 'voteCommitted', { ...ids, detail: 'approve' }),
    // Org4's vote is seen by Org1's node (its event) before Org4's own commit status returns.
    line(at(400), 'Org1MSP', 'voteCast', { ...ids, by: 'Org4MSP', detail: 'approve' }),
    ...tx('Org4MSP', 'Vote', `${p}-v4`, at(250), 160, { proposalId: p }),
    line(at(410), 'Org4MSP', 'voteCommitted', { ...ids, detail: 'approve' }),
    ...tx('Org2MSP', 'Tally', `${p}-tally`, c - 150, 150, ids),
    // A node that caught the block up after a gap: not a commit time.
    line(at(450), 'Org4MSP', 'committed', { ...ids, by: 'Org2MSP', at: open, detail: 'late' }),
    line(c, 'Org2MSP', 'tallyCommitted', { ...ids, detail: 'sealed' }),
    line(c, 'Org2MSP', 'committed', { ...ids, by: 'Org2MSP', at: open }),
    line(c + 5, 'Org1MSP', 'committed', { ...ids, by: 'Org2MSP', at: open }),
    line(c + 10, 'Org3MSP', 'committed', { ...ids, by: 'Org2MSP', at: open }),
    line(c + 15, 'Org2MSP', 'verified', { ...ids }),
    line(c + 20, 'Org1MSP', 'verified', { ...ids }),
    line(c + 30, 'Org3MSP', 'verified', { ...ids }),
    line(c + 60, 'Org4MSP', 'verified', { ...ids }),
    line(c + 190, 'Org1MSP', 'signatureShared', { height }),
    line(c + 195, 'Org2MSP', 'signatureShared', { height }),
    line(c + 295, 'Org1MSP', 'updateNotAccepted', { height, detail: 'BAD_REQUEST' }),
    line(c + 300, 'Org3MSP', 'updateSubmitted', { height }),
    line(c + 480, 'Org4MSP', 'applied', { height: height - 1, detail: 'superseded' }),
    line(c + 500, 'Org3MSP', 'applied', { height, detail: 'applied, submitted here' }),
    line(c + 505, 'Org1MSP', 'applied', { height, detail: 'applied' }),
  ];
}

const TRACE = [...cb(1, 10_000, 540), ...cb(2, 12_000, 600), ...cb(3, 14_000, 500), line(9_000, 'Org1MSP', 'committed', { height: 0 })].sort((a, b) => a.t - b.t);

describe('analyseTrace', () => {
  const report = analyseTrace({ lines: TRACE, unreadable: 0 });

  it('finds the members, the quorum and the CBs after genesis', () => {
    expect(report.members).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    expect(report.quorum).toBe(3);
    expect(report.cbs.map((c) => c.height)).toEqual([1, 2, 3]);
    expect(report.cbs[0]).toMatchObject({ cycle: 0, proposalId: 'p1', proposer: 'Org2MSP' });
  });

  it('times each milestone of a CB: the first member, or the quorum-th for votes and verification', () => {
    const open = 10_000;
    expect(report.cbs[0].milestones).toEqual({
      opened: open,
      proposalSubmitted: open + 40,
      proposalCommitted: open + 190,
      // Org2 at 340, Org1 at 350, Org4 at 400 (seen through Org1's event); Org3's rejection at 330 does not count.
      votesCommitted: open + 400,
      // The late line at 450 is not a commit.
      cbCommitted: open + 540,
      verified: open + 540 + 30,
      signatureShared: open + 540 + 190,
      // Not the broadcast the orderer refused.
      updateSubmitted: open + 540 + 300,
      // Not Org4's `superseded` of the height before.
      inForce: open + 540 + 500,
    });
    expect(report.cbs[0].steps).toEqual({ propose: 40, proposal: 150, votes: 210, tally: 140, verify: 30, share: 160, collect: 110, apply: 200 });
    expect(report.cbs.map((c) => c.spans)).toEqual([
      { agreement: 540, update: 500, total: 1040 },
      { agreement: 600, update: 500, total: 1100 },
      { agreement: 500, update: 500, total: 1000 },
    ]);
  });

  it('measures the ordering round from the gateway-level transactions, with its parts', () => {
    expect(report.round).toEqual({
      source: 'transactions',
      stat: { count: 18, p50: 150, p95: 160 },
      endorseP50: 10,
      submitP50: 20,
      commitP50: 120,
      byTransaction: { Propose: { count: 3, p50: 150, p95: 150 }, Tally: { count: 3, p50: 150, p95: 150 }, Vote: { count: 12, p50: 150, p95: 160 } },
    });
  });

  it('sets each phase against its floor of ordering rounds', () => {
    expect(report.spans.agreement).toEqual({ stat: { count: 3, p50: 540, p95: 600 }, rounds: 3, floorMs: 450, overheadMs: 90 });
    expect(report.spans.update).toEqual({ stat: { count: 3, p50: 500, p95: 500 }, rounds: 2, floorMs: 300, overheadMs: 200 });
    expect(report.spans.total).toMatchObject({ rounds: 5, floorMs: 750, overheadMs: 1040 - 750 });
    expect(report.steps.votes).toEqual({ stat: { count: 3, p50: 210, p95: 210 }, rounds: 1, floorMs: 150, overheadMs: 60 });
    expect(report.steps.verify).toMatchObject({ rounds: 0, floorMs: 0 });
    expect(report.offsets.cbCommitted).toEqual({ count: 3, p50: 540, p95: 600 });
  });

  it('renders the summary lines, the per-CB table and the step table', () => {
    const text = renderReport(report).join('\n');
    expect(text).toContain('agreement p50 540 ms, floor 3 × 150 ms = 450 ms (overhead 90 ms); p95 600 ms over 3 CBs');
    expect(text).toContain('update p50 500 ms, floor 2 × 150 ms = 300 ms (overhead 200 ms); p95 500 ms over 3 CBs');
    expect(text).toContain('ordering round (a transaction, the gateway\'s submit → its commit status): p50 150 ms, p95 160 ms over 18 transactions; endorsement p50 10 ms, to the orderer 20 ms, ordering and commit 120 ms');
    expect(text).toContain('  by transaction, p50 (count): Propose 150 ms (3), Tally 150 ms (3), Vote 150 ms (12)');
    expect(text).toMatch(/^ {2}1\s+0\s+40\s+190\s+400\s+540\s+570\s+730\s+840\s+1040\s+540\s+500$/m);
    expect(text).toMatch(/^ {2}p50\s+40\s+190\s+400\s+540\s+570\s+730\s+840\s+1040\s+540\s+500$/m);
    expect(text).toMatch(/proposal committed → quorum of votes committed\s+210\s+210\s+1 × 150\s+60$/m);
    expect(text).toContain('trace lines; 4 members (quorum 3); 3 CBs (heights 1-3)');
  });

  it('is plain JSON for --json', () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('falls back to the nodes\' own calls for the ordering round when the gateway steps are missing', () => {
    const nodeOnly = analyseTrace({ lines: TRACE.filter((l) => !l.step.startsWith('tx')), unreadable: 0 });
    expect(nodeOnly.round.source).toBe('node');
    // Only the proposals are paired (the votes' …Sent lines are absent): 150 ms each.
    expect(nodeOnly.round.stat).toEqual({ count: 3, p50: 150, p95: 150 });
    expect(renderReport(nodeOnly).join('\n')).toContain('as the nodes called it');
  });

  it('leaves out what the trace does not show, and says so', () => {
    const agreementOnly = analyseTrace({ lines: TRACE.filter((l) => !['verified', 'signatureShared', 'updateSubmitted', 'applied'].includes(l.step)), unreadable: 0 });
    expect(agreementOnly.cbs[0].spans).toEqual({ agreement: 540, update: undefined, total: undefined });
    expect(agreementOnly.spans.update.stat).toBeUndefined();
    const text = renderReport(agreementOnly).join('\n');
    expect(text).toContain('update: no CB shows it');
    expect(text).toMatch(/^ {2}1\s+0\s+40\s+190\s+400\s+540\s+-\s+-\s+-\s+-\s+540\s+-$/m);
    const empty = renderReport(analyseTrace({ lines: [line(1, 'Org1MSP', 'started')], unreadable: 0 })).join('\n');
    expect(empty).toContain('no CB after genesis was committed in the trace');
    expect(empty).toContain('ordering round: no transaction committed in the trace');
  });
});

describe('parseTrace', () => {
  it('reads lines in time order and skips what is not a trace line, saying where', () => {
    const text = [
      JSON.stringify({ t: 2.5, member: 'Org1MSP', step: 'getRound', height: 3, cycle: 'x', extra: true }),
      '',
      JSON.stringify({ t: 1, member: 'Org2MSP', step: 'voted', proposalId: 'p' }),
      JSON.stringify({ member: 'Org2MSP', step: 'voted' }),
      '{"t": 3, "member": "Org1MSP", "st',
    ].join('\n');
    const read = parseTrace(text, 't.jsonl');
    expect(read.lines.map((l) => l.t)).toEqual([1, 2.5]);
    // Fields of the wrong type and unknown ones are dropped.
    expect(read.lines[1]).toMatchObject({ t: 2.5, member: 'Org1MSP', step: 'getRound', height: 3, cycle: undefined });
    expect(read.lines[1]).not.toHaveProperty('extra');
    expect(read.unreadable).toBe(2);
    expect(read.firstProblem).toBe('t.jsonl:4: no numeric "t"');
  });
});
