/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Whether the `primary` channel can run a configuration, asked before anyone proposes or votes
 * for it: a CB the channel would refuse (a capability its binaries lack, an ACL naming a policy it
 * does not have, anchor peers of an organisation it does not know, options of another consensus
 * type) would be sealed for nothing, and each member would then fail to put it in force.
 */
import type * as grpc from '@grpc/grpc-js';
import { ConfigtxError, readChannelModel, readConfigBlock, withChannelModel } from 'fabric-config/configtx';
import type { ChannelModel } from 'fabric-config/configtx';
import type { common } from '@hyperledger/fabric-protos';
import type { JsonObject } from 'mgmt-chaincode/dist/protocol';
import type { EnvelopeSigner } from '../channelConfig/ordererClient';
import { fetchConfigBlock } from '../channelConfig/ordererClient';
import { channelModelOfCb, consensusTypeOf } from './cbModel';
import { PrimaryError } from './errors';

/** Why a channel whose config is `config` cannot run a CB's configuration, or undefined when it can. */
export function channelRefusal(config: common.Config, cbConfig: JsonObject): string | undefined {
  return refusalOf(() => withChannelModel(config, channelModelOfCb(cbConfig, consensusTypeOf(config))));
}

/** Why a channel whose config is `config` cannot run `model`, or undefined when it can. */
export function modelRefusal(config: common.Config, model: ChannelModel): string | undefined {
  return refusalOf(() => withChannelModel(config, model));
}

function refusalOf(apply: () => unknown): string | undefined {
  try {
    apply();
    return undefined;
  } catch (err) {
    if (err instanceof ConfigtxError || err instanceof PrimaryError) return err.message;
    throw err;
  }
}

/** Where to read the channel: a connection to the member's orderer, opened per question and closed after. */
export interface ChannelCheckSource {
  readonly connect: () => Promise<grpc.Client>;
  readonly channelId: string;
  /** Signs the Deliver request (the member's admin or user). */
  readonly signer: EnvelopeSigner;
}

/** The channel's config in force, read from the member's orderer over a connection opened and closed for it. */
export async function readChannelConfig(source: ChannelCheckSource): Promise<common.Config> {
  const client = await source.connect();
  try {
    return readConfigBlock(await fetchConfigBlock(client, source.channelId, source.signer)).config;
  } finally {
    client.close();
  }
}

/**
 * A check for the management node (`channelCheck`): reads the channel's config from the member's
 * orderer and answers why it cannot run a configuration. When the channel cannot be read, it says
 * nothing: the chaincode's schema still holds, and a member's outage must not turn into a veto.
 */
export function channelCheck(source: ChannelCheckSource): (cbConfig: JsonObject) => Promise<string | undefined> {
  return async (cbConfig) => {
    let config: common.Config;
    try {
      config = await readChannelConfig(source);
    } catch {
      return undefined;
    }
    return channelRefusal(config, cbConfig);
  };
}

/**
 * The governed configuration the channel runs now, as a channel model: a new chain's genesis
 * configuration, so that the first CB states what the channel already is.
 *
 * @throws when the orderer cannot be reached or answers no config block.
 */
export async function readLiveChannelModel(source: ChannelCheckSource): Promise<ChannelModel> {
  return readChannelModel(await readChannelConfig(source));
}
