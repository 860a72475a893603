#!/usr/bin/env bash
# Set up, lint, type-check and run the whole test suite: this is what CI runs.
# The end-to-end tests need PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`).
# Then, with no arguments, the tap's and the simulator's tests run a second time on a
# clock moved 400 days ahead (libfaketime, Debian package `faketime`), so that no test
# depends on today's date meeting a date frozen somewhere else.
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
echo "The tap and the simulator again, on a clock 400 days ahead ($(faketime -f '+400d' date -u +%F)):" >&2
# The tap's and the simulator's tests are where dates matter (analytics windows, token
# expiry, generated dates). The mirror's are left out: libfaketime breaks the timed
# waits of its input feed (with the monotonic clock shifted they never end; without,
# Python's sleep fails with EINVAL).
faketime -f '+400d' .venv/bin/python -m pytest tests/tap tests/simulator -p no:cacheprovider
