/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * QueryResponse messages for the shim's range and history queries, as Fabric's
 * core/chaincode/query_response_generator.go builds them: an unpaginated query is handed out in
 * batches, its remainder kept with the transaction for QUERY_STATE_NEXT; a paginated one comes back
 * as one page with its bookmark.
 */
import { randomUUID } from 'node:crypto';
import { peer } from '@hyperledger/fabric-protos';

/** Results per QueryResponse when the chaincode does not paginate (Fabric `maxResultLimit`, chaincode_support.go). */
export const QUERY_BATCH_SIZE = 100;
/** Fabric's `ledger.state.totalQueryLimit`, the ceiling of a page size. */
export const TOTAL_QUERY_LIMIT = 100000;

/** Results of an unpaginated query still to be handed out by QUERY_STATE_NEXT. */
export interface OpenQuery {
  results: Uint8Array[];
  next: number;
}

/** A transaction's unfinished queries by iterator id. */
export type OpenQueries = Map<string, OpenQuery>;

/** First batch of an unpaginated query; the rest stays with the transaction for QUERY_STATE_NEXT. */
export function openQuery(queries: OpenQueries, results: Uint8Array[]): peer.QueryResponse {
  return nextBatch(queries, randomUUID(), { results, next: 0 });
}

/** QUERY_STATE_NEXT. */
export function continueQuery(queries: OpenQueries, id: string): peer.QueryResponse {
  const open = queries.get(id);
  if (!open) throw new Error('query iterator not found');
  return nextBatch(queries, id, open);
}

/** QUERY_STATE_CLOSE, answered even for a query that is already exhausted or unknown. */
export function closeQuery(queries: OpenQueries, id: string): peer.QueryResponse {
  queries.delete(id);
  const response = new peer.QueryResponse();
  response.setHasMore(false);
  response.setId(id);
  return response;
}

/** A page comes back whole, with has_more false and the bookmark in the metadata (query_response_generator.go). */
export function pageResponse(results: Uint8Array[], bookmark: string): peer.QueryResponse {
  const responseMetadata = new peer.QueryResponseMetadata();
  responseMetadata.setFetchedRecordsCount(results.length);
  responseMetadata.setBookmark(bookmark);
  const response = new peer.QueryResponse();
  response.setResultsList(results.map(resultBytes));
  response.setHasMore(false);
  response.setId(randomUUID());
  response.setMetadata(responseMetadata.serializeBinary());
  return response;
}

/**
 * Up to {@link QUERY_BATCH_SIZE} results with has_more set when more remain; an exhausted query is
 * forgotten at once, as the peer cleans up its context (a later QUERY_STATE_CLOSE is still answered).
 */
function nextBatch(queries: OpenQueries, id: string, open: OpenQuery): peer.QueryResponse {
  const end = Math.min(open.next + QUERY_BATCH_SIZE, open.results.length);
  const response = new peer.QueryResponse();
  response.setResultsList(open.results.slice(open.next, end).map(resultBytes));
  response.setId(id);
  response.setHasMore(end < open.results.length);
  if (end < open.results.length) queries.set(id, { results: open.results, next: end });
  else queries.delete(id);
  return response;
}

function resultBytes(bytes: Uint8Array): peer.QueryResultBytes {
  const result = new peer.QueryResultBytes();
  result.setResultbytes(bytes);
  return result;
}
