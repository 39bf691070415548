/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * One-time login URLs: a browser cannot send a bearer token by itself, so the dashboard prints
 * a URL with a single-use secret; opening it sets an HttpOnly, SameSite=Strict session cookie
 * (invisible to scripts, never sent by another site's requests) and the secret is spent, so a
 * URL left in the browser history or a terminal log opens nothing.
 */
import { newSecret, secretsEqual } from './guard';

/** How long a login URL stays usable, unless used first. */
export const LOGIN_TTL_MS = 15 * 60 * 1000;

export class LoginBook {
  private readonly pending = new Map<string, number>();
  private readonly active = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A fresh single-use login secret. */
  issue(): string {
    const secret = newSecret();
    this.pending.set(secret, this.now() + LOGIN_TTL_MS);
    return secret;
  }

  /**
   * Spends a login secret: a new session value when it was pending and not expired, else undefined.
   * Every pending secret is compared (in constant time each), so the time taken says nothing of which matched.
   */
  redeem(secret: string): string | undefined {
    let found: string | undefined;
    for (const [candidate, expires] of this.pending) {
      if (secretsEqual(candidate, secret) && expires >= this.now()) found = candidate;
      if (expires < this.now()) this.pending.delete(candidate);
    }
    if (found === undefined) return undefined;
    this.pending.delete(found);
    const session = newSecret();
    this.active.add(session);
    return session;
  }

  /** The session values handed out so far. */
  get sessions(): ReadonlySet<string> {
    return this.active;
  }
}
