/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * How the devnet reaches a chaincode server, as a peer's external chaincode client does
 * (core/chaincode/extcc): the gRPC channel to `/protos.Chaincode/Connect` and the wait until a
 * freshly spawned server accepts connections on it.
 */
import * as grpc from '@grpc/grpc-js';
import { peer } from '@hyperledger/fabric-protos';

/** How the devnet reaches a chaincode server over TLS. Without it the dial is plaintext on 127.0.0.1. */
export interface ChaincodeTls {
  /** Server key and certificate PEM files for the chaincode process (`--chaincode-tls-key-file`, `--chaincode-tls-cert-file`). */
  keyFile: string;
  certFile: string;
  /** PEM of the CA that issued `certFile`; the devnet verifies the chaincode server against it. */
  rootCertPem: Uint8Array;
  /** Mutual TLS: the chaincode accepts only clients whose certificate this CA file issued (`--chaincode-tls-client-cacert-file`). */
  clientCaCertFile?: string;
  /** The devnet's client key and certificate PEM, needed when `clientCaCertFile` is set. */
  clientKeyPem?: Uint8Array;
  clientCertPem?: Uint8Array;
  /** Host name to expect in the server certificate when it does not name 127.0.0.1. */
  serverNameOverride?: string;
}

// Longest single wait of the launch's connectivity watch; bounds the timer left behind when a launch fails.
const WATCH_STEP_MS = 250;

// Fabric allows 100 MiB chaincode messages; grpc-js defaults to 4 MiB.
export const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

/** A client for the chaincode server at `address`; it connects lazily, see {@link waitForReady}. */
export function dialChaincode(address: string, tls: ChaincodeTls | undefined): peer.ChaincodeClient {
  return new peer.ChaincodeClient(address, credentials(tls), channelOptions(tls));
}

/**
 * Resolves once the channel to the chaincode is READY. grpc-js's own `waitForReady` leaves its
 * deadline timer running when the channel closes mid-wait (a failed launch would keep the devnet
 * alive until the launch deadline), so this watches in short steps and stops when `cancelled()`.
 */
export function waitForReady(client: grpc.Client, deadline: number, address: string, cancelled: () => boolean): Promise<void> {
  const channel = client.getChannel();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (cancelled()) {
        reject(new Error('launch abandoned'));
        return;
      }
      try {
        const state = channel.getConnectivityState(true);
        if (state === grpc.connectivityState.READY) {
          resolve();
          return;
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          reject(new Error(`no gRPC server at ${address} before the launch deadline`));
          return;
        }
        // A step deadline passing is not a failure, only a reason to look again.
        channel.watchConnectivityState(state, Date.now() + Math.min(remaining, WATCH_STEP_MS), check);
      } catch (err) {
        reject(new Error(`the channel to ${address} closed: ${err instanceof Error ? err.message : String(err)}`));
      }
    };
    check();
  });
}

function credentials(tls: ChaincodeTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const key = tls.clientKeyPem ? Buffer.from(tls.clientKeyPem) : null;
  const cert = tls.clientCertPem ? Buffer.from(tls.clientCertPem) : null;
  return grpc.credentials.createSsl(Buffer.from(tls.rootCertPem), key, cert);
}

function channelOptions(tls: ChaincodeTls | undefined): grpc.ChannelOptions {
  const options: grpc.ChannelOptions = {
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    // A freshly spawned server binds within a second; the default 1 s first backoff would double the wait.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
    // A relaunch on the same address must not inherit a shared subchannel stuck in backoff.
    'grpc.use_local_subchannel_pool': 1,
    // No channelz bookkeeping (nothing serves it) on the stream that carries every transaction.
    'grpc.enable_channelz': 0,
  };
  if (tls?.serverNameOverride) {
    options['grpc.ssl_target_name_override'] = tls.serverNameOverride;
    options['grpc.default_authority'] = tls.serverNameOverride;
  }
  return options;
}
