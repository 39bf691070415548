/**
 * A channel's membership service (the devnet's, and the policy engine's): turns SerializedIdentity bytes into validated identities,
 * answers MSPRole questions with NodeOU semantics, and verifies their signatures the way Fabric's
 * MSP and BCCSP do (F `msp/mspimpl.go`, `msp/mspimplvalidate.go`, `msp/mspmgrimpl.go`).
 *
 * Deliberate differences from Fabric: no intermediate CAs, CRLs or admincerts; an identity with
 * no NodeOU is valid with role `undefined` (Fabric refuses it when NodeOUs are enabled), so it
 * can only satisfy `member`.
 *
 * @packageDocumentation
 */
import { createHash, KeyObject, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { msp } from '@hyperledger/fabric-protos';
import { verifyLowS } from '../crypto';
import { MspError } from './errors';
import { pemBlocks, readText, sortedFiles } from './pem';

/** The role of a Fabric `MSPPrincipal`/`MSPRole`: MEMBER, ADMIN, CLIENT, PEER, ORDERER. */
export type MspRole = 'member' | 'admin' | 'client' | 'peer' | 'orderer';

/** A NodeOU role, read from the certificate subject's OU. */
export type NodeOuRole = 'admin' | 'client' | 'peer' | 'orderer';

/** One organisation's MSP as a channel configuration carries it. */
export interface MspDefinition {
  mspId: string;
  /** PEM root CA certificates that issue the MSP's identities. */
  rootCerts: string[];
  /** PEM root CA certificates of the MSP's TLS CAs. */
  tlsRootCerts: string[];
  /**
   * The certificate each NodeOU is bound to (the config's FabricNodeOUs identifiers), when one is:
   * an identity with that OU must then be issued by that root (Fabric's "certifiersIdentifier").
   * cryptogen binds every OU to the one root; a CA rotation under way binds none.
   */
  nodeOuCertifiers?: Partial<Record<NodeOuRole, string>>;
}

/**
 * A validated identity. Instances are cached and shared between callers: treat them, and in
 * particular `serialized`, as read-only.
 */
export interface Identity {
  readonly mspId: string;
  /** id_bytes of the SerializedIdentity, decoded as UTF-8. */
  readonly certificatePem: string;
  readonly certificate: X509Certificate;
  /** NodeOU role, or `undefined` when the certificate carries none. */
  readonly role: NodeOuRole | undefined;
  /** The SerializedIdentity bytes exactly as received. */
  readonly serialized: Uint8Array;
}

/** Options of {@link MspRegistry}. */
export interface MspRegistryOptions {
  /** Clock for certificate validity checks; defaults to the system clock. */
  now?: () => Date;
  /** Most identities kept in the deserialization cache; defaults to 10 000. */
  cacheSize?: number;
}

const NODE_OU_ROLES: ReadonlySet<string> = new Set<NodeOuRole>(['admin', 'client', 'peer', 'orderer']);
const DEFAULT_CACHE_SIZE = 10_000;

interface Root {
  certificate: X509Certificate;
  der: Buffer;
  notBefore: number;
  notAfter: number;
}

interface LoadedMsp {
  definition: Readonly<MspDefinition>;
  roots: readonly Root[];
  /** DER of the certificate each bound NodeOU names. */
  certifiers: Partial<Record<NodeOuRole, Buffer>>;
}

interface CachedIdentity {
  identity: Identity;
  notBefore: number;
  notAfter: number;
}

/** Validates identities of a fixed set of MSPs. */
export class MspRegistry {
  private readonly msps = new Map<string, LoadedMsp>();
  /** Keyed by the SHA-256 of the serialized bytes: the same creator arrives on every transaction. */
  private readonly cache = new Map<string, CachedIdentity>();
  private readonly publicKeys = new WeakMap<Identity, KeyObject>();
  private readonly now: () => Date;
  private readonly cacheSize: number;

  /**
   * @param msps - the MSPs to trust, each with at least one root certificate.
   * @param options - clock and cache size.
   * @throws MspError (`MSP_BAD_CONFIG`) on a duplicate MSP ID, an MSP without root certificates,
   *   or a root certificate that does not parse.
   */
  constructor(msps: readonly MspDefinition[], options: Readonly<MspRegistryOptions> = {}) {
    this.now = options.now ?? ((): Date => new Date());
    this.cacheSize = Math.max(1, options.cacheSize ?? DEFAULT_CACHE_SIZE);
    for (const definition of msps) {
      if (this.msps.has(definition.mspId)) {
        throw new MspError(`MSP ${definition.mspId} is defined twice`, { code: 'MSP_BAD_CONFIG', mspId: definition.mspId });
      }
      const roots = definition.rootCerts.flatMap((pem) => parseCertificates(pem, definition.mspId, 'root'));
      if (roots.length === 0) {
        throw new MspError(`MSP ${definition.mspId} has no root certificate`, {
          code: 'MSP_BAD_CONFIG',
          mspId: definition.mspId,
        });
      }
      // Parsed only to fail early on a broken channel config; TLS roots play no part in identity checks.
      definition.tlsRootCerts.forEach((pem) => parseCertificates(pem, definition.mspId, 'TLS root'));
      const certifiers: Partial<Record<NodeOuRole, Buffer>> = {};
      for (const [role, pem] of Object.entries(definition.nodeOuCertifiers ?? {}) as [NodeOuRole, string][]) {
        const [certificate] = parseCertificates(pem, definition.mspId, `${role} OU`);
        if (certificate !== undefined) certifiers[role] = certificate.raw;
      }
      this.msps.set(definition.mspId, {
        definition: Object.freeze({
          mspId: definition.mspId,
          rootCerts: [...definition.rootCerts],
          tlsRootCerts: [...definition.tlsRootCerts],
          ...(definition.nodeOuCertifiers === undefined ? {} : { nodeOuCertifiers: { ...definition.nodeOuCertifiers } }),
        }),
        certifiers,
        roots: roots.map((certificate) => ({
          certificate,
          der: certificate.raw,
          notBefore: Date.parse(certificate.validFrom),
          notAfter: Date.parse(certificate.validTo),
        })),
      });
    }
  }

  /**
   * Decodes and validates a SerializedIdentity: the MSP must be known, id_bytes must be a PEM
   * X.509 certificate that is not a CA, issued and signed by one of the MSP's roots, and within
   * its validity period now.
   *
   * @param serializedIdentity - `msp.SerializedIdentity` bytes, e.g. a SignatureHeader's creator.
   * @returns the identity (cached: the same bytes give the same object while it stays valid).
   * @throws MspError with Fabric's message: `MSP_MALFORMED_IDENTITY` ("could not deserialize a
   *   SerializedIdentity", "could not decode the PEM structure", "parseCertificate failed"),
   *   `MSP_UNKNOWN` ("MSP Org9MSP is unknown"), `MSP_CERT_EXPIRED` ("the supplied identity is not
   *   valid: x509: certificate has expired or is not yet valid: …"), `MSP_UNKNOWN_AUTHORITY` ("the
   *   supplied identity is not valid: x509: certificate signed by unknown authority"), or
   *   `MSP_INVALID_IDENTITY` (a CA certificate, or several NodeOU roles).
   */
  deserialize(serializedIdentity: Uint8Array): Identity {
    const key = createHash('sha256').update(serializedIdentity).digest('base64');
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      // Validity is time-dependent, so a cached identity is re-checked against the clock every time.
      this.checkValidity(cached.identity.mspId, cached.notBefore, cached.notAfter);
      return cached.identity;
    }
    const entry = this.validate(serializedIdentity);
    if (this.cache.size >= this.cacheSize) {
      // Maps iterate in insertion order, so this drops the oldest entry.
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) {
        this.cache.delete(oldest.value);
      }
    }
    this.cache.set(key, entry);
    return entry.identity;
  }

  /**
   * Fabric's MSPRole check with NodeOUs: `member` is any identity of the MSP; `admin`, `client`,
   * `peer` and `orderer` require that NodeOU (an admin is not a client).
   *
   * @param identity - an identity from {@link MspRegistry.deserialize}.
   * @param mspId - the MSP the principal names.
   * @param role - the principal's role.
   * @returns whether the identity satisfies the principal.
   * @throws never.
   */
  satisfiesRole(identity: Identity, mspId: string, role: MspRole): boolean {
    if (identity.mspId !== mspId || !this.msps.has(mspId)) {
      return false;
    }
    return role === 'member' || identity.role === role;
  }

  /**
   * Verifies `signature` over `message` by `identity`: SHA-256, ECDSA P-256, DER, low-S only.
   *
   * @param identity - the signer.
   * @param message - the exact signed bytes (never re-serialized ones).
   * @param signature - the DER signature.
   * @returns `true` for a valid low-S signature; `false` otherwise, including malformed input.
   * @throws never.
   */
  verify(identity: Identity, message: Uint8Array, signature: Uint8Array): boolean {
    let publicKey = this.publicKeys.get(identity);
    if (publicKey === undefined) {
      publicKey = identity.certificate.publicKey;
      this.publicKeys.set(identity, publicKey);
    }
    return verifyLowS(publicKey, message, signature);
  }

  /**
   * @returns the configured MSP IDs, in definition order.
   * @throws never.
   */
  mspIds(): string[] {
    return [...this.msps.keys()];
  }

  /**
   * @param mspId - an MSP ID.
   * @returns a frozen copy of the MSP's definition, or `undefined` when it is unknown.
   * @throws never.
   */
  definition(mspId: string): MspDefinition | undefined {
    return this.msps.get(mspId)?.definition;
  }

  private validate(serializedIdentity: Uint8Array): CachedIdentity {
    let mspId: string;
    let idBytes: Uint8Array;
    try {
      const decoded = msp.SerializedIdentity.deserializeBinary(serializedIdentity);
      mspId = decoded.getMspid();
      idBytes = decoded.getIdBytes_asU8();
    } catch (err) {
      throw new MspError('could not deserialize a SerializedIdentity', { code: 'MSP_MALFORMED_IDENTITY', cause: err });
    }
    const loaded = this.msps.get(mspId);
    if (loaded === undefined) {
      throw new MspError(`MSP ${mspId} is unknown`, { code: 'MSP_UNKNOWN', mspId });
    }
    const certificatePem = Buffer.from(idBytes).toString('utf8');
    // Fabric decodes the first PEM block only, whatever follows it.
    const block = pemBlocks(certificatePem, 'CERTIFICATE').at(0);
    if (block === undefined) {
      throw new MspError('could not decode the PEM structure', { code: 'MSP_MALFORMED_IDENTITY', mspId });
    }
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch (err) {
      throw new MspError('parseCertificate failed', { code: 'MSP_MALFORMED_IDENTITY', mspId, cause: err });
    }
    if (certificate.ca) {
      throw new MspError(
        'An X509 certificate with Basic Constraint: Certificate Authority equals true cannot be used as an identity',
        { code: 'MSP_INVALID_IDENTITY', mspId },
      );
    }
    const notBefore = Date.parse(certificate.validFrom);
    const notAfter = Date.parse(certificate.validTo);
    // Go's x509 checks the leaf's validity before building chains, so expiry wins over authority.
    this.checkValidity(mspId, notBefore, notAfter);
    const now = this.now().getTime();
    const issuer = loaded.roots.find(
      (root) =>
        now >= root.notBefore &&
        now <= root.notAfter &&
        certificate.checkIssued(root.certificate) &&
        certificate.verify(root.certificate.publicKey),
    );
    if (issuer === undefined) {
      throw new MspError('the supplied identity is not valid: x509: certificate signed by unknown authority', {
        code: 'MSP_UNKNOWN_AUTHORITY',
        mspId,
      });
    }
    const role = nodeOuRole(certificate, mspId);
    const certifier = role === undefined ? undefined : loaded.certifiers[role];
    if (certifier !== undefined && !certifier.equals(issuer.der)) {
      // Fabric's words (msp/mspimplvalidate.go), without its per-OU certifier hashes: the OU is bound to another root of the MSP.
      throw new MspError(`the supplied identity is not valid: certifiersIdentifier does not match: [${role}], MSP: [${mspId}]`, { code: 'MSP_INVALID_IDENTITY', mspId });
    }
    const identity: Identity = Object.freeze({
      mspId,
      certificatePem,
      certificate,
      role,
      serialized: Uint8Array.from(serializedIdentity),
    });
    return { identity, notBefore, notAfter };
  }

  private checkValidity(mspId: string, notBefore: number, notAfter: number): void {
    const now = this.now();
    const t = now.getTime();
    if (Number.isNaN(notBefore) || Number.isNaN(notAfter) || t < notBefore || t > notAfter) {
      const detail = t < notBefore ? `is before ${iso(notBefore)}` : `is after ${iso(notAfter)}`;
      const reason = `x509: certificate has expired or is not yet valid: current time ${now.toISOString()} ${detail}`;
      throw new MspError(`the supplied identity is not valid: ${reason}`, { code: 'MSP_CERT_EXPIRED', mspId });
    }
  }
}

