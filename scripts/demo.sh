#!/usr/bin/env bash
# Set up, start the bundled Pinterest simulator, sync every stream with
# `meltano run tap-pinterest target-jsonl`, and print the records per stream.
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
export TARGET_JSONL_DESTINATION_PATH=output/demo
rm -rf output/demo && mkdir -p output/demo

echo "Syncing from the simulator at $TAP_PINTEREST_API_URL ..." >&2
.venv/bin/meltano run --full-refresh tap-pinterest target-jsonl > .demo/meltano.log 2>&1 || {
  tail -n 40 .demo/meltano.log >&2
  exit 1
}

.venv/bin/python - <<'PY'
from pathlib import Path

files = sorted(Path("output/demo").glob("*.jsonl"))
width = max(len(f.stem) for f in files)
total = 0
print(f"{'stream':<{width}}  records")
for path in files:
    count = sum(1 for _ in path.open())
    total += count
    print(f"{path.stem:<{width}}  {count:>7}")
print(f"{'total':<{width}}  {total:>7}   (files in output/demo/)")
PY
