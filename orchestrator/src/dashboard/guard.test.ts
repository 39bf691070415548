/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The dashboard's local-endpoint rules, request by request: the page's own requests pass, any
 * other page's, host or method is refused, and only a session cookie or the bearer token let in.
 */
import { describe, expect, it } from '@jest/globals';
import { cookieValue, guardDashboardRequest, SESSION_COOKIE } from './guard';
import type { DashboardGuardPolicy, GuardedRequest } from './guard';
import { LOGIN_TTL_MS, LoginBook } from './logins';

const policy: DashboardGuardPolicy = { port: 8470, sessions: ['s3ss10n'], token: 't0k3n' };
const own = { host: '127.0.0.1:8470', cookie: `${SESSION_COOKIE}=s3ss10n` };

function verdict(headers: GuardedRequest['headers'], method = 'GET', extra: Partial<DashboardGuardPolicy> = {}): string {
  const result = guardDashboardRequest({ method, headers }, { ...policy, ...extra });
  return result.ok ? `ok:${result.by}` : `${result.status}:${result.code}`;
}

describe('guardDashboardRequest', () => {
  it("serves the page's own requests: same-origin fetches, and the user's navigations", () => {
    expect(verdict({ ...own, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' })).toBe('ok:cookie');
    expect(verdict({ ...own, 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' })).toBe('ok:cookie');
    expect(verdict({ ...own, origin: 'http://127.0.0.1:8470', 'sec-fetch-site': 'same-origin' })).toBe('ok:cookie');
    expect(verdict({ host: 'localhost:8470', authorization: 'Bearer t0k3n' })).toBe('ok:bearer');
  });

  it('refuses requests made for another page, even with a valid session', () => {
    expect(verdict({ ...own, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })).toBe('403:CROSS_ORIGIN');
    expect(verdict({ ...own, origin: 'http://127.0.0.1:8471' })).toBe('403:CROSS_ORIGIN');
    expect(verdict({ ...own, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })).toBe('403:CROSS_SITE');
    // Another port of 127.0.0.1 is the same site, but another origin.
    expect(verdict({ ...own, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors' })).toBe('403:CROSS_SITE');
    expect(verdict({ ...own, 'sec-fetch-site': 'none', 'sec-fetch-mode': 'cors' })).toBe('403:CROSS_SITE');
  });

  it('refuses other hosts (DNS rebinding) and every method that is not a read', () => {
    expect(verdict({ ...own, host: 'evil.example:8470' })).toBe('403:BAD_HOST');
    expect(verdict({ ...own, host: '127.0.0.1:9999' })).toBe('403:BAD_HOST');
    expect(verdict({ cookie: own.cookie })).toBe('403:BAD_HOST');
    expect(verdict(own, 'POST')).toBe('405:METHOD_NOT_ALLOWED');
    expect(verdict(own, 'HEAD')).toBe('ok:cookie');
  });

  it('lets in only a session of a login or the bearer token', () => {
    expect(verdict({ host: own.host })).toBe('401:UNAUTHENTICATED');
    expect(verdict({ host: own.host, cookie: `${SESSION_COOKIE}=guess` })).toBe('401:UNAUTHENTICATED');
    expect(verdict({ host: own.host, cookie: 'other=s3ss10n' })).toBe('401:UNAUTHENTICATED');
    expect(verdict({ host: own.host, authorization: 'Bearer s3ss10n' })).toBe('401:UNAUTHENTICATED');
    expect(verdict({ host: own.host, authorization: 'Basic t0k3n' })).toBe('401:UNAUTHENTICATED');
    expect(verdict({ host: own.host }, 'GET', { open: true })).toBe('ok:none');
  });

  it('reads one cookie among several', () => {
    expect(cookieValue('a=1; mgmt_dashboard=xyz ; b=2', SESSION_COOKIE)).toBe('xyz');
    expect(cookieValue(undefined, SESSION_COOKIE)).toBeUndefined();
  });
});

describe('LoginBook', () => {
  it('redeems each login secret once, before it expires, for a new session', () => {
    let now = 1_000;
    const book = new LoginBook(() => now);
    const first = book.issue();
    const second = book.issue();
    const session = book.redeem(first);
    expect(session).toMatch(/^[0-9a-f]{64}$/);
    expect([...book.sessions]).toEqual([session]);
    expect(book.redeem(first)).toBeUndefined();
    expect(book.redeem('')).toBeUndefined();
    now += LOGIN_TTL_MS + 1;
    expect(book.redeem(second)).toBeUndefined();
    expect(book.sessions.size).toBe(1);
  });
});
