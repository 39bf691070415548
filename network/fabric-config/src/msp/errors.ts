/**
 * Why an identity or an MSP configuration was refused. The message mirrors Fabric's own text
 * (it reaches the gateway client); the code is for devnet callers that branch on the cause.
 */
export type MspErrorCode =
  /** The SerializedIdentity names an MSP that is not configured. */
  | 'MSP_UNKNOWN'
  /** The bytes are not a SerializedIdentity, or id_bytes are not a PEM X.509 certificate. */
  | 'MSP_MALFORMED_IDENTITY'
  /** The certificate does not chain to any root certificate of the claimed MSP. */
  | 'MSP_UNKNOWN_AUTHORITY'
  /** The certificate is outside its validity period. */
  | 'MSP_CERT_EXPIRED'
  /** The certificate chains but may not be an identity (a CA certificate, conflicting NodeOUs). */
  | 'MSP_INVALID_IDENTITY'
  /** An MSP definition, MSP folder or key pair is unusable. */
  | 'MSP_BAD_CONFIG';

/** Options of {@link MspError}. */
export interface MspErrorOptions {
  /** The refusal's cause. */
  code: MspErrorCode;
  /** The MSP the identity claimed or the definition named, when known. */
  mspId?: string;
  /** The underlying error, e.g. from the certificate parser or the file system. */
  cause?: unknown;
}

/** An identity or MSP configuration refused by the devnet's membership service. */
export class MspError extends Error {
  /** Stable cause of the refusal. */
  readonly code: MspErrorCode;
  /** The MSP concerned, when known. */
  readonly mspId: string | undefined;

  /**
   * @param message - Fabric-shaped text, e.g. `MSP Org9MSP is unknown`.
   * @param options - the code, and optionally the MSP and cause.
   */
  constructor(message: string, options: Readonly<MspErrorOptions>) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MspError';
    this.code = options.code;
    this.mspId = options.mspId;
  }
}
