#!/usr/bin/env bash
#
# SPDX-License-Identifier: Apache-2.0
#
# The native backend: the project's topology (docs/architecture.md) on Fabric v3 binaries run as plain processes
# (no Docker), in the style of fabric-samples' test-network-nano-bash. Four orgs, each with a
# peer and an orderer node; channel `mgmt` ordered by SmartBFT (four consenters) and `primary` by
# etcdraft; channel participation API (osnadmin), no system channel; TLS on every link; chaincode
# as a service. One process per script: orderer.sh, peer.sh, chaincode.sh; defaults in env.sh.
#
# Exit codes: 0 success, 1 the operation failed, 2 bad usage.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: network.sh <command> [options]

Commands:
  up                              start the network (create it on a fresh data folder, restart
                                  stopped nodes and chaincodes on an existing one), write
                                  <data>/connection.json
  down                            stop every process `up` and `deploy` started; remove the data
                                  folder unless --keep-data
  status                          nodes, channel heights and chaincodes (exit 1 if not all running)
  deploy <folder> <channel> <name>
                                  chaincode as a service: package, install on every peer, approve
                                  as every org, commit (MAJORITY endorsement), start the server
  kill                            SIGKILL every node and chaincode, keep the data (a crash drill)
  stop <node>                     stop one node, e.g. orderer0.org2.example.com (fault drills)
  start <node>                    start one stopped node again and wait until it is healthy
  add-org <n>                     start the peer of an organisation admitted by a CB (n = 5; its crypto
                                  from 'mgmt org new Org<n>MSP --domain org<n>.example.com --out <data>'),
                                  join it to both channels, install and approve the deployed chaincodes
  rejoin <n> <channel>            join org n's orderer to a channel again from its latest config block
                                  (after a CB made it a consenter again: Fabric halts an evicted node);
                                  nothing to do when it is an active consenter already
  create                          make the consortium's crypto material and channel genesis blocks
                                  without starting anything (the founding step before member kits)
  kit <n> --out <dir>             write org n's member kit: its own crypto, only public material of
                                  the others, the genesis blocks; then 'up --data <dir>' runs that
                                  org's orderer, peer and chaincodes alone (docs: network/native/README.md)

Options:
  -d, --data <dir>                data folder (env NATIVE_DATA, default <repo>/.native)
  -p, --base-port <port>          first port of the port grid (env NATIVE_BASE_PORT, default 17050)
  -t, --batch-timeout <duration>  genesis BatchTimeout (Go duration, default 100ms; fresh up only)
  --watch-pid <pid>               with up: run `down` when that process exits (test harnesses)
  --keep-data                     with down: keep the data folder
  --org-hosts <shared|own>        fresh up/create: all orgs on 127.0.0.1 (shared, default) or each
                                  org on a loopback address of its own, Org<n> on 127.0.0.<n+1> (own)
  --out <dir>                     with kit: the kit's folder (must not exist or be empty)
  --crypto <dir>                  with add-org: the folder 'mgmt org new --out' wrote (its organizations/
                                  is copied into the data folder)
  -h, --help

Binaries come from FABRIC_BIN or PATH (peer, orderer, configtxgen, osnadmin, discover, v3.x) and
the chaincode-as-a-service builder from builders/ccaas beside them (FABRIC_CCAAS_BUILDER).

Example:
  FABRIC_BIN=$HOME/fabric/bin network/native/network.sh up && \
    network/native/network.sh deploy test/fixtures/assets-chaincode primary assets
USAGE
}

# ---- arguments --------------------------------------------------------------------------------

COMMAND="${1:-}"
[ $# -gt 0 ] && shift
ARGS=()
WATCH_PID=""
KIT_OUT=""
ADD_CRYPTO=""
KEEP_DATA=false
while [ $# -gt 0 ]; do
  case "$1" in
    -d | --data) NATIVE_DATA="${2:?--data needs a folder}"; shift 2 ;;
    -p | --base-port) NATIVE_BASE_PORT="${2:?--base-port needs a port}"; shift 2 ;;
    -t | --batch-timeout) NATIVE_BATCH_TIMEOUT="${2:?--batch-timeout needs a duration}"; shift 2 ;;
    --watch-pid) WATCH_PID="${2:?--watch-pid needs a pid}"; shift 2 ;;
    --keep-data) KEEP_DATA=true; shift ;;
    --org-hosts) NATIVE_ORG_HOSTS="${2:?--org-hosts needs shared or own}"; shift 2 ;;
    --out) KIT_OUT="${2:?--out needs a folder}"; shift 2 ;;
    --crypto) ADD_CRYPTO="${2:?--crypto needs a folder}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "✖ unknown option $1" >&2; usage >&2; exit 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
if [ -n "${NATIVE_DATA:-}" ]; then
  mkdir -p "$(dirname "${NATIVE_DATA}")"
  NATIVE_DATA="$(cd "$(dirname "${NATIVE_DATA}")" && pwd)/$(basename "${NATIVE_DATA}")"
  export NATIVE_DATA
fi
export NATIVE_BASE_PORT NATIVE_BATCH_TIMEOUT
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# The peer CLI reads core.yaml from here (a copy of the release's, written by a fresh `up`).
export FABRIC_CFG_PATH="${NATIVE_CONFIG}"

if ! [[ "${NATIVE_BASE_PORT}" =~ ^[0-9]+$ ]] || [ "${NATIVE_BASE_PORT}" -lt 1024 ] || [ "${NATIVE_BASE_PORT}" -gt 65400 ]; then
  echo "✖ --base-port must be a number between 1024 and 65400, not '${NATIVE_BASE_PORT}'" >&2
  exit 2
fi

PIDS="${NATIVE_DATA}/pids"
LOGS="${NATIVE_DATA}/logs"
MARKER="${NATIVE_DATA}/.native-network"
CREATED="${NATIVE_DATA}/.created"
GENESIS="${NATIVE_DATA}/.genesis"
CONNECTION="${NATIVE_DATA}/connection.json"
CHANNELS=("${NATIVE_MGMT_CHANNEL}" "${NATIVE_PRIMARY_CHANNEL}")

phase() { echo "$(date +%H:%M:%S) $*" >&2; }
die() { echo "✖ $*" >&2; exit 1; }

