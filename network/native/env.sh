#!/usr/bin/env bash
#
# SPDX-License-Identifier: Apache-2.0
#
# Defaults of the native network, in one file; sourced by every script here. Everything can be
# overridden from the environment. Nothing here starts a process.
#
# Port grid (base NATIVE_BASE_PORT, default 17050; all TLS), 100 ports wide, on 127.0.0.1, or with
# NATIVE_ORG_HOSTS=own each org on a loopback address of its own (Org1 127.0.0.2, Org2 127.0.0.3, ...)
# as if on machines of their own (member kits, `network.sh kit`):
#
#   org    orderer  peer   peer-chaincode  orderer-admin  orderer-ops  peer-ops
#   Org1   17050    17051  17052           17053          17054        17055
#   Org2   17060    17061  17062           17063          17064        17065
#   Org3   17070    17071  17072           17073          17074        17075
#   Org4   17080    17081  17082           17083          17084        17085
#   chaincode servers (one per deployed chaincode name): 17100-17149
#
# The devnet's default grid is 7050-13051 and 7059, so both can run side by side.

NATIVE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export NATIVE_DIR
REPO_ROOT="$(cd "${NATIVE_DIR}/../.." && pwd)"
export REPO_ROOT

export NATIVE_DATA="${NATIVE_DATA:-${REPO_ROOT}/.native}"
# An existing data folder (a member kit too) keeps the port grid it was made with.
if [ -z "${NATIVE_BASE_PORT:-}" ] && [ -f "${NATIVE_DATA}/.base-port" ]; then
  NATIVE_BASE_PORT="$(cat "${NATIVE_DATA}/.base-port")"
fi
export NATIVE_BASE_PORT="${NATIVE_BASE_PORT:-17050}"
export NATIVE_ORGS="${NATIVE_ORGS:-1 2 3 4}"
export NATIVE_MGMT_CHANNEL="${NATIVE_MGMT_CHANNEL:-mgmt}"
export NATIVE_PRIMARY_CHANNEL="${NATIVE_PRIMARY_CHANNEL:-primary}"
# primary is ordered with etcdraft (BatchTimeout and BatchSize cut its blocks); mgmt with BFT.
export NATIVE_PRIMARY_ORDERER_TYPE="${NATIVE_PRIMARY_ORDERER_TYPE:-etcdraft}"
# The devnet's genesis defaults, so both backends start with the same batch parameters.
export NATIVE_BATCH_TIMEOUT="${NATIVE_BATCH_TIMEOUT:-100ms}"
export NATIVE_MAX_MESSAGE_COUNT="${NATIVE_MAX_MESSAGE_COUNT:-10}"
export NATIVE_LOGGING_SPEC="${NATIVE_LOGGING_SPEC:-INFO}"
# Deadlines (seconds) for a node to answer its health endpoint, and for a deploy to be usable.
export NATIVE_START_DEADLINE="${NATIVE_START_DEADLINE:-60}"
export NATIVE_STOP_DEADLINE="${NATIVE_STOP_DEADLINE:-20}"

# A member kit (`network.sh kit`) runs one org's nodes: its number is in <data>/.kit-org. A folder
# created with NATIVE_ORG_HOSTS=own says so in <data>/.org-hosts, so every later command agrees.
[ -f "${NATIVE_DATA}/.org-hosts" ] && NATIVE_ORG_HOSTS="$(cat "${NATIVE_DATA}/.org-hosts")"
export NATIVE_ORG_HOSTS="${NATIVE_ORG_HOSTS:-shared}"
case "${NATIVE_ORG_HOSTS}" in
  shared | own) ;;
  *) echo "✖ --org-hosts (NATIVE_ORG_HOSTS) must be 'shared' or 'own', not '${NATIVE_ORG_HOSTS}'" >&2; return 2 2>/dev/null || exit 2 ;;
esac
[ -f "${NATIVE_DATA}/.kit-org" ] && NATIVE_LOCAL_ORGS="$(cat "${NATIVE_DATA}/.kit-org")"
is_kit() { [ -f "${NATIVE_DATA}/.kit-org" ]; }
# Organisations admitted after the network was made (`network.sh add-org`): a peer each, no orderer.
[ -f "${NATIVE_DATA}/.added-orgs" ] && NATIVE_ADDED_ORGS="$(cat "${NATIVE_DATA}/.added-orgs")"
export NATIVE_ADDED_ORGS="${NATIVE_ADDED_ORGS:-}"
# The orgs whose nodes this data folder runs (all of them, except in a member kit).
export NATIVE_LOCAL_ORGS="${NATIVE_LOCAL_ORGS:-${NATIVE_ORGS}${NATIVE_ADDED_ORGS:+ ${NATIVE_ADDED_ORGS}}}"

