"use strict";
/*
 * SPDX-License-Identifier: Apache-2.0
 */
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __exportStar = (this && this.__exportStar) || function(m, exports) {
    for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
};
Object.defineProperty(exports, "__esModule", { value: true });
/**
 * The pure protocol core: no I/O and no Fabric imports, shared by the chaincode, the
 * orchestrator and the simulator (`import { verifyChain } from 'mgmt-chaincode/dist/protocol'`).
 */
__exportStar(require("./agreement"), exports);
__exportStar(require("./canonicalJson"), exports);
__exportStar(require("./certificates"), exports);
__exportStar(require("./config"), exports);
__exportStar(require("./errors"), exports);
__exportStar(require("./hash"), exports);
__exportStar(require("./members"), exports);
__exportStar(require("./params"), exports);
__exportStar(require("./proposer"), exports);
__exportStar(require("./quorum"), exports);
__exportStar(require("./round"), exports);
__exportStar(require("./signatures"), exports);
__exportStar(require("./tally"), exports);
__exportStar(require("./time"), exports);
__exportStar(require("./types"), exports);
__exportStar(require("./verifyBlock"), exports);
