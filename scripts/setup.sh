#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, then builds every package.
# Idempotent: a second run only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

need_node_major=20
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt "$need_node_major" ]; then
  echo "✖ Node.js >= ${need_node_major}.9 is required (found $(node --version 2>/dev/null || echo none)); install it from your distribution or nodejs.org" >&2
  exit 1
fi

# openssl: the tests check generated certificates with it.
if ! command -v openssl >/dev/null 2>&1; then
  echo "installing openssl (apt-get)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
fi

# chromium: the dashboard's browser tests (test/dashboard.test.ts) and screenshots drive it.
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (apt-get)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "building" >&2
npm run --silent build