export NATIVE_ORG_DIRS="${NATIVE_DATA}/organizations/peerOrganizations"
export NATIVE_CONFIG="${NATIVE_DATA}/config"

if [ -n "${FABRIC_BIN:-}" ]; then
  export PATH="${FABRIC_BIN}:${PATH}"
fi

# Port of a node of org $1 (1..4): orderer, peer, peercc, admin, ordererops, peerops.
port_of() {
  local org="$1" kind="$2" offset
  case "${kind}" in
    orderer) offset=0 ;;
    peer) offset=1 ;;
    peercc) offset=2 ;;
    admin) offset=3 ;;
    ordererops) offset=4 ;;
    peerops) offset=5 ;;
    *) echo "port_of: unknown kind ${kind}" >&2; return 2 ;;
  esac
  echo $((NATIVE_BASE_PORT + (org - 1) * 10 + offset))
}

has_orderer() { [[ " ${NATIVE_ADDED_ORGS} " != *" $1 "* ]]; }
# The org whose orderer org $1's admin and clients use: its own, or the first org's for an added org.
orderer_org_of() { if has_orderer "$1"; then echo "$1"; else echo "${NATIVE_ORGS%% *}"; fi; }

# The address org $1's nodes listen on and are dialled at.
org_ip() {
  if [ "${NATIVE_ORG_HOSTS}" = own ]; then echo "127.0.0.$(($1 + 1))"; else echo 127.0.0.1; fi
}
addr_of() { echo "$(org_ip "$1"):$(port_of "$1" "$2")"; }

chaincode_port_range() {
  echo "$((NATIVE_BASE_PORT + 50)) $((NATIVE_BASE_PORT + 99))"
}

org_domain() { echo "org$1.example.com"; }
org_msp() { echo "Org$1MSP"; }
org_dir() { echo "${NATIVE_ORG_DIRS}/org$1.example.com"; }
orderer_host() { echo "orderer0.org$1.example.com"; }
peer_host() { echo "peer0.org$1.example.com"; }
orderer_dir() { echo "$(org_dir "$1")/orderers/orderer0.org$1.example.com"; }
peer_dir() { echo "$(org_dir "$1")/peers/peer0.org$1.example.com"; }
admin_msp() { echo "$(org_dir "$1")/users/Admin@org$1.example.com/msp"; }
admin_tls() { echo "$(org_dir "$1")/users/Admin@org$1.example.com/tls"; }
user_msp() { echo "$(org_dir "$1")/users/User1@org$1.example.com/msp"; }
tlsca_cert() { echo "$(org_dir "$1")/tlsca/tlsca.org$1.example.com-cert.pem"; }

# Fabric's release tarball (install-fabric.sh) holds bin/, config/ and builders/ccaas/bin/ side by
# side: FABRIC_BIN is bin/; the other two are found beside it unless set explicitly.
fabric_home() {
  local peer_bin
  peer_bin="$(command -v peer 2>/dev/null)" || return 1
  (cd "$(dirname "${peer_bin}")/.." && pwd)
}
if [ -z "${FABRIC_CCAAS_BUILDER:-}" ] && fabric_home >/dev/null; then
  FABRIC_CCAAS_BUILDER="$(fabric_home)/builders/ccaas"
fi
export FABRIC_CCAAS_BUILDER="${FABRIC_CCAAS_BUILDER:-}"
if [ -z "${FABRIC_RELEASE_CONFIG:-}" ]; then
  if [ -n "${FABRIC_CFG_PATH:-}" ] && [ -f "${FABRIC_CFG_PATH}/core.yaml" ] && [ "${FABRIC_CFG_PATH}" != "${NATIVE_CONFIG}" ]; then
    FABRIC_RELEASE_CONFIG="${FABRIC_CFG_PATH}"
  elif fabric_home >/dev/null; then
    FABRIC_RELEASE_CONFIG="$(fabric_home)/config"
  fi
fi
export FABRIC_RELEASE_CONFIG="${FABRIC_RELEASE_CONFIG:-}"
