#!/usr/bin/env bash
# Set up, lint, type-check and run the whole test suite: this is what CI runs.
# The end-to-end tests need PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`).
# Then, with no arguments, the suite runs a second time on a clock moved 400 days
# ahead (libfaketime, Debian package `faketime`), so that no test depends on today's
# date meeting a date frozen somewhere else.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy tap_pinterest scripts
.venv/bin/python -m pytest "$@"

if [ "$#" -gt 0 ]; then
  exit 0
fi
if ! command -v faketime > /dev/null; then
  if [ "${CI:-}" = true ]; then
    echo "error: faketime is missing (apt-get install faketime): CI runs the tests on a shifted clock" >&2
    exit 1
  fi
  echo "notice: faketime is not installed (apt-get install faketime); skipping the run on a shifted clock" >&2
  exit 0
fi
echo "The suite again, on a clock 400 days ahead ($(faketime -f '+400d' date -u +%F)):" >&2
# Only the wall clock moves: a shifted monotonic clock makes every timed wait
# (pthread_cond_timedwait, which the kernel measures on the real clock) last 400 days.
FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '+400d' \
  .venv/bin/python -m pytest -m "not fresh_copy" -p no:cacheprovider
