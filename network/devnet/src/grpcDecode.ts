/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Requests that are no protobuf message at all, answered as Fabric's grpc-go servers answer them:
 * INTERNAL, "grpc: error unmarshalling request: ..." for a unary call and "grpc: failed to
 * unmarshal the received message: ..." for a streaming one. grpc-js would answer INTERNAL "Error
 * deserializing request"; instead, each method's deserializer marks such a message and the
 * interceptor below fails the call with Go's wording before any handler sees it.
 */
import * as grpc from '@grpc/grpc-js';
import { PROTO_PARSE_ERROR } from './fabricProto';

/** Stands in for a message that did not decode; only the interceptor ever sees it. */
const UNDECODABLE: unique symbol = Symbol('undecodable gRPC message');

/** The service definition with deserializers that mark undecodable messages instead of throwing. */
export function tolerantService<S extends grpc.ServiceDefinition>(service: S): S {
  const wrapped: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service) as [string, grpc.MethodDefinition<unknown, unknown>][]) {
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch {
          return UNDECODABLE;
        }
      },
    };
  }
  return wrapped as S;
}

/** Fails a call whose message did not decode (see {@link tolerantService}) with grpc-go's status. */
export const undecodableRequests: grpc.ServerInterceptor = (method, call) => {
  const details = method.requestStream || method.responseStream
    ? `grpc: failed to unmarshal the received message: ${PROTO_PARSE_ERROR}`
    : `grpc: error unmarshalling request: ${PROTO_PARSE_ERROR}`;
  const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
    start: (next) => {
      next({
        onReceiveMessage: (message: unknown, forward: (message: unknown) => void) => {
          if (message === UNDECODABLE) {
            intercepting.sendStatus({ code: grpc.status.INTERNAL, details, metadata: new grpc.Metadata() });
            return;
          }
          forward(message);
        },
      });
    },
  });
  return intercepting;
};
