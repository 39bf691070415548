/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import type { MemberLiveness, NodeHealthState } from '../types';
import { membersSummary, proposalText, votedInLatestText, voteText } from './members';

const member = (mspId: string, state: NodeHealthState): MemberLiveness => ({ mspId, health: { state }, activity: {} });

describe('membersSummary', () => {
  it('counts the polled nodes and names the ones that are not healthy', () => {
    expect(membersSummary([member('Org1MSP', 'healthy'), member('Org2MSP', 'unhealthy'), member('Org3MSP', 'unreachable'), member('Org4MSP', 'not-configured')])).toBe(
      '1 of 3 nodes polled is healthy; unhealthy: Org2MSP; unreachable: Org3MSP.',
    );
    expect(membersSummary([member('Org1MSP', 'healthy'), member('Org2MSP', 'healthy')])).toBe('2 of 2 nodes polled are healthy.');
    expect(membersSummary([member('Org1MSP', 'not-configured')])).toMatch(/^No operations endpoint is configured/);
  });
});

describe('activity texts', () => {
  it('says votes, proposals and the newest CB in words', () => {
    expect(voteText({})).toBe('none seen');
    expect(voteText({ lastVote: { height: 4, approve: false } })).toBe('rejected height 4');
    expect(proposalText({ lastProposal: { height: 3, hash: 'h', at: 't', sealed: true } })).toBe('height 3 (sealed)');
    expect(votedInLatestText({ votedInLatestCb: false })).toBe('no');
    expect(votedInLatestText({})).toBe('—');
  });
});
