/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `_lifecycle` on the devnet: chaincode packages installed per organisation's peer, approvals
 * for one's own organisation, commit readiness, commits counted against LifecycleEndorsement,
 * committed definitions queried and invoked. Driven by the proposals the peer CLI builds (sent
 * with protos.Endorser/ProcessProposal and the orderer's Broadcast, so CI without Fabric covers
 * the flow) and by Fabric's own `peer` CLI (FABRIC_BIN; those cases skip with a message when it
 * is not set).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { peer } from '@hyperledger/fabric-protos';
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SigningIdentity } from 'fabric-config/msp';
import { broadcast, processProposal as sendProposal } from '../orchestrator/src/channelConfig/ordererClient';
import { connectGateway, newGrpcConnection, MemberConnection } from '../orchestrator/src/gateway';
import type { Gateway } from '@hyperledger/fabric-gateway';
import { buildChaincodePackage } from '../network/devnet/src/lifecycle/chaincodePackage';
import { endorsedTransaction, lifecycleProposal } from '../network/devnet/src/lifecycle/client';
import { validationCodeOf } from './support/commitStatus';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';
import { peerAsAdmin } from './support/peerCli';

const lc = peer.lifecycle;
const KVCC = path.join(REPO_ROOT, 'network', 'devnet', 'src', 'chaincode', 'testdata', 'kvcc');
const FABRIC_BIN = process.env.FABRIC_BIN;
const VALID = 0;
const ENDORSEMENT_POLICY_FAILURE = 10;

let netw: TestNetwork;
let scratch: string;
const clients: grpc.Client[] = [];
const gateways: Gateway[] = [];
const servers: ChildProcess[] = [];

function member(i: number): MemberConnection {
  return netw.connection.members[i];
}
const adminOf = (m: MemberConnection): SigningIdentity => SigningIdentity.fromMspDir(m.adminMspDir, m.mspId);
const userOf = (m: MemberConnection): SigningIdentity => SigningIdentity.fromMspDir(m.userMspDir, m.mspId);

async function peerClient(m: MemberConnection): Promise<grpc.Client> {
  const client = await newGrpcConnection(m.peer);
  clients.push(client);
  return client;
}

function processProposal(client: grpc.Client, signed: peer.SignedProposal): Promise<peer.ProposalResponse> {
  return sendProposal(client, signed, 60_000);
}

/** One `_lifecycle` call as `as` signs it, sent to the peers of `at`. */
async function call(as: SigningIdentity, at: MemberConnection[], channel: string, fn: string, arg: Uint8Array): Promise<{ responses: peer.ProposalResponse[]; proposal: peer.Proposal; txId: string }> {
  const { signed, proposal, txId } = lifecycleProposal(as, channel, fn, arg);
  const responses = await Promise.all(at.map(async (m) => processProposal(await peerClient(m), signed)));
  return { responses, proposal, txId };
}

/**
 * A transaction's validation code, from the gateway's CommitStatus (which answers once the block
 * is announced, as the peer CLI's wait on Deliver does).
 */
async function validationCode(txId: string): Promise<number> {
  return validationCodeOf(await peerClient(member(0)), userOf(member(0)), 'primary', txId);
}

/** Endorses on `at`, submits to the orderer and returns the committed validation code. */
async function transact(as: SigningIdentity, at: MemberConnection[], fn: string, arg: Uint8Array): Promise<number> {
  const { responses, proposal, txId } = await call(as, at, 'primary', fn, arg);
  const envelope = endorsedTransaction(proposal, responses, as);
  const orderer = await newGrpcConnection(member(0).orderer);
  clients.push(orderer);
  const outcome = await broadcast(orderer, envelope);
  expect(outcome.statusName).toBe('SUCCESS');
  return validationCode(txId);
}

function approveArgs(name: string, sequence: number, version: string, packageId: string): Uint8Array {
  const args = new lc.ApproveChaincodeDefinitionForMyOrgArgs();
  args.setName(name);
  args.setSequence(sequence);
  args.setVersion(version);
  const source = new lc.ChaincodeSource();
  const local = new lc.ChaincodeSource.Local();
  local.setPackageId(packageId);
  source.setLocalPackage(local);
  args.setSource(source);
  return args.serializeBinary();
}

type DefinitionArgs = { setName(v: string): unknown; setSequence(v: number): unknown; setVersion(v: string): unknown; serializeBinary(): Uint8Array };

