/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * How the CLI ends: exit 0 done; 1 an expected refusal or failure, printed as one line
 * (`✖ MGMT_NOT_PROPOSER: ...`) that says how to fix it, or an unexpected failure, printed with its
 * stack; 2 bad usage.
 */
import { CommanderError } from 'commander';
import { MgmtError } from 'mgmt-chaincode/dist/protocol';
import { NetworkStartError } from '../consortium/devnetProcess';
import { GenesisPendingError } from '../consortium/genesis';
import { ConnectionSetupError } from '../gateway/connect';
import { LedgerCallError, LedgerUnavailableError } from '../mgmtClient/errors';
import { MspReadError } from '../managementNode/identity';
import { ObserverError } from '../observer/errors';
import { TwinError } from '../twins/errors';

/** Exit codes. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** Bad usage that commander cannot see (a missing flag pair, an unreadable input file). Exit 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** An expected failure with a message that says how to fix it. Exit 1, no stack. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A daemon or the consortium stopped by Ctrl-C before it finished its job. Exit 130, nothing printed. */
export class InterruptedExit extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'InterruptedExit';
  }
}

/** What to print and how to exit for an error that ends a command. */
export interface Ending {
  readonly code: number;
  /** Printed to stderr (empty when commander printed it already). */
  readonly text: string;
}

/** Maps an error to its exit code and text: one line for expected ones, the stack otherwise. */
export function endingOf(err: unknown): Ending {
  if (err instanceof CommanderError) {
    const quiet = err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version';
    return { code: quiet ? EXIT.ok : EXIT.usage, text: '' };
  }
  if (err instanceof InterruptedExit) return { code: EXIT.interrupted, text: '' };
  if (err instanceof UsageError) return { code: EXIT.usage, text: `✖ ${err.message}\n` };
  if (err instanceof LedgerUnavailableError) return { code: EXIT.failed, text: `✖ ${err.message}\n${unavailableHint(err.message)}` };
  if (err instanceof ObserverError) return { code: EXIT.failed, text: `✖ ${err.message}\n${observerHint(err)}` };
  if (err instanceof LedgerCallError || err instanceof ConnectionSetupError || err instanceof MgmtError || err instanceof CliError || err instanceof TwinError || err instanceof NetworkStartError || err instanceof MspReadError || err instanceof GenesisPendingError) {
    return { code: EXIT.failed, text: `✖ ${err.message}\n` };
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { code: EXIT.failed, text: `${text}\n` };
}

/** How to get past an unreachable peer: a TLS name mismatch is a connection-file fix, not a network that is down. */
export function unavailableHint(message: string): string {
  if (/altnames|does not match certificate|Hostname\/IP/i.test(message)) {
    return "  the peer's TLS certificate does not name the connection file's hostAlias for it: set hostAlias to a name the certificate holds (openssl x509 -in <its server.crt> -noout -ext subjectAltName)\n";
  }
  return '  is the network up? (a devnet: `npm run devnet -- status`; another network: check the endpoint in the connection file, or write it anew with `mgmt connect`, which tests what it writes)\n';
}

/** How to get past an observer failure: its state folder is a cache of the chain, never the only copy. */
function observerHint(err: ObserverError): string {
  switch (err.code) {
    case 'OBSERVER_STATE':
      return '  another mgmt node (or consortium) uses this state folder: stop it, or give this one its own --state-dir\n';
    case 'OBSERVER_STORE_CORRUPT':
      return `  the state folder is only a verified copy of the management chain: move it aside${err.details === undefined ? '' : ` (${err.details})`} and start again to fetch and verify the chain anew\n`;
    case 'OBSERVER_STORE_IO':
      return '  check that the state folder exists and is writable by this user (--state-dir)\n';
    case 'OBSERVER_FETCH_FAILED':
      return '  the peer did not answer GetBlocks: is the network up and the mgmt chaincode deployed?\n';
  }
}
