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
echo "==> Running tests on ${DATABASE_URL:-SQLite (default)}"
exec .venv/bin/python -m pytest "$@"
