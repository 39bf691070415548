#!/usr/bin/env bash
#
# SPDX-License-Identifier: Apache-2.0
#
# `network.sh deploy <folder> <channel> <name>`: a Node chaincode folder as it is, as a service.
# Sourced by network.sh (its helpers and options); not run on its own.
#
#   1. a chaincode-as-a-service package (metadata.json type ccaas + connection.json with the
#      server's address and TLS material), the same on every peer, so one package id;
#   2. the chaincode server (chaincode.sh) started on a port of 17100-17149 (default grid), TLS with client auth;
#   3. peer lifecycle chaincode install on every peer, approveformyorg as every org, commit with
#      every peer endorsing; no --signature-policy, so the channel's default applies
#      (/Channel/Application/Endorsement = MAJORITY Endorsement, as on the devnet);
#   4. wait until each peer's discovery service can plan an endorsement (what the Gateway needs).
# Deploying a name again replaces its server (an upgrade: the next sequence).

if [ ${#ARGS[@]} -ne 3 ]; then
  echo "✖ usage: network.sh deploy <chaincode folder> <channel> <name>" >&2
  exit 2
fi
CC_FOLDER="${ARGS[0]}"
CC_CHANNEL="${ARGS[1]}"
CC_NAME="${ARGS[2]}"
[ -d "${CC_FOLDER}" ] || { echo "✖ chaincode folder ${CC_FOLDER} does not exist" >&2; exit 2; }
CC_FOLDER="$(cd "${CC_FOLDER}" && pwd)"
[ -f "${CC_FOLDER}/package.json" ] || die "${CC_FOLDER} is not a Node chaincode folder: no package.json"
CC_MAIN="$(jq -r '.main // "index.js"' "${CC_FOLDER}/package.json")" || die "${CC_FOLDER}/package.json is not valid JSON"
[ -f "${CC_FOLDER}/${CC_MAIN}" ] || die "${CC_FOLDER}/${CC_MAIN} (package.json main) is missing: build the chaincode first (npm run build)"
[[ " ${CHANNELS[*]} " == *" ${CC_CHANNEL} "* ]] || die "unknown channel '${CC_CHANNEL}' (channels: ${CHANNELS[*]})"
[[ "${CC_NAME}" =~ ^[A-Za-z0-9]+([-_][A-Za-z0-9]+)*$ ]] || die "invalid chaincode name '${CC_NAME}': letters, digits, '-' and '_' (Fabric's rule)"
[ -f "${CREATED}" ] || die "no native network in ${NATIVE_DATA}: run 'network.sh up' first"
for name in $(node_names); do
  pid_of "${name}" >/dev/null || die "${name} is not running: run 'network.sh up' first"
done
check_binaries

CC_STARTED_AT=${SECONDS}
CC_VERSION="$(jq -r '.version // "1.0"' "${CC_FOLDER}/package.json")"
CC_LABEL="${CC_NAME}_${CC_VERSION}"
CC_DIR="${NATIVE_DATA}/chaincode/${CC_NAME}"
CC_SHIM_CLI="${CC_FOLDER}/node_modules/fabric-shim/cli.js"
[ -f "${CC_SHIM_CLI}" ] || CC_SHIM_CLI="${REPO_ROOT}/node_modules/fabric-shim/cli.js"
[ -f "${CC_SHIM_CLI}" ] || die "fabric-shim is not installed for ${CC_FOLDER}: run 'npm install' (in the repository or the chaincode folder)"
phase "deploying ${CC_FOLDER} as ${CC_NAME} (${CC_LABEL}) on ${CC_CHANNEL}"
mkdir -p "${CC_DIR}/tls" "${CC_DIR}/package"

# ---- address and TLS material, kept across redeploys so the package stays the same -----------

cc_address_of() { (. "$1" && echo "${CHAINCODE_ADDRESS}"); }
if [ -f "${CC_DIR}/chaincode.env" ]; then
  CC_ADDRESS="$(cc_address_of "${CC_DIR}/chaincode.env")"
else
  read -r low high <<<"$(chaincode_port_range)"
  used=" $(for name in $(chaincode_names); do cc_address_of "${NATIVE_DATA}/chaincode/${name}/chaincode.env" | sed 's/.*://'; done | tr '\n' ' ') "
  CC_ADDRESS=""
  for ((port = low; port <= high; port++)); do
    [[ "${used}" == *" ${port} "* ]] && continue
    port_in_use "$(org_ip "${NATIVE_LOCAL_ORGS%% *}"):${port}" && continue
    CC_ADDRESS="$(org_ip "${NATIVE_LOCAL_ORGS%% *}"):${port}"
    break
  done
  [ -n "${CC_ADDRESS}" ] || die "no free chaincode port in ${low}-${high}"
fi

issue_tls_pair() {
  local kind="$1" usage="$2" san="$3" ca_dir
  ca_dir="$(org_dir "${NATIVE_LOCAL_ORGS%% *}")/tlsca"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${CC_DIR}/tls/${kind}.key" 2>/dev/null
  openssl req -new -key "${CC_DIR}/tls/${kind}.key" -subj "/O=$(org_domain "${NATIVE_LOCAL_ORGS%% *}")/CN=${CC_NAME}.chaincode.${kind}" -out "${CC_DIR}/tls/${kind}.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s' "${usage}" "${san}" >"${CC_DIR}/tls/${kind}.ext"
  openssl x509 -req -in "${CC_DIR}/tls/${kind}.csr" -CA "${ca_dir}/tlsca.$(org_domain "${NATIVE_LOCAL_ORGS%% *}")-cert.pem" -CAkey "${ca_dir}/priv_sk" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 -extfile "${CC_DIR}/tls/${kind}.ext" -out "${CC_DIR}/tls/${kind}.crt" 2>/dev/null
  rm -f "${CC_DIR}/tls/${kind}.csr" "${CC_DIR}/tls/${kind}.ext"
}
if [ ! -f "${CC_DIR}/tls/server.crt" ] || [ ! -f "${CC_DIR}/tls/client.crt" ]; then
  # Issued by the first local org's TLS CA: the server for its address, the client for the peers dialling it.
  issue_tls_pair server serverAuth "subjectAltName=IP:${CC_ADDRESS%:*},DNS:localhost"
  issue_tls_pair client clientAuth ""
  cp "$(tlsca_cert "${NATIVE_LOCAL_ORGS%% *}")" "${CC_DIR}/tls/ca.crt"
fi

# ---- the package (reused while its contents do not change) -----------------------------------

jq -n --arg address "${CC_ADDRESS}" --rawfile root "${CC_DIR}/tls/ca.crt" \
  --rawfile key "${CC_DIR}/tls/client.key" --rawfile cert "${CC_DIR}/tls/client.crt" \
  '{address: $address, dial_timeout: "10s", tls_required: true, client_auth_required: true, root_cert: $root, client_key: $key, client_cert: $cert}' \
  >"${CC_DIR}/package/connection.json.new"
jq -n --arg name "${CC_LABEL}" '{"type": "ccaas", "label": $name}' >"${CC_DIR}/package/metadata.json.new"
if ! cmp -s "${CC_DIR}/package/connection.json.new" "${CC_DIR}/package/connection.json" ||
  ! cmp -s "${CC_DIR}/package/metadata.json.new" "${CC_DIR}/package/metadata.json" ||
  [ ! -f "${CC_DIR}/${CC_LABEL}.tar.gz" ]; then
  mv "${CC_DIR}/package/connection.json.new" "${CC_DIR}/package/connection.json"
  mv "${CC_DIR}/package/metadata.json.new" "${CC_DIR}/package/metadata.json"
  tar -C "${CC_DIR}/package" -czf "${CC_DIR}/package/code.tar.gz" connection.json
  tar -C "${CC_DIR}/package" -czf "${CC_DIR}/${CC_LABEL}.tar.gz" metadata.json code.tar.gz
fi
rm -f "${CC_DIR}/package/"*.new
CC_PACKAGE_ID="$(peer lifecycle chaincode calculatepackageid "${CC_DIR}/${CC_LABEL}.tar.gz")"
phase "package ${CC_PACKAGE_ID}, server ${CC_ADDRESS}"

# ---- the chaincode server --------------------------------------------------------------------

if [ -f "${CC_DIR}/chaincode.env" ] && [ "$(. "${CC_DIR}/chaincode.env" && echo "${CHAINCODE_PACKAGE_ID}|${CHAINCODE_FOLDER}")" != "${CC_PACKAGE_ID}|${CC_FOLDER}" ]; then
  stop_process "chaincode-${CC_NAME}"
fi
{
  echo "# Written by network.sh deploy; read by chaincode.sh."
  printf 'CHAINCODE_NAME=%q\n' "${CC_NAME}"
  printf 'CHAINCODE_FOLDER=%q\n' "${CC_FOLDER}"
  printf 'CHAINCODE_ADDRESS=%q\n' "${CC_ADDRESS}"
  printf 'CHAINCODE_PACKAGE_ID=%q\n' "${CC_PACKAGE_ID}"
  printf 'CHAINCODE_MSPID=%q\n' "$(org_msp "${NATIVE_LOCAL_ORGS%% *}")"
  printf 'CHAINCODE_SHIM_CLI=%q\n' "${CC_SHIM_CLI}"
} >"${CC_DIR}/chaincode.env"
trap cleanup_on_failure EXIT
trap 'exit 130' INT TERM
start_chaincode "${CC_NAME}"

# ---- lifecycle: install, approve, commit ------------------------------------------------------

CC_LOG="${LOGS}/deploy-${CC_NAME}.log"
# The org numbers whose approval of this definition the channel holds (checkcommitreadiness).
approved_orgs() {
  local readiness n
  readiness="$( (. "${NATIVE_DIR}/admin.sh" "${NATIVE_LOCAL_ORGS%% *}" &&
    peer lifecycle chaincode checkcommitreadiness --channelID "${CC_CHANNEL}" --name "${CC_NAME}" --version "${CC_VERSION}" \
      --sequence "${CC_SEQUENCE}" -O json 2>>"${CC_LOG}") || true)"
  [ -n "${readiness}" ] || readiness='{}'
  for n in ${NATIVE_ORGS}; do
    [ "$(jq -r --arg msp "$(org_msp "${n}")" '.approvals[$msp] // false' <<<"${readiness}")" = true ] && printf '%s ' "${n}"
  done
  return 0
}
as_admin() {
  local n="$1"
  shift
  (. "${NATIVE_DIR}/admin.sh" "${n}" && "$@") >>"${CC_LOG}" 2>&1
}
lifecycle_failed() {
  log_tail "${CC_LOG}" 15
  die "$1 (log ${CC_LOG})"
}

