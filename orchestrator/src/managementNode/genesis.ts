/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Genesis input (`InitLedger`'s paramsJson) built from a connection file's members, checked with
 * the same validators the chaincode uses, so a mistake shows before anything is submitted.
 */
import { readFileSync } from 'node:fs';
import type { GenesisParams, JsonObject, Member } from 'mgmt-chaincode/dist/protocol';
import { PARAM_DEFAULTS, validateConfig, validateParams } from 'mgmt-chaincode/dist/protocol';
import type { ConnectionFile } from '../gateway';

/** `InitLedger`'s argument: the genesis params and the initial primary configuration. */
export interface GenesisInput {
  readonly params: GenesisParams;
  readonly config: JsonObject;
}

/** Timing and schema of a new chain. */
export interface GenesisOptions {
  readonly cbiSeconds: number;
  readonly cycleTimeoutSeconds: number;
  /** Default 5 (`PARAM_DEFAULTS`). */
  readonly clockToleranceSeconds?: number;
  readonly configSchema: JsonObject;
  /** The initial primary configuration. */
  readonly config: JsonObject;
}

/**
 * The members of a connection file with their CA certificates (read from `caCertPath`).
 *
 * @throws Error naming the certificate file that cannot be read.
 */
export function membersFromConnection(connection: ConnectionFile): Member[] {
  return connection.members.map((m) => {
    try {
      return { mspId: m.mspId, caCertificate: readFileSync(m.caCertPath, 'utf8') };
    } catch (err) {
      throw new Error(`cannot read ${m.mspId}'s CA certificate ${m.caCertPath}: ${(err as Error).message}`, { cause: err });
    }
  });
}

/**
 * Builds and checks the genesis input. Members are sorted by the chaincode's validator.
 *
 * @throws {@link MgmtError} `MGMT_INVALID_PARAMS` naming the field, or `MGMT_INVALID_CONFIG`
 * when the initial configuration fails the schema.
 */
export function genesisInput(members: readonly Member[], options: Readonly<GenesisOptions>): GenesisInput {
  const params = validateParams({
    members: members.map((m) => ({ mspId: m.mspId, caCertificate: m.caCertificate })),
    cbiSeconds: options.cbiSeconds,
    cycleTimeoutSeconds: options.cycleTimeoutSeconds,
    clockToleranceSeconds: options.clockToleranceSeconds ?? PARAM_DEFAULTS.clockToleranceSeconds,
    configSchema: options.configSchema,
  });
  return { params, config: validateConfig(options.config, params.configSchema) };
}
