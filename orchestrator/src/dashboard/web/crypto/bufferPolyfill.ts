/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Node's global `Buffer` for the browser bundle (esbuild injects this module), from the `buffer`
 * package, which lacks the `base64url` encoding the core reads JWK coordinates with.
 */
import { Buffer as PolyfillBuffer } from 'buffer';

type From = (value: unknown, encodingOrOffset?: unknown, length?: unknown) => PolyfillBuffer;
const from = PolyfillBuffer.from.bind(PolyfillBuffer) as From;
(PolyfillBuffer as unknown as { from: From }).from = (value, encodingOrOffset, length) =>
  encodingOrOffset === 'base64url' && typeof value === 'string'
    ? from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
    : from(value, encodingOrOffset, length);

export { PolyfillBuffer as Buffer };
