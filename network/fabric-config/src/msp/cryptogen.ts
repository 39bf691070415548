/**
 * Generates an organisation's crypto material in the folder layout of Fabric's `cryptogen`
 * (F `internal/cryptogen/{ca,msp,csp}`), so fabric-samples clients and the `peer` CLI find
 * certificates and keys where they look for them.
 *
 * Certificates follow cryptogen's templates: self-signed CAs with a SHA-256 SubjectKeyIdentifier,
 * leaves with the CA's AuthorityKeyIdentifier, NodeOU roles in the signing certificates' OU, TLS
 * certificates for server and client auth, validity from five minutes ago for ten years, and
 * low-S certificate signatures (cryptogen's `ECDSASigner` normalises them, and Fabric's MSP
 * sanitises certificates to low-S before comparing them).
 *
 * @packageDocumentation
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { toLowS } from '../crypto';
import { MspError } from './errors';
import { toPem } from './pem';

/** One organisation to generate: its MSP, DNS domain and the names of its peer and orderer. */
export interface OrgSpec {
  /** MSP ID, e.g. `Org1MSP`. */
  mspId: string;
  /** DNS domain, e.g. `org1.example.com`; names the folder and every certificate. */
  domain: string;
  /** Host label of the peer, e.g. `peer0` for `peer0.org1.example.com`. */
  peerName: string;
  /** Host label of the orderer, e.g. `orderer0`; in this project the orderer belongs to the org's MSP. */
  ordererName: string;
  /**
   * `peer` (default): under `organizations/peerOrganizations/<domain>`; `orderer`: an ordering
   * service organisation of its own (test-network's `OrdererOrg`), under
   * `organizations/ordererOrganizations/<domain>`. Both get the same four identities; an orderer
   * organisation simply never runs its peer.
   */
  kind?: 'peer' | 'orderer';
  /**
   * IP addresses the org's nodes are dialled on, as TLS SANs of their server certificates
   * (default `127.0.0.1`). Fabric's nodes dial each other by the address in the channel config and
   * check it against the SANs, so an org on a loopback address of its own (127.0.0.2, ...) needs it here.
   */
  ipAddresses?: readonly string[];
}

/** Crypto material of a peer or orderer node. */
export interface NodeCrypto {
  /** Fully qualified host name, e.g. `peer0.org1.example.com`; the CN and a TLS SAN. */
  host: string;
  /** The node's local MSP folder (keystore, signcerts, cacerts, tlscacerts, config.yaml). */
  mspDir: string;
  /** Enrolment certificate, OU `peer` or `orderer`. */
  signCertPem: string;
  /** PKCS#8 PEM key of {@link NodeCrypto.signCertPem}. */
  privateKeyPem: string;
  /** TLS server certificate (`tls/server.crt`). */
  tlsCertPem: string;
  /** PKCS#8 PEM key of the TLS certificate (`tls/server.key`). */
  tlsKeyPem: string;
  /** Path of `tls/ca.crt`, the TLS CA certificate clients pin for this node. */
  tlsCaPath: string;
}

/** Crypto material of a user (the org's Admin or User1). */
export interface UserCrypto {
  /** User name, e.g. `Admin@org1.example.com`; the CN. */
  name: string;
  /** The user's MSP folder. */
  mspDir: string;
  /** Enrolment certificate, OU `admin` or `client`. */
  certPem: string;
  /** PKCS#8 PEM key of {@link UserCrypto.certPem}. */
  privateKeyPem: string;
  /** TLS client certificate (`tls/client.crt`). */
  tlsCertPem: string;
  /** PKCS#8 PEM key of the TLS client certificate (`tls/client.key`). */
  tlsKeyPem: string;
}