for n in ${NATIVE_LOCAL_ORGS}; do
  installed="$( (. "${NATIVE_DIR}/admin.sh" "${n}" && peer lifecycle chaincode queryinstalled -O json 2>>"${CC_LOG}") | jq -r '.installed_chaincodes[]?.package_id')"
  if ! grep -qxF "${CC_PACKAGE_ID}" <<<"${installed}"; then
    as_admin "${n}" peer lifecycle chaincode install "${CC_DIR}/${CC_LABEL}.tar.gz" || lifecycle_failed "install on $(peer_host "${n}") failed"
  fi
done
phase "installed on every peer"

committed="$( (. "${NATIVE_DIR}/admin.sh" "${NATIVE_LOCAL_ORGS%% *}" &&
  peer lifecycle chaincode querycommitted -C "${CC_CHANNEL}" -n "${CC_NAME}" -O json 2>/dev/null) | jq -r '.sequence // 0' || true)"
committed="${committed:-0}"
up_to_date=false
if [ "${committed}" -gt 0 ]; then
  up_to_date=true
  for n in ${NATIVE_LOCAL_ORGS}; do
    approved="$( (. "${NATIVE_DIR}/admin.sh" "${n}" &&
      peer lifecycle chaincode queryapproved -C "${CC_CHANNEL}" -n "${CC_NAME}" -O json 2>/dev/null) | jq -r '.source.Type.LocalPackage.package_id // ""' || true)"
    [ "${approved}" = "${CC_PACKAGE_ID}" ] || up_to_date=false
  done
