#!/usr/bin/env bash
# Runs the product in production on this host: checks the configuration, collects static files, migrates,
# then serves the site with gunicorn and runs a django-q2 cluster beside it. If either process ends, the
# other is stopped and the script exits non-zero, so a process supervisor (systemd, a container runtime)
# restarts the pair. SIGTERM or Ctrl-C stops both. See docs/deployment.md.
#
# Needs the production variables: SECRET_KEY, ALLOWED_HOSTS, SITE_URL, TOKEN_ENCRYPTION_KEYS (DEBUG off).
# Knobs: WEB_BIND (127.0.0.1:8000), WEB_WORKERS (2), WEB_TIMEOUT (60 s), STOP_TIMEOUT (15 s),
# PYTHON (.venv/bin/python, an environment with requirements.txt installed).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for name in SECRET_KEY ALLOWED_HOSTS SITE_URL TOKEN_ENCRYPTION_KEYS; do
  if [ -z "${!name:-}" ]; then missing+=("$name"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  cat >&2 <<MSG
serve.sh: refusing to start: ${missing[*]} not set.
  serve.sh runs the production server and needs SECRET_KEY, ALLOWED_HOSTS, SITE_URL and
  TOKEN_ENCRYPTION_KEYS (docs/deployment.md says how to make each). For a local try-out use ./scripts/run.sh.
MSG
  exit 2
fi
case "$(printf '%s' "${DEBUG:-0}" | tr '[:upper:]' '[:lower:]')" in
  0 | false | no | off | "") ;;
  *)
    echo "serve.sh: refusing to start with DEBUG=$DEBUG: debug pages show settings and code to anyone." >&2
    exit 2
    ;;
esac

PYTHON="${PYTHON:-.venv/bin/python}"
if [ ! -x "$PYTHON" ] && ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "serve.sh: no Python at $PYTHON. Install the dependencies first:" >&2
  echo "  python3 -m venv .venv && .venv/bin/pip install -r requirements.txt   (or set PYTHON=...)" >&2
  exit 2
fi
WEB_BIND="${WEB_BIND:-127.0.0.1:8000}"
WEB_WORKERS="${WEB_WORKERS:-2}"
WEB_TIMEOUT="${WEB_TIMEOUT:-60}"
STOP_TIMEOUT="${STOP_TIMEOUT:-15}"

echo "==> Checking the deployment settings"
"$PYTHON" manage.py check --deploy
echo "==> Collecting static files"
"$PYTHON" manage.py collectstatic --noinput -v0
echo "==> Migrating the database"
"$PYTHON" manage.py migrate --noinput -v0

# Each process leads a process group of its own, so stopping it can take its children (gunicorn's and
# the cluster's workers) along even when it has to be killed.
own_group=()
if command -v setsid >/dev/null 2>&1; then own_group=(setsid); fi

echo "==> Starting the web server on $WEB_BIND ($WEB_WORKERS workers)"
# No control socket: nothing here uses gunicornc, and its default path ($HOME/.gunicorn/) would be shared
# by every gunicorn this user runs.
"${own_group[@]}" "$PYTHON" -m gunicorn scheduler_site.wsgi:application \
  --bind "$WEB_BIND" --workers "$WEB_WORKERS" --timeout "$WEB_TIMEOUT" \
  --graceful-timeout "$STOP_TIMEOUT" --access-logfile - --no-control-socket &
web_pid=$!
echo "==> Starting the job cluster"
"${own_group[@]}" "$PYTHON" manage.py qcluster &
cluster_pid=$!
echo "serve.sh: web pid $web_pid, cluster pid $cluster_pid"

alive() { kill -0 "$1" 2>/dev/null; }

stop_all() {
  trap - TERM INT
  local pid
  for pid in "$web_pid" "$cluster_pid"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Both stop gracefully on SIGTERM, but qcluster on SQLite was seen not to exit promptly: after
  # STOP_TIMEOUT seconds whatever is left, children included, is killed.
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while { alive "$web_pid" || alive "$cluster_pid"; } && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  for pid in "$web_pid" "$cluster_pid"; do
    if alive "$pid"; then echo "serve.sh: process $pid did not stop in ${STOP_TIMEOUT}s; killing it" >&2; fi
    if [ "${#own_group[@]}" -gt 0 ]; then kill -KILL -- "-$pid" 2>/dev/null || true; else kill -KILL "$pid" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
}

trap 'echo "serve.sh: stopping"; stop_all; exit 0' TERM INT

set +e
wait -n "$web_pid" "$cluster_pid"
status=$?
set -e
if alive "$web_pid"; then ended="the job cluster"; else ended="the web server"; fi
echo "serve.sh: $ended exited (status $status); stopping the other" >&2
stop_all
exit $((status == 0 ? 1 : status))
