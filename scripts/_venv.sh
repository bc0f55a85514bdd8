# Shared by run.sh and test.sh: make .venv with Python 3.11+ and install a requirements file into it,
# skipping pip when that file has not changed since the last install.
set -euo pipefail

ensure_venv() {
  local requirements="$1"
  local python="${PYTHON:-python3}"
  if ! command -v "$python" >/dev/null 2>&1; then
    echo "error: $python not found. Install Python 3.11 or newer (or set PYTHON=/path/to/python3)." >&2
    exit 1
  fi
  if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    echo "error: Python 3.11 or newer is needed; $python is $("$python" --version 2>&1)." >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "==> Creating .venv"
    if ! "$python" -m venv .venv; then
      echo "error: could not create a virtual environment. On Debian/Ubuntu: apt-get install python3-venv" >&2
      rm -rf .venv
      exit 1
    fi
  fi
  local stamp=".venv/.installed-$(basename "$requirements")"
  local digest
  digest=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    echo "==> Installing $requirements"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "$requirements"
    echo "$digest" > "$stamp"
  fi
}
