#!/usr/bin/env bash
# The local consortium end to end: network up, management and assets chaincodes deployed, genesis
# sealed, four management nodes with rules twins watching a workload on the `primary` channel,
# each CB put in force on `primary`, each round shown live, a summary at the end. Ctrl-C stops it.
#
# Usage: npm run consortium -- [--rounds N] [--cbi S] [--cycle-timeout S] [--workload-tps R] [--keep]
# (all options: node orchestrator/dist/cli/index.js consortium --help)
#
# FABRIC_BACKEND picks the network: devnet (default; the consortium starts and stops it) or native
# (real Fabric v3 binaries from FABRIC_BIN or PATH, see network/native/README.md; left running,
# stop it with `npm run native -- down`).
#
# Devnet port grid with the default --base-port 7050 (all 127.0.0.1): orderers 7050 8050 9050
# 10050, peers 7051 9051 11051 13051, devnet admin API 7059. Data under <repo>/.devnet.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${FABRIC_BACKEND:-devnet}
scripts/setup.sh
case "$backend" in
  devnet)
    # exec: the consortium gets Ctrl-C directly and cleans up (nodes, workload, devnet) itself.
    exec node orchestrator/dist/cli/index.js consortium "$@"
    ;;
  native)
    bash network/native/network.sh up
    bash network/native/network.sh deploy chaincode mgmt mgmt
    bash network/native/network.sh deploy test/fixtures/assets-chaincode primary assets
    exec node orchestrator/dist/cli/index.js --connection .native/connection.json consortium "$@"
    ;;
  *)
    echo "✖ FABRIC_BACKEND must be devnet or native, not '$backend'" >&2
    exit 2
    ;;
esac
