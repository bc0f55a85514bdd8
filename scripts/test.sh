#!/usr/bin/env bash
# Sets up what the tests need and runs them. Extra arguments go to pytest (e.g. -k sync, -x).
# DATABASE_URL=postgres://... runs the same suite on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements-dev.txt
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  echo "Browser tests: running with $chromium"
else
  echo "Browser tests: SKIPPED (Chromium not found at $chromium)"
fi
# axe-core, the accessibility engine the browser tests run on every page, from npm into a local folder.
axe=".cache/axe/node_modules/axe-core/axe.min.js"
if [ -f "$axe" ]; then
  echo "Accessibility checks: running with $axe"
elif ! command -v npm >/dev/null 2>&1; then
  echo "Accessibility checks: SKIPPED (npm not found; apt-get install npm)"
elif npm install --prefix .cache/axe --no-audit --no-fund --loglevel=error "axe-core@4" >/dev/null; then
  echo "Accessibility checks: installed axe-core into .cache/axe"
else
  echo "Accessibility checks: SKIPPED (npm could not install axe-core)"
fi
echo "==> Running tests on ${DATABASE_URL:-SQLite (default)}"
exec .venv/bin/python -m pytest "$@"
