/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The folder beside the connection file (`<file>.files/`) that holds what the file names but the
 * source did not have as files: PEMs given inline by a profile or the channel config, identities
 * from a wallet, and public-only copies of other members' MSP folders.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** The MSP sub-folders that hold only certificates: everything but keystore/. */
const PUBLIC_MSP_PARTS = ['signcerts', 'cacerts', 'intermediatecerts', 'tlscacerts', 'tlsintermediatecerts', 'admincerts'] as const;

export class MaterialDir {
  constructor(readonly dir: string) {}

  /** The folder for a connection file `out`: `<out>.files`. */
  static beside(out: string): MaterialDir {
    return new MaterialDir(`${out}.files`);
  }

  /** Absolute path of `parts` inside the folder. */
  pathOf(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** Writes a PEM (0644) and returns its path. */
  writePem(pem: string, ...parts: string[]): string {
    const file = this.pathOf(...parts);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, pem.endsWith('\n') ? pem : `${pem}\n`, { mode: 0o644 });
    chmodSync(file, 0o644);
    return file;
  }

  /**
   * A copy of an MSP folder without its keystore/, so that a member's own file can name another
   * member's identity (certificates only) and holds no path to that member's private keys.
   *
   * @param source - the MSP folder to copy, or undefined for one holding only `caCertPem`.
   * @param caCertPem - written to cacerts/ when the source has none.
   */
  publicMsp(source: string | undefined, caCertPem: string | undefined, ...parts: string[]): string {
    const target = this.pathOf(...parts);
    mkdirSync(target, { recursive: true });
    if (source !== undefined) {
      for (const part of PUBLIC_MSP_PARTS) {
        const from = path.join(source, part);
        if (!existsSync(from) || !statSync(from).isDirectory()) continue;
        mkdirSync(path.join(target, part), { recursive: true });
        for (const name of readdirSync(from)) {
          if (statSync(path.join(from, name)).isFile()) copyFileSync(path.join(from, name), path.join(target, part, name));
        }
      }
      if (existsSync(path.join(source, 'config.yaml'))) copyFileSync(path.join(source, 'config.yaml'), path.join(target, 'config.yaml'));
    }
    if (caCertPem !== undefined && !existsSync(path.join(target, 'cacerts'))) this.writePem(caCertPem, ...parts, 'cacerts', 'ca-cert.pem');
    return target;
  }
}
