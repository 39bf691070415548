/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Chaincode servers left behind by a devnet that died: their pids are recorded in the data folder
 * when they are spawned, and the next start ends the recorded ones that are still alive and still
 * are that chaincode server (checked in /proc/<pid>/cmdline, so an unrelated process that reused
 * the pid is never signalled).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PARENT_WATCH_MARKER } from './parentWatch';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the devnet records for each chaincode process it spawns. */
export interface ChaincodePidRecord {
  name: string;
  pid: number;
  /** The package id (`--chaincode-id`) and address (`--chaincode-address`) it was started with. */
  ccid: string;
  address: string;
}


/**
 * Whether a process exists and has not exited. A zombie (exited, not yet reaped: an orphan whose
 * new parent does not reap) counts as gone, unlike with a bare `kill(pid, 0)`.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // "pid (comm) S ...": the state follows the last ')' (comm may contain spaces and parentheses).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc (not Linux): trust kill(0). Gone in between: not alive.
    return !fs.existsSync('/proc');
  }
}

/** The argv of a process from /proc/<pid>/cmdline, or undefined if it cannot be read. */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return undefined;
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return undefined;
  }
}

/**
 * Whether an argv is the devnet's chaincode server for a record: the launcher's parent watch, the
 * shim's `server` command, and the record's `--chaincode-id` and `--chaincode-address` (the
 * command line ./launcher.ts builds).
 */
export function isChaincodeServerCommand(argv: readonly string[], record: Pick<ChaincodePidRecord, 'ccid' | 'address'>): boolean {
  const option = (name: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === name) return argv[i + 1];
      if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
    }
    return undefined;
  };
  return (
    argv.some((a) => a.includes(PARENT_WATCH_MARKER)) &&
    argv.includes('server') &&
    option('--chaincode-id') === record.ccid &&
    option('--chaincode-address') === record.address
  );
}

/** Records of chaincode processes, one JSON file per chaincode name in a folder of the data folder. */
export class ChaincodePidFiles {
  constructor(readonly folder: string) {}

  write(record: ChaincodePidRecord): void {
    fs.mkdirSync(this.folder, { recursive: true });
    const file = this.fileOf(record.name);
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(record) + '\n');
    fs.renameSync(tmp, file);
  }

  remove(name: string): void {
    fs.rmSync(this.fileOf(name), { force: true });
  }

  list(): ChaincodePidRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.folder).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    const records: ChaincodePidRecord[] = [];
    for (const n of names) {
      try {
        const r = JSON.parse(fs.readFileSync(path.join(this.folder, n), 'utf8')) as Partial<ChaincodePidRecord>;
        if (typeof r.name === 'string' && typeof r.pid === 'number' && typeof r.ccid === 'string' && typeof r.address === 'string') {
          records.push({ name: r.name, pid: r.pid, ccid: r.ccid, address: r.address });
        }
      } catch {
        // A torn or foreign file: nothing to act on.
      }
    }
    return records;
  }

  private fileOf(name: string): string {
    // Chaincode names are letters, digits, '-' and '_' (checked at deploy); keep the file name safe anyway.
    return path.join(this.folder, `${name.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
  }
}

/**
 * Ends every recorded chaincode process that is still alive and still is that chaincode server
 * (SIGTERM, then SIGKILL after `graceMs`), waits until it is gone, and forgets every record.
 * @returns the records of the processes it ended.
 */
export async function endLeftoverChaincodes(
  records: ChaincodePidFiles,
  log: (line: string) => void,
  graceMs = 3000,
): Promise<ChaincodePidRecord[]> {
  const ended: ChaincodePidRecord[] = [];
  for (const record of records.list()) {
    const argv = isProcessAlive(record.pid) ? readCmdline(record.pid) : undefined;
    if (argv && isChaincodeServerCommand(argv, record)) {
      log(`chaincode ${record.name}: ending the server left by an earlier run (pid ${record.pid}, ${record.address})`);
      await endProcess(record.pid, graceMs);
      ended.push(record);
    }
    records.remove(record.name);
  }
  return ended;
}

async function endProcess(pid: number, graceMs: number): Promise<void> {
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(pid, s);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(50);
  if (!isProcessAlive(pid)) return;
  signal('SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (isProcessAlive(pid) && Date.now() < killDeadline) await sleep(50);
}