function definitionArgs(args: DefinitionArgs, name: string, sequence: number, version: string): Uint8Array {
  args.setName(name);
  args.setSequence(sequence);
  args.setVersion(version);
  return args.serializeBinary();
}

function readiness(response: peer.ProposalResponse): Record<string, boolean> {
  expect(response.getResponse()?.getMessage()).toBe('');
  const result = lc.CheckCommitReadinessResult.deserializeBinary(response.getResponse()?.getPayload_asU8() ?? new Uint8Array());
  return Object.fromEntries(result.getApprovalsMap().toArray());
}

async function kvccPackage(type: 'node' | 'ccaas', label: string, address?: string): Promise<Buffer> {
  const code = type === 'node'
    ? new Map([['src/index.js', readFileSync(path.join(KVCC, 'index.js'))], ['src/package.json', readFileSync(path.join(KVCC, 'package.json'))]])
    : new Map([['connection.json', Buffer.from(JSON.stringify({ address, dial_timeout: '10s', tls_required: false }))]]);
  return buildChaincodePackage(type, label, code);
}

async function install(m: MemberConnection, bytes: Uint8Array): Promise<peer.ProposalResponse> {
  const args = new lc.InstallChaincodeArgs();
  args.setChaincodeInstallPackage(bytes);
  return (await call(adminOf(m), [m], '', 'InstallChaincode', args.serializeBinary())).responses[0];
}

async function installedOn(m: MemberConnection): Promise<string[]> {
  const r = (await call(adminOf(m), [m], '', 'QueryInstalledChaincodes', new Uint8Array())).responses[0];
  expect(r.getResponse()?.getStatus()).toBe(200);
  return lc.QueryInstalledChaincodesResult.deserializeBinary(r.getResponse()?.getPayload_asU8() ?? new Uint8Array()).getInstalledChaincodesList().map((c) => c.getPackageId());
}

async function committed(name: string): Promise<peer.lifecycle.QueryChaincodeDefinitionResult | string> {
  const args = new lc.QueryChaincodeDefinitionArgs();
  args.setName(name);
  const r = (await call(userOf(member(0)), [member(0)], 'primary', 'QueryChaincodeDefinition', args.serializeBinary())).responses[0];
  if (r.getResponse()?.getStatus() !== 200) return r.getResponse()?.getMessage() ?? '';
  return lc.QueryChaincodeDefinitionResult.deserializeBinary(r.getResponse()?.getPayload_asU8() ?? new Uint8Array());
}

async function gatewayFor(m: MemberConnection): Promise<Gateway> {
  const gw = await connectGateway(await peerClient(m), m);
  gateways.push(gw);
  return gw;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => { resolve(port); });
    });
  });
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'devnet-lifecycle-'));
  netw = await startNetwork({ basePort: 21750 });
});

