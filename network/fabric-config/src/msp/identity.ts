/**
 * A signing identity as Fabric clients and nodes hold one: an MSP ID, an enrolment certificate
 * and its private key, read from an MSP folder in cryptogen's layout.
 *
 * @packageDocumentation
 */
import { createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { msp } from '@hyperledger/fabric-protos';
import { signLowS } from '../crypto';
import { MspError } from './errors';
import { readText, sortedFiles } from './pem';

/** An MSP member that can sign: the devnet's peers, orderer and test clients. */
export class SigningIdentity {
  /** MSP ID the identity belongs to, e.g. `Org1MSP`. */
  readonly mspId: string;
  /** The enrolment certificate exactly as loaded; these bytes are the SerializedIdentity's id_bytes. */
  readonly certificatePem: string;
  private readonly privateKey: KeyObject;
  private readonly serialized: Uint8Array;

  /**
   * @param mspId - the MSP the certificate belongs to.
   * @param certificatePem - the PEM enrolment certificate (kept byte for byte).
   * @param privateKey - its PEM private key (PKCS#8 or SEC1), or a parsed `KeyObject`.
   * @throws MspError (`MSP_BAD_CONFIG`) when the MSP ID is empty, the certificate or key does not
   *   parse, the key is not EC P-256, or the key does not belong to the certificate.
   */
  constructor(mspId: string, certificatePem: string, privateKey: string | KeyObject) {
    if (mspId.length === 0) {
      throw new MspError('signing identity needs a non-empty MSP ID', { code: 'MSP_BAD_CONFIG' });
    }
    let certificate: X509Certificate;
    let key: KeyObject;
    try {
      certificate = new X509Certificate(certificatePem);
      key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
    } catch (err) {
      throw new MspError(`signing identity of ${mspId}: cannot parse certificate or private key`, {
        code: 'MSP_BAD_CONFIG',
        mspId,
        cause: err,
      });
    }
    if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new MspError(`signing identity of ${mspId}: expected an EC P-256 private key`, { code: 'MSP_BAD_CONFIG', mspId });
    }
    // A key from the wrong keystore would sign happily and only fail at every verifier, far from here.
    const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
    if (!spki(createPublicKey(key)).equals(spki(certificate.publicKey))) {
      const subject = certificate.subject.replace(/\n/g, ',');
      throw new MspError(`signing identity of ${mspId}: the private key does not match the certificate ${subject}`, {
        code: 'MSP_BAD_CONFIG',
        mspId,
      });
    }
    this.mspId = mspId;
    this.certificatePem = certificatePem;
    this.privateKey = key;
    const serialized = new msp.SerializedIdentity();
    serialized.setMspid(mspId);
    serialized.setIdBytes(Buffer.from(certificatePem, 'utf8'));
    this.serialized = serialized.serializeBinary();
  }

  /**
   * Loads the identity of an MSP folder the way fabric-samples clients do: the first file (by
   * name) of `keystore/` and the first of `signcerts/`.
   *
   * @param mspDir - an MSP folder, e.g. `.../users/User1@org1.example.com/msp`.
   * @param mspId - the MSP ID to claim.
   * @returns the signing identity.
   * @throws MspError (`MSP_BAD_CONFIG`) when either folder is missing or empty, or the files do not
   *   form a valid P-256 key pair.
   * @example
   * ```ts
   * const admin = SigningIdentity.fromMspDir(org.admin.mspDir, org.mspId);
   * const signature = admin.sign(payloadBytes);
   * ```
   */
  static fromMspDir(mspDir: string, mspId: string): SigningIdentity {
    const first = (folder: string): string => {
      const dir = join(mspDir, folder);
      const file = sortedFiles(dir).at(0);
      if (file === undefined) {
        throw new MspError(`no file in ${dir}`, { code: 'MSP_BAD_CONFIG', mspId });
      }
      return readText(file);
    };
    return new SigningIdentity(mspId, first('signcerts'), first('keystore'));
  }

  /** The certificate PEM as bytes: fabric-gateway's `Identity.credentials`. */
  get credentials(): Uint8Array {
    return Buffer.from(this.certificatePem, 'utf8');
  }

  /**
   * The `msp.SerializedIdentity` bytes (mspid, id_bytes = certificate PEM) used as a creator or
   * endorser. A fresh copy each call, so callers may keep or mutate it.
   *
   * @returns the serialized identity.
   */
  serialize(): Uint8Array {
    return Uint8Array.from(this.serialized);
  }

  /**
   * Signs `message` as Fabric does: SHA-256, ECDSA P-256, low-S, DER.
   *
   * @param message - the exact bytes to sign (not a digest).
   * @returns the DER signature.
   * @throws never for a constructed identity (the key was checked up front).
   */
  sign(message: Uint8Array): Uint8Array {
    return signLowS(this.privateKey, message);
  }
}