fi

# A member kit (one org's nodes): another member may have committed the definition already; this
# org then approves that same sequence with its own package (Fabric allows a late approval).
late_approval=false
if ! ${up_to_date} && is_kit && [ "${committed}" -gt 0 ]; then
  approved="$( (. "${NATIVE_DIR}/admin.sh" "${NATIVE_LOCAL_ORGS}" &&
    peer lifecycle chaincode queryapproved -C "${CC_CHANNEL}" -n "${CC_NAME}" --sequence "${committed}" -O json 2>/dev/null) |
    jq -r '.source.Type.LocalPackage.package_id // ""' || true)"
  [ -z "${approved}" ] && late_approval=true
fi

if ${up_to_date}; then
  phase "${CC_NAME} sequence ${committed} on ${CC_CHANNEL} already uses this package: nothing to approve"
else
  CC_SEQUENCE=$((committed + 1))
  ${late_approval} && CC_SEQUENCE="${committed}"
  approvals=()
  for n in ${NATIVE_LOCAL_ORGS}; do
    # Idempotent: an org that already approved this package at this sequence (an earlier deploy
    # that stopped half-way) is not asked again; Fabric would refuse "unchanged content".
    approved="$( (. "${NATIVE_DIR}/admin.sh" "${n}" &&
      peer lifecycle chaincode queryapproved -C "${CC_CHANNEL}" -n "${CC_NAME}" --sequence "${CC_SEQUENCE}" -O json 2>/dev/null) |
      jq -r '.source.Type.LocalPackage.package_id // ""' || true)"
    [ "${approved}" = "${CC_PACKAGE_ID}" ] && continue
    (. "${NATIVE_DIR}/admin.sh" "${n}" &&
      peer lifecycle chaincode approveformyorg -o "${ORDERER_ADDRESS}" --tls --cafile "${ORDERER_CA}" \
        --channelID "${CC_CHANNEL}" --name "${CC_NAME}" --version "${CC_VERSION}" --sequence "${CC_SEQUENCE}" \
        --package-id "${CC_PACKAGE_ID}" --waitForEventTimeout 120s) >>"${CC_LOG}" 2>&1 &
    approvals+=("$!")
  done
  for pid in "${approvals[@]}"; do
    wait "${pid}" || lifecycle_failed "approveformyorg failed for at least one org; run the same deploy again to retry"
  done
  phase "approved by ${NATIVE_LOCAL_ORGS// /, } (org numbers; sequence ${CC_SEQUENCE})"
  committers="${NATIVE_LOCAL_ORGS}"
  if is_kit; then
    # Only the approving orgs' peers can endorse the commit, and the LifecycleEndorsement policy
    # (MAJORITY) needs more than half of them: the kit that completes a majority commits.
    ${late_approval} && committers="" || committers="$(approved_orgs)"
    if [ -z "${committers}" ] || [ "$(wc -w <<<"${committers}")" -le $(($(wc -w <<<"${NATIVE_ORGS}") / 2)) ]; then
      trap - EXIT INT TERM
      if ${late_approval}; then
        phase "${CC_NAME} sequence ${CC_SEQUENCE} was already committed on ${CC_CHANNEL}; $(org_msp "${NATIVE_LOCAL_ORGS}") approved it with its own package ${CC_PACKAGE_ID}, served by its chaincode server"
      else
        phase "approved as $(org_msp "${NATIVE_LOCAL_ORGS}"); orgs approved so far: ${committers:-none}. Not committed yet: the deploy of the member that completes a majority commits"
      fi
      exit 0
    fi
  fi
  peer_flags=()
  for n in ${committers}; do
    peer_flags+=(--peerAddresses "$(addr_of "${n}" peer)" --tlsRootCertFiles "$(peer_dir "${n}")/tls/ca.crt")
  done
  (. "${NATIVE_DIR}/admin.sh" "${NATIVE_LOCAL_ORGS%% *}" &&
    peer lifecycle chaincode commit -o "${ORDERER_ADDRESS}" --tls --cafile "${ORDERER_CA}" \
      --channelID "${CC_CHANNEL}" --name "${CC_NAME}" --version "${CC_VERSION}" --sequence "${CC_SEQUENCE}" \
      "${peer_flags[@]}" --waitForEventTimeout 120s) >>"${CC_LOG}" 2>&1 || lifecycle_failed "commit of ${CC_NAME} on ${CC_CHANNEL} failed"
  phase "committed on ${CC_CHANNEL}"
fi

# ---- usable through every peer's Gateway -----------------------------------------------------

endorsers_known() {
  local n="$1"
  discover --peerTLSCA "$(peer_dir "${n}")/tls/ca.crt" \
    --userKey "$(admin_msp "${n}")/keystore/priv_sk" \
    --userCert "$(admin_msp "${n}")/signcerts/Admin@$(org_domain "${n}")-cert.pem" \
    --MSP "$(org_msp "${n}")" \
    endorsers --channel "${CC_CHANNEL}" --chaincode "${CC_NAME}" --server "$(addr_of "${n}" peer)" |
    jq -e 'length > 0' >/dev/null
}
for n in ${NATIVE_LOCAL_ORGS}; do
  wait_until "$(peer_host "${n}")" "discovery of the endorsers of ${CC_NAME} on ${CC_CHANNEL}" endorsers_known "${n}"
done
trap - EXIT INT TERM
phase "chaincode ${CC_NAME} deployed on ${CC_CHANNEL} in $((SECONDS - CC_STARTED_AT)) s (package id ${CC_PACKAGE_ID})"