/** Everything generated for one organisation. */
export interface OrgCrypto {
  mspId: string;
  domain: string;
  /** `<rootDir>/organizations/peerOrganizations/<domain>`. */
  orgDir: string;
  /** The org's verifying MSP folder (cacerts, tlscacerts, config.yaml), as a channel config uses it. */
  mspDir: string;
  /** Root certificate of the org's identity CA (`ca/ca.<domain>-cert.pem`). */
  caCertPem: string;
  /** Root certificate of the org's TLS CA (`tlsca/tlsca.<domain>-cert.pem`). */
  tlsCaCertPem: string;
  peer: NodeCrypto;
  orderer: NodeCrypto;
  admin: UserCrypto;
  user: UserCrypto;
}

type NodeOuRole = 'client' | 'peer' | 'admin' | 'orderer';
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** Subject attributes cryptogen puts before O/OU/CN (`subjectTemplateAdditional`). */
const SUBJECT_PREFIX: x509.JsonName = [{ C: ['US'] }, { ST: ['North Carolina'] }, { L: ['San Francisco'] }];
const VALIDITY_MS = 3650 * 24 * 60 * 60 * 1000;
/** Backdated so that clocks a little behind ours still accept fresh certificates. */
const BACKDATE_MS = 5 * 60 * 1000;
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
// Bitwise OR of enum members is a plain number; the casts restate that it is a set of flags.
const TLS_KEY_USAGE = (x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment) as x509.KeyUsageFlags;
const CA_KEY_USAGE = (x509.KeyUsageFlags.digitalSignature |
  x509.KeyUsageFlags.keyEncipherment |
  x509.KeyUsageFlags.keyCertSign |
  x509.KeyUsageFlags.cRLSign) as x509.KeyUsageFlags;
const AUTH_USAGES = [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];

/**
 * WebCrypto whose ECDSA signatures are low-S. @peculiar/x509 signs through `subtle.sign`, which
 * returns P1363 r || s; normalising there gives low-S certificate signatures without re-encoding.
 * Passed per call rather than set globally so other users of @peculiar/x509 are unaffected.
 */
const lowSCrypto: webcrypto.Crypto = withLowSSignatures(webcrypto);

function withLowSSignatures(base: webcrypto.Crypto): webcrypto.Crypto {
  const signLowS = async (...args: Parameters<webcrypto.SubtleCrypto['sign']>): Promise<ArrayBuffer> => {
    const raw = new Uint8Array(await base.subtle.sign(...args));
    const lowS = toLowS(raw, 'p1363');
    return lowS.buffer.slice(lowS.byteOffset, lowS.byteOffset + lowS.byteLength) as ArrayBuffer;
  };
  // WebCrypto methods check their receiver, so everything not overridden is bound to the original.
  const bindTo = <T extends object>(target: T, overrides: Record<string | symbol, unknown>): T =>
    new Proxy(target, {
      get(obj, prop): unknown {
        if (Object.prototype.hasOwnProperty.call(overrides, prop)) {
          return overrides[prop];
        }
        const value: unknown = Reflect.get(obj, prop, obj);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
      },
    });
  return bindTo(base, { subtle: bindTo(base.subtle, { sign: signLowS }) });
}

interface KeyMaterial {
  keys: CryptoKeyPair;
  privateKeyPem: string;
  /** Hex SHA-256 of the uncompressed public point: cryptogen's `computeSKI` (RFC 7093 method 4). */
  ski: string;
}

interface Ca {
  name: string;
  cert: x509.X509Certificate;
  pem: string;
  keys: CryptoKeyPair;
  privateKeyPem: string;
  ski: string;
}

interface LeafSpec {
  commonName: string;
  organizationalUnit?: NodeOuRole;
  keyUsage: x509.KeyUsageFlags;
  extendedKeyUsages?: readonly string[];
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
}

interface EntityPlan {
  name: string;
  dir: string;
  role: NodeOuRole;
  tls: 'server' | 'client';
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
}

/** The PEM files of one node or user. */
interface EntityPems {
  signCertPem: string;
  privateKeyPem: string;
  tlsCertPem: string;
  tlsKeyPem: string;
}

