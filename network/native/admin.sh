#!/usr/bin/env bash
#
# SPDX-License-Identifier: Apache-2.0
#
# Source this to act as the admin of org $1 with the peer CLI, as fabric-samples'
# peer1admin.sh does:  . network/native/admin.sh 2 && peer channel list
# Also sets ORDERER_ADDRESS, ORDERER_CA and the admin's TLS client pair for osnadmin.
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ORG="${1:?usage: . admin.sh <org number 1..4>}"

export FABRIC_CFG_PATH="${NATIVE_CONFIG}"
export FABRIC_LOGGING_SPEC="${FABRIC_LOGGING_SPEC:-WARNING}"
export CORE_PEER_TLS_ENABLED=true
export CORE_PEER_LOCALMSPID="$(org_msp "${ORG}")"
export CORE_PEER_MSPCONFIGPATH="$(admin_msp "${ORG}")"
export CORE_PEER_ADDRESS="$(addr_of "${ORG}" peer)"
export CORE_PEER_TLS_ROOTCERT_FILE="$(peer_dir "${ORG}")/tls/ca.crt"
# An organisation admitted later has no orderer of its own: it uses the first org's.
ORDERER_ORG="$(orderer_org_of "${ORG}")"
export ORDERER_ADDRESS="$(addr_of "${ORDERER_ORG}" orderer)"
export ORDERER_ADMIN_ADDRESS="$(addr_of "${ORDERER_ORG}" admin)"
export ORDERER_CA="$(orderer_dir "${ORDERER_ORG}")/tls/ca.crt"
export ORDERER_HOST="$(orderer_host "${ORDERER_ORG}")"
export ADMIN_TLS_CERT="$(admin_tls "${ORG}")/client.crt"
export ADMIN_TLS_KEY="$(admin_tls "${ORG}")/client.key"
