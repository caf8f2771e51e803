#!/usr/bin/env bash
# Install lava-dmp into ./.venv (Python 3.10) with its test extras and fetch
# MNIST into the data cache. Used by the README's first command and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=""
for cand in "${PYTHON310:-}" python3.10 /root/.pyenv/versions/3.10.13/bin/python; do
  if [[ -n "$cand" ]] && command -v "$cand" >/dev/null 2>&1 \
     && "$cand" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    PY="$cand"; break
  fi
done
[[ -n "$PY" ]] || { echo "install.sh: Python 3.10 not found; set PYTHON310=/path/to/python3.10" >&2; exit 1; }
echo "== Python: $PY ($("$PY" --version 2>&1))"
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
echo "== lava-dmp installed in .venv"
scripts/fetch_mnist.sh "${LAVA_DMP_DATA_DIR:-$HOME/.cache/lava-dmp}"