const ENTITY_KEYS = ['peer', 'orderer', 'admin', 'user'] as const;
type EntityRecord<T> = Record<(typeof ENTITY_KEYS)[number], T>;

interface FileToWrite {
  path: string;
  content: string;
  mode: number;
}

/**
 * Generates a peer organisation's CAs, MSP folders, peer, orderer, Admin and User1 under
 * `<rootDir>/organizations/peerOrganizations/<domain>/`, in cryptogen's layout. Existing files of
 * the same names are overwritten; keys are ECDSA P-256 in PKCS#8 PEM (`priv_sk`, mode 0600).
 *
 * @param rootDir - the folder that will hold `organizations/`.
 * @param org - MSP ID, domain and node names.
 * @returns the generated material and the paths clients need.
 * @throws MspError (`MSP_BAD_CONFIG`) when the spec is unusable; file-system errors as node throws them.
 * @example
 * ```ts
 * const orgs = await Promise.all(specs.map((spec) => generateOrgCrypto(dataDir, spec)));
 * const registry = new MspRegistry(orgs.map((o) => mspDefinitionFromFolder(o.mspDir, o.mspId)));
 * ```
 */
export async function generateOrgCrypto(rootDir: string, org: OrgSpec): Promise<OrgCrypto> {
  validateSpec(org);
  const layout = orgLayout(rootDir, org);
  const validity = validityWindow(new Date());

  const [caKey, tlsCaKey] = await Promise.all([newKey(), newKey()]);
  const [ca, tlsCa] = await Promise.all([
    createCa(`ca.${org.domain}`, org.domain, caKey, validity),
    createCa(`tlsca.${org.domain}`, org.domain, tlsCaKey, validity),
  ]);
  const plans = entityPlans(layout, org);
  const pems = await forEachEntity(plans, (plan) => issueEntity(plan, ca, tlsCa, validity));

  const files: FileToWrite[] = [
    certFile(join(layout.orgDir, 'ca', `${ca.name}-cert.pem`), ca.pem),
    keyFile(join(layout.orgDir, 'ca', 'priv_sk'), ca.privateKeyPem),
    certFile(join(layout.orgDir, 'tlsca', `${tlsCa.name}-cert.pem`), tlsCa.pem),
    keyFile(join(layout.orgDir, 'tlsca', 'priv_sk'), tlsCa.privateKeyPem),
    ...verifyingMspFiles(layout.mspDir, ca, tlsCa),
  ];
  for (const key of ENTITY_KEYS) {
    files.push(...entityFiles(plans[key], pems[key], ca, tlsCa));
  }
  await writeAll(files, [layout.mspDir, ...ENTITY_KEYS.map((key) => join(plans[key].dir, 'msp'))]);
  return assemble(org, layout, ca.pem, tlsCa.pem, plans, pems);
}

/**
 * Reads back material that {@link generateOrgCrypto} (or cryptogen with the same names) wrote,
 * so a restarted devnet keeps the identities its clients already hold.
 *
 * @param rootDir - the folder holding `organizations/`.
 * @param org - the same spec the material was generated with.
 * @returns the material, as {@link generateOrgCrypto} returns it.
 * @throws MspError (`MSP_BAD_CONFIG`) when the spec is unusable or a file is missing or unreadable.
 */
export async function loadOrgCrypto(rootDir: string, org: OrgSpec): Promise<OrgCrypto> {
  validateSpec(org);
  const layout = orgLayout(rootDir, org);
  const read = async (path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new MspError(`cannot read ${path} of ${org.mspId}`, { code: 'MSP_BAD_CONFIG', mspId: org.mspId, cause: err });
    }
  };
  const plans = entityPlans(layout, org);
  const [caCertPem, tlsCaCertPem, pems] = await Promise.all([
    read(join(layout.orgDir, 'ca', `ca.${org.domain}-cert.pem`)),
    read(join(layout.orgDir, 'tlsca', `tlsca.${org.domain}-cert.pem`)),
    forEachEntity(plans, async (plan): Promise<EntityPems> => {
      const [signCertPem, privateKeyPem, tlsCertPem, tlsKeyPem] = await Promise.all([
        read(join(plan.dir, 'msp', 'signcerts', `${plan.name}-cert.pem`)),
        read(join(plan.dir, 'msp', 'keystore', 'priv_sk')),
        read(join(plan.dir, 'tls', `${plan.tls}.crt`)),
        read(join(plan.dir, 'tls', `${plan.tls}.key`)),
      ]);
      return { signCertPem, privateKeyPem, tlsCertPem, tlsKeyPem };
    }),
  ]);
  return assemble(org, layout, caCertPem, tlsCaCertPem, plans, pems);
}

