/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * One unary gRPC call made from a worker thread, so that sending a huge message (its TLS
 * encryption, its frames) does not hold up the test's own event loop while it measures other
 * clients' latencies: the sender is then another client, as it would be in production.
 */
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import type { EndpointInfo } from 'fabric-config/connection';

export interface WorkerCallResult {
  /** gRPC status code (0 OK). */
  code: number;
  details: string;
  /** grpc-status-details-bin, when the server sent one. */
  statusDetails?: Uint8Array;
  ms: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const grpc = require(workerData.grpcPath);
const { endpoint, hostAlias, tlsCa, path, request, deadlineMs } = workerData;
const client = new grpc.Client(endpoint, grpc.credentials.createSsl(Buffer.from(tlsCa)), {
  'grpc.ssl_target_name_override': hostAlias,
  'grpc.max_receive_message_length': 100 * 1024 * 1024,
  'grpc.max_send_message_length': 100 * 1024 * 1024,
});
const bytes = Buffer.from(request.buffer, request.byteOffset, request.byteLength);
const started = performance.now();
client.makeUnaryRequest(path, (b) => b, (b) => b, bytes, { deadline: Date.now() + deadlineMs }, (err) => {
  const ms = performance.now() - started;
  const bin = err && err.metadata ? err.metadata.get('grpc-status-details-bin')[0] : undefined;
  client.close();
  parentPort.postMessage({ code: err ? err.code : 0, details: err ? err.details : '', statusDetails: bin ? new Uint8Array(bin) : undefined, ms });
});
`;

/** Sends `request` (a serialized request message) to `path` at `endpoint` from a worker thread; the worker ends with the call. */
export function sendInWorker(endpoint: EndpointInfo, path: string, request: Uint8Array, deadlineMs: number): Promise<WorkerCallResult> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { grpcPath: require.resolve('@grpc/grpc-js'), endpoint: endpoint.endpoint, hostAlias: endpoint.hostAlias, tlsCa: readFileSync(endpoint.tlsCaCertPath), path, request, deadlineMs },
  });
  return new Promise<WorkerCallResult>((resolve, reject) => {
    worker.once('message', (result: WorkerCallResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => { reject(new Error(`the sending worker exited (${code}) without an answer`)); });
  });
}
