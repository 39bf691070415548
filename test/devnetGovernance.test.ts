/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Governed values of `primary` changed by real config updates (fabric-config's channel model,
 * signed by 3 of 4 admins, broadcast to the orderer), and what each change does to the next
 * request, as on Fabric v3.1.5: the peer/Propose and event/Block ACLs, the Application capability
 * that ACLs need, the channel's Endorsement policy that a chaincode without its own policy uses,
 * and the updates the orderer refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { CommitError, EndorseError, Gateway, GatewayError } from '@hyperledger/fabric-gateway';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import * as path from 'node:path';
import { buildConfigUpdateEnvelope, channelModelUpdate, computeUpdate, readConfigBlock, signConfigUpdate } from 'fabric-config/configtx';
import type { ChannelModel } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import { broadcast, fetchBlock, fetchConfigBlock, fetchPeerBlock } from '../orchestrator/src/channelConfig/ordererClient';
import type { BroadcastOutcome } from '../orchestrator/src/channelConfig/ordererClient';
import { connectGateway, newGrpcConnection } from '../orchestrator/src/gateway';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const CHAINCODE = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');
const CHANNEL = 'primary';
const APPLYING = `error applying config update to existing channel '${CHANNEL}': `;
const ACL_REFUSAL = 'failed evaluating policy on signed data during check policy [/Channel/Application/OnlyOrg1Admin]: [signature set did not satisfy policy]';
const utf8 = new TextDecoder();

let net: TestNetwork | undefined;
const clients: grpc.Client[] = [];
const gateways: Gateway[] = [];
let ordererClient: grpc.Client;
let org1Peer: grpc.Client;
let org2Peer: grpc.Client;
let admins: SigningIdentity[];
let org2User: SigningIdentity;
let org1AdminGateway: Gateway;
let org1UserGateway: Gateway;
let org2UserGateway: Gateway;

beforeAll(async () => {
  net = await startNetwork({ basePort: 20750, batchTimeout: '100ms' });
  await net.deploy(CHAINCODE, CHANNEL, 'assets');
  const members = net.connection.members;
  admins = members.map((m) => SigningIdentity.fromMspDir(m.adminMspDir, m.mspId));
  org2User = SigningIdentity.fromMspDir(members[1].userMspDir, members[1].mspId);
  ordererClient = await newGrpcConnection(members[0].orderer);
  org1Peer = await newGrpcConnection(members[0].peer);
  org2Peer = await newGrpcConnection(members[1].peer);
  clients.push(ordererClient, org1Peer, org2Peer);
  org1AdminGateway = await connectGateway(org1Peer, members[0], 'admin');
  org1UserGateway = await connectGateway(org1Peer, members[0], 'user');
  org2UserGateway = await connectGateway(org2Peer, members[1], 'user');
  gateways.push(org1AdminGateway, org1UserGateway, org2UserGateway);
});

afterAll(async () => {
  for (const gateway of gateways) gateway.close();
  for (const client of clients) client.close();
  await net?.stop();
});

function assets(gateway: Gateway): ReturnType<ReturnType<Gateway['getNetwork']>['getContract']> {
  return gateway.getNetwork(CHANNEL).getContract('assets');
}

async function currentConfig(): Promise<common.Config> {
  return readConfigBlock(await fetchConfigBlock(ordererClient, CHANNEL, admins[0])).config;
}