# ---- binaries ---------------------------------------------------------------------------------

INSTALL_HINT="Install the official Hyperledger Fabric v3 release binaries, for instance with the installer
that fabric-samples uses, then point FABRIC_BIN at their bin/ folder:
    curl -sSLO https://raw.githubusercontent.com/hyperledger/fabric/main/scripts/install-fabric.sh
    bash install-fabric.sh --fabric-version 3.1.5 binary
    export FABRIC_BIN=\$PWD/bin
The release tarball holds bin/, config/ and builders/ccaas/: this network uses all three."

check_binaries() {
  local missing=() b version
  for b in peer orderer configtxgen osnadmin discover; do
    command -v "${b}" >/dev/null 2>&1 || missing+=("${b}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    die "Fabric binaries not found: ${missing[*]} (looked in FABRIC_BIN=${FABRIC_BIN:-<unset>} and PATH).
${INSTALL_HINT}"
  fi
  for b in peer orderer; do
    version="$("${b}" version 2>/dev/null | sed -n 's/^ *Version: *//p' | head -n 1)"
    case "${version}" in
      3.*) ;;
      latest | *development* | "") echo "⚠ ${b} reports version '${version}' (a build from source?); assuming v3.x" >&2 ;;
      *) die "$(command -v "${b}") is Fabric ${version}; this network needs v3.x.
${INSTALL_HINT}" ;;
    esac
  done
  for b in detect build release; do
    [ -x "${FABRIC_CCAAS_BUILDER}/bin/${b}" ] || die "the chaincode-as-a-service builder is missing: no ${FABRIC_CCAAS_BUILDER:-<builders/ccaas beside FABRIC_BIN>}/bin/${b}.
Set FABRIC_CCAAS_BUILDER to the builders/ccaas folder of the Fabric release.
${INSTALL_HINT}"
  done
  [ -f "${FABRIC_RELEASE_CONFIG}/core.yaml" ] && [ -f "${FABRIC_RELEASE_CONFIG}/orderer.yaml" ] ||
    die "Fabric's config/core.yaml and config/orderer.yaml not found (FABRIC_RELEASE_CONFIG=${FABRIC_RELEASE_CONFIG:-<unset>}).
Set FABRIC_RELEASE_CONFIG to the config/ folder of the Fabric release.
${INSTALL_HINT}"
  for b in node curl openssl jq; do
    command -v "${b}" >/dev/null 2>&1 || die "${b} is required and not on PATH"
  done
}

# ---- processes: one pid file per process, holding "<pid> <cwd>" --------------------------------

pid_of() {
  local file="${PIDS}/$1.pid" pid cwd
  [ -f "${file}" ] || return 1
  read -r pid cwd <"${file}" || return 1
  kill -0 "${pid}" 2>/dev/null || return 1
  # The pid must still be our process (same working folder), not a recycled pid.
  if [ -e "/proc/${pid}/cwd" ] && [ "$(readlink "/proc/${pid}/cwd")" != "${cwd}" ]; then return 1; fi
  echo "${pid}"
}

log_tail() {
  echo "--- last lines of $1:" >&2
  tail -n "${2:-25}" "$1" >&2 2>/dev/null || echo "(no log)" >&2
  echo "---" >&2
}

# start_process <name> <cwd> <command...>: in the background, in a session of its own.
start_process() {
  local name="$1" cwd="$2" pid
  shift 2
  mkdir -p "${PIDS}" "${LOGS}" "${cwd}"
  cwd="$(cd "${cwd}" && pwd -P)"
  echo "==== $(date -u +%FT%TZ) start" >>"${LOGS}/${name}.log"
  if command -v setsid >/dev/null 2>&1; then
    (cd "${cwd}" && exec setsid "$@" >>"${LOGS}/${name}.log" 2>&1 </dev/null) &
  else
    (cd "${cwd}" && exec "$@" >>"${LOGS}/${name}.log" 2>&1 </dev/null) &
  fi
  pid=$!
  disown "${pid}"
  echo "${pid} ${cwd}" >"${PIDS}/${name}.pid"
  STARTED+=("${name}")
}

# stop_process <name> [signal]: TERM (then KILL after the deadline), or KILL at once.
stop_process() {
  local name="$1" signal="${2:-TERM}" pid deadline
  pid="$(pid_of "${name}")" || { rm -f "${PIDS}/${name}.pid"; return 0; }
  [ "${pid}" = "$$" ] && { rm -f "${PIDS}/${name}.pid"; return 0; }
  kill "-${signal}" "${pid}" 2>/dev/null || true
  deadline=$((SECONDS + NATIVE_STOP_DEADLINE))
  while kill -0 "${pid}" 2>/dev/null && [ "${SECONDS}" -lt "${deadline}" ]; do sleep 0.1; done
  if kill -0 "${pid}" 2>/dev/null; then
    echo "⚠ ${name} (pid ${pid}) did not stop within ${NATIVE_STOP_DEADLINE} s: SIGKILL" >&2
    kill -KILL "${pid}" 2>/dev/null || true
    while kill -0 "${pid}" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "${PIDS}/${name}.pid"
}

