#!/usr/bin/env bash
#
# SPDX-License-Identifier: Apache-2.0
#
# The BFT check of issue 10, by hand on a running native network: with one orderer of `mgmt`
# stopped (f = 1 of n = 4), a transaction still commits on every peer; the orderer then restarts,
# catches up with the others and orders again.
#
#   network/native/bft-check.sh [--data <dir>] [--base-port <port>] [--leader] [<chaincode>]
#
# Stops a follower of the current SmartBFT view, or its leader with --leader (which costs a view
# change: 20-60 s with the SmartBFT options of configtx.sh). The view and leader are read from
# each orderer's metrics (consensus_smartbft_view_*). <chaincode> defaults to `assets`
# (test/fixtures/assets-chaincode), deployed on mgmt first if absent. Transactions go through the
# peer CLI to one orderer at a time (the Gateway, which the orchestrator uses, sends to all).
# Exit codes: 0 the check passed, 1 it failed, 2 bad usage.
set -euo pipefail

DATA_ARGS=()
CHAINCODE=assets
STOP_LEADER=false
while [ $# -gt 0 ]; do
  case "$1" in
    -d | --data | -p | --base-port) DATA_ARGS+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --leader) STOP_LEADER=true; shift ;;
    -h | --help) sed -n '4,17p' "$0"; exit 0 ;;
    -*) echo "✖ unknown option $1" >&2; exit 2 ;;
    *) CHAINCODE="$1"; shift ;;
  esac
