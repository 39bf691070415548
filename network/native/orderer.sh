#!/usr/bin/env bash
#
# SPDX-License-Identifier: Apache-2.0
#
# Runs the orderer node of org $1 (1..4) in the foreground: ./orderer.sh 2
# `network.sh up` starts it in the background with its log in ${NATIVE_DATA}/logs.
# Ports (env.sh): orderer 17050+10*(org-1), admin +3, operations +4, on the org's address (org_ip, env.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ORG="${1:?usage: orderer.sh <org number 1..4>}"
NODE_DIR="$(orderer_dir "${ORG}")"
STATE="${NATIVE_DATA}/nodes/$(orderer_host "${ORG}")"

export FABRIC_CFG_PATH="${NATIVE_CONFIG}"
export FABRIC_LOGGING_SPEC="${NATIVE_LOGGING_SPEC}"
export ORDERER_GENERAL_LISTENADDRESS="$(org_ip "${ORG}")"
export ORDERER_GENERAL_LISTENPORT="$(port_of "${ORG}" orderer)"
export ORDERER_GENERAL_LOCALMSPID="$(org_msp "${ORG}")"
export ORDERER_GENERAL_LOCALMSPDIR="${NODE_DIR}/msp"
export ORDERER_GENERAL_TLS_ENABLED=true
export ORDERER_GENERAL_TLS_PRIVATEKEY="${NODE_DIR}/tls/server.key"
export ORDERER_GENERAL_TLS_CERTIFICATE="${NODE_DIR}/tls/server.crt"
export ORDERER_GENERAL_TLS_ROOTCAS="[${NODE_DIR}/tls/ca.crt]"
export ORDERER_GENERAL_BOOTSTRAPMETHOD=none
export ORDERER_CHANNELPARTICIPATION_ENABLED=true
export ORDERER_FILELEDGER_LOCATION="${STATE}/ledger"
export ORDERER_CONSENSUS_WALDIR="${STATE}/etcdraft/wal"
export ORDERER_CONSENSUS_SNAPDIR="${STATE}/etcdraft/snapshot"
export ORDERER_ADMIN_LISTENADDRESS="$(addr_of "${ORG}" admin)"
export ORDERER_ADMIN_TLS_ENABLED=true
export ORDERER_ADMIN_TLS_CERTIFICATE="${NODE_DIR}/tls/server.crt"
export ORDERER_ADMIN_TLS_PRIVATEKEY="${NODE_DIR}/tls/server.key"
export ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true
export ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$(tlsca_cert "${ORG}")]"
export ORDERER_OPERATIONS_LISTENADDRESS="$(addr_of "${ORG}" ordererops)"
export ORDERER_OPERATIONS_TLS_ENABLED=true
export ORDERER_OPERATIONS_TLS_CERTIFICATE="${NODE_DIR}/tls/server.crt"
export ORDERER_OPERATIONS_TLS_PRIVATEKEY="${NODE_DIR}/tls/server.key"
export ORDERER_OPERATIONS_TLS_CLIENTAUTHREQUIRED=false
export ORDERER_OPERATIONS_TLS_CLIENTROOTCAS="[$(tlsca_cert "${ORG}")]"
export ORDERER_METRICS_PROVIDER=prometheus

mkdir -p "${STATE}"
cd "${STATE}"
exec orderer
