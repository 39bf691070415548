/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { beforeAll, describe, expect, it } from '@jest/globals';

import { createTestConsortium } from '../testing/pki';
import type { TestOrg } from '../testing/pki';
import { PARAM_DEFAULTS, validateParams } from './params';
import type { GenesisParams } from './types';

let orgs: TestOrg[];
let valid: GenesisParams;

beforeAll(async () => {
  orgs = await createTestConsortium(['Org2MSP', 'Org1MSP', 'Org3MSP']);
  valid = {
    members: orgs.map((o) => ({ mspId: o.mspId, caCertificate: o.caCertificate })),
    cbiSeconds: 30,
    cycleTimeoutSeconds: 10,
    clockToleranceSeconds: 0,
    configSchema: { type: 'object', properties: { blockSize: { type: 'integer', minimum: 1, maximum: 100 } } },
  };
});

function withField(field: string, value: unknown): unknown {
  return { ...valid, [field]: value };
}

describe('validateParams', () => {
  it('accepts valid params and sorts members by MSP ID', () => {
    const params = validateParams(valid);
    expect(params.members.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    expect(params).toMatchObject({ cbiSeconds: 30, cycleTimeoutSeconds: 10, clockToleranceSeconds: 0 });
    expect(valid.members[0]?.mspId).toBe('Org2MSP');
  });

  it('offers defaults for new chains that validate', () => {
    expect(() => validateParams({ ...valid, ...PARAM_DEFAULTS })).not.toThrow();
  });

  it('requires sorted members when verifying a hashed block', () => {
    expect(() => validateParams(valid, { requireSorted: true })).toThrow('params.members: not sorted by MSP ID');
    expect(() => validateParams(validateParams(valid), { requireSorted: true })).not.toThrow();
  });

  it.each<[string, () => unknown, string]>([
    ['not an object', () => [], 'params: must be an object'],
    ['an unknown field', () => withField('quorum', 3), 'params.quorum: unknown field'],
    ['a missing field', () => ({ ...valid, cbiSeconds: undefined }), 'params.cbiSeconds'],
    ['no members', () => withField('members', []), 'params.members: must be a non-empty array'],
    ['members not an array', () => withField('members', {}), 'params.members: must be a non-empty array'],
    ['a member without CA', () => withField('members', [{ mspId: 'Org1MSP' }]), 'params.members[0].caCertificate: missing'],
    ['a member with an extra field', () => withField('members', [{ ...valid.members[0], role: 'x' }]), 'params.members[0].role: unknown field'],
    ['an empty MSP ID', () => withField('members', [{ ...valid.members[0], mspId: '' }]), 'params.members[0].mspId: must be a non-empty string'],
    ['a NUL in an MSP ID', () => withField('members', [{ ...valid.members[0], mspId: 'Org\u00001' }]), 'params.members[0].mspId: must not contain control'],
    [
      'a duplicate MSP ID',
      () => withField('members', [valid.members[0], { ...valid.members[1], mspId: valid.members[0]?.mspId }]),
      'params.members[1].mspId: duplicate of params.members[0]',
    ],
    [
      'a CA shared by two members',
      () => withField('members', [valid.members[0], { ...valid.members[1], caCertificate: valid.members[0]?.caCertificate }]),
      'params.members[1].caCertificate: same CA as params.members[0]',
    ],
    ['a CA that is not PEM', () => withField('members', [{ mspId: 'Org1MSP', caCertificate: 'x' }]), 'params.members[0].caCertificate: CA certificate is not a PEM'],
    [
      'a leaf certificate as CA',
      () => withField('members', [{ mspId: 'Org1MSP', caCertificate: orgs[0]?.client.certificate }]),
      'params.members[0].caCertificate: CA certificate is not a CA certificate',
    ],
    ['cbiSeconds of 0', () => withField('cbiSeconds', 0), 'params.cbiSeconds: must be an integer >= 1'],
    ['a fractional cbiSeconds', () => withField('cbiSeconds', 1.5), 'params.cbiSeconds: must be an integer >= 1'],
    ['cbiSeconds as a string', () => withField('cbiSeconds', '30'), 'params.cbiSeconds: must be an integer >= 1'],
    ['cycleTimeoutSeconds of 0', () => withField('cycleTimeoutSeconds', 0), 'params.cycleTimeoutSeconds: must be an integer >= 1'],
    ['a negative clockToleranceSeconds', () => withField('clockToleranceSeconds', -1), 'params.clockToleranceSeconds: must be an integer >= 0'],
    ['an unsafe integer', () => withField('cbiSeconds', 2 ** 53), 'params: params.cbiSeconds: integer outside'],
    ['a schema that is not an object', () => withField('configSchema', true), 'params.configSchema: must be a JSON Schema object'],
    ['a schema with an unknown keyword', () => withField('configSchema', { type: 'object', minimun: 1 }), 'params.configSchema: strict mode: unknown keyword'],
    ['a schema with an unknown format', () => withField('configSchema', { type: 'string', format: 'date-time' }), 'params.configSchema: unknown format'],
    ['a schema of the wrong type', () => withField('configSchema', { type: 'objekt' }), 'params.configSchema: schema is invalid'],
    ['a lone surrogate', () => withField('configSchema', { title: '\ud800' }), 'params: params.configSchema.title: lone surrogate'],
    [
      'a schema over the size limit',
      () => withField('configSchema', { type: 'object', description: 'x'.repeat(3 * 1024 * 1024) }),
      'params.configSchema: is 3145762 bytes of canonical JSON; the limit is 262144 bytes',
    ],
  ])('refuses %s, naming the field', (_label, make, message) => {
    expect(() => validateParams(make())).toThrow(expect.objectContaining({ name: 'MgmtError', code: 'MGMT_INVALID_PARAMS' }));
    expect(() => validateParams(make())).toThrow(message);
  });
});
