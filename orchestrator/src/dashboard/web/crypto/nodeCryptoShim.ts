/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What the protocol core imports from `node:crypto`, for the browser bundle: esbuild aliases
 * `node:crypto` to this module (see ../build.mjs), so the core runs unchanged. SHA-256 is
 * @noble/hashes; `X509Certificate` is BrowserCertificate (the core's default verifier parses
 * CA certificates with `new X509Certificate(pem)`). Signing needs a private key, which a
 * dashboard never has.
 */
import { sha256 } from '@noble/hashes/sha2';
import { BrowserCertificate } from './certificate';

export { BrowserCertificate as X509Certificate };

type Encoding = 'hex' | 'base64';

/** The subset of Node's Hash the core uses: SHA-256 over strings (UTF-8) and bytes. */
class Sha256Hash {
  private readonly chunks: Uint8Array[] = [];

  update(data: string | Uint8Array): this {
    this.chunks.push(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    return this;
  }

  digest(): Buffer;
  digest(encoding: Encoding): string;
  digest(encoding?: Encoding): Buffer | string {
    const whole = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let offset = 0;
    for (const chunk of this.chunks) {
      whole.set(chunk, offset);
      offset += chunk.length;
    }
    const bytes = Buffer.from(sha256(whole));
    return encoding === undefined ? bytes : bytes.toString(encoding);
  }
}

/** `createHash('sha256')`; any other algorithm is refused by name. */
export function createHash(algorithm: string): Sha256Hash {
  if (algorithm.toLowerCase() !== 'sha256') throw new Error(`createHash('${algorithm}') is not available in the browser: only sha256`);
  return new Sha256Hash();
}

/** Signing is not a dashboard's job: refused with a clear message. */
export function createPrivateKey(): never {
  throw new Error('private keys are not available in the browser dashboard');
}
