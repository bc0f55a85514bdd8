#!/usr/bin/env bash
# Sets up and runs the whole product locally: venv, dependencies, database, demo account and mailbox,
# the web server and a django-q2 cluster. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements.txt

export DEBUG="${DEBUG:-1}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export SITE_URL="${SITE_URL:-http://$HOST:$PORT}"

echo "==> Migrating the database"
.venv/bin/python manage.py migrate --noinput -v0
echo "==> Loading the demo account"
.venv/bin/python manage.py demo_setup

echo "==> Starting the job cluster"
.venv/bin/python manage.py qcluster &
cluster_pid=$!
cleanup() {
  kill "$cluster_pid" 2>/dev/null || true
  # qcluster on SQLite can be slow to stop on SIGTERM; don't leave it behind.
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$cluster_pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$cluster_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

cat <<MSG

  Intelligent Scheduler is running at  $SITE_URL/
  Sign in with "Try the demo account" (a throwaway account of your own), or with a password:
      username: ${DEMO_USERNAME:-demo@example.com}
      password: ${DEMO_PASSWORD:-demo-password}
  Admin: create an admin user with  DEBUG=1 .venv/bin/python manage.py createsuperuser
  Press Ctrl-C to stop.

MSG
.venv/bin/python manage.py runserver "$HOST:$PORT"
