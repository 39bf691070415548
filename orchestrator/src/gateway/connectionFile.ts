/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reading the connection file (docs/architecture.md, "The two backends"; its format and JSON
 * schema are defined once, in fabric-config's connection.ts): every field is checked, so that a hand-written file for an
 * existing Fabric network fails with the field to fix rather than deep inside a gRPC call.
 */
import Ajv2020 from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';

import { CONNECTION_FILE_SCHEMA, CONNECTION_FILE_VERSION } from 'fabric-config/connection';
import type { ConnectionFile } from 'fabric-config/connection';

// The format is defined once, in fabric-config; both backends write it.
export { CONNECTION_FILE_VERSION };

const validate = new Ajv2020({ allErrors: true }).compile<ConnectionFile>(CONNECTION_FILE_SCHEMA);
export type { ConnectionFile, EndpointInfo, MemberConnection, SignerConnection } from 'fabric-config/connection';

/** The management chaincode's name on the network: the file's `chaincodes.management`, else `mgmt`. */
export function managementChaincodeOf(connection: Pick<ConnectionFile, 'chaincodes'>): string {
  return connection.chaincodes?.management ?? 'mgmt';
}

/**
 * Reads and checks a connection file against its JSON Schema.
 * @throws Error naming the file and the field that is missing or malformed.
 */
export function readConnectionFile(path: string): ConnectionFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read connection file ${path}: ${(err as Error).message}`);
  }
  if (!validate(parsed)) {
    const problems = (validate.errors ?? []).map((e) => {
      // Ajv's message alone does not say which property is unknown.
      const extra = e.keyword === 'additionalProperties' ? ` ('${String((e.params as { additionalProperty?: unknown }).additionalProperty)}')` : '';
      return `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}${extra}`;
    });
    throw new Error(`connection file ${path} is malformed: ${problems.join('; ')}`);
  }
  return parsed;
}
