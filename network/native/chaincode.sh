#!/usr/bin/env bash
#
# SPDX-License-Identifier: Apache-2.0
#
# Runs a deployed chaincode as a service (fabric-shim's server mode, TLS with client
# authentication) in the foreground: ./chaincode.sh <name>
# `network.sh deploy` writes ${NATIVE_DATA}/chaincode/<name>/chaincode.env and starts this in the
# background; `network.sh up` restarts it after a crash. Every peer dials it at CHAINCODE_ADDRESS
# (a port in 17100-17149 with the default grid, env.sh), as the connection.json of its installed package says.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
NAME="${1:?usage: chaincode.sh <chaincode name>}"
CC_DIR="${NATIVE_DATA}/chaincode/${NAME}"
. "${CC_DIR}/chaincode.env"

# fabric-chaincode-node reads CORE_* variables as options: start from a clean slate.
for variable in $(compgen -e | grep '^CORE_' || true); do unset "${variable}"; done
export CORE_PEER_LOCALMSPID="${CHAINCODE_MSPID}"
export CORE_CHAINCODE_LOGGING_LEVEL="${CHAINCODE_LOGGING_LEVEL:-info}"

cd "${CC_DIR}"
exec node "${CHAINCODE_SHIM_CLI}" server \
  --chaincode-address "${CHAINCODE_ADDRESS}" \
  --chaincode-id "${CHAINCODE_PACKAGE_ID}" \
  --module-path "${CHAINCODE_FOLDER}" \
  --chaincode-tls-cert-file "${CC_DIR}/tls/server.crt" \
  --chaincode-tls-key-file "${CC_DIR}/tls/server.key" \
  --chaincode-tls-client-cacert-file "${CC_DIR}/tls/ca.crt"
