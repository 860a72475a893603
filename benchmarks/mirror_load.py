"""Load throughput of target-pinterest-mirror as the mirror grows, and its peak RSS.

    .venv/bin/python benchmarks/mirror_load.py --records 1000000 --db /tmp/mirror-bench.db
    .venv/bin/python benchmarks/mirror_load.py --records 200000 \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL the tables are created in the URL's search_path and not dropped: give the
run a schema of its own (`?options=-csearch_path%3Dbench,public`, after `CREATE SCHEMA
bench`), since tables left in `public` are seen by the tests (their search_path ends in
public) and by the next run.

Streams `--records` board_pins (benchmarks/mirror_data.py) into one target process, with
a STATE every `--step` records. The target emits each STATE after committing the records
before it, so the time between two STATE lines is the time to load and commit one step:
the script prints the rate of every step, the median, and the target's peak RSS.

By default the target writes every STATE (`state_interval_seconds` 0), so each step is
one commit. `--state-interval 5` runs it as configured by default, where a STATE
waits until 5 s after the last one written; with `--step 10000` (a tap's STATE
frequency) that is the rate a real sync sees. `--batch-size` sets the target's
`batch_size_rows` (records per upsert; the SDK's setting, 10,000 by default here).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mirror_data import singer_lines

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--step", type=int, default=100_000)
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "mirror-bench.db"))
    parser.add_argument("--url", help="a database URL instead of --db (e.g. PostgreSQL)")
    parser.add_argument("--state-interval", type=float, default=0.0)
    parser.add_argument(
        "--batch-size", type=int, help="the target's batch_size_rows (default: its own)"
    )
    args = parser.parse_args()
    url = args.url or f"sqlite:///{args.db}"
    if not args.url:
        for suffix in ("", "-wal", "-shm"):
            Path(args.db + suffix).unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as config:
        settings = {"database_url": url, "state_interval_seconds": args.state_interval}
        if args.batch_size:
            settings["batch_size_rows"] = args.batch_size
        json.dump(settings, config)
    # the input is written first, so generating it takes no CPU from the target
    source = Path(tempfile.gettempdir()) / f"mirror-bench-{args.records}-{args.step}.jsonl"
    if not source.exists():
        with source.open("w") as out:
            out.writelines(line + "\n" for line in singer_lines(args.records, args.step))
    stdin = source.open()
    target = subprocess.Popen(
        [str(BIN / "target-pinterest-mirror"), "--config", config.name],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert target.stdout
    started = time.perf_counter()
    marks = [(0, started)]
    for line in target.stdout:
        loaded = json.loads(line)["loaded"]
        marks.append((loaded, time.perf_counter()))
        print(f"{loaded:>9,} records  {marks[-1][1] - started:7.1f} s", flush=True)
    _, status, usage = os.wait4(target.pid, 0)
    elapsed = time.perf_counter() - started
    rates = [(b[0] - a[0]) / (b[1] - a[1]) for a, b in itertools.pairwise(marks)]
    print(f"\nurl: {url.split('?')[0]}   exit status: {status}")
    print("rate per step (records/s):", ", ".join(f"{r:,.0f}" for r in rates))
    print(f"median: {statistics.median(rates):,.0f} records/s   overall: "
          f"{args.records / elapsed:,.0f} records/s   ({elapsed:.1f} s)")  # fmt: skip
    print(f"target peak RSS: {usage.ru_maxrss / 1024:,.0f} MB")
    Path(config.name).unlink()


if __name__ == "__main__":
    main()
