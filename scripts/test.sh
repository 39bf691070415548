#!/usr/bin/env bash
# Every test: lint, unit tests beside the code and end-to-end tests on the devnet.
# FABRIC_BACKEND=native runs the end-to-end tests against native Fabric instead (see network/native).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "linting" >&2
npx eslint . --max-warnings 10
npx jest --runInBand --ci "$@"
