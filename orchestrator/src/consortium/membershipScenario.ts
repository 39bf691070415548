/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt consortium --scenario membership` (devnet): the consortium's membership changed through
 * the management chain, live. Every operator runs an operator twin on two shared files, the
 * configuration they want and the member set they want; the scenario writes the next step into
 * them once the previous one is in force:
 *
 *  1. Org5 is admitted: a CB that adds it to the member set (params, in force from the next
 *     height) and to the channels' Application groups.
 *  2. Org5 joins: the devnet starts Org5's peer, Org5 writes its own connection file and starts
 *     its own `mgmt node`, which verifies the chain from genesis; a transaction on `primary`
 *     through Org5's peer shows Org5's peer endorsing.
 *  3. Org5 proposes a CB in its turn of the rotation.
 *  4. Org4 is removed: from the member set and from both channels (its ordering node leaves the
 *     consenter set with it).
 *  5. The next CB is sealed without Org4: its vote no longer counts, and its node stops voting.
 *
 * Then the runner audits the whole chain (`beforeStop`).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { common, gateway, msp, peer } from '@hyperledger/fabric-protos';
import { generateOrgCrypto } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import type { ConfigBlock, JsonObject } from 'mgmt-chaincode/dist/protocol';
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import { connectGateway, newGrpcConnection } from '../gateway';
import type { ConnectionFile, MemberConnection } from '../gateway';
import type { NodeEvent } from '../managementNode/events';
import { mergeModel, OperatorTwin } from '../twins/operatorTwin';
import type { DigitalTwin } from '../twins/twin';

/** The organisation the scenario admits. */
export interface NewOrganisation {
  readonly mspId: string;
  readonly domain: string;
  /** Where the devnet serves its peer. */
  readonly peerPort: number;
}

/** Options of {@link MembershipScenario}. */
export interface MembershipScenarioOptions {
  /** Scenario files: the shared wanted configuration and member set, the new organisation's material and its node's state. */
  readonly workDir: string;
  readonly newOrg: NewOrganisation;
  /** `mgmt`'s entry script, to start the new member's own node. */
  readonly cliPath: string;
  readonly output: (line: string) => void;
}

type Stage = 'admit' | 'join' | 'propose' | 'remove' | 'uncounted' | 'done';

const write = (file: string, value: unknown): void => {
  // Written whole and renamed, so no twin ever reads half a file.
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
};

/** POST to the devnet's admin API with its bearer token. */
function adminPost(adminUrl: string, tokenPath: string | undefined, route: string, body: unknown): Promise<unknown> {
  const url = new URL(route, adminUrl);
  const token = tokenPath === undefined ? undefined : readFileSync(tokenPath, 'utf8').trim();
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', timeout: 60_000, headers: { 'content-type': 'application/json', 'content-length': payload.length, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
          if ((res.statusCode ?? 500) >= 300) reject(new Error(`${route}: ${res.statusCode ?? '?'} ${typeof parsed === 'object' && parsed !== null && 'error' in parsed ? String((parsed).error) : text}`));
          else resolve(parsed);
        });
      },
    );
    req.on('timeout', () => { req.destroy(new Error(`${route} timed out`)); });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The MSP IDs whose peers endorsed a transaction, from the gateway's prepared transaction (`Transaction.getBytes()`). */
export function endorsersOf(preparedBytes: Uint8Array): string[] {
  const envelope = gateway.PreparedTransaction.deserializeBinary(preparedBytes).getEnvelope();
  if (envelope === undefined) return [];
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  const transaction = peer.Transaction.deserializeBinary(payload.getData_asU8());
  return transaction.getActionsList().flatMap((action) =>
    (peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8()).getAction()?.getEndorsementsList() ?? []).map((e) =>
      msp.SerializedIdentity.deserializeBinary(e.getEndorser_asU8()).getMspid(),
    ),
  );
}

/** Drives the steps: see the top of this file. */
export class MembershipScenario {
  /** Settles once every step is done. */
  readonly done: Promise<void>;
  private readonly options: Readonly<MembershipScenarioOptions>;
  private readonly desiredFile: string;
  private readonly membersFile: string;
  private stage: Stage = 'admit';
  private finish: () => void = () => undefined;
  private connection: ConnectionFile | undefined;
  private connectionFile = '';
  private crypto: OrgCrypto | undefined;
  private node: ChildProcess | undefined;
  private removedAt: number | undefined;
  private latest: Readonly<Record<string, unknown>> | undefined;
  private leaving: MemberConnection | undefined;
  private started = false;
  /** When a node of the runner first saw each CB sealed, epoch ms. */
  private readonly sealedAt = new Map<number, number>();
  private admittedAt: number | undefined;
  private genesisHash = '';

  constructor(options: Readonly<MembershipScenarioOptions>) {
    this.options = options;
    this.desiredFile = path.join(options.workDir, 'wanted-config.json');
    this.membersFile = path.join(options.workDir, 'wanted-members.json');
    this.done = new Promise<void>((resolve) => (this.finish = resolve));
    // Until the first step is written, every operator wants what is in force.
    write(this.desiredFile, { version: 2 });
  }

  /** An operator twin on the shared files, for every member (and for the new one). */
  twin(): DigitalTwin {
    return new OperatorTwin({ configFile: this.desiredFile, membersFile: this.membersFile, name: 'operator' });
  }

  /**
   * Called with each member as the runner attaches it: writes the member set in force and, once,
   * makes the new organisation's material and asks for its admission.
   */
  async begin(connectionFile: string, connection: ConnectionFile, genesis: ConfigBlock): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.connection = connection;
    this.connectionFile = connectionFile;
    this.latest = genesis.config;
    this.genesisHash = genesis.hash;
    const members = genesis.params?.members ?? [];
    write(this.membersFile, { members });
    const { mspId, domain } = this.options.newOrg;
    this.crypto = await generateOrgCrypto(this.options.workDir, { mspId, domain, peerName: 'peer0', ordererName: 'orderer0' });
    const entry = { mspId, rootCerts: [this.crypto.caCertPem], tlsRootCerts: [this.crypto.tlsCaCertPem], groups: ['application'] };
    write(this.membersFile, { members: [...members, { mspId, caCertificate: this.crypto.caCertPem }] });
    write(this.desiredFile, { version: 2, organizations: { [mspId]: entry } });
    this.options.output(`  ▶ step 1/5 wanted by every operator: admit ${mspId} (member set and the channels' Application groups)`);
  }

  /** A CB is in force on the primary channel. */
  inForce(height: number, config: Readonly<Record<string, unknown>>): void {
    this.latest = config;
    const organizations = (config.organizations ?? {}) as Record<string, unknown>;
    if (this.stage === 'admit' && organizations[this.options.newOrg.mspId] !== undefined) {
      this.stage = 'join';
      this.admittedAt = height;
      this.options.output(`  ✓ step 1/5: ${this.options.newOrg.mspId} admitted with CB ${height}`);
      this.join().catch((err: unknown) => { this.fail(`${this.options.newOrg.mspId} could not join: ${messageOf(err)}`); });
    } else if (this.stage === 'remove' && this.leaving !== undefined && organizations[this.leaving.mspId] === null) {
      this.stage = 'uncounted';
      this.removedAt = height;
      this.options.output(`  ✓ step 4/5: ${this.leaving.mspId} removed with CB ${height} (member set and both channels)`);
    }
  }

  /** Every node event of the runner's members: CBs sealed, to see who proposed and who approved. */
  onNodeEvent(event: NodeEvent): void {
    if (event.type !== 'committed') return;
    const block = event.block;
    if (!this.sealedAt.has(block.height)) this.sealedAt.set(block.height, event.atMs);
    if (this.stage === 'propose' && block.proposer === this.options.newOrg.mspId) {
      this.options.output(`  ✓ step 3/5: ${block.proposer} proposed CB ${block.height} in its turn, approved by ${block.proof.map((p) => p.mspId).join(', ')}`);
      this.startRemoval();
    } else if (this.stage === 'uncounted' && this.removedAt !== undefined && block.height > this.removedAt && this.leaving !== undefined) {
      const approvers = block.proof.map((p) => p.mspId);
      if (approvers.includes(this.leaving.mspId)) {
        this.fail(`CB ${block.height} counts a vote of ${this.leaving.mspId}, removed with CB ${this.removedAt}`);
        return;
      }
      this.options.output(`  ✓ step 5/5: CB ${block.height} sealed by ${approvers.join(', ')}: ${this.leaving.mspId}'s vote no longer counts`);
      this.stage = 'done';
      this.finish();
    }
  }

  /** Stops the new member's node (the runner stops its own). */
  async stop(): Promise<void> {
    const node = this.node;
    if (node === undefined || node.exitCode !== null) return;
    const exited = new Promise((resolve) => node.once('exit', resolve));
    node.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    clearTimeout(timer);
    if (node.exitCode === null) node.kill('SIGKILL');
  }

  private fail(message: string): void {
    this.options.output(`  ✖ ${message}`);
    this.stage = 'done';
    this.finish();
  }

  /** Step 2: Org5's peer, connection file, node, and a transaction its peer endorses. */
  private async join(): Promise<void> {
    const connection = this.connection;
    const crypto = this.crypto;
    if (connection === undefined || crypto === undefined) throw new Error('the scenario has not begun');
    const { mspId, domain, peerPort } = this.options.newOrg;
    const started = Date.now();
    const answer = await this.startPeer(connection, mspId, domain, peerPort);
    if (answer.member === undefined) throw new Error('the network answered no member entry for the new peer');
    // Genesis does not name the new member: the consortium gives it the genesis hash, which anchors the chain for its node.
    const own: ConnectionFile = { ...connection, managementGenesisHash: this.genesisHash, members: [...connection.members, answer.member] };
    const ownFile = path.join(this.options.workDir, `connection-${mspId}.json`);
    write(ownFile, own);
    this.options.output(`  ✓ step 2/5: ${connection.backend === 'native' ? 'a Fabric peer' : 'the devnet'} serves ${mspId}'s peer on ${answer.member.peer.endpoint}; ${mspId} writes its own connection file and starts its own mgmt node`);
    this.startNode(ownFile);
    const endorsers = await this.transactThrough(answer.member);
    const sealed = this.admittedAt === undefined ? undefined : this.sealedAt.get(this.admittedAt);
    const sinceSealed = sealed === undefined ? '' : `; CB ${String(this.admittedAt)} sealed -> ${mspId}'s peer endorsing: ${((Date.now() - sealed) / 1000).toFixed(2)} s`;
    this.options.output(`  ✓ step 2/5: a transaction on ${connection.channels.primary} through ${mspId}'s peer, endorsed by ${endorsers.join(', ')}, ${((Date.now() - started) / 1000).toFixed(1)} s after the peer was asked for${sinceSealed}`);
    this.stage = 'propose';
    this.options.output(`  ▶ step 3/5: waiting for ${mspId}'s turn in the proposer rotation`);
  }

  /**
   * The new organisation's peer: the devnet starts one on request (its admin API); on native Fabric
   * network/native/network.sh add-org starts a real `peer`, joins it from the channels' genesis
   * blocks and approves the deployed chaincodes for the organisation.
   */
  private async startPeer(connection: ConnectionFile, mspId: string, domain: string, port: number): Promise<{ member?: MemberConnection }> {
    if (connection.adminUrl !== undefined) {
      return (await adminPost(connection.adminUrl, connection.adminTokenPath, '/peers', { folder: this.options.workDir, mspId, domain, port })) as { member?: MemberConnection };
    }
    const org = /^Org(\d+)MSP$/.exec(mspId)?.[1];
    if (connection.backend !== 'native' || org === undefined) throw new Error('the membership scenario needs the devnet (its admin API starts the new peer) or network/native');
    const script = path.resolve(path.dirname(this.options.cliPath), '..', '..', '..', 'network', 'native', 'network.sh');
    const args = [script, 'add-org', org, '--data', path.dirname(path.resolve(this.connectionFile)), '--crypto', this.options.workDir];
    return new Promise((resolve, reject) => {
      const child = spawn('bash', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        for (const text of d.toString('utf8').split('\n')) if (text.trim() !== '') this.options.output(`    [network.sh add-org] ${text}`);
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`network.sh add-org ${org} failed (exit ${String(code)}): ${err.trim().split('\n').slice(-3).join(' / ')}`));
        else {
          try {
            resolve(JSON.parse(out) as { member?: MemberConnection });
          } catch (e) {
            reject(new Error(`network.sh add-org ${org} printed no member entry: ${messageOf(e)}`));
          }
        }
      });
    });
  }

  private startNode(connectionFile: string): void {
    const { mspId } = this.options.newOrg;
    const args = [this.options.cliPath, '--connection', connectionFile, '--member', mspId, 'node', '--twin', 'operator', '--config-file', this.desiredFile, '--members-file', this.membersFile, '--state-dir', path.join(this.options.workDir, `state-${mspId}`)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.node = child;
    const relay = (chunk: Buffer): void => {
      for (const text of chunk.toString('utf8').split('\n')) if (text.trim() !== '') this.options.output(`    [${mspId} node] ${text}`);
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('exit', (code, signal) => {
      if (this.stage !== 'done') this.options.output(`    [${mspId} node] exited (${signal ?? String(code)})`);
    });
  }

  /** Submits `Put` on the assets chaincode through the member's own peer; the MSPs that endorsed it. */
  private async transactThrough(member: MemberConnection): Promise<string[]> {
    const connection = this.connection as ConnectionFile;
    const client = await newGrpcConnection(member.peer);
    try {
      const session = await connectGateway(client, member, 'user');
      try {
        const contract = session.getNetwork(connection.channels.primary).getContract('assets');
        // The channel's Application group may reach the new peer's view a moment after the CB is in force.
        for (let attempt = 1; ; attempt++) {
          try {
            const transaction = await contract.newProposal('Put', { arguments: [`membership-${member.mspId}-${Date.now()}`, 'endorsed by the new member'] }).endorse();
            const endorsers = endorsersOf(transaction.getBytes());
            const status = await (await transaction.submit()).getStatus();
            if (!status.successful) throw new Error(`committed invalid (${status.code})`);
            return endorsers;
          } catch (err) {
            if (attempt >= 10) throw err;
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
      } finally {
        session.close();
      }
    } finally {
      client.close();
    }
  }

  /** Step 4: the last original member leaves, with its ordering node. */
  private startRemoval(): void {
    const connection = this.connection;
    if (connection === undefined || this.stage !== 'propose') return;
    this.stage = 'remove';
    const leaving = connection.members[connection.members.length - 1];
    this.leaving = leaving;
    const current = (this.latest ?? {}) as JsonObject;
    const orderer = (current.orderer ?? {}) as { consenters?: { host: string; port: number }[] };
    // The devnet names consenters by host name, network/native by the address they are dialled at.
    const consenters = orderer.consenters?.filter((c) => c.host !== leaving.orderer.hostAlias && `${c.host}:${String(c.port)}` !== leaving.orderer.endpoint);
    const wanted = mergeModel(JSON.parse(readFileSync(this.desiredFile, 'utf8')) as Record<string, unknown>, {
      version: 2,
      organizations: { [leaving.mspId]: null },
      ...(consenters === undefined ? {} : { orderer: { consenters } }),
    });
    const members = (JSON.parse(readFileSync(this.membersFile, 'utf8')) as { members: { mspId: string }[] }).members.filter((m) => m.mspId !== leaving.mspId);
    write(this.membersFile, { members });
    write(this.desiredFile, wanted);
    this.options.output(`  ▶ step 4/5 wanted by every operator: remove ${leaving.mspId} (member set, both channels${consenters === undefined ? '' : ', its ordering node from the consenter set'})`);
  }

  /** The connection file the scenario began with. */
  get connectionPath(): string {
    return this.connectionFile;
  }
}