done
for ((i = 0; i < ${#DATA_ARGS[@]}; i += 2)); do
  case "${DATA_ARGS[i]}" in
    -d | --data) NATIVE_DATA="$(cd "$(dirname "${DATA_ARGS[i + 1]}")" && pwd)/$(basename "${DATA_ARGS[i + 1]}")"; export NATIVE_DATA ;;
    -p | --base-port) export NATIVE_BASE_PORT="${DATA_ARGS[i + 1]}" ;;
  esac
done
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
export FABRIC_CFG_PATH="${NATIVE_CONFIG}"
NETWORK=(bash "${NATIVE_DIR}/network.sh")
CHANNEL="${NATIVE_MGMT_CHANNEL}"
DEADLINE=120

step() { echo "$(date +%H:%M:%S) $*" >&2; }
fail() { echo "✖ BFT check failed: $*" >&2; exit 1; }

# smartbft_metric <org> <name>: a consensus_smartbft_* gauge of the mgmt channel on that orderer.
smartbft_metric() {
  curl -fsS --max-time 2 --cacert "$(orderer_dir "$1")/tls/ca.crt" \
    --cert "$(admin_tls "$1")/client.crt" --key "$(admin_tls "$1")/client.key" \
    "https://$(addr_of "$1" ordererops)/metrics" 2>/dev/null |
    sed -n "s/^consensus_smartbft_$2{channel=\"${CHANNEL}\"} //p"
}

mgmt_height() {
  (. "${NATIVE_DIR}/admin.sh" "$1" &&
    osnadmin channel list --channelID "${CHANNEL}" -o "${ORDERER_ADMIN_ADDRESS}" --ca-file "${ORDERER_CA}" \
      --client-cert "${ADMIN_TLS_CERT}" --client-key "${ADMIN_TLS_KEY}" 2>/dev/null) | sed -n '/^{/,$p' | jq -r '.height'
}

views() {
  local n
  for n in ${NATIVE_ORGS}; do
    printf 'orderer0.org%s view %s leader %s height %s; ' "${n}" "$(smartbft_metric "${n}" view_number || echo '?')" \
      "$(smartbft_metric "${n}" view_leader_id || echo '?')" "$(mgmt_height "${n}" || echo '?')"
  done
  echo
}

# invoke_put <key> <value> <org whose orderer receives it>: endorsed by every running org's peer.
invoke_put() {
  local key="$1" value="$2" via="$3" flags=() n
  for n in ${NATIVE_ORGS}; do
    flags+=(--peerAddresses "$(addr_of "${n}" peer)" --tlsRootCertFiles "$(peer_dir "${n}")/tls/ca.crt")
  done
  (. "${NATIVE_DIR}/admin.sh" "${CLIENT_ORG}" &&
    peer chaincode invoke -o "$(addr_of "${via}" orderer)" --tls --cafile "$(orderer_dir "${via}")/tls/ca.crt" \
      -C "${CHANNEL}" -n "${CHAINCODE}" -c "{\"Args\":[\"Put\",\"${key}\",\"${value}\"]}" "${flags[@]}" \
      --waitForEvent --waitForEventTimeout "${DEADLINE}s" 2>&1 | { grep -v 'keepalive\|too_many_pings' >&2 || true; })
}

query_get() {
  (. "${NATIVE_DIR}/admin.sh" "$1" && peer chaincode query -C "${CHANNEL}" -n "${CHAINCODE}" -c "{\"Args\":[\"Get\",\"$2\"]}" 2>/dev/null)
}

# wait_height <org> <height>: until that orderer's ledger reaches the height.
wait_height() {
  local deadline=$((SECONDS + DEADLINE))
  until [ "$(mgmt_height "$1" || echo 0)" -ge "$2" ]; do
    [ "${SECONDS}" -lt "${deadline}" ] || fail "orderer0.org$1 stayed at height $(mgmt_height "$1") of $2 for ${DEADLINE} s. $(views)"
    sleep 0.5
  done
}

"${NETWORK[@]}" status "${DATA_ARGS[@]}" >/dev/null || fail "the network in ${NATIVE_DATA} is not fully running ('network.sh status')"
if ! (. "${NATIVE_DIR}/admin.sh" 1 && peer lifecycle chaincode querycommitted -C "${CHANNEL}" -n "${CHAINCODE}" >/dev/null 2>&1); then
  step "deploying test/fixtures/assets-chaincode on ${CHANNEL} as ${CHAINCODE}"
  "${NETWORK[@]}" deploy "${REPO_ROOT}/test/fixtures/assets-chaincode" "${CHANNEL}" "${CHAINCODE}" "${DATA_ARGS[@]}"
fi

LEADER_ORG="$(smartbft_metric 1 view_leader_id)"
[[ "${LEADER_ORG}" =~ ^[0-9]+$ ]] || fail "cannot read the SmartBFT leader from orderer0.org1's metrics"
step "before: $(views)"
STOPPED_ORG=""
CLIENT_ORG=""
for n in ${NATIVE_ORGS}; do
  if ${STOP_LEADER} && [ "${n}" = "${LEADER_ORG}" ]; then STOPPED_ORG="${n}"; fi
  if ! ${STOP_LEADER} && [ "${n}" != "${LEADER_ORG}" ] && [ -z "${STOPPED_ORG}" ]; then STOPPED_ORG="${n}"; fi
done
for n in ${NATIVE_ORGS}; do
  if [ "${n}" != "${STOPPED_ORG}" ] && [ -z "${CLIENT_ORG}" ]; then CLIENT_ORG="${n}"; fi
done
STOPPED="$(orderer_host "${STOPPED_ORG}")"
KEY="bft-$(date +%s)"

step "stopping ${STOPPED} ($(${STOP_LEADER} && echo leader || echo follower); 1 of 4 consenters of ${CHANNEL})"
"${NETWORK[@]}" stop "${STOPPED}" "${DATA_ARGS[@]}"
started=${SECONDS}
step "Put ${KEY} through orderer0.org${CLIENT_ORG}"
invoke_put "${KEY}" "committed-with-3-of-4" "${CLIENT_ORG}" || fail "the transaction did not commit with ${STOPPED} stopped. $(views)"
step "committed in $((SECONDS - started)) s with ${STOPPED} stopped"
for n in ${NATIVE_ORGS}; do
  [ "$(query_get "${n}" "${KEY}")" = "committed-with-3-of-4" ] || fail "peer0.org${n} does not have ${KEY}"
done
step "every peer has ${KEY}; $(views)"

step "starting ${STOPPED} again"
"${NETWORK[@]}" start "${STOPPED}" "${DATA_ARGS[@]}"
# A restarted follower that missed decisions learns that it is behind from a proposal newer than
# the one it expects (the leader's heartbeats carry the last decided sequence, so a follower exactly
# one decision behind looks in step to them), then pulls the missing blocks. An idle channel can
# leave it behind, so: transactions through the current leader until it has caught up.
started=${SECONDS}
rounds=0
while :; do
  LEADER_ORG="$(smartbft_metric "${CLIENT_ORG}" view_leader_id)"
  rounds=$((rounds + 1))
  step "Put ${KEY}-next${rounds} through the leader orderer0.org${LEADER_ORG}"
  invoke_put "${KEY}-next${rounds}" "after-restart" "${LEADER_ORG}" || fail "no commit after ${STOPPED} restarted. $(views)"
  target="$(mgmt_height "${LEADER_ORG}")"
  deadline=$((SECONDS + 20))
  until [ "$(mgmt_height "${STOPPED_ORG}" || echo 0)" -ge "${target}" ] || [ "${SECONDS}" -ge "${deadline}" ]; do sleep 0.5; done
  [ "$(mgmt_height "${STOPPED_ORG}" || echo 0)" -ge "${target}" ] && break
  [ $((SECONDS - started)) -lt "${DEADLINE}" ] || fail "${STOPPED} did not catch up within ${DEADLINE} s. $(views)"
done
step "${STOPPED} caught up in $((SECONDS - started)) s after ${rounds} transaction(s): $(views)"
step "Put ${KEY}-via through the restarted ${STOPPED}"
started=${SECONDS}
invoke_put "${KEY}-via" "through-the-restarted-orderer" "${STOPPED_ORG}" || fail "no commit through ${STOPPED} after it rejoined. $(views)"
wait_height "${STOPPED_ORG}" "$((target + 1))"
step "committed through ${STOPPED} in $((SECONDS - started)) s; $(views)"
step "✔ BFT check passed: a commit with ${STOPPED} stopped, its catch-up after the restart, a commit through it"
