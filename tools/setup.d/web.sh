#!/usr/bin/env bash
# tools/setup.d/web.sh - build the web app into web/dist when it is missing
# or older than its sources.  tools/setup has already run `npm ci` in web/.
set -euo pipefail
cd "$(dirname "$0")/../../web"

if [ ! -d node_modules ]; then
  echo "tools/setup.d/web.sh: web/node_modules is missing; run tools/setup" >&2
  exit 1
fi

stamp=dist/index.html
if [ -f "$stamp" ] && [ -z "$(find src index.html package-lock.json vite.config.ts tsconfig.json -newer "$stamp" -print -quit)" ]; then
  exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "tools/setup: building web/dist"
if ! npm run --silent build >"$log" 2>&1; then
  cat "$log" >&2
  echo "tools/setup.d/web.sh: the web build failed" >&2
  exit 1
fi
