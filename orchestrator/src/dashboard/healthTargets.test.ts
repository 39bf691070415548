/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import { HealthConfigError, healthzUrlOf, parseHealthFlag, resolveHealthTargets } from './healthTargets';

const files: Record<string, string> = { '/ca.pem': 'CA', '/c.pem': 'CERT', '/k.pem': 'KEY' };
const read = (file: string): Buffer => {
  if (files[file] === undefined) throw new Error(`ENOENT: no such file or directory, open '${file}'`);
  return Buffer.from(files[file]);
};

describe('healthzUrlOf', () => {
  it('takes a base URL on loopback and adds /healthz', () => {
    expect(healthzUrlOf('http://127.0.0.1:9443', 'x', false).href).toBe('http://127.0.0.1:9443/healthz');
    expect(healthzUrlOf('https://127.0.0.2:9443/', 'x', false).href).toBe('https://127.0.0.2:9443/healthz');
    expect(healthzUrlOf('http://[::1]:9443', 'x', false).href).toBe('http://[::1]:9443/healthz');
    expect(healthzUrlOf('https://ops.org1.example.com:9443', 'x', true).href).toBe('https://ops.org1.example.com:9443/healthz');
  });

  it.each([
    ['not a URL', 'not a url', /is not a URL; give the endpoint's base URL/],
    ['another scheme', 'file:///etc/passwd', /is not http or https/],
    ['credentials', 'http://u:p@127.0.0.1:9443', /carries credentials/],
    ['a path', 'http://127.0.0.1:9443/metrics', /has a path, query or fragment.*adds \/healthz/],
    ['a query', 'http://127.0.0.1:9443/?x=1', /has a path, query or fragment/],
    ['a remote host', 'http://10.0.0.5:9443', /'10\.0\.0\.5' is not a loopback IP address.*--health-allow-remote/],
    ['a name', 'http://localhost:9443', /'localhost' is not a loopback IP address .*names such as localhost are refused/],
  ])('refuses %s, naming the setting', (_what, url, message) => {
    expect(() => healthzUrlOf(url, '--health Org1MSP=…', false)).toThrow(HealthConfigError);
    expect(() => healthzUrlOf(url, '--health Org1MSP=…', false)).toThrow(message);
    expect(() => healthzUrlOf(url, '--health Org1MSP=…', false)).toThrow(/^--health Org1MSP=…: /);
  });
});

describe('parseHealthFlag', () => {
  it('splits at the first =', () => {
    expect(parseHealthFlag('Org1MSP=http://127.0.0.1:9443')).toEqual({ mspId: 'Org1MSP', url: 'http://127.0.0.1:9443' });
    expect(() => parseHealthFlag('http://127.0.0.1:9443')).toThrow('--health needs <mspId>=<url>');
    expect(() => parseHealthFlag('=http://127.0.0.1:9443')).toThrow('--health needs <mspId>=<url>');
  });
});

describe('resolveHealthTargets', () => {
  const members = [
    { mspId: 'Org1MSP', operations: { url: 'https://127.0.0.1:9443', tlsCaCertPath: '/ca.pem', clientCertPath: '/c.pem', clientKeyPath: '/k.pem' } },
    { mspId: 'Org2MSP', operations: { url: 'http://127.0.0.1:9444' } },
    { mspId: 'Org3MSP' },
  ];

  it("takes the connection file's endpoints with their TLS files, and lets a flag replace one", () => {
    const targets = resolveHealthTargets(members, [{ mspId: 'Org2MSP', url: 'http://127.0.0.1:9500' }, { mspId: 'Org3MSP', url: 'https://127.0.0.1:9501' }], { allowRemote: false, flagTls: { tlsCaCertPath: '/ca.pem' }, read });
    expect(targets.map((t) => [t.mspId, t.url.href, t.tls?.ca?.toString(), t.tls?.cert?.toString()])).toEqual([
      ['Org1MSP', 'https://127.0.0.1:9443/healthz', 'CA', 'CERT'],
      ['Org2MSP', 'http://127.0.0.1:9500/healthz', undefined, undefined],
      ['Org3MSP', 'https://127.0.0.1:9501/healthz', 'CA', undefined],
    ]);
  });

  it('names the member of the file or the flag that is wrong', () => {
    expect(() => resolveHealthTargets([{ mspId: 'Org1MSP', operations: { url: 'http://10.1.2.3:9443' } }], [], { allowRemote: false, read })).toThrow(
      /^connection file members\[0\] \(Org1MSP\) operations: '10\.1\.2\.3' is not a loopback IP address/,
    );
    expect(resolveHealthTargets([{ mspId: 'Org1MSP', operations: { url: 'http://10.1.2.3:9443' } }], [], { allowRemote: true, read })).toHaveLength(1);
    expect(() => resolveHealthTargets([{ mspId: 'Org1MSP', operations: { url: 'http://127.0.0.1:9443', tlsCaCertPath: '/ca.pem' } }], [], { allowRemote: false, read })).toThrow(
      'TLS files are given for an http URL; use https, or drop them',
    );
    expect(() => resolveHealthTargets([{ mspId: 'Org1MSP', operations: { url: 'https://127.0.0.1:9443', tlsCaCertPath: '/missing.pem' } }], [], { allowRemote: false, read })).toThrow(
      /operations: cannot read the TLS CA certificate \/missing\.pem: ENOENT/,
    );
    expect(() => resolveHealthTargets([], [{ mspId: 'Org1MSP', url: 'http://127.0.0.1:1' }, { mspId: 'Org1MSP', url: 'http://127.0.0.1:2' }], { allowRemote: false, read })).toThrow('given twice');
  });
});
