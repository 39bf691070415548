/** PEM helpers shared by the MSP loaders; `sameCertificate` is exported for everyone. */
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Every PEM block labelled `label` in `text`, each normalised to end with a newline. */
export function pemBlocks(text: string, label: string): string[] {
  const blocks: string[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    if (match[1] === label) {
      blocks.push(`${match[0]}\n`);
    }
  }
  return blocks;
}

/** Wraps DER bytes as PEM with 64-column lines, as Go's `pem.Encode` writes them. */
export function toPem(label: string, der: Uint8Array): string {
  const body = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/**
 * Regular files of `dir` sorted by name, or `[]` when the folder does not exist. Sorting makes
 * "the first file" deterministic, which is how Fabric's samples pick keystore and signcerts entries.
 */
export function sortedFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw err;
  }
  return names
    .sort()
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

/** The text of `path`. */
export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Whether two PEM texts hold the same certificate (same DER, whatever the line ends); false when either does not parse. */
export function sameCertificate(a: string, b: string): boolean {
  try {
    return new X509Certificate(a).raw.equals(new X509Certificate(b).raw);
  } catch {
    return false;
  }
}
