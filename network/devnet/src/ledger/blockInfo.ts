/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reading a committed block back: each transaction's id, type, validation code and chaincode
 * event, as the peer's deliver and gateway services report them.
 */
import { common, peer } from '@hyperledger/fabric-protos';
import { parseEnvelope } from '../protoutil';

export interface BlockTx {
  txId: string;
  type: number;
  validationCode: number;
  chaincodeEvent?: peer.ChaincodeEvent;
}

export function blockTransactions(block: common.Block): BlockTx[] {
  const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array(0);
  return (block.getData()?.getDataList_asU8() ?? []).map((bytes, i) => {
    const validationCode = filter[i] ?? peer.TxValidationCode.NOT_VALIDATED;
    try {
      const { channelHeader, payload } = parseEnvelope(common.Envelope.deserializeBinary(bytes));
      const tx: BlockTx = { txId: channelHeader.getTxId(), type: channelHeader.getType(), validationCode };
      if (tx.type === common.HeaderType.ENDORSER_TRANSACTION) tx.chaincodeEvent = chaincodeEventOf(payload);
      return tx;
    } catch {
      return { txId: '', type: -1, validationCode };
    }
  });
}

function chaincodeEventOf(payload: common.Payload): peer.ChaincodeEvent | undefined {
  try {
    const transaction = peer.Transaction.deserializeBinary(payload.getData_asU8());
    const action = transaction.getActionsList()[0];
    if (!action) return undefined;
    const cap = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
    const prpBytes = cap.getAction()?.getProposalResponsePayload_asU8();
    if (!prpBytes) return undefined;
    const prp = peer.ProposalResponsePayload.deserializeBinary(prpBytes);
    const ca = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
    const events = ca.getEvents_asU8();
    if (events.length === 0) return undefined;
    const event = peer.ChaincodeEvent.deserializeBinary(events);
    return event.getEventName() === '' ? undefined : event;
  } catch {
    return undefined;
  }
}
