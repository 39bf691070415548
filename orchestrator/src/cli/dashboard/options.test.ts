/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { Command } from 'commander';
import { DEFAULT_DASHBOARD_PORT, dashboardOptions, parseDashboardOptions } from './options';

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
      health: [],
      healthAllowRemote: false,
      healthEveryMs: 5000,
      healthTls: {},
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

  it('takes --health endpoints (repeatable), their TLS files and the poll interval', () => {
    const parsed = parseDashboardOptions(
      { connection: 'c.json', health: ['Org1MSP=http://127.0.0.1:9443', 'Org2MSP=https://127.0.0.1:9444'], healthEvery: '2', healthCa: 'ca.pem', healthCert: 'c.pem', healthKey: 'k.pem' },
      true,
    );
    expect(parsed).toMatchObject({
      health: [{ mspId: 'Org1MSP', url: 'http://127.0.0.1:9443' }, { mspId: 'Org2MSP', url: 'https://127.0.0.1:9444' }],
      healthEveryMs: 2000,
      healthTls: { tlsCaCertPath: 'ca.pem', clientCertPath: 'c.pem', clientKeyPath: 'k.pem' },
      healthAllowRemote: false,
    });
    expect(parseDashboardOptions({ connection: 'c.json', health: 'Org1MSP=http://10.0.0.1:9443', healthAllowRemote: true }, true).health).toEqual([{ mspId: 'Org1MSP', url: 'http://10.0.0.1:9443' }]);
  });

  it.each([
    [{ health: 'Org1MSP' }, '--health needs <mspId>=<url>'],
    [{ health: 'Org1MSP=http://10.0.0.1:9443' }, "--health Org1MSP=http://10.0.0.1:9443: '10.0.0.1' is not a loopback IP address"],
    [{ health: 'Org1MSP=http://127.0.0.1:9443/healthz' }, 'has a path, query or fragment'],
    [{ health: 'Org1MSP=https://127.0.0.1:9443', healthCert: 'c.pem' }, '--health-cert and --health-key go together'],
    [{ health: 'Org1MSP=http://127.0.0.1:9443', healthCa: 'ca.pem' }, 'apply to https URLs of --health, and none is given'],
    [{ healthEvery: '0' }, '--health-every needs a whole number from 1 to 3600'],
  ])('refuses a wrong --health option (%o) as a usage error', (raw, message) => {
    expect(() => parseDashboardOptions({ connection: 'c.json', ...raw }, true)).toThrow(UsageError);
    expect(() => parseDashboardOptions({ connection: 'c.json', ...raw }, true)).toThrow(message);
  });

  it('collects a repeated --health from the command line', () => {
    const command = new Command('dashboard').exitOverride();
    for (const option of dashboardOptions()) command.addOption(option);
    command.parse(['--connection', 'c.json', '--health', 'Org1MSP=http://127.0.0.1:1', '--health', 'Org2MSP=http://127.0.0.1:2'], { from: 'user' });
    expect(parseDashboardOptions(command.opts(), true).health.map((h) => h.mspId)).toEqual(['Org1MSP', 'Org2MSP']);
  });

  it('refuses --health with an export, which has no nodes', () => {
    expect(() => parseDashboardOptions({ export: 'a.json', health: 'Org1MSP=http://127.0.0.1:9443' }, false)).toThrow('--health and --health-every are for a live dashboard');
  });

  it('refuses a missing source and values out of range, naming the option', () => {
    expect(() => parseDashboardOptions({}, false)).toThrow(UsageError);
    expect(() => parseDashboardOptions({ export: 'a.json', port: '70000' }, false)).toThrow('--port needs a whole number from 0 to 65535, got "70000"');
    expect(() => parseDashboardOptions({ export: 'a.json', pollMs: '5' }, false)).toThrow('--poll-ms');
    expect(() => parseDashboardOptions({ export: 'a.json', grace: 'soon' }, false)).toThrow('--grace needs a number of seconds');
  });
});