/**
 * Issues one more peer node of an organisation whose material {@link generateOrgCrypto} (or
 * cryptogen) wrote: enrolment certificate (NodeOU `peer`) from the org's CA and TLS server
 * certificate from its TLS CA, both read with their keys from `ca/` and `tlsca/`, in the same
 * layout as the org's first peer (`peers/<peerName>.<domain>/{msp,tls}`), as `cryptogen extend`
 * does for a raised peer count.
 *
 * @param rootDir - the folder holding `organizations/`.
 * @param org - the organisation's spec (its own `peerName` is not used).
 * @param peerName - the new node's host label, e.g. `peer1`; it must differ from the org's nodes.
 * @returns the new node's material.
 * @throws MspError (`MSP_BAD_CONFIG`) when the spec or name is unusable, or a CA file is missing or not a P-256 key.
 */
export async function issuePeerNode(rootDir: string, org: OrgSpec, peerName: string): Promise<NodeCrypto> {
  validateSpec(org);
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(peerName) || peerName === org.peerName || peerName === org.ordererName) {
    throw new MspError(`invalid peer name ${JSON.stringify(peerName)}: a DNS label other than ${org.peerName} and ${org.ordererName}`, { code: 'MSP_BAD_CONFIG', mspId: org.mspId });
  }
  const layout = orgLayout(rootDir, org);
  const [ca, tlsCa] = await Promise.all([loadCa(join(layout.orgDir, 'ca'), `ca.${org.domain}`, org), loadCa(join(layout.orgDir, 'tlsca'), `tlsca.${org.domain}`, org)]);
  const plan = entityPlans(layout, { ...org, peerName }).peer;
  const pems = await issueEntity(plan, ca, tlsCa, validityWindow(new Date()));
  await writeAll(entityFiles(plan, pems, ca, tlsCa), [join(plan.dir, 'msp')]);
  return toNodeCrypto(plan, pems);
}

/** A CA that {@link generateOrgCrypto} wrote: `<dir>/<name>-cert.pem` and its key `<dir>/priv_sk`. */
async function loadCa(dir: string, name: string, org: OrgSpec): Promise<Ca> {
  try {
    const [pem, keyPem] = await Promise.all([readFile(join(dir, `${name}-cert.pem`), 'utf8'), readFile(join(dir, 'priv_sk'), 'utf8')]);
    const cert = new x509.X509Certificate(pem);
    const der = Buffer.from(keyPem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, ''), 'base64');
    const privateKey = await webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, true, ['sign']);
    const publicKey = await webcrypto.subtle.importKey('spki', new Uint8Array(cert.publicKey.rawData), KEY_ALGORITHM, true, ['verify']);
    const ski = Buffer.from(await webcrypto.subtle.digest('SHA-256', await webcrypto.subtle.exportKey('raw', publicKey))).toString('hex');
    return { name, cert, pem, keys: { privateKey, publicKey }, privateKeyPem: keyPem, ski };
  } catch (err) {
    throw new MspError(`cannot load the CA ${name} of ${org.mspId} from ${dir}: ${(err as Error).message}`, { code: 'MSP_BAD_CONFIG', mspId: org.mspId, cause: err });
  }
}

