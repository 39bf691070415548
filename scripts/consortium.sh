#!/usr/bin/env bash
# The local consortium end to end, on the devnet: network up, management and assets chaincodes
# deployed, genesis sealed, four management nodes with rules twins watching a workload on the
# `primary` channel, each round shown live, a summary at the end. Ctrl-C stops everything.
#
# Usage: npm run consortium -- [--rounds N] [--cbi S] [--cycle-timeout S] [--workload-tps R] [--keep]
# (all options: node orchestrator/dist/cli/index.js consortium --help)
#
# Port grid with the default --base-port 7050 (all 127.0.0.1): orderers 7050 8050 9050 10050,
# peers 7051 9051 11051 13051, devnet admin API 7059. Data under <repo>/.devnet.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# exec: the consortium gets Ctrl-C directly and cleans up (nodes, workload, devnet) itself.
exec node orchestrator/dist/cli/index.js consortium "$@"
