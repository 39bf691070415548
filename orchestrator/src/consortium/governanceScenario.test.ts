/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { channelModelProblems } from 'fabric-config/configtx';
import { NO_METRICS } from '../twins/metrics';
import { abbreviatePems, describeConfig } from './display';
import { GovernanceScenario, governanceSteps, satisfies } from './governanceScenario';

const dir = mkdtempSync(path.join(os.tmpdir(), 'governance-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const inForce = { version: 2, application: { policies: { Endorsement: { type: 'ImplicitMeta', rule: 'MAJORITY Endorsement' } }, capabilities: ['V2_5'] } };

describe('the governance scenario', () => {
  it('has a policy, a capability and an ACL change, each a valid partial channel model', () => {
    const steps = governanceSteps(['Org2MSP', 'Org1MSP']);
    expect(steps.map((s) => s.title.split(':')[0])).toEqual(['policy', 'capability', 'ACL']);
    for (const step of steps) expect(channelModelProblems(step.change)).toEqual([]);
    expect(JSON.stringify(steps[0].change)).toContain("OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer')");
  });

  it('tells whether a configuration already says what a change says', () => {
    const [policy] = governanceSteps(['Org1MSP', 'Org2MSP']);
    expect(satisfies(inForce, policy.change)).toBe(false);
    expect(satisfies({ ...inForce, application: { ...inForce.application, ...(policy.change.application as object) } }, policy.change)).toBe(true);
  });

  it('writes each change for the operators once the previous one is in force, and ends after the last', async () => {
    const file = path.join(dir, 'wanted.json');
    const lines: string[] = [];
    const scenario = new GovernanceScenario({ steps: governanceSteps, desiredFile: file, output: (l) => lines.push(l) });
    scenario.begin(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    scenario.begin(['OrgXMSP']);
    const twin = scenario.twin();
    let config: Record<string, unknown> = inForce;
    for (let height = 1; height <= 3; height++) {
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(governanceSteps(['Org1MSP', 'Org2MSP', 'Org3MSP'])[height - 1].change);
      scenario.inForce(height, config); // not in it yet: nothing moves
      config = await twin.decide({ metrics: NO_METRICS, current: config, height });
      scenario.inForce(height, config);
    }
    await expect(scenario.done).resolves.toBeUndefined();
    expect(scenario.inForceAt).toEqual([1, 2, 3]);
    expect(lines.filter((l) => l.includes('✓'))).toHaveLength(3);
  });
});

describe('describeConfig', () => {
  it('shows a channel model as its change from the previous one, anything else as JSON', () => {
    const next = { ...inForce, application: { ...inForce.application, acls: { 'peer/Propose': '/Channel/Application/Admins' } } };
    expect(describeConfig(next, inForce)).toBe('application.acls.peer/Propose: (none) -> /Channel/Application/Admins');
    expect(describeConfig(inForce, inForce)).toBe('no change');
    expect(describeConfig({ batchTimeoutMs: 100, maxMessageCount: 10 }, { batchTimeoutMs: 200, maxMessageCount: 10 })).toBe('{"batchTimeoutMs":100,"maxMessageCount":10}');
  });

  it('shows certificates (a consenter set) by the start of their SHA-256, so a line stays readable', () => {
    const pem = (body: string): string => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
    const consenter = (host: string, body: string): object => ({ host, port: 7050, clientTlsCert: pem(body), serverTlsCert: pem(body) });
    const before = { version: 2, orderer: { consenters: [consenter('o1', 'AAAA')] } };
    const after = { version: 2, orderer: { consenters: [consenter('o1', 'AAAA'), consenter('o2', 'BBBB')] } };
    const line = describeConfig(after, before);
    expect(line).not.toContain('BEGIN CERTIFICATE');
    expect(line).toMatch(/^orderer\.consenters: \[\{"host":"o1","port":7050,"clientTlsCert":"cert:[0-9a-f]{12}","serverTlsCert":"cert:[0-9a-f]{12}"\}\] -> \[.*"host":"o2".*\]$/);
    // The same certificate always reads the same, with CRLF or LF line ends.
    expect(abbreviatePems(pem('AAAA'))).toBe(abbreviatePems(pem('AAAA').replace(/\n/g, '\r\n')));
    expect(abbreviatePems(pem('AAAA'))).not.toBe(abbreviatePems(pem('BBBB')));
  });
});
