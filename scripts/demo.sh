#!/usr/bin/env bash
# Set up, start the bundled Pinterest simulator, sync every stream into the local
# SQLite mirror with `meltano run tap-pinterest target-pinterest-mirror`, print the
# records per stream, then run one search and print its JSON response.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
mkdir -p .demo
rm -f .demo/sim.json
.venv/bin/tap-pinterest-sim --seed 1 --scale 1 --port 0 --write-config .demo/sim.json \
  2> .demo/simulator.log &
SIM_PID=$!
trap 'kill "$SIM_PID" 2> /dev/null || true' EXIT
for _ in $(seq 200); do
  [ -s .demo/sim.json ] && break
  kill -0 "$SIM_PID" 2> /dev/null || { cat .demo/simulator.log >&2; exit 1; }
  sleep 0.1
done

read_setting() { .venv/bin/python -c "import json,sys; print(json.load(open('.demo/sim.json'))[sys.argv[1]])" "$1"; }
export TAP_PINTEREST_API_URL="$(read_setting api_url)"
export TAP_PINTEREST_ACCESS_TOKEN="$(read_setting access_token)"
MIRROR="sqlite:///$PWD/.demo/pinterest-mirror.db"
export TARGET_PINTEREST_MIRROR_DATABASE_URL="$MIRROR"
# Meltano keeps the demo's state (and run history) in a system database of its own,
# so a later `meltano run` of yours never resumes from the demo's bookmarks.
export MELTANO_DATABASE_URI="sqlite:///$PWD/.demo/meltano.db"
rm -f .demo/pinterest-mirror.db .demo/meltano.db

echo "Syncing from the simulator at $TAP_PINTEREST_API_URL into $MIRROR ..." >&2
.venv/bin/meltano run --full-refresh tap-pinterest target-pinterest-mirror > .demo/meltano.log 2>&1 || {
  tail -n 40 .demo/meltano.log >&2
  exit 1
}

.venv/bin/tap-pinterest-mirror --database-url "$MIRROR" stats
echo 'Search: board pins whose title has "lemon" then "pie" (fuzzy), newest first:' >&2
.venv/bin/tap-pinterest-mirror --database-url "$MIRROR" search board_pins \
  --query '{"filter": {"fuzzy": {"title": "lemon pie"}}, "sort": [{"created_at": "desc"}]}' \
  --fields id,title,board_id,created_at --limit 3
