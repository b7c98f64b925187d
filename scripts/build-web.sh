#!/usr/bin/env bash
# Builds the web client (web/) into web/out when its sources changed since the
# last build. The server runs without it (API only), so a machine without the
# client sources skips this.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f web/package.json ] || { echo "web: no web/ client in this tree, skipping"; exit 0; }
stamp=web/out/.build-stamp
if [ -f "$stamp" ] && [ -z "$(find web -path web/node_modules -prune -o -path web/out -prune -o -path web/.next -prune -o -type f -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
export NEXT_TELEMETRY_DISABLED=1
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)
touch "$stamp"
