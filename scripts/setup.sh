#!/usr/bin/env bash
# Idempotent set-up: a virtualenv in .venv with the tap, its test tools and Meltano,
# then `meltano install` for the plugins in meltano.yml. Needs Python >= 3.11 and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
.venv/bin/meltano install > .venv/meltano-install.log 2>&1 || {
  cat .venv/meltano-install.log >&2
  exit 1
}
