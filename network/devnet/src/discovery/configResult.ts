/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The answer to a ConfigQuery, built from the channel config in force as Fabric's discovery builds
 * it (discovery/support/config): every FABRIC MSP of the Orderer and Application groups (the first
 * one seen wins when an MSP ID is in both), and the orderer endpoints per ordering organisation,
 * from the organisations' own Endpoints or, when no organisation has any, the global
 * OrdererAddresses.
 */
import { common, discovery, msp } from '@hyperledger/fabric-protos';
import { ConfigKey } from 'fabric-config/configtx';

/** Fabric's MSP type FABRIC (msp.ProviderType); idemix MSPs carry nothing discovery reports. */
const FABRIC_MSP_TYPE = 0;

/** A config discovery cannot describe; the message is Fabric's. */
export class ConfigResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigResultError';
  }
}

/**
 * @param config - the channel config in force.
 * @returns the ConfigResult.
 * @throws ConfigResultError if the Orderer or Application group is missing, or an MSP or address
 *   value does not decode (Fabric answers the query "failed fetching config for channel x").
 */
export function configResult(config: common.Config): discovery.ConfigResult {
  const channelGroup = config.getChannelGroup();
  if (channelGroup === undefined) throw new ConfigResultError('field Config.ChannelGroup is nil');
  const ordererGroup = channelGroup.getGroupsMap().get(ConfigKey.ordererGroup);
  const applicationGroup = channelGroup.getGroupsMap().get(ConfigKey.applicationGroup);
  if (ordererGroup === undefined) throw new ConfigResultError(`key Config.ChannelGroup.Groups[${ConfigKey.ordererGroup}] is missing`);
  if (applicationGroup === undefined) throw new ConfigResultError(`key Config.ChannelGroup.Groups[${ConfigKey.applicationGroup}] is missing`);

  const result = new discovery.ConfigResult();
  const perOrg = new Map<string, string[]>();
  for (const group of orgGroups(ordererGroup)) {
    const fabric = fabricMspOf(group);
    if (fabric === undefined) continue;
    const endpoints = group.getValuesMap().get(ConfigKey.endpoints);
    perOrg.set(fabric.getName(), endpoints === undefined ? [] : decode(() => common.OrdererAddresses.deserializeBinary(endpoints.getValue_asU8()), 'failed unmarshalling orderer addresses').getAddressesList());
  }
  const global = channelGroup.getValuesMap().get(ConfigKey.ordererAddresses);
  const globalAddresses = global === undefined ? [] : decode(() => common.OrdererAddresses.deserializeBinary(global.getValue_asU8()), 'failed unmarshalling orderer addresses').getAddressesList();
  const somePerOrg = [...perOrg.values()].some((a) => a.length > 0);
  for (const [mspId, addresses] of perOrg) {
    const endpoints = new discovery.Endpoints();
    // Per-org endpoints that do not parse are skipped; global ones make the whole query fail (as Fabric).
    for (const address of somePerOrg ? addresses : globalAddresses) {
      const parsed = parseEndpoint(address);
      if (parsed === undefined) {
        if (somePerOrg) continue;
        throw new ConfigResultError(`failed parsing orderer endpoint ${address}`);
      }
      endpoints.addEndpoint(parsed);
    }
    result.getOrderersMap().set(mspId, endpoints);
  }
  for (const group of [...orgGroups(ordererGroup), ...orgGroups(applicationGroup)]) {
    const fabric = fabricMspOf(group);
    if (fabric === undefined || result.getMspsMap().has(fabric.getName())) continue;
    result.getMspsMap().set(fabric.getName(), fabric);
  }
  return result;
}

function orgGroups(group: common.ConfigGroup): common.ConfigGroup[] {
  return ([...group.getGroupsMap().entries()] as [string, common.ConfigGroup][]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

function fabricMspOf(group: common.ConfigGroup): msp.FabricMSPConfig | undefined {
  const value = group.getValuesMap().get(ConfigKey.msp);
  const mspConfig = decode(() => msp.MSPConfig.deserializeBinary(value?.getValue_asU8() ?? new Uint8Array()), 'failed parsing MSPConfig');
  if (mspConfig.getType() !== FABRIC_MSP_TYPE) return undefined;
  return decode(() => msp.FabricMSPConfig.deserializeBinary(mspConfig.getConfig_asU8()), 'failed marshaling FabricMSPConfig');
}

/** host:port as Go's net.SplitHostPort and a 32-bit port read it. */
function parseEndpoint(address: string): discovery.Endpoint | undefined {
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(address);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (!Number.isSafeInteger(port) || port > 0x7fffffff) return undefined;
  const endpoint = new discovery.Endpoint();
  endpoint.setHost(match[1] ?? match[2]);
  endpoint.setPort(port);
  return endpoint;
}

function decode<T>(read: () => T, message: string): T {
  try {
    return read();
  } catch (err) {
    throw new ConfigResultError(`${message}: ${(err as Error).message}`);
  }
}