/**
 * The NodeOU `config.yaml` cryptogen writes into every MSP folder: all four OU identifiers bound
 * to the org's identity CA certificate.
 *
 * @param caCertFileName - file name of the CA certificate inside `cacerts/`.
 * @returns the YAML text.
 */
export function nodeOuConfigYaml(caCertFileName: string): string {
  const certificate = `cacerts/${caCertFileName}`;
  const identifier = (key: string, ou: NodeOuRole): string =>
    `  ${key}:\n    Certificate: ${certificate}\n    OrganizationalUnitIdentifier: ${ou}\n`;
  return (
    'NodeOUs:\n  Enable: true\n' +
    identifier('ClientOUIdentifier', 'client') +
    identifier('PeerOUIdentifier', 'peer') +
    identifier('AdminOUIdentifier', 'admin') +
    identifier('OrdererOUIdentifier', 'orderer')
  );
}

function validateSpec(org: OrgSpec): void {
  const label = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;
  const problems: string[] = [];
  const q = JSON.stringify;
  // The names become folder names and certificate names, so anything else is refused up front.
  if (!/^[A-Za-z0-9._-]+$/.test(org.mspId)) problems.push(`mspId ${q(org.mspId)} is empty or has unsafe characters`);
  if (!org.domain.split('.').every((part) => label.test(part))) problems.push(`domain ${q(org.domain)} is not a DNS name`);
  if (!label.test(org.peerName)) problems.push(`peerName ${q(org.peerName)} is not a DNS label`);
  if (!label.test(org.ordererName)) problems.push(`ordererName ${q(org.ordererName)} is not a DNS label`);
  if (org.peerName === org.ordererName) problems.push('peerName and ordererName must differ');
  for (const ip of org.ipAddresses ?? []) {
    if (isIP(ip) === 0) problems.push(`ipAddresses: ${q(ip)} is not an IP address`);
  }
  if (problems.length > 0) {
    throw new MspError(`invalid org spec: ${problems.join('; ')}`, { code: 'MSP_BAD_CONFIG', mspId: org.mspId });
  }
}

interface OrgLayout {
  orgDir: string;
  mspDir: string;
}

function orgLayout(rootDir: string, org: OrgSpec): OrgLayout {
  const orgDir = join(rootDir, 'organizations', org.kind === 'orderer' ? 'ordererOrganizations' : 'peerOrganizations', org.domain);
  return { orgDir, mspDir: join(orgDir, 'msp') };
}

function entityPlans(layout: OrgLayout, org: OrgSpec): EntityRecord<EntityPlan> {
  const node = (label: string, folder: string, role: NodeOuRole): EntityPlan => {
    const host = `${label}.${org.domain}`;
    // cryptogen's default SANs are the FQDN and the short host name; fabric-samples dial localhost
    // with ssl_target_name_override, and tools may dial 127.0.0.1.
    return {
      name: host,
      dir: join(layout.orgDir, folder, host),
      role,
      tls: 'server',
      dnsNames: [host, label, 'localhost'],
      ipAddresses: org.ipAddresses ?? ['127.0.0.1'],
    };
  };
  const user = (prefix: string, role: NodeOuRole): EntityPlan => {
    const name = `${prefix}@${org.domain}`;
    // cryptogen gives user TLS certificates no SANs: they only ever act as TLS clients.
    return { name, dir: join(layout.orgDir, 'users', name), role, tls: 'client', dnsNames: [], ipAddresses: [] };
  };
  return {
    peer: node(org.peerName, 'peers', 'peer'),
    orderer: node(org.ordererName, 'orderers', 'orderer'),
    admin: user('Admin', 'admin'),
    user: user('User1', 'client'),
  };
}

async function forEachEntity<T>(
  plans: EntityRecord<EntityPlan>,
  f: (plan: EntityPlan) => Promise<T>,
): Promise<EntityRecord<T>> {
  const [peer, orderer, admin, user] = await Promise.all(ENTITY_KEYS.map((key) => f(plans[key])));
  // Promise.all over a four-element tuple yields four values; the casts restate that for the compiler.
  return { peer: peer as T, orderer: orderer as T, admin: admin as T, user: user as T };
}

