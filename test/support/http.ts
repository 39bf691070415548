/*
 * SPDX-License-Identifier: Apache-2.0
 */
import * as http from 'node:http';

/** An HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly body: string;
}

/**
 * One GET to 127.0.0.1:`port` with node:http, as curl or a Prometheus scraper does (fetch() would
 * send browser headers, which operations endpoints refuse).
 */
export function getLocal(port: number, route: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: route, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }); });
    });
    req.on('timeout', () => { req.destroy(new Error(`GET ${route} timed out`)); });
    req.on('error', reject);
  });
}
