/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { peer } from '@hyperledger/fabric-protos';

/** Fabric's TxValidationCode, by name, so that code reads like the peer's logs. */
export const TxCode = peer.TxValidationCode;

