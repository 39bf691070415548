/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What `/version` answers, in the field names of Fabric's operations service.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The body of `/version`. */
export interface VersionInfo {
  /** The orchestrator package's version. */
  readonly Version: string;
  /** The source commit, when known (`MGMT_COMMIT_SHA`, or the repository's `.git` in a checkout). */
  readonly CommitSHA?: string;
  /** The Node.js version running it. */
  readonly Node: string;
}

/** orchestrator/package.json, from src/operations or dist/operations alike. */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The commit HEAD names in a git folder, reading files only (no git binary needed). */
function headCommit(gitDir: string): string | undefined {
  const head = readText(path.join(gitDir, 'HEAD'))?.trim();
  if (head === undefined) return undefined;
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const ref = /^ref: (\S+)$/.exec(head)?.[1];
  if (ref === undefined) return undefined;
  const loose = readText(path.join(gitDir, ref))?.trim();
  if (loose !== undefined && /^[0-9a-f]{40}$/.test(loose)) return loose;
  const packed = readText(path.join(gitDir, 'packed-refs'));
  return packed?.split('\n').map((l) => l.split(' ')).find(([sha, name]) => name === ref && /^[0-9a-f]{40}$/.test(sha ?? ''))?.[0];
}

/**
 * The version of this orchestrator: its package version, the commit from `MGMT_COMMIT_SHA` (set
 * it when building an image) or else from the checkout it runs in, and Node's version.
 */
export function versionInfo(env: NodeJS.ProcessEnv = process.env): VersionInfo {
  const pkg = JSON.parse(readText(path.join(PACKAGE_ROOT, 'package.json')) ?? '{}') as { version?: unknown };
  const commit = env.MGMT_COMMIT_SHA?.trim() || headCommit(path.join(PACKAGE_ROOT, '..', '.git'));
  return {
    Version: typeof pkg.version === 'string' ? pkg.version : 'unknown',
    ...(commit === undefined || commit === '' ? {} : { CommitSHA: commit }),
    Node: process.version,
  };
}
