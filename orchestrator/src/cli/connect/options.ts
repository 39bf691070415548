/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { InvalidArgumentError, Option } from 'commander';

/** `--peer Org1MSP=localhost:7051`: a name (MSP ID or domain) and a value. */
export interface NamedValue {
  readonly name: string;
  readonly value: string;
}

/** Options of `mgmt connect`. */
export interface ConnectOptions {
  readonly testNetwork?: string;
  readonly crypto?: string;
  readonly org: readonly string[];
  readonly signer: readonly string[];
  readonly orgs?: string;
  readonly peer: readonly NamedValue[];
  readonly orderer: readonly NamedValue[];
  readonly peerHostAlias: readonly NamedValue[];
  readonly ordererHostAlias: readonly NamedValue[];
  readonly wallet?: string;
  readonly identity?: string;
  readonly adminIdentity?: string;
  readonly channel?: string;
  readonly managementChannel?: string;
  readonly managementChaincode?: string;
  readonly out: string;
  readonly force: boolean;
  readonly check: boolean;
}

const HOST_PORT = /^[^\s:=,]+:\d{1,5}$/;

/** A commander parser of repeatable `name=value` options. */
export function namedValue(what: 'host:port' | 'host name'): (value: string, previous: readonly NamedValue[] | undefined) => NamedValue[] {
  return (value, previous) => {
    const i = value.indexOf('=');
    const name = i < 0 ? '' : value.slice(0, i).trim();
    const rest = i < 0 ? '' : value.slice(i + 1).trim();
    if (name === '' || rest === '' || (what === 'host:port' && !HOST_PORT.test(rest))) {
      throw new InvalidArgumentError(what === 'host:port' ? 'expected <mspId or domain>=<host:port>, e.g. Org1MSP=localhost:7051' : 'expected <mspId or domain>=<host name>, e.g. Org1MSP=peer0.org1.example.com');
    }
    return [...(previous ?? []), { name, value: rest }];
  };
}

/** A commander parser of chaincode names (Fabric's rule, as the connection file's schema has it). */
export function chaincodeName(value: string): string {
  if (!/^[A-Za-z0-9]+([A-Za-z0-9_-]*[A-Za-z0-9])?$/.test(value)) throw new InvalidArgumentError('letters, digits, - and _, starting and ending with a letter or digit');
  return value;
}

function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The options. */
export function connectOptions(): Option[] {
  return [
    new Option('--test-network <folder>', "fabric-samples test-network's organizations/ folder (its connection-orgN.json/.yaml profiles and cryptogen or Fabric CA material)"),
    new Option('--crypto <folder>', 'a cryptogen output folder (test-network-nano-bash: crypto-config/); give endpoints with --peer and --orderer'),
    new Option('--org <spec>', 'an organisation given explicitly (repeatable): mspId,peer=host:port,peerTls=<pem>,orderer=host:port,ordererTls=<pem>,caCert=<pem>,adminMsp=<dir>,userMsp=<dir>[,peerHostAlias=..][,ordererHostAlias=..][,domain=..]').argParser(collect).default([]),
    new Option('--signer <spec>', 'a non-voting organisation whose admin signs config updates (repeatable): mspId,orderer=host:port,ordererTls=<pem>,caCert=<pem>,adminMsp=<dir>').argParser(collect).default([]),
    new Option('--orgs <file>', 'organisations given explicitly as JSON: {"members": [{"mspId", "peer", "peerTls", ...}], "signers": [...]} (fields as in --org)'),
    new Option('--peer <name=host:port>', "a member's peer endpoint, by MSP ID (repeatable; overrides a profile's)").argParser(namedValue('host:port')).default([]),
    new Option('--orderer <name=host:port>', 'the orderer endpoint of an organisation, by MSP ID or domain (repeatable; default: the channel config\'s orderer endpoints)').argParser(namedValue('host:port')).default([]),
    new Option('--peer-host-alias <name=host>', "the host name a member's peer certificate is issued for, when the endpoint's is not (repeatable)").argParser(namedValue('host name')).default([]),
    new Option('--orderer-host-alias <name=host>', "the host name an organisation's orderer certificate is issued for (repeatable)").argParser(namedValue('host name')).default([]),
    new Option('--wallet <dir>', "a fabric-network file-system wallet holding a member's identities"),
    new Option('--identity <label>', "the wallet identity to use as its member's client user"),
    new Option('--admin-identity <label>', "the wallet identity to use as its member's admin"),
    new Option('--channel <name>', 'the primary channel (default: the one channel the peer has joined besides the management channel)'),
    new Option('--management-channel <name>', 'the management channel (default: mgmt, when the peer has joined it)'),
    new Option('--management-chaincode <name>', 'the management chaincode\'s name, when it is not mgmt (written as chaincodes.management)').argParser(chaincodeName),
    new Option('--out <file>', 'the connection file to write; PEMs and MSP folders go beside it, in <file>.files/').default('connection.json'),
    new Option('--force', 'overwrite --out').default(false),
    new Option('--no-check', 'write without connecting to each peer and orderer to check'),
  ];
}