function assemble(
  org: OrgSpec,
  layout: OrgLayout,
  caCertPem: string,
  tlsCaCertPem: string,
  plans: EntityRecord<EntityPlan>,
  pems: EntityRecord<EntityPems>,
): OrgCrypto {
  return {
    mspId: org.mspId,
    domain: org.domain,
    orgDir: layout.orgDir,
    mspDir: layout.mspDir,
    caCertPem,
    tlsCaCertPem,
    peer: toNodeCrypto(plans.peer, pems.peer),
    orderer: toNodeCrypto(plans.orderer, pems.orderer),
    admin: toUserCrypto(plans.admin, pems.admin),
    user: toUserCrypto(plans.user, pems.user),
  };
}

interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** cryptogen's `x509Template`: now rounded to the minute, minus five minutes, for 3650 days. */
function validityWindow(now: Date): Validity {
  const minute = 60 * 1000;
  const notBefore = new Date(Math.round(now.getTime() / minute) * minute - BACKDATE_MS);
  return { notBefore, notAfter: new Date(notBefore.getTime() + VALIDITY_MS) };
}

async function newKey(): Promise<KeyMaterial> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const [pkcs8, rawPublic] = await Promise.all([
    webcrypto.subtle.exportKey('pkcs8', keys.privateKey),
    webcrypto.subtle.exportKey('raw', keys.publicKey),
  ]);
  const ski = Buffer.from(await webcrypto.subtle.digest('SHA-256', rawPublic)).toString('hex');
  return { keys, privateKeyPem: toPem('PRIVATE KEY', new Uint8Array(pkcs8)), ski };
}

/** A positive 128-bit serial with a non-zero leading byte, as cryptogen draws below 2^128. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes.readUInt8(0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

async function createCa(name: string, organization: string, key: KeyMaterial, validity: Validity): Promise<Ca> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: [...SUBJECT_PREFIX, { O: [organization] }, { CN: [name] }],
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
      keys: key.keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]),
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.SubjectKeyIdentifierExtension(key.ski),
      ],
    },
    lowSCrypto,
  );
  return { name, cert, pem: certPem(cert), keys: key.keys, privateKeyPem: key.privateKeyPem, ski: key.ski };
}

async function issueLeaf(ca: Ca, spec: LeafSpec, publicKey: webcrypto.CryptoKey, validity: Validity): Promise<string> {
  const subject: x509.JsonName = [...SUBJECT_PREFIX];
  if (spec.organizationalUnit !== undefined) {
    subject.push({ OU: [spec.organizationalUnit] });
  }
  subject.push({ CN: [spec.commonName] });
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(spec.keyUsage, true),
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.AuthorityKeyIdentifierExtension(ca.ski),
  ];
  if (spec.extendedKeyUsages !== undefined && spec.extendedKeyUsages.length > 0) {
    extensions.push(new x509.ExtendedKeyUsageExtension([...spec.extendedKeyUsages]));
  }
  const names: x509.JsonGeneralNames = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (names.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
  }
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject,
      issuer: ca.cert.subjectName,
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
      publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions,
    },
    lowSCrypto,
  );
  return certPem(cert);
}

async function issueEntity(plan: EntityPlan, ca: Ca, tlsCa: Ca, validity: Validity): Promise<EntityPems> {
  const [signKey, tlsKey] = await Promise.all([newKey(), newKey()]);
  // Enrolment certificates carry the NodeOU and nothing else (cryptogen passes an empty EKU list).
  const enrolment: LeafSpec = {
    commonName: plan.name,
    organizationalUnit: plan.role,
    keyUsage: x509.KeyUsageFlags.digitalSignature,
  };
  // cryptogen gives every TLS certificate both usages, so a node's cert also works as a TLS client.
  const tls: LeafSpec = {
    commonName: plan.name,
    keyUsage: TLS_KEY_USAGE,
    extendedKeyUsages: AUTH_USAGES,
    dnsNames: plan.dnsNames,
    ipAddresses: plan.ipAddresses,
  };
  const [signCertPem, tlsCertPem] = await Promise.all([
    issueLeaf(ca, enrolment, signKey.keys.publicKey, validity),
    issueLeaf(tlsCa, tls, tlsKey.keys.publicKey, validity),
  ]);
  return { signCertPem, privateKeyPem: signKey.privateKeyPem, tlsCertPem, tlsKeyPem: tlsKey.privateKeyPem };
}

function certPem(cert: x509.X509Certificate): string {
  return toPem('CERTIFICATE', new Uint8Array(cert.rawData));
}

function certFile(path: string, content: string): FileToWrite {
  return { path, content, mode: 0o644 };
}

function keyFile(path: string, content: string): FileToWrite {
  return { path, content, mode: 0o600 };
}

/** cacerts, tlscacerts and config.yaml: what every MSP folder, local or verifying, contains. */
function verifyingMspFiles(mspDir: string, ca: Ca, tlsCa: Ca): FileToWrite[] {
  return [
    certFile(join(mspDir, 'cacerts', `${ca.name}-cert.pem`), ca.pem),
    certFile(join(mspDir, 'tlscacerts', `${tlsCa.name}-cert.pem`), tlsCa.pem),
    certFile(join(mspDir, 'config.yaml'), nodeOuConfigYaml(`${ca.name}-cert.pem`)),
  ];
}

