#!/usr/bin/env bash
# tests/browser/run.sh - the web app's end-to-end tests in Debian's Chromium
# against a real `tandem serve` (started, restarted and stopped by e2e.mjs).
#
#   tests/browser/run.sh [BUILD_DIR]          (default: build)
#
# Env: TANDEM_URL            test an already running server instead (the
#                            server-restart step is then skipped)
#      TANDEM_SERVE_ARGS     extra arguments for `tandem serve` (--port and --data are set)
#      TANDEM_ARTIFACTS      screenshots + results.json (default BUILD_DIR/browser-artifacts)
#      TANDEM_LATENCY_KEYS   keystrokes for the latency measure (default 200)
#      CHROMIUM              browser binary (default /usr/bin/chromium)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}

die() { echo "tests/browser/run.sh: $*" >&2; exit 1; }

[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || die "chromium is missing (tools/setup installs it)"
[ -d tests/browser/node_modules/playwright-core ] || die "playwright-core is missing (run tools/setup)"
[ -f web/dist/index.html ] || die "web/dist is not built (run tools/setup)"

export TANDEM_ARTIFACTS=${TANDEM_ARTIFACTS:-$build/browser-artifacts}
mkdir -p "$TANDEM_ARTIFACTS"

if [ -z "${TANDEM_URL:-}" ]; then
  tandem=$build/tools/tandem/tandem
  [ -x "$tandem" ] || die "$tandem is not built"
  # A fixed free port, so the pages find the server again after a restart.
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # A fresh data directory (SQLite + blobs) kept across the restart step.
  data=$(mktemp -d "$build/browser-data.XXXXXX")
  trap 'rm -rf "$data"' EXIT
  export TANDEM_SERVE="$tandem serve --port $port --data $data ${TANDEM_SERVE_ARGS:-}"
fi

status=0
node tests/browser/e2e.mjs || status=$?
exit $status
