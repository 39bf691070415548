/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A channel as the devnet's peers and orderer see it: its current configuration (from the latest
 * config block), the MSPs that configuration defines, and the chaincodes defined on it.
 */
import { common } from '@hyperledger/fabric-protos';
import { BatchParams, evaluatePolicy, readBatchParams, readMsps } from 'fabric-config/configtx';
import type { ChannelView, SignedData } from './ledger/committer';
import { MspRegistry } from 'fabric-config/msp';

export interface ChaincodeDefinition {
  channel: string;
  name: string;
  version: string;
  /** label:sha256, the id the chaincode registers with. */
  ccid: string;
  folder: string;
  address: string;
  /** Policy path evaluated at commit; Fabric's default for a chaincode is the channel's Endorsement policy. */
  endorsementPolicy: string;
}

export type { BatchParams };

export class Channel implements ChannelView {
  private configValue!: common.Config;
  private mspRegistry!: MspRegistry;
  private batch!: BatchParams;
  private readonly chaincodes = new Map<string, ChaincodeDefinition>();

  constructor(
    readonly id: string,
    config: common.Config,
    /** Number of the block holding the current config, for LAST_CONFIG metadata. */
    public lastConfigBlock: number,
  ) {
    this.setConfig(config, lastConfigBlock);
  }

  get config(): common.Config {
    return this.configValue;
  }

  get msps(): MspRegistry {
    return this.mspRegistry;
  }

  get batchParams(): BatchParams {
    return this.batch;
  }

  setConfig(config: common.Config, blockNum: number): void {
    this.configValue = config;
    this.mspRegistry = new MspRegistry(readMsps(config));
    this.batch = readBatchParams(config);
    this.lastConfigBlock = blockNum;
  }

  defineChaincode(def: ChaincodeDefinition): void {
    this.chaincodes.set(def.name, def);
  }

  chaincode(name: string): ChaincodeDefinition | undefined {
    return this.chaincodes.get(name);
  }

  chaincodeNames(): string[] {
    return [...this.chaincodes.keys()];
  }

  isChaincodeDefined(name: string): boolean {
    return this.chaincodes.has(name);
  }

  checkEndorsementPolicy(chaincode: string, endorsements: SignedData[]): { ok: true } | { ok: false; reason: string } {
    const def = this.chaincodes.get(chaincode);
    if (!def) return { ok: false, reason: `chaincode ${chaincode} is not defined on channel ${this.id}` };
    return evaluatePolicy(this.configValue, def.endorsementPolicy, endorsements, this.mspRegistry);
  }

  /** Whether signed data satisfies a channel policy such as /Channel/Writers or /Channel/Readers. */
  checkPolicy(path: string, signed: SignedData[]): { ok: true } | { ok: false; reason: string } {
    return evaluatePolicy(this.configValue, path, signed, this.mspRegistry);
  }
}