/** Broadcast SUCCESS means accepted for ordering; the config is in force once its block is. */
async function waitForSequence(sequence: number): Promise<common.Config> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const config = await currentConfig();
    if (config.getSequence() >= sequence) return config;
    if (Date.now() > deadline) throw new Error(`config sequence ${sequence} not in force after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The update signed by Org1..Org3's admins (a MAJORITY of each Admins policy) and broadcast. */
function submitUpdate(update: common.ConfigUpdate): Promise<BroadcastOutcome> {
  const bytes = update.serializeBinary();
  const signers = admins.slice(0, 3);
  return broadcast(ordererClient, buildConfigUpdateEnvelope(CHANNEL, bytes, signers.map((s) => signConfigUpdate(bytes, s)), signers[0]));
}

/** Puts an update in force and returns the new config. */
async function inForce(update: (config: common.Config) => common.ConfigUpdate): Promise<common.Config> {
  const config = await currentConfig();
  const outcome = await submitUpdate(update(config));
  expect(outcome).toEqual({ status: common.Status.SUCCESS, statusName: 'SUCCESS', info: '' });
  return waitForSequence(config.getSequence() + 1);
}

function modelUpdate(model: ChannelModel): (config: common.Config) => common.ConfigUpdate {
  return (config) => channelModelUpdate(CHANNEL, config, model);
}

/** An update from a config edited by hand, for what the channel model does not write or refuses. */
function editUpdate(edit: (config: common.Config) => void): (config: common.Config) => common.ConfigUpdate {
  return (config) => {
    const edited = config.cloneMessage();
    edit(edited);
    return computeUpdate(CHANNEL, config, edited);
  };
}

function group(config: common.Config, ...names: string[]): common.ConfigGroup {
  let current = config.getChannelGroup() as common.ConfigGroup;
  for (const name of names) current = current.getGroupsMap().get(name) as common.ConfigGroup;
  return current;
}

function capabilitiesValue(...names: string[]): Uint8Array {
  const capabilities = new common.Capabilities();
  for (const name of names) capabilities.getCapabilitiesMap().set(name, new common.Capability());
  return capabilities.serializeBinary();
}

/** Refused at Broadcast with BAD_REQUEST and `info`, leaving the config as it was. */
async function expectRefused(update: (config: common.Config) => common.ConfigUpdate, info: string): Promise<void> {
  const config = await currentConfig();
  expect(await submitUpdate(update(config))).toEqual({ status: common.Status.BAD_REQUEST, statusName: 'BAD_REQUEST', info });
  expect((await currentConfig()).getSequence()).toBe(config.getSequence());
}

async function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

describe('governed values on the devnet, effective from the next request', () => {
  it('ACLs: peer/Propose and event/Block pointed at a policy only Org1\'s admin satisfies', async () => {
    // A block stream that delivered a block before the change: access is evaluated again at the config block.
    const events = await org2UserGateway.getNetwork(CHANNEL).getBlockEvents();
    const blocks = events[Symbol.asyncIterator]();
    await assets(org2UserGateway).submitTransaction('Put', 'acl', 'before');
    expect((await blocks.next()).value).toBeInstanceOf(common.Block);
    const nextBlock = blocks.next();
    await inForce(
      modelUpdate({
        version: 2,
        application: {
          policies: { OnlyOrg1Admin: { type: 'Signature', rule: "OR('Org1MSP.admin')" } },
          acls: { 'peer/Propose': 'OnlyOrg1Admin', 'event/Block': 'OnlyOrg1Admin' },
        },
      }),
    );

    // Evaluate: the gateway's endorser refuses before the chaincode runs (FAILED_PRECONDITION).
    const evaluated = await failure(assets(org2UserGateway).evaluateTransaction('Get', 'acl'));
    expect(evaluated).toBeInstanceOf(GatewayError);
    expect((evaluated as GatewayError).code).toBe(grpc.status.FAILED_PRECONDITION);
    expect((evaluated as GatewayError).cause.details).toBe(`evaluate call to endorser returned error: ${ACL_REFUSAL}`);
    // Submit: the endorsement fails (ABORTED), the peer's reason in the details.
    const submitted = await failure(assets(org2UserGateway).submitTransaction('Put', 'acl', 'org2'));
    expect(submitted).toBeInstanceOf(EndorseError);
    expect((submitted as EndorseError).code).toBe(grpc.status.ABORTED);
    expect((submitted as EndorseError).details.map((d) => d.message)).toEqual([ACL_REFUSAL]);
    // Org1's client is no admin either; Org1's admin passes.
    expect(((await failure(assets(org1UserGateway).evaluateTransaction('Get', 'acl'))) as GatewayError).message).toContain(ACL_REFUSAL);
    await assets(org1AdminGateway).submitTransaction('Put', 'acl', 'org1 admin');
    expect(utf8.decode(await assets(org1AdminGateway).evaluateTransaction('Get', 'acl'))).toBe('org1 admin');

    // event/Block guards the peer's Deliver; the orderer's Deliver keeps /Channel/Readers.
    await expect(nextBlock).rejects.toThrow(/FORBIDDEN|403/);
    events.close();
    await expect(fetchPeerBlock(org2Peer, CHANNEL, org2User, 'newest')).rejects.toThrow(/status FORBIDDEN/);
    expect((await fetchPeerBlock(org1Peer, CHANNEL, admins[0], 'newest')).getHeader()).toBeDefined();
    expect((await fetchBlock(ordererClient, CHANNEL, org2User, 'newest')).getHeader()).toBeDefined();
  });

  it('capabilities: ACLs need the V1_2 application capability, and below V2_0 the chaincode is not found', async () => {
    await expectRefused(
      modelUpdate({ version: 2, application: { capabilities: ['V1_1'] } }),
      `${APPLYING}initializing channelconfig failed: could not create channel Application sub-group config: ACLs may not be specified without the required capability`,
    );
    expect(((await failure(assets(org2UserGateway).evaluateTransaction('Get', 'acl'))) as GatewayError).message).toContain(ACL_REFUSAL);

    // Lowered with the ACLs removed: peer/Propose is the default again (Writers), but a V1_1 peer
    // looks chaincodes up in the legacy lifecycle, where this one is not defined.
    await inForce(
      editUpdate((config) => {
        const application = group(config, 'Application');
        application.getValuesMap().get('Capabilities')?.setValue(capabilitiesValue('V1_1'));
        application.getValuesMap().del('ACLs');
      }),
    );
    const lowered = await failure(assets(org2UserGateway).evaluateTransaction('Get', 'acl'));
    expect(lowered).toBeInstanceOf(GatewayError);
    expect((lowered as GatewayError).code).toBe(grpc.status.ABORTED);
    expect((lowered as GatewayError).cause.details).toBe('failed to evaluate transaction, see attached details for more info');
    expect((lowered as GatewayError).details[0]?.message).toBe(
      `make sure the chaincode assets has been successfully defined on channel ${CHANNEL} and try again: chaincode assets not found`,
    );

    await inForce(modelUpdate({ version: 2, application: { capabilities: ['V2_0', 'V2_5'] } }));
    expect(utf8.decode(await assets(org2UserGateway).evaluateTransaction('Get', 'acl'))).toBe('org1 admin');
    expect((await fetchPeerBlock(org2Peer, CHANNEL, org2User, 'newest')).getHeader()).toBeDefined();
  });

  it('endorsement: a chaincode without its own policy follows /Channel/Application/Endorsement as the channel changes it', async () => {
    const threeOrgs = { endorsingOrganizations: ['Org1MSP', 'Org2MSP', 'Org3MSP'] };
    // MAJORITY Endorsement of 4 orgs: 3 suffice.
    await assets(org2UserGateway).submit('Put', { arguments: ['endorsed', 'by three'], ...threeOrgs });

    await inForce(
      modelUpdate({
        version: 2,
        application: { policies: { Endorsement: { type: 'Signature', rule: "OutOf(4, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer', 'Org4MSP.peer')" } } },
      }),
    );
    // The client chose the endorsers, so the gateway does not check the policy: the commit does.
    const invalid = await failure(assets(org2UserGateway).submit('Put', { arguments: ['endorsed', 'by three again'], ...threeOrgs }));
    expect(invalid).toBeInstanceOf(CommitError);
    expect((invalid as CommitError).code).toBe(peer.TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    expect(utf8.decode(await assets(org2UserGateway).evaluateTransaction('Get', 'endorsed'))).toBe('by three');

    // Left to the gateway, it asks every org the new policy names.
    const commit = await assets(org2UserGateway).submitAsync('Put', { arguments: ['endorsed', 'by four'] });
    const status = await commit.getStatus();
    expect(status.code).toBe(peer.TxValidationCode.VALID);
    const block = await fetchPeerBlock(org2Peer, CHANNEL, org2User, Number(status.blockNumber));
    const envelopes = (block.getData()?.getDataList_asU8() ?? []).map((bytes) => common.Envelope.deserializeBinary(bytes));
    const endorsers = envelopes
      .map((env) => peer.Transaction.deserializeBinary(common.Payload.deserializeBinary(env.getPayload_asU8()).getData_asU8()))
      .map((tx) => peer.ChaincodeActionPayload.deserializeBinary(tx.getActionsList()[0]?.getPayload_asU8() ?? new Uint8Array()))
      .map((payload) => payload.getAction()?.getEndorsementsList().length);
    expect(endorsers).toContain(4);
  });

  it('refuses an unsupported capability, a malformed policy and a consensus type change with BAD_REQUEST', async () => {
    await expectRefused(
      editUpdate((config) => {
        group(config).getValuesMap().get('Capabilities')?.setValue(capabilitiesValue('V3_0', 'V9_9'));
      }),
      `${APPLYING}config update is not compatible: config requires unsupported channel capabilities: Channel capability V9_9 is required but not supported: Channel capability V9_9 is required but not supported`,
    );
    await expectRefused(
      editUpdate((config) => {
        const broken = new common.Policy();
        broken.setType(common.Policy.PolicyType.SIGNATURE);
        broken.setValue(Uint8Array.from([0x08]));
        const configPolicy = new common.ConfigPolicy();
        configPolicy.setModPolicy('Admins');
        configPolicy.setPolicy(broken);
        group(config, 'Application').getPoliciesMap().set('Broken', configPolicy);
      }),
      `${APPLYING}initializing policymanager failed: policy Broken at path Channel/Application did not compile: Error unmarshalling to SignaturePolicy: proto: cannot parse invalid wire-format data`,
    );
    await expectRefused(
      editUpdate((config) => {
        const value = group(config, 'Orderer').getValuesMap().get('ConsensusType') as common.ConfigValue;
        const type = orderer.ConsensusType.deserializeBinary(value.getValue_asU8());
        type.setType('etcdraft');
        value.setValue(type.serializeBinary());
      }),
      'config update for existing channel did not pass maintenance checks: config transaction inspection failed: attempted to change consensus type from devnet to etcdraft, but current config ConsensusType.State is not in maintenance mode',
    );
    await assets(org1AdminGateway).submitTransaction('Put', 'after-refusals', 'ok');
  });

  it('consensus state: in maintenance mode the orderer refuses normal transactions until it leaves it', async () => {
    const state = (value: number) =>
      editUpdate((config) => {
        const consensus = group(config, 'Orderer').getValuesMap().get('ConsensusType') as common.ConfigValue;
        const type = orderer.ConsensusType.deserializeBinary(consensus.getValue_asU8());
        type.setState(value as orderer.ConsensusType.StateMap[keyof orderer.ConsensusType.StateMap]);
        consensus.setValue(type.serializeBinary());
      });
    await inForce(state(orderer.ConsensusType.State.STATE_MAINTENANCE));
    const refused = await failure(assets(org1AdminGateway).submitTransaction('Put', 'maintenance', 'x'));
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).name).toBe('SubmitError');
    // Fabric's Gateway tries every orderer on a 5xx answer and then reports UNAVAILABLE without
    // details (internal/pkg/gateway/submit.go keeps details only of failed calls, not of refusals).
    expect((refused as GatewayError).code).toBe(14);
    expect((refused as GatewayError).message).toMatch(/no orderers could successfully process transaction/);
    expect((refused as GatewayError).details).toEqual([]);
    await inForce(state(orderer.ConsensusType.State.STATE_NORMAL));
    await assets(org1AdminGateway).submitTransaction('Put', 'maintenance', 'over');
  });
});
