/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The browser part of the local-endpoint rules on its own (the whole guard is tested with the
 * devnet's admin API, network/devnet/src/admin/localEndpoint.test.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { guardLocalRequest, refuseBrowserRequest } from './localEndpoint';

const host = { host: '127.0.0.1:9443' };

describe('refuseBrowserRequest', () => {
  it('lets a plain local request through, without any token', () => {
    expect(refuseBrowserRequest({ method: 'GET', headers: host }, { port: 9443 })).toBeUndefined();
    expect(refuseBrowserRequest({ method: 'GET', headers: { host: 'LOCALHOST:9443' } }, { port: 9443 })).toBeUndefined();
  });

  it.each([
    [{ ...host, origin: 'null' }, 'BROWSER_ORIGIN'],
    [{ ...host, 'sec-fetch-site': 'none' }, 'BROWSER_FETCH_METADATA'],
    [{ host: '127.0.0.1:9444' }, 'BAD_HOST'],
    [{}, 'BAD_HOST'],
  ])('refuses %j with 403 %s', (headers, code) => {
    expect(refuseBrowserRequest({ headers }, { port: 9443 })).toMatchObject({ ok: false, status: 403, code });
  });

  it('with anyHost accepts any Host but still refuses browser headers', () => {
    expect(refuseBrowserRequest({ headers: { host: 'ops.org1.example.com:9443' } }, { port: 9443, anyHost: true })).toBeUndefined();
    expect(refuseBrowserRequest({ headers: { host: 'ops.org1.example.com:9443', origin: 'https://x' } }, { port: 9443, anyHost: true })).toMatchObject({ code: 'BROWSER_ORIGIN' });
  });

  it('is the first step of guardLocalRequest: a browser request is refused before the token is looked at', () => {
    expect(guardLocalRequest({ headers: { ...host, origin: 'https://x' } }, { port: 9443, token: 't' })).toMatchObject({ status: 403, code: 'BROWSER_ORIGIN' });
    expect(guardLocalRequest({ headers: host }, { port: 9443, token: 't' })).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});
