/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { InvalidArgumentError, Option } from 'commander';

/** Options of `mgmt org new`. */
export interface OrgNewOptions {
  readonly domain: string;
  readonly out: string;
  readonly anchorPeer?: { readonly host: string; readonly port: number };
}

function hostPort(value: string): { host: string; port: number } {
  const match = /^([^\s:]+):(\d{1,5})$/.exec(value);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || !(port >= 1 && port <= 65535)) throw new InvalidArgumentError('expected host:port, e.g. peer0.org5.example.com:7051');
  return { host: match[1], port };
}

/** The options. */
export function orgNewOptions(): Option[] {
  return [
    new Option('--domain <domain>', "the organisation's DNS domain, e.g. org5.example.com").makeOptionMandatory(),
    new Option('--out <dir>', 'where to write the material and <mspId>.json').default('.'),
    new Option('--anchor-peer <host:port>', "the organisation's anchor peer on primary").argParser(hostPort),
  ];
}
