/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Gateway connections for one member, as fabric-samples' application-gateway-typescript makes
 * them: one gRPC connection to the member's peer (reused by every gateway and contract made on
 * it), an identity and a signer read from an MSP folder (cryptogen or Fabric CA layout).
 */
import * as grpc from '@grpc/grpc-js';
import { connect, Gateway, Identity, Signer, signers } from '@hyperledger/fabric-gateway';
import { createPrivateKey } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { isIP } from 'node:net';
import * as path from 'node:path';
import type { EndpointInfo, MemberConnection } from './connectionFile';

/** Deadlines per call kind, as in fabric-samples' client. */
export const DEFAULT_DEADLINES = {
  evaluateMs: 5_000,
  endorseMs: 15_000,
  submitMs: 5_000,
  commitStatusMs: 60_000,
} as const;

/** A connection file names something that is not there (a TLS CA file, an MSP folder). */
export class ConnectionSetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionSetupError';
  }
}

export async function newGrpcConnection(endpoint: EndpointInfo): Promise<grpc.Client> {
  let tlsRootCert: Buffer;
  try {
    tlsRootCert = await fs.readFile(endpoint.tlsCaCertPath);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConnectionSetupError(
      `cannot read the TLS CA certificate ${endpoint.tlsCaCertPath} for ${endpoint.endpoint} (${endpoint.hostAlias}): ${reason}; fix its tlsCaCertPath in the connection file, or write the file anew with \`mgmt connect\``,
      { cause: err },
    );
  }
  const credentials = grpc.credentials.createSsl(tlsRootCert);
  // An alias that is the endpoint's own IP address needs no override, and Node deprecates TLS
  // server names that are IP addresses (RFC 6066): the certificate is checked against the IP SAN.
  const host = endpoint.endpoint.slice(0, endpoint.endpoint.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  const override = isIP(endpoint.hostAlias) !== 0 && endpoint.hostAlias === host ? {} : { 'grpc.ssl_target_name_override': endpoint.hostAlias };
  return new grpc.Client(endpoint.endpoint, credentials, {
    ...override,
    'grpc.max_receive_message_length': 100 * 1024 * 1024,
  });
}

async function firstFile(dir: string): Promise<string> {
  let files: string[];
  try {
    files = (await fs.readdir(dir)).sort();
  } catch (err) {
    throw new Error(`cannot read MSP folder ${dir}: ${(err as Error).message}`);
  }
  if (files.length === 0) throw new Error(`MSP folder ${dir} is empty`);
  return path.join(dir, files[0]);
}

/** The X.509 identity of an MSP folder: the first certificate in signcerts/. */
export async function newIdentity(mspDir: string, mspId: string): Promise<Identity> {
  const credentials = await fs.readFile(await firstFile(path.join(mspDir, 'signcerts')));
  return { mspId, credentials };
}

/** A signer from the first private key in keystore/. */
export async function newSigner(mspDir: string): Promise<Signer> {
  const privateKeyPem = await fs.readFile(await firstFile(path.join(mspDir, 'keystore')));
  return signers.newPrivateKeySigner(createPrivateKey(privateKeyPem));
}

export type Role = 'admin' | 'user';

/**
 * Connects a gateway as a member's admin or user over an existing gRPC connection.
 * The caller keeps ownership of `client` and closes it after the gateway.
 */
export async function connectGateway(client: grpc.Client, member: MemberConnection, role: Role = 'user'): Promise<Gateway> {
  const mspDir = role === 'admin' ? member.adminMspDir : member.userMspDir;
  return connect({
    client,
    identity: await newIdentity(mspDir, member.mspId),
    signer: await newSigner(mspDir),
    evaluateOptions: () => ({ deadline: Date.now() + DEFAULT_DEADLINES.evaluateMs }),
    endorseOptions: () => ({ deadline: Date.now() + DEFAULT_DEADLINES.endorseMs }),
    submitOptions: () => ({ deadline: Date.now() + DEFAULT_DEADLINES.submitMs }),
    commitStatusOptions: () => ({ deadline: Date.now() + DEFAULT_DEADLINES.commitStatusMs }),
  });
}
