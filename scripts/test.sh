#!/usr/bin/env bash
# Set up, lint, type-check and run the whole test suite: this is what CI runs.
# The end-to-end tests need PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy tap_pinterest scripts
.venv/bin/python -m pytest "$@"
