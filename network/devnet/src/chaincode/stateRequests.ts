/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The peer's answers to the shim's requests within one transaction (core/chaincode/handler.go
 * HandleGetState and its siblings). State goes through the transaction's StateAccess, so the ledger
 * decides what is recorded; query results are shaped by ./queryResponses.ts. A request naming a
 * collection goes to the state's private data side (../privdata/simulation.ts), which checks the
 * collection and the creator's access. What the devnet has no counterpart for (rich queries,
 * chaincode-to-chaincode calls) is refused with a reason.
 */
import { ledger, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { EMPTY, Type, typeName } from './messages';
import { closeQuery, continueQuery, openQuery, pageResponse, TOTAL_QUERY_LIMIT } from './queryResponses';
import type { PrivateStateAccess } from './stateAccess';
import type { TransactionContext } from './transactionContext';

/** The peer's answer to each shim request kind (handler.go Handle*), as response payload bytes; a throw becomes the ERROR reason. */
export async function handleRequest(tx: TransactionContext, message: peer.ChaincodeMessage): Promise<Uint8Array> {
  const { state } = tx.request;
  const bytes = message.getPayload_asU8();
  switch (message.getType()) {
    case Type.GET_STATE: {
      const request = peer.GetState.deserializeBinary(bytes);
      const collection = request.getCollection();
      if (collection !== '') return (await privateState(tx).getPrivateData(collection, request.getKey())) ?? EMPTY;
      return (await state.getState(request.getKey())) ?? EMPTY;
    }
    case Type.PUT_STATE: {
      const request = peer.PutState.deserializeBinary(bytes);
      const collection = request.getCollection();
      if (collection !== '') privateState(tx).putPrivateData(collection, request.getKey(), request.getValue_asU8());
      else state.putState(request.getKey(), request.getValue_asU8());
      return EMPTY;
    }
    case Type.DEL_STATE: {
      const request = peer.DelState.deserializeBinary(bytes);
      const collection = request.getCollection();
      if (collection !== '') privateState(tx).deletePrivateData(collection, request.getKey());
      else state.deleteState(request.getKey());
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
    case Type.GET_STATE_METADATA:
      return getStateMetadata(tx, peer.GetStateMetadata.deserializeBinary(bytes));
    case Type.PUT_STATE_METADATA:
      putStateMetadata(tx, peer.PutStateMetadata.deserializeBinary(bytes));
      return EMPTY;
    case Type.GET_QUERY_RESULT:
      if (peer.GetQueryResult.deserializeBinary(bytes).getCollection() !== '') privateState(tx);
      // The devnet's state database behaves as LevelDB, which has no rich queries (stateleveldb.go).
      throw new Error('ExecuteQuery not supported for leveldb');
    case Type.GET_PRIVATE_DATA_HASH: {
      const request = peer.GetState.deserializeBinary(bytes);
      return (await privateState(tx).getPrivateDataHash(request.getCollection(), request.getKey())) ?? EMPTY;
    }
    case Type.PURGE_PRIVATE_DATA: {
      const request = peer.DelState.deserializeBinary(bytes);
      if (request.getCollection() === '') throw new Error('only applicable for private data');
      privateState(tx).purgePrivateData(request.getCollection(), request.getKey());
      return EMPTY;
    }
    case Type.INVOKE_CHAINCODE:
      throw new Error('chaincode-to-chaincode invocation is not supported by the devnet');
    default:
      throw new Error(`Fabric side handler cannot handle message (${typeName(message.getType())}) while in ready state`);
  }
}

/** GET_STATE_METADATA, public or of a collection's key. */
async function getStateMetadata(tx: TransactionContext, request: peer.GetStateMetadata): Promise<Uint8Array> {
  const collection = request.getCollection();
  const metadata = collection !== ''
    ? await privateState(tx).getPrivateDataMetadata(collection, request.getKey())
    : await tx.request.state.getStateMetadata(request.getKey());
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

/** PUT_STATE_METADATA, public or of a collection's key. */
function putStateMetadata(tx: TransactionContext, request: peer.PutStateMetadata): void {
  const collection = request.getCollection();
  const access = collection !== '' ? privateState(tx) : undefined;
  const entry = request.getMetadata();
  if (!entry) throw new Error('PutStateMetadata has no metadata entry');
  if (access) access.putPrivateDataMetadata(collection, request.getKey(), entry.getMetakey(), entry.getValue_asU8());
  else tx.request.state.putStateMetadata(request.getKey(), entry.getMetakey(), entry.getValue_asU8());
}

/** GET_STATE_BY_RANGE: paginated when QueryMetadata has a page size or a bookmark (handler.go isMetadataSetForPagination). */
async function rangeQuery(tx: TransactionContext, request: peer.GetStateByRange): Promise<Uint8Array> {
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

  const collection = request.getCollection();
  if (collection !== '') {
    // Fabric's handler ignores paging for a collection: all results, up to the peer's cap.
    const rows = await privateState(tx).getPrivateDataByRange(collection, request.getStartkey(), request.getEndkey());
    return openQuery(tx.queries, rows.map(toKv)).serializeBinary();
  }
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

/** The transaction's private data, with the checks Fabric's handler makes before any collection call. */
function privateState(tx: TransactionContext): PrivateStateAccess {
  if (tx.request.isInit) throw new Error('private data APIs are not allowed in chaincode Init()');
  const access = tx.request.state.privateData;
  if (!access) {
    throw new Error(`collection config not defined for chaincode [${tx.namespace}], pass the collection configuration upon chaincode definition/instantiation`);
  }
  return access;
}