/**
 * Reads an MSP folder's `cacerts/` and `tlscacerts/` (every PEM certificate of every file, files
 * in name order) into a definition.
 *
 * @param mspDir - an MSP folder, e.g. `.../peerOrganizations/org1.example.com/msp`.
 * @param mspId - the MSP ID to give it.
 * @returns the definition.
 * @throws MspError (`MSP_BAD_CONFIG`) when `cacerts/` holds no certificate; file-system errors
 *   other than a missing folder as node throws them.
 */
export function mspDefinitionFromFolder(mspDir: string, mspId: string): MspDefinition {
  const certificatesIn = (folder: string): string[] =>
    sortedFiles(join(mspDir, folder)).flatMap((file) => pemBlocks(readText(file), 'CERTIFICATE'));
  const rootCerts = certificatesIn('cacerts');
  if (rootCerts.length === 0) {
    throw new MspError(`could not load a valid ca certificate from directory ${join(mspDir, 'cacerts')}`, {
      code: 'MSP_BAD_CONFIG',
      mspId,
    });
  }
  return { mspId, rootCerts, tlsRootCerts: certificatesIn('tlscacerts') };
}

function parseCertificates(pem: string, mspId: string, kind: string): X509Certificate[] {
  const blocks = pemBlocks(pem, 'CERTIFICATE');
  if (blocks.length === 0) {
    throw new MspError(`MSP ${mspId}: a ${kind} certificate is not PEM`, { code: 'MSP_BAD_CONFIG', mspId });
  }
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new MspError(`MSP ${mspId}: a ${kind} certificate does not parse`, { code: 'MSP_BAD_CONFIG', mspId, cause: err });
    }
  });
}

/** The NodeOU among the subject's OUs; Fabric refuses an identity that claims several. */
function nodeOuRole(certificate: X509Certificate, mspId: string): NodeOuRole | undefined {
  const roles = new Set<NodeOuRole>();
  const ous: string[] = [];
  // node:crypto prints one attribute per line ("OU=peer"); values with separators are escaped.
  for (const line of certificate.subject.split('\n')) {
    if (line.startsWith('OU=')) {
      const ou = line.slice(3);
      ous.push(ou);
      if (NODE_OU_ROLES.has(ou)) {
        roles.add(ou as NodeOuRole);
      }
    }
  }
  if (roles.size > 1) {
    const rule = 'the identity must be a client, a peer, an orderer or an admin identity to be valid, not a combination of them';
    throw new MspError(`${rule}. OUs: [${ous.join(' ')}], MSP: [${mspId}]`, { code: 'MSP_INVALID_IDENTITY', mspId });
  }
  return roles.values().next().value;
}

function iso(ms: number): string {
  return Number.isNaN(ms) ? 'an unreadable date' : new Date(ms).toISOString();
}