function entityFiles(plan: EntityPlan, m: EntityPems, ca: Ca, tlsCa: Ca): FileToWrite[] {
  const mspDir = join(plan.dir, 'msp');
  const tlsDir = join(plan.dir, 'tls');
  return [
    ...verifyingMspFiles(mspDir, ca, tlsCa),
    keyFile(join(mspDir, 'keystore', 'priv_sk'), m.privateKeyPem),
    certFile(join(mspDir, 'signcerts', `${plan.name}-cert.pem`), m.signCertPem),
    certFile(join(tlsDir, 'ca.crt'), tlsCa.pem),
    certFile(join(tlsDir, `${plan.tls}.crt`), m.tlsCertPem),
    keyFile(join(tlsDir, `${plan.tls}.key`), m.tlsKeyPem),
  ];
}

/**
 * Creates every parent folder, plus an empty `admincerts/` in each MSP folder as cryptogen does
 * (with NodeOUs admins are recognised by OU, but tools that list the folder expect it), then
 * writes all files concurrently.
 */
async function writeAll(files: readonly FileToWrite[], mspDirs: readonly string[]): Promise<void> {
  const dirs = new Set<string>(mspDirs.map((dir) => join(dir, 'admincerts')));
  for (const file of files) {
    dirs.add(join(file.path, '..'));
  }
  await Promise.all([...dirs].map((dir) => mkdir(dir, { recursive: true, mode: 0o755 })));
  await Promise.all(files.map((file) => writeFile(file.path, file.content, { mode: file.mode })));
}

function toNodeCrypto(plan: EntityPlan, pems: EntityPems): NodeCrypto {
  return {
    host: plan.name,
    mspDir: join(plan.dir, 'msp'),
    signCertPem: pems.signCertPem,
    privateKeyPem: pems.privateKeyPem,
    tlsCertPem: pems.tlsCertPem,
    tlsKeyPem: pems.tlsKeyPem,
    tlsCaPath: join(plan.dir, 'tls', 'ca.crt'),
  };
}

function toUserCrypto(plan: EntityPlan, pems: EntityPems): UserCrypto {
  return {
    name: plan.name,
    mspDir: join(plan.dir, 'msp'),
    certPem: pems.signCertPem,
    privateKeyPem: pems.privateKeyPem,
    tlsCertPem: pems.tlsCertPem,
    tlsKeyPem: pems.tlsKeyPem,
  };
}
