/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Test helpers for the management chaincode: one gateway per member, votes signed with each
 * member's own identity key, and genesis parameters built from the connection file.
 */
import * as grpc from '@grpc/grpc-js';
import { Contract, EndorseError, Gateway } from '@hyperledger/fabric-gateway';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { signVote } from 'mgmt-chaincode/dist/protocol';
import type { ConnectionFile, MemberConnection } from '../../orchestrator/src/gateway';
import { connectGateway, newGrpcConnection } from '../../orchestrator/src/gateway';

export const utf8 = new TextDecoder();

export interface MemberSession {
  member: MemberConnection;
  client: grpc.Client;
  gateway: Gateway;
  mgmt: Contract;
  privateKeyPem: string;
}

export async function openSessions(connection: ConnectionFile): Promise<MemberSession[]> {
  return Promise.all(
    connection.members.map(async (member) => {
      const client = await newGrpcConnection(member.peer);
      const gateway = await connectGateway(client, member);
      const keystore = path.join(member.userMspDir, 'keystore');
      return {
        member,
        client,
        gateway,
        mgmt: gateway.getNetwork(connection.channels.management).getContract('mgmt'),
        privateKeyPem: readFileSync(path.join(keystore, readdirSync(keystore).sort()[0]), 'utf8'),
      };
    }),
  );
}

export function closeSessions(sessions: MemberSession[]): void {
  for (const s of sessions) {
    s.gateway.close();
    s.client.close();
  }
}

export const BATCH_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    batchTimeoutMs: { type: 'integer', minimum: 50, maximum: 10000 },
    maxMessageCount: { type: 'integer', minimum: 1, maximum: 1000 },
  },
  required: ['batchTimeoutMs', 'maxMessageCount'],
  additionalProperties: false,
};

export function genesisParams(connection: ConnectionFile, timing: { cbiSeconds: number; cycleTimeoutSeconds: number }): string {
  return JSON.stringify({
    params: {
      members: connection.members.map((m) => ({ mspId: m.mspId, caCertificate: readFileSync(m.caCertPath, 'utf8') })),
      cbiSeconds: timing.cbiSeconds,
      cycleTimeoutSeconds: timing.cycleTimeoutSeconds,
      clockToleranceSeconds: 30,
      configSchema: BATCH_SCHEMA,
    },
    config: { batchTimeoutMs: 100, maxMessageCount: 10 },
  });
}

/**
 * Retries while the member's own peer has not committed what the caller just saw committed on
 * another peer: on Fabric each peer commits on its own, so it can be a block behind.
 */
async function onceCaughtUp<T>(action: () => Promise<T>, lagging: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (err) {
      const text = err instanceof EndorseError ? err.details.map((d) => d.message).join(' ') : String(err);
      if (attempt >= 50 || !text.includes(lagging)) throw err;
      await sleep(100);
    }
  }
}

export async function vote(session: MemberSession, proposalHash: string, approve: boolean, reason = 'test'): Promise<void> {
  const signature = signVote({ hash: proposalHash, approve, privateKeyPem: session.privateKeyPem });
  await onceCaughtUp(() => session.mgmt.submitTransaction('Vote', proposalHash, String(approve), signature, reason), 'MGMT_UNKNOWN_PROPOSAL');
}

/** Tally once the member's peer has every vote the caller saw committed. */
export async function tally(session: MemberSession, proposalId: string): Promise<Uint8Array> {
  return onceCaughtUp(() => session.mgmt.submitTransaction('Tally', proposalId), 'MGMT_VOTES_PENDING');
}

/** The MGMT_ code a refusal carries, from the endorsement error's details. */
export async function refusalCode(action: Promise<unknown>): Promise<string> {
  try {
    await action;
  } catch (err) {
    const text = err instanceof EndorseError ? err.details.map((d) => d.message).join(' ') : String(err);
    const match = /MGMT_[A-Z_]+/.exec(text);
    return match ? match[0] : `no MGMT code in: ${text}`;
  }
  return 'accepted';
}

export async function json<T>(bytes: Promise<Uint8Array>): Promise<T> {
  return JSON.parse(utf8.decode(await bytes)) as T;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
