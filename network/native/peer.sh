#!/usr/bin/env bash
#
# SPDX-License-Identifier: Apache-2.0
#
# Runs the peer of org $1 (1..4) in the foreground: ./peer.sh 2
# `network.sh up` starts it in the background with its log in ${NATIVE_DATA}/logs.
# Ports (env.sh): peer 17051+10*(org-1) (gRPC and gossip), chaincode +1, operations +4.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ORG="${1:?usage: peer.sh <org number 1..4>}"
NODE_DIR="$(peer_dir "${ORG}")"
STATE="${NATIVE_DATA}/nodes/$(peer_host "${ORG}")"
PEER_ADDRESS="$(addr_of "${ORG}" peer)"

export FABRIC_CFG_PATH="${NATIVE_CONFIG}"
export FABRIC_LOGGING_SPEC="${NATIVE_LOGGING_SPEC}"
export CORE_PEER_ID="$(peer_host "${ORG}")"
export CORE_PEER_ADDRESS="${PEER_ADDRESS}"
export CORE_PEER_LISTENADDRESS="${PEER_ADDRESS}"
export CORE_PEER_CHAINCODEADDRESS="$(addr_of "${ORG}" peercc)"
export CORE_PEER_CHAINCODELISTENADDRESS="$(addr_of "${ORG}" peercc)"
export CORE_PEER_GOSSIP_BOOTSTRAP="${PEER_ADDRESS}"
export CORE_PEER_GOSSIP_EXTERNALENDPOINT="${PEER_ADDRESS}"
# Peers that contact each other before both joined a channel retry after this (default 25 s).
export CORE_PEER_GOSSIP_RECONNECTINTERVAL=5s
export CORE_PEER_LOCALMSPID="$(org_msp "${ORG}")"
export CORE_PEER_MSPCONFIGPATH="${NODE_DIR}/msp"
export CORE_PEER_TLS_ENABLED=true
export CORE_PEER_TLS_CERT_FILE="${NODE_DIR}/tls/server.crt"
export CORE_PEER_TLS_KEY_FILE="${NODE_DIR}/tls/server.key"
export CORE_PEER_TLS_ROOTCERT_FILE="${NODE_DIR}/tls/ca.crt"
export CORE_PEER_FILESYSTEMPATH="${STATE}/ledger"
export CORE_LEDGER_SNAPSHOTS_ROOTDIR="${STATE}/snapshots"
export CORE_CHAINCODE_EXTERNALBUILDERS="[{name: ccaas_builder, path: ${FABRIC_CCAAS_BUILDER}}]"
export CORE_OPERATIONS_LISTENADDRESS="$(addr_of "${ORG}" peerops)"
export CORE_OPERATIONS_TLS_ENABLED=true
export CORE_OPERATIONS_TLS_CERT_FILE="${NODE_DIR}/tls/server.crt"
export CORE_OPERATIONS_TLS_KEY_FILE="${NODE_DIR}/tls/server.key"
export CORE_OPERATIONS_TLS_CLIENTAUTHREQUIRED=false
export CORE_OPERATIONS_TLS_CLIENTROOTCAS_FILES="$(tlsca_cert "${ORG}")"
export CORE_METRICS_PROVIDER=prometheus

mkdir -p "${STATE}"
cd "${STATE}"
exec peer node start
