/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * ChaincodeMessage types, named as the peer names them in its errors, for the handler and the
 * state requests alike.
 */
import { peer } from '@hyperledger/fabric-protos';

export const Type = peer.ChaincodeMessage.Type;
export type MessageType = peer.ChaincodeMessage.TypeMap[keyof peer.ChaincodeMessage.TypeMap];

const TYPE_NAMES = new Map<number, string>(Object.entries(Type).map(([label, value]) => [value, label]));

export const EMPTY = new Uint8Array(0);

export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `UNKNOWN(${type})`;
}