# What this invocation started, stopped again if it fails or is interrupted.
STARTED=()
cleanup_on_failure() {
  local status=$? name
  trap - EXIT INT TERM
  if [ "${status}" -ne 0 ] && [ ${#STARTED[@]} -gt 0 ]; then
    echo "✖ stopping what this '${COMMAND}' started: ${STARTED[*]}" >&2
    for name in "${STARTED[@]}"; do stop_process "${name}" KILL; done
  fi
  exit "${status}"
}

# port_in_use <host:port>
port_in_use() {
  (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
}

require_free_port() {
  if port_in_use "$1"; then
    die "$1 ($2) is already in use: stop what listens there (ss -ltnp 'sport = :${1##*:}'), or choose another port grid with --base-port"
  fi
}

# Processes that died are reported with the tail of their log.
require_alive() {
  local name="$1"
  pid_of "${name}" >/dev/null && return 0
  log_tail "${LOGS}/${name}.log"
  die "${name} exited during '${COMMAND}' (log ${LOGS}/${name}.log)"
}

# wait_until <name> <what> <command...>: polls the command until it succeeds, the process dies
# or NATIVE_START_DEADLINE passes.
wait_until() {
  local name="$1" what="$2" deadline
  shift 2
  deadline=$((SECONDS + NATIVE_START_DEADLINE))
  until "$@" >/dev/null 2>&1; do
    require_alive "${name}"
    if [ "${SECONDS}" -ge "${deadline}" ]; then
      log_tail "${LOGS}/${name}.log"
      die "${name}: ${what} not reached within ${NATIVE_START_DEADLINE} s"
    fi
    sleep 0.2
  done
}

healthz() {
  curl -fsS --max-time 2 --cacert "$2" "https://$1/healthz"
}

# ---- nodes ------------------------------------------------------------------------------------

node_names() {
  local n
  for n in ${NATIVE_LOCAL_ORGS}; do has_orderer "${n}" && echo "$(orderer_host "${n}")"; done
  for n in ${NATIVE_LOCAL_ORGS}; do echo "$(peer_host "${n}")"; done
}

is_node() { [[ " $(node_names | tr '\n' ' ') " == *" $1 "* ]]; }

org_of_node() { sed -E 's/^[a-z]+0\.org([0-9]+)\.example\.com$/\1/' <<<"$1"; }

start_orderer() {
  local n="$1" name
  name="$(orderer_host "${n}")"
  pid_of "${name}" >/dev/null && return 0
  require_free_port "$(addr_of "${n}" orderer)" "${name}"
  require_free_port "$(addr_of "${n}" admin)" "${name} admin"
  require_free_port "$(addr_of "${n}" ordererops)" "${name} operations"
  start_process "${name}" "${NATIVE_DATA}/nodes/${name}" bash "${NATIVE_DIR}/orderer.sh" "${n}"
}

start_peer() {
  local n="$1" name
  name="$(peer_host "${n}")"
  pid_of "${name}" >/dev/null && return 0
  require_free_port "$(addr_of "${n}" peer)" "${name}"
  require_free_port "$(addr_of "${n}" peercc)" "${name} chaincode listener"
  require_free_port "$(addr_of "${n}" peerops)" "${name} operations"
  start_process "${name}" "${NATIVE_DATA}/nodes/${name}" bash "${NATIVE_DIR}/peer.sh" "${n}"
}

wait_orderer() {
  local n="$1"
  wait_until "$(orderer_host "${n}")" "health endpoint" healthz "$(addr_of "${n}" ordererops)" "$(orderer_dir "${n}")/tls/ca.crt"
}

wait_peer() {
  local n="$1"
  wait_until "$(peer_host "${n}")" "health endpoint" healthz "$(addr_of "${n}" peerops)" "$(peer_dir "${n}")/tls/ca.crt"
}

# The peer's view of a channel: known members (gossip) from its metrics.
gossip_peers_known() {
  local n="$1" channel="$2"
  curl -fsS --max-time 2 --cacert "$(peer_dir "${n}")/tls/ca.crt" \
    --cert "$(admin_tls "${n}")/client.crt" --key "$(admin_tls "${n}")/client.key" \
    "https://$(addr_of "${n}" peerops)/metrics" |
    sed -n "s/^gossip_membership_total_peers_known{channel=\"${channel}\"} //p"
}

gossip_converged() {
  local n="$1" channel known others
  others=$(($(wc -w <<<"${NATIVE_LOCAL_ORGS}") - 1))
  for channel in "${CHANNELS[@]}"; do
    known="$(gossip_peers_known "${n}" "${channel}")"
    [ "${known:-0}" -ge "${others}" ] || return 1
  done
}

channel_height() {
  local n="$1" channel="$2"
  (. "${NATIVE_DIR}/admin.sh" "${n}" && peer channel getinfo -c "${channel}" 2>/dev/null) |
    sed -n 's/^Blockchain info: //p' | jq -r '.height'
}

peer_has_channels() {
  local n="$1" channel height
  for channel in "${CHANNELS[@]}"; do
    height="$(channel_height "${n}" "${channel}")"
    [ "${height:-0}" -ge 1 ] || return 1
  done
}

# ---- crypto material, configuration and genesis blocks (fresh data folder only) ----------------

generate_crypto() {
  local specs="" n
  for n in ${NATIVE_ORGS}; do
    specs+="{\"mspId\":\"$(org_msp "${n}")\",\"domain\":\"$(org_domain "${n}")\",\"peerName\":\"peer0\",\"ordererName\":\"orderer0\",\"ipAddresses\":[\"127.0.0.1\",\"$(org_ip "${n}")\"]},"
  done
  # fabric-config's cryptogen: Fabric's cryptogen folder layout, with each org's orderer under its
  # own peerOrganizations folder and MSP (cryptogen keeps orderer orgs apart).
  node -e '
    const { generateOrgCrypto } = require(process.argv[1]);
    Promise.all(JSON.parse(process.argv[3]).map((spec) => generateOrgCrypto(process.argv[2], spec)))
      .catch((err) => { console.error(err.stack || String(err)); process.exit(1); });
  ' "${REPO_ROOT}/network/fabric-config/dist/msp" "${NATIVE_DATA}" "[${specs%,}]"
}

write_node_config() {
  mkdir -p "${NATIVE_CONFIG}"
  cp "${FABRIC_RELEASE_CONFIG}/orderer.yaml" "${NATIVE_CONFIG}/orderer.yaml"
  # No Docker: vm.endpoint empty, chaincode only through the external builder (peer.sh).
  sed -E 's#^([[:space:]]*endpoint:)[[:space:]]*unix:///var/run/docker.sock[[:space:]]*$#\1 ""#' \
    "${FABRIC_RELEASE_CONFIG}/core.yaml" >"${NATIVE_CONFIG}/core.yaml"
  grep -q 'endpoint: ""' "${NATIVE_CONFIG}/core.yaml" || die "could not clear vm.endpoint in ${NATIVE_CONFIG}/core.yaml"
}

create_network() {
  local n name
  phase "creating a network in ${NATIVE_DATA} (ports ${NATIVE_BASE_PORT}-$((NATIVE_BASE_PORT + 99)), BatchTimeout ${NATIVE_BATCH_TIMEOUT})"
  for n in ${NATIVE_ORGS}; do
    require_free_port "$(addr_of "${n}" orderer)" "$(orderer_host "${n}")"
    require_free_port "$(addr_of "${n}" peer)" "$(peer_host "${n}")"
  done
  [ -f "${REPO_ROOT}/network/fabric-config/dist/msp/index.js" ] ||
    die "${REPO_ROOT}/network/fabric-config/dist is missing (its cryptogen makes the crypto material): run 'npm run build' first"
  # Leftovers of an `up` that was itself killed: its processes go first, then its files.
  for name in $(node_names) $(chaincode_names | sed 's/^/chaincode-/'); do stop_process "${name}" KILL; done
  rm -rf "${NATIVE_DATA:?}/chaincode" "${NATIVE_DATA}/organizations" "${NATIVE_DATA}/config" "${NATIVE_DATA}/channel-artifacts" "${NATIVE_DATA}/nodes"
  phase "crypto material (cryptogen layout) for ${NATIVE_ORGS// /, }"
  generate_crypto
  write_node_config
  bash "${NATIVE_DIR}/configtx.sh" >/dev/null
  mkdir -p "${NATIVE_DATA}/channel-artifacts"
  phase "genesis blocks: ${NATIVE_MGMT_CHANNEL} (BFT), ${NATIVE_PRIMARY_CHANNEL} (${NATIVE_PRIMARY_ORDERER_TYPE})"
  configtxgen -configPath "${NATIVE_CONFIG}" -profile MgmtChannel -channelID "${NATIVE_MGMT_CHANNEL}" -outputBlock "${NATIVE_DATA}/channel-artifacts/${NATIVE_MGMT_CHANNEL}.block" 2>>"${LOGS}/configtxgen.log"
  configtxgen -configPath "${NATIVE_CONFIG}" -profile PrimaryChannel -channelID "${NATIVE_PRIMARY_CHANNEL}" -outputBlock "${NATIVE_DATA}/channel-artifacts/${NATIVE_PRIMARY_CHANNEL}.block" 2>>"${LOGS}/configtxgen.log"
  echo "${NATIVE_BASE_PORT}" >"${NATIVE_DATA}/.base-port"
  echo "${NATIVE_ORG_HOSTS}" >"${NATIVE_DATA}/.org-hosts"
  touch "${GENESIS}"
}

join_orderers() {
  local n channel
  for n in ${NATIVE_LOCAL_ORGS}; do
    for channel in "${CHANNELS[@]}"; do
      (. "${NATIVE_DIR}/admin.sh" "${n}" &&
        osnadmin channel join --channelID "${channel}" --config-block "${NATIVE_DATA}/channel-artifacts/${channel}.block" \
          -o "${ORDERER_ADMIN_ADDRESS}" --ca-file "${ORDERER_CA}" --client-cert "${ADMIN_TLS_CERT}" --client-key "${ADMIN_TLS_KEY}" \
          >>"${LOGS}/osnadmin.log" 2>&1) || { log_tail "${LOGS}/osnadmin.log"; die "osnadmin channel join ${channel} failed on $(orderer_host "${n}")"; }
    done
  done
}

join_peers() {
  local n channel
  for n in ${NATIVE_LOCAL_ORGS}; do
    for channel in "${CHANNELS[@]}"; do
      (. "${NATIVE_DIR}/admin.sh" "${n}" &&
        peer channel join -b "${NATIVE_DATA}/channel-artifacts/${channel}.block" >>"${LOGS}/peer-cli.log" 2>&1) ||
        { log_tail "${LOGS}/peer-cli.log"; die "peer channel join ${channel} failed on $(peer_host "${n}")"; }
    done
  done
}

write_connection_file() {
  local n first=true tmp="${CONNECTION}.tmp"
  {
    echo '{'
    echo '  "version": 1,'
    echo '  "backend": "native",'
    echo "  \"channels\": { \"management\": \"${NATIVE_MGMT_CHANNEL}\", \"primary\": \"${NATIVE_PRIMARY_CHANNEL}\" },"
    echo '  "members": ['
    for n in ${NATIVE_ORGS}; do
      ${first} || echo '    ,'
      first=false
      cat <<JSON
    {
      "mspId": "$(org_msp "${n}")",
      "domain": "$(org_domain "${n}")",
      "peer": { "endpoint": "$(addr_of "${n}" peer)", "hostAlias": "$(peer_host "${n}")", "tlsCaCertPath": "$(peer_dir "${n}")/tls/ca.crt" },
      "orderer": { "endpoint": "$(addr_of "$(orderer_org_of "${n}")" orderer)", "hostAlias": "$(orderer_host "$(orderer_org_of "${n}")")", "tlsCaCertPath": "$(orderer_dir "$(orderer_org_of "${n}")")/tls/ca.crt" },
      "caCertPath": "$(org_dir "${n}")/msp/cacerts/ca.$(org_domain "${n}")-cert.pem",
      "adminMspDir": "$(admin_msp "${n}")",
      "userMspDir": "$(user_msp "${n}")"
    }
JSON
    done
    echo '  ]'
    echo '}'
  } >"${tmp}"
  jq . "${tmp}" >/dev/null || die "wrote an invalid ${tmp}"
  mv "${tmp}" "${CONNECTION}"
}

# ---- chaincode as a service -------------------------------------------------------------------

chaincode_names() {
  local f
  for f in "${NATIVE_DATA}"/chaincode/*/chaincode.env; do
    [ -f "${f}" ] && basename "$(dirname "${f}")"
  done
  return 0
}

chaincode_listening() {
  port_in_use "$1"
}

start_chaincode() {
  local name="$1" address
  pid_of "chaincode-${name}" >/dev/null && return 0
  address="$(. "${NATIVE_DATA}/chaincode/${name}/chaincode.env" && echo "${CHAINCODE_ADDRESS}")"
  require_free_port "${address}" "chaincode ${name}"
  start_process "chaincode-${name}" "${NATIVE_DATA}/chaincode/${name}" bash "${NATIVE_DIR}/chaincode.sh" "${name}"
  wait_until "chaincode-${name}" "listening on ${address}" chaincode_listening "${address}"
}

# ---- commands ---------------------------------------------------------------------------------

all_running() {
  local name
  for name in $(node_names); do pid_of "${name}" >/dev/null || return 1; done
  for name in $(chaincode_names); do pid_of "chaincode-${name}" >/dev/null || return 1; done
  is_kit || [ -f "${CONNECTION}" ]
}

start_watchdog() {
  [ -n "${WATCH_PID}" ] || return 0
  pid_of watchdog >/dev/null && return 0
  if ! kill -0 "${WATCH_PID}" 2>/dev/null; then
    # The watched process (a test run) ended while `up` was starting: nothing of this stays.
    trap - EXIT INT TERM
    KEEP_DATA=false
    cmd_down
    die "--watch-pid ${WATCH_PID}: that process has exited; the network is stopped again"
  fi
  mkdir -p "${PIDS}" "${LOGS}"
  # Stops the network when the watched process (a test runner) exits, however it exits.
  (cd "${NATIVE_DATA}" && exec setsid bash -c '
      while kill -0 "$1" 2>/dev/null; do sleep 1; done
      exec bash "$2" down --data "$3" --base-port "$4"' watchdog "${WATCH_PID}" "${NATIVE_DIR}/network.sh" "${NATIVE_DATA}" "${NATIVE_BASE_PORT}" \
    >>"${LOGS}/watchdog.log" 2>&1 </dev/null) &
  echo "$! $(cd "${NATIVE_DATA}" && pwd -P)" >"${PIDS}/watchdog.pid"
}

cmd_up() {
  local started_at=${SECONDS} n name fresh=false
  check_binaries
  if [ -d "${NATIVE_DATA}" ] && [ -n "$(ls -A "${NATIVE_DATA}" 2>/dev/null)" ] && [ ! -f "${MARKER}" ]; then
    die "${NATIVE_DATA} is not empty and was not made by this script: choose another --data folder"
  fi
  if [ -n "${WATCH_PID}" ] && ! kill -0 "${WATCH_PID}" 2>/dev/null; then
    die "--watch-pid ${WATCH_PID}: no such process"
  fi
  if [ -f "${CREATED}" ] && all_running; then
    start_watchdog
    phase "the native network in ${NATIVE_DATA} is already up; connection file ${CONNECTION}"
    return 0
  fi
  trap cleanup_on_failure EXIT
  trap 'exit 130' INT TERM
  mkdir -p "${NATIVE_DATA}" "${LOGS}" "${PIDS}"
  touch "${MARKER}"
  echo '*' >"${NATIVE_DATA}/.gitignore"
  # A kit's connection file is written by `mgmt connect` and stays across restarts.
  is_kit || rm -f "${CONNECTION}"
  if [ ! -f "${CREATED}" ]; then
    fresh=true
    if is_kit; then
      for channel in "${CHANNELS[@]}"; do
        [ -f "${NATIVE_DATA}/channel-artifacts/${channel}.block" ] || die "${NATIVE_DATA} is a member kit without channel-artifacts/${channel}.block: write it again with 'network.sh kit'"
      done
      phase "member kit of $(org_msp "${NATIVE_LOCAL_ORGS}") in ${NATIVE_DATA}: joining from the genesis blocks"
    elif [ ! -f "${GENESIS}" ]; then
      create_network
    fi
  else
    phase "restarting the network in ${NATIVE_DATA} on its existing data"
    [ "$(cat "${NATIVE_DATA}/.base-port" 2>/dev/null)" = "${NATIVE_BASE_PORT}" ] ||
      die "${NATIVE_DATA} was created with --base-port $(cat "${NATIVE_DATA}/.base-port" 2>/dev/null); use the same port grid"
  fi
  echo "${NATIVE_BASE_PORT}" >"${NATIVE_DATA}/.base-port"

  phase "orderers: $(for n in ${NATIVE_LOCAL_ORGS}; do has_orderer "${n}" && printf '%s ' "$(orderer_host "${n}")"; done)"
  for n in ${NATIVE_LOCAL_ORGS}; do has_orderer "${n}" && start_orderer "${n}"; done
  for n in ${NATIVE_LOCAL_ORGS}; do has_orderer "${n}" && wait_orderer "${n}"; done
  if ${fresh}; then
    phase "orderers join ${CHANNELS[*]} (osnadmin, channel participation API)"
    join_orderers
  fi

  phase "peers: $(for n in ${NATIVE_LOCAL_ORGS}; do printf '%s ' "$(peer_host "${n}")"; done)"
  for n in ${NATIVE_LOCAL_ORGS}; do start_peer "${n}"; done
  for n in ${NATIVE_LOCAL_ORGS}; do wait_peer "${n}"; done
  if ${fresh}; then
    phase "peers join ${CHANNELS[*]}"
    join_peers
  fi
  for name in $(chaincode_names); do
    phase "chaincode ${name}"
    start_chaincode "${name}"
  done

  phase "waiting until every peer has both channels and sees the other peers (gossip)"
  for n in ${NATIVE_LOCAL_ORGS}; do
    wait_until "$(peer_host "${n}")" "channels ${CHANNELS[*]} joined" peer_has_channels "${n}"
  done
  for n in ${NATIVE_LOCAL_ORGS}; do
    wait_until "$(peer_host "${n}")" "gossip membership of the other peers" gossip_converged "${n}"
  done
  touch "${CREATED}"
  if is_kit; then
    phase "member kit of $(org_msp "${NATIVE_LOCAL_ORGS}"): write its connection file with
    mgmt connect --member $(org_msp "${NATIVE_LOCAL_ORGS}") --crypto ${NATIVE_DATA}/organizations $(for n in ${NATIVE_ORGS}; do printf -- '--peer %s=%s ' "$(org_msp "${n}")" "$(addr_of "${n}" peer)"; done)--out ${NATIVE_DATA}/connection.json"
  else
    write_connection_file
  fi
  start_watchdog
  trap - EXIT INT TERM
  phase "native network up in $((SECONDS - started_at)) s: connection file ${CONNECTION}"
}

cmd_create() {
  check_binaries
  [ -f "${GENESIS}" ] && die "${NATIVE_DATA} already holds a consortium (crypto material and genesis blocks): choose another --data folder, or 'down' it first"
  if [ -d "${NATIVE_DATA}" ] && [ -n "$(ls -A "${NATIVE_DATA}" 2>/dev/null)" ] && [ ! -f "${MARKER}" ]; then
    die "${NATIVE_DATA} is not empty and was not made by this script: choose another --data folder"
  fi
  mkdir -p "${NATIVE_DATA}" "${LOGS}" "${PIDS}"
  touch "${MARKER}"
  echo '*' >"${NATIVE_DATA}/.gitignore"
  create_network
  phase "consortium created in ${NATIVE_DATA} (orgs on $(if [ "${NATIVE_ORG_HOSTS}" = own ]; then echo 'their own loopback addresses'; else echo 127.0.0.1; fi)); next: 'up' here for all of it, or 'kit <n> --out <dir>' for each member"
}

# A member kit: what org n would hold on a machine of its own. Its own crypto material whole; of
# the others only what they publish (certificates: MSP definitions, TLS CAs, the TLS certificates
# named in the consenter sets), never a private key; the genesis blocks and the nodes' config.
cmd_kit() {
  local n="${ARGS[0]:-}" other dir
  [[ " ${NATIVE_ORGS} " == *" ${n} "* ]] || { echo "✖ kit needs an org number of the consortium (${NATIVE_ORGS}), got '${n}'" >&2; exit 2; }
  [ -n "${KIT_OUT}" ] || { echo "✖ kit needs --out <folder>" >&2; exit 2; }
  is_kit && die "${NATIVE_DATA} is itself a member kit; make kits from the consortium's folder (network.sh create)"
  [ -f "${GENESIS}" ] || die "no consortium in ${NATIVE_DATA}: run 'network.sh create' (or 'up') first"
  if [ -e "${KIT_OUT}" ] && [ -n "$(ls -A "${KIT_OUT}" 2>/dev/null)" ]; then
    die "${KIT_OUT} is not empty: choose a new folder for the kit"
  fi
  mkdir -p "${KIT_OUT}/channel-artifacts" "${KIT_OUT}/organizations"
  KIT_OUT="$(cd "${KIT_OUT}" && pwd)"
  cp -R "${NATIVE_DATA}/organizations/." "${KIT_OUT}/organizations/"
  for other in ${NATIVE_ORGS}; do
    [ "${other}" = "${n}" ] && continue
    dir="${KIT_OUT}/organizations/peerOrganizations/$(org_domain "${other}")"
    find "${dir}" \( -name keystore -o -name '*.key' -o -name priv_sk \) -prune -exec rm -rf {} +
    if [ -n "$(find "${dir}" -name '*_sk' -o -name '*.key' | head -n 1)" ]; then die "private keys of org ${other} left in ${dir}"; fi
  done
  cp "${NATIVE_DATA}/channel-artifacts/"*.block "${KIT_OUT}/channel-artifacts/"
  cp -R "${NATIVE_CONFIG}" "${KIT_OUT}/config"
  cp "${NATIVE_DATA}/.base-port" "${NATIVE_DATA}/.org-hosts" "${KIT_OUT}/"
  echo "${n}" >"${KIT_OUT}/.kit-org"
  touch "${KIT_OUT}/.native-network"
  echo '*' >"${KIT_OUT}/.gitignore"
  phase "member kit of $(org_msp "${n}") in ${KIT_OUT} (nodes on $(org_ip "${n}")); start it with: network.sh up --data ${KIT_OUT}"
}

cmd_down() {
  local name
  if [ -d "${NATIVE_DATA}" ] && [ ! -f "${MARKER}" ] && [ -n "$(ls -A "${NATIVE_DATA}" 2>/dev/null)" ]; then
    die "${NATIVE_DATA} was not made by this script: nothing stopped, nothing removed"
  fi
  for name in $(chaincode_names); do stop_process "chaincode-${name}"; done
  for name in $(node_names | grep '^peer'); do stop_process "${name}"; done
  for name in $(node_names | grep '^orderer'); do stop_process "${name}"; done
  stop_process watchdog
  is_kit || rm -f "${CONNECTION}"
  if ${KEEP_DATA}; then
    phase "native network stopped; data kept in ${NATIVE_DATA}"
  else
    rm -rf "${NATIVE_DATA}"
    phase "native network stopped; ${NATIVE_DATA} removed"
  fi
}

cmd_kill() {
  local name
  for name in $(chaincode_names) ; do stop_process "chaincode-${name}" KILL; done
  for name in $(node_names); do stop_process "${name}" KILL; done
  is_kit || rm -f "${CONNECTION}"
  phase "every node and chaincode of ${NATIVE_DATA} killed (SIGKILL); 'up' restarts them on the same data"
}

cmd_stop_node() {
  local name="${ARGS[0]:-}"
  is_node "${name}" || { echo "✖ unknown node '${name}'; nodes: $(node_names | tr '\n' ' ')" >&2; exit 2; }
  stop_process "${name}"
  phase "${name} stopped"
}

cmd_start_node() {
  local name="${ARGS[0]:-}" n
  is_node "${name}" || { echo "✖ unknown node '${name}'; nodes: $(node_names | tr '\n' ' ')" >&2; exit 2; }
  [ -f "${CREATED}" ] || die "no network in ${NATIVE_DATA}: run 'up' first"
  check_binaries
  n="$(org_of_node "${name}")"
  trap cleanup_on_failure EXIT
  trap 'exit 130' INT TERM
  case "${name}" in
    orderer*) start_orderer "${n}" && wait_orderer "${n}" ;;
    peer*) start_peer "${n}" && wait_peer "${n}" ;;
  esac
  trap - EXIT INT TERM
  phase "${name} started"
}

# An orderer removed from a channel's consenter set stops serving it; once a config update makes
# it a consenter again, its operator joins it again from the channel's latest config block:
# remove what is left of the channel on the node, fetch the config block from another orderer,
# join with the channel participation API.
cmd_rejoin() {
  local n="${ARGS[0]:-}" channel="${ARGS[1]:-}" other block consensus
  [[ "${n}" =~ ^[1-4]$ ]] || { echo "✖ rejoin needs an org number 1..4, got '${n}'" >&2; exit 2; }
  [ -n "${channel}" ] || { echo "✖ rejoin needs a channel name" >&2; exit 2; }
  [ -f "${CREATED}" ] || die "no network in ${NATIVE_DATA}: run 'up' first"
  # A stopped node that a later config block names as a consenter again follows the chain once
  # started and switches to consenter by itself (SmartBFT does): joining it again would only
  # throw its ledger away.
  if channel_active "${n}" "${channel}"; then
    phase "$(orderer_host "${n}") is an active consenter of ${channel} already (it followed the chain to the config block that names it): nothing to join"
    return 0
  fi
  other=$(( n % 4 + 1 ))
  block="${NATIVE_DATA}/channel-artifacts/${channel}-latest-config.block"
  (. "${NATIVE_DIR}/admin.sh" "${other}" &&
    peer channel fetch config "${block}" -c "${channel}" -o "${ORDERER_ADDRESS}" --ordererTLSHostnameOverride "${ORDERER_HOST}" --tls --cafile "${ORDERER_CA}" \
      >>"${LOGS}/peer-cli.log" 2>&1) || { log_tail "${LOGS}/peer-cli.log"; die "fetching the config block of ${channel} from org ${other}'s orderer failed"; }
  consensus="$(configtxgen -inspectBlock "${block}" 2>/dev/null | jq -r '.data.data[0].payload.data.config.channel_group.groups.Orderer.values.ConsensusType.value.type // empty')"
  (. "${NATIVE_DIR}/admin.sh" "${n}" &&
    osnadmin channel remove --channelID "${channel}" -o "${ORDERER_ADMIN_ADDRESS}" --ca-file "${ORDERER_CA}" --client-cert "${ADMIN_TLS_CERT}" --client-key "${ADMIN_TLS_KEY}" \
      >>"${LOGS}/osnadmin.log" 2>&1) || true
  if [ "${consensus}" = BFT ]; then
    # Removing a channel deletes its ledger but not the node's SmartBFT write-ahead log of it.
    # Joined again, SmartBFT restores from that log, and the orderer panics when it holds proposals
    # past the height the node onboards to ("last proposal sequence persisted into WAL is 53 which
    # is greater than last committed sequence is 38"). A node that never ran the channel has none.
    rm -rf "${NATIVE_DATA}/nodes/$(orderer_host "${n}")/etcdraft/wal/${channel}"
  fi
  (. "${NATIVE_DIR}/admin.sh" "${n}" &&
    osnadmin channel join --channelID "${channel}" --config-block "${block}" \
      -o "${ORDERER_ADMIN_ADDRESS}" --ca-file "${ORDERER_CA}" --client-cert "${ADMIN_TLS_CERT}" --client-key "${ADMIN_TLS_KEY}" \
      >>"${LOGS}/osnadmin.log" 2>&1) || { log_tail "${LOGS}/osnadmin.log"; die "osnadmin channel join ${channel} failed on $(orderer_host "${n}")"; }
  # Joined from a config block, the node first pulls the blocks since then from the others
  # ("onboarding"); until it is an active consenter it answers Broadcast with "channel does not exist".
  wait_until "$(orderer_host "${n}")" "${channel} active again" channel_active "${n}" "${channel}"
  phase "$(orderer_host "${n}") joined ${channel} again from its latest config block and is an active consenter"
}

channel_active() {
  local n="$1" channel="$2"
  (. "${NATIVE_DIR}/admin.sh" "${n}" &&
    osnadmin channel list --channelID "${channel}" -o "${ORDERER_ADMIN_ADDRESS}" --ca-file "${ORDERER_CA}" --client-cert "${ADMIN_TLS_CERT}" --client-key "${ADMIN_TLS_KEY}" 2>/dev/null) |
    sed -n '/^{/,$p' | jq -e '.status == "active" and .consensusRelation == "consenter"' >/dev/null
}

# An organisation admitted by a CB runs its peer: it joins from the channels' genesis blocks and
# pulls the chain (whose later config blocks admit it), installs the deployed chaincodes' packages
# and approves their committed definitions for itself, so that its peer endorses.
cmd_add_org() {
  local n="${ARGS[0]:-}" channel name env label version sequence package_id
  [ "${n}" = 5 ] || { echo "✖ add-org takes org 5 (the port grid has room for one organisation more), got '${n}'" >&2; exit 2; }
  [ -f "${CREATED}" ] || die "no network in ${NATIVE_DATA}: run 'up' first"
  is_kit && die "add-org runs on the consortium's own folder, not in a member kit"
  if [ -n "${ADD_CRYPTO}" ] && [ ! -d "$(org_dir "${n}")" ]; then
    [ -d "${ADD_CRYPTO}/organizations/peerOrganizations/$(org_domain "${n}")" ] ||
      die "${ADD_CRYPTO} has no organizations/peerOrganizations/$(org_domain "${n}"): give the folder 'mgmt org new $(org_msp "${n}") --domain $(org_domain "${n}") --out' wrote"
    cp -R "${ADD_CRYPTO}/organizations/peerOrganizations/$(org_domain "${n}")" "$(org_dir "${n}")"
  fi
  [ -d "$(peer_dir "${n}")/msp" ] && [ -d "$(admin_msp "${n}")" ] ||
    die "no crypto material of $(org_msp "${n}") under $(org_dir "${n}"): make it with 'mgmt org new $(org_msp "${n}") --domain $(org_domain "${n}") --out ${NATIVE_DATA}'"
  check_binaries
  trap cleanup_on_failure EXIT
  trap 'exit 130' INT TERM
  if [[ " ${NATIVE_ADDED_ORGS} " != *" ${n} "* ]]; then
    NATIVE_ADDED_ORGS="${NATIVE_ADDED_ORGS:+${NATIVE_ADDED_ORGS} }${n}"
    echo "${NATIVE_ADDED_ORGS}" >"${NATIVE_DATA}/.added-orgs"
  fi
  start_peer "${n}"
  wait_peer "${n}"
  for channel in "${CHANNELS[@]}"; do
    if [ "$(channel_height "${n}" "${channel}")" = "" ]; then
      (. "${NATIVE_DIR}/admin.sh" "${n}" && peer channel join -b "${NATIVE_DATA}/channel-artifacts/${channel}.block" >>"${LOGS}/peer-cli.log" 2>&1) ||
        { log_tail "${LOGS}/peer-cli.log"; die "peer channel join ${channel} failed on $(peer_host "${n}") (is $(org_msp "${n}") in the channel's config yet?)"; }
    fi
  done
  wait_until "$(peer_host "${n}")" "channels ${CHANNELS[*]} joined" peer_has_channels "${n}"
  for name in $(chaincode_names); do
    env="${NATIVE_DATA}/chaincode/${name}/chaincode.env"
    package_id="$(. "${env}" && echo "${CHAINCODE_PACKAGE_ID}")"
    label="${package_id%%:*}"
    (. "${NATIVE_DIR}/admin.sh" "${n}" && peer lifecycle chaincode queryinstalled -O json 2>/dev/null) | jq -e --arg id "${package_id}" '.installed_chaincodes[]? | select(.package_id == $id)' >/dev/null ||
      (. "${NATIVE_DIR}/admin.sh" "${n}" && peer lifecycle chaincode install "${NATIVE_DATA}/chaincode/${name}/${label}.tar.gz" >>"${LOGS}/peer-cli.log" 2>&1) ||
      { log_tail "${LOGS}/peer-cli.log"; die "install of ${name} on $(peer_host "${n}") failed"; }
    for channel in "${CHANNELS[@]}"; do
      read -r version sequence <<<"$( (. "${NATIVE_DIR}/admin.sh" "${n}" && peer lifecycle chaincode querycommitted -C "${channel}" -n "${name}" -O json 2>/dev/null) | jq -r '"\(.version) \(.sequence)"' || true)"
      [ -n "${sequence}" ] && [ "${sequence}" != null ] || continue
      (. "${NATIVE_DIR}/admin.sh" "${n}" && peer lifecycle chaincode queryapproved -C "${channel}" -n "${name}" --sequence "${sequence}" -O json >/dev/null 2>&1) && continue
      (. "${NATIVE_DIR}/admin.sh" "${n}" &&
        peer lifecycle chaincode approveformyorg -o "${ORDERER_ADDRESS}" --tls --cafile "${ORDERER_CA}" \
          --channelID "${channel}" --name "${name}" --version "${version}" --sequence "${sequence}" \
          --package-id "${package_id}" --waitForEventTimeout 120s >"${LOGS}/approve-${name}-${channel}.log" 2>&1) ||
        die "approveformyorg of ${name} (version ${version}, sequence ${sequence}) on ${channel} as $(org_msp "${n}") failed: $(grep -m1 -E '^Error|ERRO' "${LOGS}/approve-${name}-${channel}.log")"
      cat "${LOGS}/approve-${name}-${channel}.log" >>"${LOGS}/peer-cli.log"
      phase "$(org_msp "${n}") approved ${name} (sequence ${sequence}) on ${channel}"
    done
  done
  trap - EXIT INT TERM
  phase "$(peer_host "${n}") runs on $(addr_of "${n}" peer), joined to ${CHANNELS[*]}; its member entry (stdout) goes into $(org_msp "${n}")'s own connection file (${CONNECTION} describes the consortium the network was made with)"
  # The connection file's member entry, as the devnet's POST /peers answers it.
  jq -n --arg msp "$(org_msp "${n}")" --arg domain "$(org_domain "${n}")" \
    --arg peer "$(addr_of "${n}" peer)" --arg peerHost "$(peer_host "${n}")" --arg peerCa "$(peer_dir "${n}")/tls/ca.crt" \
    --arg orderer "$(addr_of "$(orderer_org_of "${n}")" orderer)" --arg ordererHost "$(orderer_host "$(orderer_org_of "${n}")")" --arg ordererCa "$(orderer_dir "$(orderer_org_of "${n}")")/tls/ca.crt" \
    --arg ca "$(org_dir "${n}")/msp/cacerts/ca.$(org_domain "${n}")-cert.pem" --arg admin "$(admin_msp "${n}")" --arg user "$(user_msp "${n}")" \
    '{member: {mspId: $msp, domain: $domain, peer: {endpoint: $peer, hostAlias: $peerHost, tlsCaCertPath: $peerCa}, orderer: {endpoint: $orderer, hostAlias: $ordererHost, tlsCaCertPath: $ordererCa}, caCertPath: $ca, adminMspDir: $admin, userMspDir: $user}}'
}

cmd_status() {
  local name pid n channel ok=true
  if [ ! -f "${CREATED}" ]; then
    echo "native network: none in ${NATIVE_DATA}"
    exit 1
  fi
  echo "native network in ${NATIVE_DATA} (ports from ${NATIVE_BASE_PORT})"
  for name in $(node_names) $(chaincode_names | sed 's/^/chaincode-/'); do
    if pid="$(pid_of "${name}")"; then echo "  ${name}: running (pid ${pid})"; else echo "  ${name}: NOT running"; ok=false; fi
  done
  for n in ${NATIVE_LOCAL_ORGS}; do
    pid_of "$(peer_host "${n}")" >/dev/null || continue
    for channel in "${CHANNELS[@]}"; do
      echo "  channel ${channel}: height $(channel_height "${n}" "${channel}" || echo '?') (at $(peer_host "${n}")), chaincodes: $(
        (. "${NATIVE_DIR}/admin.sh" "${n}" && peer lifecycle chaincode querycommitted -C "${channel}" -O json 2>/dev/null) |
          jq -r '[.chaincode_definitions[]? | "\(.name) (sequence \(.sequence))"] | join(", ")' || true)"
    done
    break
  done
  ${ok} || exit 1
}

case "${COMMAND}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  deploy) . "${NATIVE_DIR}/deploy.sh" ;;
  kill) cmd_kill ;;
  stop) cmd_stop_node ;;
  start) cmd_start_node ;;
  rejoin) cmd_rejoin ;;
  add-org) cmd_add_org ;;
  create) cmd_create ;;
  kit) cmd_kit ;;
  -h | --help | help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "✖ unknown command '${COMMAND}'" >&2; usage >&2; exit 2 ;;
esac
