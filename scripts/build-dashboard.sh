#!/usr/bin/env bash
# Builds the admin dashboard into dashboard/dist (npm run build:dashboard: Vite, a second or two) when it is
# missing or older than any file under dashboard/ or package-lock.json; otherwise does nothing. --force
# builds anyway. scripts/up and scripts/test run it, like they run npm ci when node_modules is stale.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stamp=dashboard/dist/index.html
if [ "${1:-}" != --force ] && [ -f "$stamp" ] &&
  [ -z "$(find dashboard package-lock.json -path dashboard/dist -prune -o -type f -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
echo "building the dashboard (npm run build:dashboard)" >&2
npm run --silent build:dashboard >&2
