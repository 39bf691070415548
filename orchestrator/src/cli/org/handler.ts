/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { generateOrgCrypto } from 'fabric-config/msp';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { ORG_FILE_FORMAT, orgFileProblems } from './orgFile';
import type { OrgFile } from './orgFile';
import type { OrgNewOptions } from './options';

/**
 * `mgmt org new <mspId>`: the material of an organisation that asks to join, in cryptogen's
 * layout (CA, TLS CA, a peer, an orderer, Admin and User1), and `<mspId>.json`, which
 * `mgmt propose --add-org` turns into one CB admitting it to the member set and to `primary`.
 *
 * @throws {@link UsageError} when the folder already holds material for the domain.
 */
export async function orgNewHandler(ctx: CliContext, mspId: string, options: OrgNewOptions): Promise<void> {
  const out = path.resolve(options.out);
  const orgDir = path.join(out, 'organizations', 'peerOrganizations', options.domain);
  if (existsSync(orgDir)) throw new UsageError(`${orgDir} exists already: choose another --out, or remove it`);
  mkdirSync(out, { recursive: true });
  ctx.progress(`generating the crypto material of ${mspId} (${options.domain}) under ${out}`);
  const crypto = await generateOrgCrypto(out, { mspId, domain: options.domain, peerName: 'peer0', ordererName: 'orderer0' });
  const file: OrgFile = {
    format: ORG_FILE_FORMAT,
    member: { mspId, caCertificate: crypto.caCertPem },
    organization: {
      mspId,
      rootCerts: [crypto.caCertPem],
      tlsRootCerts: [crypto.tlsCaCertPem],
      ...(options.anchorPeer === undefined ? {} : { anchorPeers: [options.anchorPeer] }),
      groups: ['application'],
    },
  };
  const problems = orgFileProblems(file);
  if (problems.length > 0) throw new Error(`the generated organisation file is invalid: ${problems.join('; ')}`);
  const target = path.join(out, `${mspId}.json`);
  writeFileSync(target, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o644 });
  ctx.print(
    [
      `${mspId}: crypto material in ${orgDir}; admin MSP ${crypto.admin.mspDir}`,
      `organisation file ${target}`,
      `next: a member proposes it (\`mgmt --member <mspId> propose --add-org ${target}\`); once in force, ${mspId}'s identities transact on primary`,
    ],
    { mspId, orgDir, adminMspDir: crypto.admin.mspDir, userMspDir: crypto.user.mspDir, orgFile: target },
  );
}