afterAll(async () => {
  gateways.splice(0).forEach((g) => { g.close(); });
  clients.splice(0).forEach((c) => { c.close(); });
  await netw?.stop();
  for (const child of servers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('_lifecycle through the proposals the peer CLI sends', () => {
  let nodePackage: Buffer;
  let packageId: string;

  it("installs a node package on two organisations' peers, under Fabric's package id, per organisation", async () => {
    nodePackage = await kvccPackage('node', 'kvlc_1');
    packageId = `kvlc_1:${createHash('sha256').update(nodePackage).digest('hex')}`;
    for (const m of [member(0), member(1)]) {
      const r = await install(m, nodePackage);
      expect(r.getResponse()?.getStatus()).toBe(200);
      const result = lc.InstallChaincodeResult.deserializeBinary(r.getResponse()?.getPayload_asU8() ?? new Uint8Array());
      expect(result.getPackageId()).toBe(packageId);
      expect(result.getLabel()).toBe('kvlc_1');
    }
    expect(await installedOn(member(0))).toContain(packageId);
    expect(await installedOn(member(2))).not.toContain(packageId);
    const again = await install(member(0), nodePackage);
    expect(again.getResponse()?.getMessage()).toContain(`chaincode already successfully installed (package ID '${packageId}')`);
    const args = new lc.GetInstalledChaincodePackageArgs();
    args.setPackageId(packageId);
    const got = (await call(adminOf(member(1)), [member(1)], '', 'GetInstalledChaincodePackage', args.serializeBinary())).responses[0];
    expect(Buffer.from(lc.GetInstalledChaincodePackageResult.deserializeBinary(got.getResponse()?.getPayload_asU8() ?? new Uint8Array()).getChaincodeInstallPackage_asU8()).equals(nodePackage)).toBe(true);
  });

  it("refuses an install by a non-admin and by another organisation's admin", async () => {
    const args = new lc.InstallChaincodeArgs();
    args.setChaincodeInstallPackage(await kvccPackage('node', 'kvlc_other'));
    const byUser = (await call(userOf(member(0)), [member(0)], '', 'InstallChaincode', args.serializeBinary())).responses[0];
    expect(byUser.getResponse()?.getStatus()).toBe(500);
    expect(byUser.getResponse()?.getMessage()).toMatch(/^Failed to authorize invocation due to failed ACL check: .*\[Admins\].*not an admin/);
    // A channel-less proposal is checked against the receiving peer's own MSP only, as Fabric does.
    await expect(call(adminOf(member(1)), [member(0)], '', 'InstallChaincode', args.serializeBinary())).rejects.toThrow(/creator org unknown/);
  });

  it('approves for the own organisation only, replaces an approval of the same sequence, and refuses a sequence not next', async () => {
    const tooFar = (await call(adminOf(member(0)), [member(0)], 'primary', 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kvlc', 2, '1.0', packageId))).responses[0];
    expect(tooFar.getResponse()?.getMessage()).toBe("failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': requested sequence 2 is larger than the next available sequence number 1");
    const otherOrg = (await call(adminOf(member(1)), [member(0)], 'primary', 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kvlc', 1, '1.0', packageId))).responses[0];
    expect(otherOrg.getResponse()?.getMessage()).toMatch(/^Failed to authorize invocation due to failed ACL check: .*different MSP/);

    expect(await transact(adminOf(member(0)), [member(0)], 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kvlc', 1, '0.9', packageId))).toBe(VALID);
    expect(await transact(adminOf(member(0)), [member(0)], 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kvlc', 1, '1.0', packageId))).toBe(VALID);
    expect(await transact(adminOf(member(1)), [member(1)], 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kvlc', 1, '1.0', packageId))).toBe(VALID);
    const check = await call(userOf(member(0)), [member(0)], 'primary', 'CheckCommitReadiness', definitionArgs(new lc.CheckCommitReadinessArgs(), 'kvlc', 1, '1.0'));
    expect(readiness(check.responses[0])).toEqual({ Org1MSP: true, Org2MSP: true, Org3MSP: false, Org4MSP: false });
    const old = await call(userOf(member(0)), [member(0)], 'primary', 'CheckCommitReadiness', definitionArgs(new lc.CheckCommitReadinessArgs(), 'kvlc', 1, '0.9'));
    expect(readiness(old.responses[0])).toEqual({ Org1MSP: false, Org2MSP: false, Org3MSP: false, Org4MSP: false });
  });

  it('commits only with endorsements that satisfy LifecycleEndorsement, from organisations that approved', async () => {
    const commitArgs = definitionArgs(new lc.CommitChaincodeDefinitionArgs(), 'kvlc', 1, '1.0');
    const notApproved = (await call(adminOf(member(0)), [member(2)], 'primary', 'CommitChaincodeDefinition', commitArgs)).responses[0];
    expect(notApproved.getResponse()?.getMessage()).toBe("failed to invoke backing implementation of 'CommitChaincodeDefinition': chaincode definition not agreed to by this org (Org3MSP)");
    // Two of four organisations: not a MAJORITY, so the commit is invalid when validated.
    expect(await transact(adminOf(member(0)), [member(0), member(1)], 'CommitChaincodeDefinition', commitArgs)).toBe(ENDORSEMENT_POLICY_FAILURE);
    expect(await committed('kvlc')).toContain('namespace kvlc is not defined');

    expect(await transact(adminOf(member(2)), [member(2)], 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kvlc', 1, '1.0', packageId))).toBe(VALID);
    expect(await transact(adminOf(member(0)), [member(0), member(1), member(2)], 'CommitChaincodeDefinition', commitArgs)).toBe(VALID);
    const def = await committed('kvlc');
    if (typeof def === 'string') throw new Error(def);
    expect(def.getSequence()).toBe(1);
    expect(def.getVersion()).toBe('1.0');
    expect(def.getEndorsementPlugin()).toBe('escc');
    expect(peer.ApplicationPolicy.deserializeBinary(def.getValidationParameter_asU8()).getChannelConfigPolicyReference()).toBe('/Channel/Application/Endorsement');
    expect(Object.fromEntries(def.getApprovalsMap().toArray())).toEqual({ Org1MSP: true, Org2MSP: true, Org3MSP: true, Org4MSP: false });

    const sequenceOne = (await call(adminOf(member(0)), [member(0)], 'primary', 'CommitChaincodeDefinition', commitArgs)).responses[0];
    expect(sequenceOne.getResponse()?.getMessage()).toBe("failed to invoke backing implementation of 'CommitChaincodeDefinition': requested sequence is 1, but new definition must be sequence 2");
  }, 60_000);

  it("invokes the committed chaincode, which runs the package the organisations installed", async () => {
    const contract = (await gatewayFor(member(3))).getNetwork('primary').getContract('kvlc');
    await contract.submitTransaction('put', 'lifecycle-key', 'from-a-package');
    expect(Buffer.from(await contract.evaluateTransaction('get', 'lifecycle-key')).toString()).toBe('from-a-package');
    // Fabric's gateway evaluates _lifecycle on its own peer, as SDKs that query definitions expect.
    const lifecycle = (await gatewayFor(member(3))).getNetwork('primary').getContract('_lifecycle');
    const result = lc.QueryChaincodeDefinitionsResult.deserializeBinary(await lifecycle.evaluateTransaction('QueryChaincodeDefinitions', new lc.QueryChaincodeDefinitionsArgs().serializeBinary()));
    expect(result.getChaincodeDefinitionsList().map((d) => [d.getName(), d.getSequence()])).toEqual([['kvlc', 1]]);
  });

  it('runs a ccaas package by dialling the server it names', async () => {
    const port = await freePort();
    const bytes = await kvccPackage('ccaas', 'kvext_1', `127.0.0.1:${port}`);
    const id = `kvext_1:${createHash('sha256').update(bytes).digest('hex')}`;
    const server = spawn(process.execPath, [require.resolve('fabric-shim/cli.js'), 'server', '--chaincode-address', `127.0.0.1:${port}`, '--chaincode-id', id], { cwd: KVCC, stdio: 'ignore' });
    servers.push(server);
    expect((await install(member(0), bytes)).getResponse()?.getStatus()).toBe(200);
    for (const m of [member(0), member(1), member(2)]) {
      expect(await transact(adminOf(m), [m], 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kvext', 1, '1', id))).toBe(VALID);
    }
    expect(await transact(adminOf(member(0)), [member(0), member(1), member(2)], 'CommitChaincodeDefinition', definitionArgs(new lc.CommitChaincodeDefinitionArgs(), 'kvext', 1, '1'))).toBe(VALID);
    const contract = (await gatewayFor(member(0))).getNetwork('primary').getContract('kvext');
    await contract.submitTransaction('put', 'ccaas-key', 'dialled');
    expect(Buffer.from(await contract.evaluateTransaction('get', 'ccaas-key')).toString()).toBe('dialled');
    server.kill('SIGTERM');
  }, 60_000);

  it("defines a deployed chaincode through the same flow: installed on every peer, approved by every organisation, committed", async () => {
    const result = await netw.deploy(KVCC, 'primary', 'kvdeployed');
    const def = await committed('kvdeployed');
    if (typeof def === 'string') throw new Error(def);
    expect(def.getSequence()).toBe(1);
    expect(Object.fromEntries(def.getApprovalsMap().toArray())).toEqual({ Org1MSP: true, Org2MSP: true, Org3MSP: true, Org4MSP: true });
    for (const i of [0, 1, 2, 3]) expect(await installedOn(member(i))).toContain(result.ccid);
    await netw.deploy(KVCC, 'primary', 'kvdeployed');
    const redeployed = await committed('kvdeployed');
    expect(typeof redeployed === 'string' ? redeployed : redeployed.getSequence()).toBe(2);
  }, 60_000);

  it('keeps installed packages, approvals and committed definitions across a restart, and runs the chaincode again', async () => {
    await netw.crash();
    clients.splice(0).forEach((c) => { c.close(); });
    gateways.splice(0).forEach((g) => { g.close(); });
    await netw.restart();
    expect(await installedOn(member(1))).toContain(packageId);
    expect(await installedOn(member(2))).not.toContain(packageId);
    const def = await committed('kvlc');
    expect(typeof def === 'string' ? def : def.getSequence()).toBe(1);
    const contract = (await gatewayFor(member(0))).getNetwork('primary').getContract('kvlc');
    expect(Buffer.from(await contract.evaluateTransaction('get', 'lifecycle-key')).toString()).toBe('from-a-package');
    const query = new lc.QueryApprovedChaincodeDefinitionArgs();
    query.setName('kvlc');
    query.setSequence(1);
    const approved = (await call(adminOf(member(1)), [member(1)], 'primary', 'QueryApprovedChaincodeDefinition', query.serializeBinary())).responses[0];
    const result = lc.QueryApprovedChaincodeDefinitionResult.deserializeBinary(approved.getResponse()?.getPayload_asU8() ?? new Uint8Array());
    expect([result.getVersion(), result.getSource()?.getLocalPackage()?.getPackageId()]).toEqual(['1.0', packageId]);
  }, 120_000);
});

const withFabric = FABRIC_BIN ? describe : describe.skip;
if (!FABRIC_BIN) {
  console.warn("devnetLifecycle: FABRIC_BIN is not set, so the cases with Fabric's `peer lifecycle chaincode` CLI are skipped (set FABRIC_BIN=/path/to/fabric/bin to run them)");
}

withFabric("_lifecycle through Fabric's own peer CLI", () => {
  const peerCli = (m: MemberConnection, args: string[]): Promise<string> => peerAsAdmin(FABRIC_BIN as string, m, args);
  const ordererFlags = (): string[] => ['-o', member(0).orderer.endpoint, '--tls', '--cafile', member(0).orderer.tlsCaCertPath, '--channelID', 'primary'];
  const definition = ['--name', 'kvcli', '--version', '1.0', '--sequence', '1'];

  it('packages, installs on two peers, approves for a majority, checks readiness, commits, queries and invokes', async () => {
    const file = path.join(scratch, 'kvcli.tar.gz');
    await peerCli(member(0), ['lifecycle', 'chaincode', 'package', file, '--path', KVCC, '--lang', 'node', '--label', 'kvcli_1']);
    const expectedId = `kvcli_1:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
    for (const m of [member(0), member(1)]) {
      const out = await peerCli(m, ['lifecycle', 'chaincode', 'install', file]).catch((e: unknown) => (e as Error).message);
      expect(out).not.toMatch(/Error/);
    }
    const installed = JSON.parse(await peerCli(member(1), ['lifecycle', 'chaincode', 'queryinstalled', '--output', 'json'])) as { installed_chaincodes: { package_id: string }[] };
    expect(installed.installed_chaincodes.map((c) => c.package_id)).toContain(expectedId);
    for (const m of [member(0), member(1), member(2)]) {
      await peerCli(m, ['lifecycle', 'chaincode', 'approveformyorg', ...ordererFlags(), ...definition, '--package-id', expectedId]);
    }
    const ready = JSON.parse(await peerCli(member(0), ['lifecycle', 'chaincode', 'checkcommitreadiness', '--channelID', 'primary', ...definition, '--output', 'json'])) as { approvals: Record<string, boolean> };
    expect(ready.approvals).toEqual({ Org1MSP: true, Org2MSP: true, Org3MSP: true, Org4MSP: false });
    const peers = [member(0), member(1), member(2)].flatMap((m) => ['--peerAddresses', m.peer.endpoint, '--tlsRootCertFiles', m.peer.tlsCaCertPath]);
    await peerCli(member(0), ['lifecycle', 'chaincode', 'commit', ...ordererFlags(), ...definition, ...peers]);
    const def = JSON.parse(await peerCli(member(0), ['lifecycle', 'chaincode', 'querycommitted', '--channelID', 'primary', '--name', 'kvcli', '--output', 'json'])) as { sequence: number; version: string; approvals: Record<string, boolean> };
    expect(def).toMatchObject({ sequence: 1, version: '1.0', approvals: { Org1MSP: true, Org2MSP: true, Org3MSP: true, Org4MSP: false } });
    await peerCli(member(0), ['chaincode', 'invoke', ...ordererFlags(), '-n', 'kvcli', ...peers, '--waitForEvent', '-c', '{"Args":["put","cli-key","by-the-peer-cli"]}']);
    expect((await peerCli(member(1), ['chaincode', 'query', '-C', 'primary', '-n', 'kvcli', '-c', '{"Args":["get","cli-key"]}'])).trim()).toBe('by-the-peer-cli');
    const again = await peerCli(member(0), ['lifecycle', 'chaincode', 'approveformyorg', ...ordererFlags(), '--name', 'kvcli', '--version', '1.0', '--sequence', '3', '--package-id', expectedId]).catch((e: unknown) => (e as Error).message);
    expect(again).toContain('requested sequence 3 is larger than the next available sequence number 2');
  }, 180_000);
});
