/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Chaincode install packages as `peer lifecycle chaincode package` writes them: a tar.gz holding
 * `metadata.json` ({ type, label, path }) and `code.tar.gz` (for `ccaas`, a `connection.json`; for
 * `node`, the code under `src/`). The package id is `<label>:<hex sha256 of the package bytes>`,
 * as Fabric computes it, so the same file gets the same id on the devnet and on a Fabric peer.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { extract, pack } from 'tar-stream';

/** Fabric's label rule (core/chaincode/persistence LabelRegexp). */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
/** A package larger than this is refused before it is unpacked (the peer's gRPC limit is 100 MiB). */
const MAX_ENTRY_BYTES = 100 * 1024 * 1024;

export class PackageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackageError';
  }
}

/** What a ccaas package's connection.json says. */
export interface CcaasConnection {
  address: string;
  dialTimeout?: string;
  tlsRequired: boolean;
}

export interface ChaincodePackage {
  type: string;
  label: string;
  packageId: string;
  /** code.tar.gz, unpacked. */
  code: Map<string, Buffer>;
}

/** `<label>:<hex sha256 of the bytes>`. */
export function packageIdOf(label: string, bytes: Uint8Array): string {
  return `${label}:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Reads an install package.
 * @throws PackageError naming what is missing or malformed, in Fabric's words where it has some.
 */
export async function parseChaincodePackage(bytes: Uint8Array): Promise<ChaincodePackage> {
  if (bytes.length === 0) throw new PackageError('empty chaincode install package: build one with `peer lifecycle chaincode package`');
  const entries = await readTarGz(bytes, 'chaincode install package');
  const metadataBytes = entries.get('metadata.json');
  if (!metadataBytes) throw new PackageError('could not parse as a chaincode install package: did not find any package metadata (missing metadata.json)');
  let metadata: { type?: unknown; label?: unknown };
  try {
    metadata = JSON.parse(metadataBytes.toString('utf8')) as typeof metadata;
  } catch (err) {
    throw new PackageError(`could not parse as a chaincode install package: could not unmarshal metadata.json as json: ${(err as Error).message}`);
  }
  const label = typeof metadata.label === 'string' ? metadata.label : '';
  if (!LABEL.test(label)) {
    throw new PackageError(`could not parse as a chaincode install package: invalid label '${label}'. Label must be non-empty, can only consist of alphanumerics, symbols from '.+-_', and can only begin with alphanumerics`);
  }
  const type = typeof metadata.type === 'string' ? metadata.type.toLowerCase() : '';
  const codeBytes = entries.get('code.tar.gz');
  if (!codeBytes) throw new PackageError('could not parse as a chaincode install package: did not find a code package (missing code.tar.gz)');
  const code = await readTarGz(codeBytes, 'code.tar.gz');
  return { type, label, packageId: packageIdOf(label, bytes), code };
}

/**
 * The connection a ccaas package names.
 * @throws PackageError when connection.json is missing or has no address.
 */
export function ccaasConnectionOf(pkg: ChaincodePackage): CcaasConnection {
  const raw = pkg.code.get('connection.json');
  if (!raw) throw new PackageError(`package ${pkg.packageId} is of type ccaas but its code.tar.gz has no connection.json`);
  let parsed: { address?: unknown; dial_timeout?: unknown; tls_required?: unknown };
  try {
    parsed = JSON.parse(raw.toString('utf8')) as typeof parsed;
  } catch (err) {
    throw new PackageError(`connection.json of package ${pkg.packageId} is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed.address !== 'string' || !/^[^:\s]+:\d{1,5}$/.test(parsed.address)) {
    throw new PackageError(`connection.json of package ${pkg.packageId} needs "address": "host:port"`);
  }
  return { address: parsed.address, dialTimeout: typeof parsed.dial_timeout === 'string' ? parsed.dial_timeout : undefined, tlsRequired: parsed.tls_required === true };
}

/** The files of a tar.gz, by path ("./" prefixes dropped); directories and links are skipped. */
export async function readTarGz(bytes: Uint8Array, what: string): Promise<Map<string, Buffer>> {
  let tarBytes: Buffer;
  try {
    tarBytes = gunzipSync(bytes, { maxOutputLength: MAX_ENTRY_BYTES });
  } catch (err) {
    throw new PackageError(`${what} is not a gzip file: ${(err as Error).message}`);
  }
  const files = new Map<string, Buffer>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => { chunks.push(c as Buffer); });
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', (err: Error) => { reject(new PackageError(`${what} is not a tar archive: ${err.message}`)); });
  });
  Readable.from([tarBytes]).pipe(ex);
  await done;
  return files;
}

/** A tar.gz of the given files (mode 0644), for building packages in code and tests. */
export async function writeTarGz(files: ReadonlyMap<string, Uint8Array>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const collected = new Promise<void>((resolve, reject) => {
    p.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const [name, content] of files) {
    await new Promise<void>((resolve, reject) => {
      p.entry({ name, size: content.length, mode: 0o644, mtime: new Date(0) }, Buffer.from(content), (err) => { if (err) reject(err); else resolve(); });
    });
  }
  p.finalize();
  await collected;
  return gzipSync(Buffer.concat(chunks));
}

/** An install package as `peer lifecycle chaincode package` lays it out. */
export async function buildChaincodePackage(type: string, label: string, code: ReadonlyMap<string, Uint8Array>): Promise<Buffer> {
  const codeTarGz = await writeTarGz(code);
  const metadata = Buffer.from(JSON.stringify({ path: '', type, label }));
  return writeTarGz(new Map<string, Uint8Array>([['metadata.json', metadata], ['code.tar.gz', codeTarGz]]));
}
