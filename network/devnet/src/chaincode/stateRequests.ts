/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The peer's answers to the shim's requests within one transaction (core/chaincode/handler.go
 * HandleGetState and its siblings). State goes through the transaction's StateAccess, so the ledger
 * decides what is recorded; query results are shaped by ./queryResponses.ts. What the devnet has no
 * counterpart for (private data, rich queries, chaincode-to-chaincode calls) is refused with a reason.
 */
import { ledger, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { EMPTY, Type, typeName } from './messages';
import { closeQuery, continueQuery, openQuery, pageResponse, TOTAL_QUERY_LIMIT } from './queryResponses';
import type { TransactionContext } from './transactionContext';

const PRIVATE_DATA_UNSUPPORTED = 'private data is not supported by the devnet (no collection configuration)';

/** The peer's answer to each shim request kind (handler.go Handle*), as response payload bytes; a throw becomes the ERROR reason. */
export async function handleRequest(tx: TransactionContext, message: peer.ChaincodeMessage): Promise<Uint8Array> {
  const { state } = tx.request;
  const bytes = message.getPayload_asU8();
  switch (message.getType()) {
    case Type.GET_STATE: {
      const request = peer.GetState.deserializeBinary(bytes);
      publicOnly(request.getCollection());
      return (await state.getState(request.getKey())) ?? EMPTY;
    }
    case Type.PUT_STATE: {
      const request = peer.PutState.deserializeBinary(bytes);
      publicOnly(request.getCollection());
      state.putState(request.getKey(), request.getValue_asU8());
      return EMPTY;
    }
    case Type.DEL_STATE: {
      const request = peer.DelState.deserializeBinary(bytes);
      publicOnly(request.getCollection());
      state.deleteState(request.getKey());
      return EMPTY;
    }
    case Type.GET_STATE_BY_RANGE:
      return rangeQuery(tx, peer.GetStateByRange.deserializeBinary(bytes));
    case Type.QUERY_STATE_NEXT:
      return continueQuery(tx.queries, peer.QueryStateNext.deserializeBinary(bytes).getId()).serializeBinary();
    case Type.QUERY_STATE_CLOSE:
      return closeQuery(tx.queries, peer.QueryStateClose.deserializeBinary(bytes).getId()).serializeBinary();
    case Type.GET_HISTORY_FOR_KEY: {
      const key = peer.GetHistoryForKey.deserializeBinary(bytes).getKey();
      const entries = await state.getHistoryForKey(key);
      const results = entries.map((entry) => {
        const modification = new ledger.queryresult.KeyModification();
        modification.setTxId(entry.txId);
        modification.setValue(entry.value);
        modification.setIsDelete(entry.isDelete);
        // The shim calls timestamp.toObject() on every entry, so it must always be set (iterators.js).
        const timestamp = new Timestamp();
        timestamp.setSeconds(entry.timestamp.seconds);
        timestamp.setNanos(entry.timestamp.nanos);
        modification.setTimestamp(timestamp);
        return modification.serializeBinary();
      });
      return openQuery(tx.queries, results).serializeBinary();
    }
    case Type.GET_STATE_METADATA: {
      const request = peer.GetStateMetadata.deserializeBinary(bytes);
      publicOnly(request.getCollection());
      const metadata = await state.getStateMetadata(request.getKey());
      const result = new peer.StateMetadataResult();
      // Go's map order is random; sorted entries keep the devnet's replies deterministic.
      for (const metakey of [...metadata.keys()].sort()) {
        const entry = new peer.StateMetadata();
        entry.setMetakey(metakey);
        entry.setValue(metadata.get(metakey) ?? EMPTY);
        result.addEntries(entry);
      }
      return result.serializeBinary();
    }
    case Type.PUT_STATE_METADATA: {
      const request = peer.PutStateMetadata.deserializeBinary(bytes);
      publicOnly(request.getCollection());
      const entry = request.getMetadata();
      if (!entry) throw new Error('PutStateMetadata has no metadata entry');
      state.putStateMetadata(request.getKey(), entry.getMetakey(), entry.getValue_asU8());
      return EMPTY;
    }
    case Type.GET_QUERY_RESULT:
      publicOnly(peer.GetQueryResult.deserializeBinary(bytes).getCollection());
      // The devnet's state database behaves as LevelDB, which has no rich queries (stateleveldb.go).
      throw new Error('ExecuteQuery not supported for leveldb');
    case Type.GET_PRIVATE_DATA_HASH:
    case Type.PURGE_PRIVATE_DATA:
      throw new Error(PRIVATE_DATA_UNSUPPORTED);
    case Type.INVOKE_CHAINCODE:
      throw new Error('chaincode-to-chaincode invocation is not supported by the devnet');
    default:
      throw new Error(`Fabric side handler cannot handle message (${typeName(message.getType())}) while in ready state`);
  }
}

/** GET_STATE_BY_RANGE: paginated when QueryMetadata has a page size or a bookmark (handler.go isMetadataSetForPagination). */
async function rangeQuery(tx: TransactionContext, request: peer.GetStateByRange): Promise<Uint8Array> {
  publicOnly(request.getCollection());
  const metadataBytes = request.getMetadata_asU8();
  const metadata = metadataBytes.length > 0 ? peer.QueryMetadata.deserializeBinary(metadataBytes) : undefined;
  const paginated = metadata !== undefined && (metadata.getPagesize() !== 0 || metadata.getBookmark() !== '');
  const toKv = (row: { key: string; value: Uint8Array }): Uint8Array => {
    const kv = new ledger.queryresult.KV();
    kv.setNamespace(tx.namespace);
    kv.setKey(row.key);
    kv.setValue(row.value);
    return kv.serializeBinary();
  };

  if (!paginated) {
    const page = await tx.request.state.getStateByRange(request.getStartkey(), request.getEndkey());
    return openQuery(tx.queries, page.results.map(toKv)).serializeBinary();
  }

  const requested = metadata.getPagesize();
  const pageSize = requested > 0 && requested < TOTAL_QUERY_LIMIT ? requested : TOTAL_QUERY_LIMIT;
  const page = await tx.request.state.getStateByRange(request.getStartkey(), request.getEndkey(), {
    pageSize,
    bookmark: metadata.getBookmark(),
  });
  return pageResponse(page.results.map(toKv), page.bookmark).serializeBinary();
}

/** Fabric answers private-data calls only with collection configs and membership checks, which the devnet has not. */
function publicOnly(collection: string): void {
  if (collection !== '') throw new Error(`${PRIVATE_DATA_UNSUPPORTED}: collection "${collection}"`);
}
