/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { assertIJson, canonicalJson } from './canonicalJson';
import { parseCaCertificate } from './certificates';
import { compileConfigSchema } from './config';
import { MgmtError, isMgmtError } from './errors';
import { compareMspIds, isStrictlySorted, sortMembers } from './members';
import type { GenesisParams, Member } from './types';

/**
 * Suggested timing for new chains. The chaincode itself applies no defaults: the parameters are
 * part of the genesis hash, so every value is written out explicitly.
 */
export const PARAM_DEFAULTS = {
  cbiSeconds: 30,
  cycleTimeoutSeconds: 10,
  clockToleranceSeconds: 5,
} as const;

/** Longest MSP ID accepted. */
export const MAX_MSP_ID_LENGTH = 256;

/**
 * Largest genesis `configSchema`, in bytes of its canonical JSON. The schema travels in the
 * genesis transaction and in every verifier's copy of the params; an orderer refuses a
 * transaction over its AbsoluteMaxBytes (often a few MB) long after the members have voted, so
 * the bound is checked here, before anyone votes, well below any orderer's limit.
 */
export const MAX_CONFIG_SCHEMA_BYTES = 256 * 1024;

const PARAM_FIELDS = ['members', 'cbiSeconds', 'cycleTimeoutSeconds', 'clockToleranceSeconds', 'configSchema'] as const;
const MEMBER_FIELDS = ['mspId', 'caCertificate'] as const;

/** Options of {@link validateParams}. */
export interface ValidateParamsOptions {
  /** Refuse members that are not already sorted by MSP ID (verifiers of a hashed block). */
  readonly requireSorted?: boolean;
  /** Path used in messages, `params` by default. */
  readonly path?: string;
}

function fail(field: string, problem: string): never {
  throw new MgmtError('MGMT_INVALID_PARAMS', `${field}: ${problem}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkFields(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      fail(`${path}.${key}`, 'unknown field');
    }
  }
  for (const key of allowed) {
    if (!(key in value)) {
      fail(`${path}.${key}`, 'missing');
    }
  }
}

function integer(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    fail(field, `must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function member(value: unknown, field: string): Member {
  if (!isObject(value)) {
    fail(field, 'must be an object {mspId, caCertificate}');
  }
  checkFields(value, MEMBER_FIELDS, field);
  const { mspId, caCertificate } = value;
  if (typeof mspId !== 'string' || mspId.length === 0 || mspId.length > MAX_MSP_ID_LENGTH) {
    fail(`${field}.mspId`, `must be a non-empty string of at most ${MAX_MSP_ID_LENGTH} characters`);
  }
  // Control characters (U+0000 in particular) would corrupt Fabric composite keys.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(mspId)) {
    fail(`${field}.mspId`, 'must not contain control characters');
  }
  if (typeof caCertificate !== 'string') {
    fail(`${field}.caCertificate`, 'must be a PEM string');
  }
  try {
    parseCaCertificate(caCertificate);
  } catch (err) {
    fail(`${field}.caCertificate`, isMgmtError(err) ? err.detail : String(err));
  }
  return { mspId, caCertificate };
}

/**
 * The one validator of the genesis parameters. It names the field in each error and checks the
 * cross-field rules in full: members non-empty with unique MSP IDs and distinct CA certificates
 * (a CA shared by two members would let an offline verifier confuse their approvals), each CA a
 * parseable CA certificate; `cbiSeconds >= 1`, `cycleTimeoutSeconds >= 1`,
 * `clockToleranceSeconds >= 0`, all integers; `configSchema` a JSON object that compiles as JSON
 * Schema 2020-12; no unknown fields; everything I-JSON.
 *
 * @returns a fresh copy with members sorted by MSP ID.
 * @throws {@link MgmtError} `MGMT_INVALID_PARAMS` naming the field, e.g.
 * `MGMT_INVALID_PARAMS: params.members[2].mspId: duplicate of params.members[0]`.
 */
export function validateParams(value: unknown, options: ValidateParamsOptions = {}): GenesisParams {
  const path = options.path ?? 'params';
  if (!isObject(value)) {
    fail(path, 'must be an object');
  }
  try {
    assertIJson(value, path);
  } catch (err) {
    fail(path, isMgmtError(err) ? err.detail : String(err));
  }
  checkFields(value, PARAM_FIELDS, path);

  if (!Array.isArray(value.members) || value.members.length === 0) {
    fail(`${path}.members`, 'must be a non-empty array');
  }
  const members = value.members.map((item: unknown, i) => member(item, `${path}.members[${i}]`));
  const firstIndex = new Map<string, number>();
  const caIndex = new Map<string, number>();
  members.forEach((m, i) => {
    const dup = firstIndex.get(m.mspId);
    if (dup !== undefined) {
      fail(`${path}.members[${i}].mspId`, `duplicate of ${path}.members[${dup}]`);
    }
    firstIndex.set(m.mspId, i);
    const ca = m.caCertificate.trim();
    const dupCa = caIndex.get(ca);
    if (dupCa !== undefined) {
      fail(`${path}.members[${i}].caCertificate`, `same CA as ${path}.members[${dupCa}]`);
    }
    caIndex.set(ca, i);
  });
  if (options.requireSorted === true && !isStrictlySorted(members.map((m) => m.mspId))) {
    fail(`${path}.members`, 'not sorted by MSP ID (UTF-8 byte order)');
  }

  const cbiSeconds = integer(value.cbiSeconds, `${path}.cbiSeconds`, 1);
  const cycleTimeoutSeconds = integer(value.cycleTimeoutSeconds, `${path}.cycleTimeoutSeconds`, 1);
  const clockToleranceSeconds = integer(value.clockToleranceSeconds, `${path}.clockToleranceSeconds`, 0);

  if (!isObject(value.configSchema)) {
    fail(`${path}.configSchema`, 'must be a JSON Schema object');
  }
  const configSchema = value.configSchema;
  const schemaBytes = Buffer.byteLength(canonicalJson(configSchema, `${path}.configSchema`), 'utf8');
  if (schemaBytes > MAX_CONFIG_SCHEMA_BYTES) {
    fail(`${path}.configSchema`, `is ${schemaBytes} bytes of canonical JSON; the limit is ${MAX_CONFIG_SCHEMA_BYTES} bytes`);
  }
  try {
    compileConfigSchema(configSchema);
  } catch (err) {
    fail(`${path}.configSchema`, isMgmtError(err) ? err.detail.replace(/^params\.configSchema: /, '') : String(err));
  }

  return {
    members: sortMembers(members),
    cbiSeconds,
    cycleTimeoutSeconds,
    clockToleranceSeconds,
    configSchema,
  };
}

/** MSP IDs of the members, in protocol order. */
export function memberIds(params: Pick<GenesisParams, 'members'>): string[] {
  return params.members.map((m) => m.mspId).sort(compareMspIds);
}
