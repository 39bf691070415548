/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { DEFAULT_DASHBOARD_PORT, parseDashboardOptions } from './options';

describe('parseDashboardOptions', () => {
  it('takes an export, or a connection file for a live network, with defaults', () => {
    expect(parseDashboardOptions({ export: 'audit.json' }, false)).toEqual({
      exportFile: 'audit.json',
      member: undefined,
      port: DEFAULT_DASHBOARD_PORT,
      tokenFile: path.join(os.tmpdir(), `mgmt-dashboard-${DEFAULT_DASHBOARD_PORT}.token`),
      pollMs: 1000,
      auditEveryMs: 15000,
      json: false,
      traceFiles: [],
    });
    expect(parseDashboardOptions({ export: 'audit.json', trace: ['a.jsonl', 'b.jsonl'] }, false).traceFiles).toEqual(['a.jsonl', 'b.jsonl']);
    expect(parseDashboardOptions({ connection: 'c.json', member: 'Org2MSP', port: '0', pollMs: '250', auditEvery: '2', grace: '5', json: true }, true)).toMatchObject({
      connection: 'c.json',
      member: 'Org2MSP',
      port: 0,
      pollMs: 250,
      auditEveryMs: 2000,
      graceSeconds: 5,
      json: true,
    });
  });

  it('lets --export win over a connection file that only comes from the default or MGMT_CONNECTION', () => {
    expect(parseDashboardOptions({ export: 'audit.json', connection: '.devnet/connection.json' }, false)).not.toHaveProperty('connection');
    expect(() => parseDashboardOptions({ export: 'audit.json', connection: 'c.json' }, true)).toThrow('not both');
  });

  it('refuses a missing source and values out of range, naming the option', () => {
    expect(() => parseDashboardOptions({}, false)).toThrow(UsageError);
    expect(() => parseDashboardOptions({ export: 'a.json', port: '70000' }, false)).toThrow('--port needs a whole number from 0 to 65535, got "70000"');
    expect(() => parseDashboardOptions({ export: 'a.json', pollMs: '5' }, false)).toThrow('--poll-ms');
    expect(() => parseDashboardOptions({ export: 'a.json', grace: 'soon' }, false)).toThrow('--grace needs a number of seconds');
  });
});
