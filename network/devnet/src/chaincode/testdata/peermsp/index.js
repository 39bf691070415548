/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Which organisation's peer runs this chaincode: `stub.getMspID()` is the process's
 * CORE_PEER_LOCALMSPID, the peer's local MSP, whereas `ctx.clientIdentity` is the client's.
 */
'use strict';

const { Contract } = require('fabric-contract-api');

class PeerMspContract extends Contract {
  async PeerMsp(ctx) {
    return ctx.stub.getMspID();
  }

  async ClientMsp(ctx) {
    return ctx.clientIdentity.getMSPID();
  }
}

module.exports.contracts = [PeerMspContract];
