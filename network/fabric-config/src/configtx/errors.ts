/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Errors of the configtx module. Messages follow Fabric's wording (the orderer returns them to
 * clients as BroadcastResponse.info); the codes let callers branch without parsing text.
 */

/** Why a profile, block, config or duration was refused. */
export type ConfigtxErrorCode =
  /** The channel profile given to the genesis builder is inconsistent or incomplete. */
  | 'CONFIGTX_BAD_PROFILE'
  /** The block is not a config block (no CONFIG envelope, undecodable payload). */
  | 'CONFIGTX_BAD_CONFIG_BLOCK'
  /** The channel config lacks a required element or holds an invalid value. */
  | 'CONFIGTX_BAD_CONFIG'
  /** A Go duration string does not parse. */
  | 'CONFIGTX_BAD_DURATION'
  /** A policy's type or rule (policydsl or ImplicitMeta text) is invalid, or a Policy cannot be read as one. */
  | 'CONFIGTX_BAD_POLICY';

/** Options of {@link ConfigtxError}. */
export interface ConfigtxErrorOptions {
  /** The refusal's cause. */
  code: ConfigtxErrorCode;
  /** The underlying error, e.g. from protobuf decoding. */
  cause?: unknown;
}

/** A profile, config block, channel config or duration that this module cannot use. */
export class ConfigtxError extends Error {
  /** Stable cause of the refusal. */
  readonly code: ConfigtxErrorCode;

  /**
   * @param message - Fabric-shaped text naming the offending field.
   * @param options - the code and optional cause.
   */
  constructor(message: string, options: Readonly<ConfigtxErrorOptions>) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigtxError';
    this.code = options.code;
  }
}

/** Why a CONFIG_UPDATE was refused; each maps to a check of Fabric's configtx validator. */
export type ConfigUpdateErrorCode =
  /** The envelope, payload, ConfigUpdateEnvelope, ConfigUpdate or a signature header does not decode, or has the wrong header type. */
  | 'CONFIG_UPDATE_MALFORMED'
  /** The envelope or the ConfigUpdate names another channel. */
  | 'CONFIG_UPDATE_WRONG_CHANNEL'
  /** A read_set element is missing from the current config or is at another version. */
  | 'CONFIG_UPDATE_READ_SET_MISMATCH'
  /** A changed element is not at current version + 1 (or 0 when new). */
  | 'CONFIG_UPDATE_BAD_VERSION'
  /** A changed element has an empty or malformed mod_policy, or an illegal key. */
  | 'CONFIG_UPDATE_BAD_MOD_POLICY'
  /** The signatures do not satisfy the existing element's mod_policy. */
  | 'CONFIG_UPDATE_POLICY_NOT_SATISFIED'
  /** The write_set changes nothing. */
  | 'CONFIG_UPDATE_EMPTY'
  /** The resulting config is invalid (e.g. BatchSize 0, BatchTimeout not a positive Go duration). */
  | 'CONFIG_UPDATE_INVALID_CONFIG';

/** Options of {@link ConfigUpdateError}. */
export interface ConfigUpdateErrorOptions {
  /** The refusal's cause. */
  code: ConfigUpdateErrorCode;
  /** The config element concerned, as Fabric names it (e.g. `[Value]  /Channel/Orderer/BatchTimeout`). */
  key?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A CONFIG_UPDATE refused by an orderer's validation (the devnet's applyConfigUpdate) or by
 * {@link checkUpdateAuthorised}. The orderer answers a Broadcast of it with BAD_REQUEST and this
 * message as info, as Fabric's does.
 */
export class ConfigUpdateError extends Error {
  /** Stable cause of the refusal. */
  readonly code: ConfigUpdateErrorCode;
  /** The config element concerned, when the refusal is about one element. */
  readonly key: string | undefined;

  /**
   * @param message - Fabric-shaped text, e.g. `error authorizing update: error validating ReadSet: ...`.
   * @param options - the code, and optionally the element key and cause.
   */
  constructor(message: string, options: Readonly<ConfigUpdateErrorOptions>) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigUpdateError';
    this.code = options.code;
    this.key = options.key;
  }
}
