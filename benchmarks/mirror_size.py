"""The size of the demo's SQLite mirror, per stream: bytes per record stored, and the
table's and its indexes' share of the file.

    .venv/bin/python benchmarks/mirror_size.py
    .venv/bin/python benchmarks/mirror_size.py --before /work/main/.venv/bin/target-pinterest-mirror

Syncs the simulator (`--seed 1 --scale 1`, as `scripts/demo.sh` does) with the streams
the shipped `meltano.yml` selects, once, into a file of Singer messages; then loads that
file into a fresh SQLite mirror with this checkout's `target-pinterest-mirror`, and with
`--before` (another build's target, e.g. the main branch's) for comparison.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def selected_streams() -> set[str]:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    (tap,) = [e for e in project["plugins"]["extractors"] if e["name"] == "tap-pinterest"]
    return {pattern.split(".")[0] for pattern in tap["select"]}


def sync(workdir: Path) -> Path:
    """Run the simulator and the tap once; the tap's messages, as a file."""
    sim_config = workdir / "sim.json"
    sim = subprocess.Popen(
        [str(BIN / "tap-pinterest-sim"), "--seed", "1", "--scale", "1", "--port", "0",
         "--write-config", str(sim_config)],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(300):
            if sim_config.exists() and sim_config.stat().st_size:
                break
            time.sleep(0.1)
        config = json.loads(sim_config.read_text())
        config["emit_activate_version_messages"] = True
        tap_config = workdir / "tap.json"
        tap_config.write_text(json.dumps(config))
        tap = str(BIN / "tap-pinterest")
        catalog = json.loads(
            subprocess.run(
                [tap, "--config", str(tap_config), "--discover"],
                capture_output=True, check=True, text=True,
            ).stdout
        )  # fmt: skip
        wanted = selected_streams()
        for stream in catalog["streams"]:
            for entry in stream["metadata"]:
                if entry["breadcrumb"] == []:
                    entry["metadata"]["selected"] = stream["tap_stream_id"] in wanted
        (workdir / "catalog.json").write_text(json.dumps(catalog))
        messages = workdir / "messages.jsonl"
        with messages.open("w") as out:
            subprocess.run(
                [tap, "--config", str(tap_config), "--catalog", str(workdir / "catalog.json")],
                stdout=out, stderr=subprocess.DEVNULL, check=True,
            )  # fmt: skip
    finally:
        sim.terminate()
        sim.wait()
    return messages


def load(target: str, messages: Path, db: Path) -> None:
    config = db.with_suffix(".json")
    config.write_text(json.dumps({"database_url": f"sqlite:///{db}"}))
    with messages.open() as stdin:
        subprocess.run(
            [target, "--config", str(config)],
            stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
        )  # fmt: skip


def sizes(db: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    """The file's size (after a checkpoint), and per stream table: records, bytes of
    stored JSON per record, and bytes of the table and of its indexes (FTS5 included)."""
    engine = sa.create_engine(f"sqlite:///{db}")
    out: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages: dict[str, int] = defaultdict(int)
        for name, size in conn.exec_driver_sql(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name"
        ):
            pages[name] = size
        indexes = "SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index'"
        owners = dict(list(conn.exec_driver_sql(indexes)))  # a Result has keys(): no dict(result)
        tables = [
            row[0]
            for row in conn.exec_driver_sql("SELECT table_name FROM mirror_streams ORDER BY stream")
        ]
        for table in tables:
            records, json_bytes = conn.exec_driver_sql(
                f"SELECT count(*), coalesce(sum(length(_record)), 0) FROM {table}"  # noqa: S608
            ).one()
            index = sum(
                size
                for name, size in pages.items()
                if owners.get(name) == table or name.startswith(f"{table}__fts")
            )
            out[table.removeprefix("mirror_")] = {
                "records": records,
                "json": json_bytes / max(records, 1),
                "table": pages.get(table, 0),
                "indexes": index,
            }
    engine.dispose()
    return db.stat().st_size, out


def report(name: str, size: int, streams: dict[str, dict[str, Any]]) -> None:
    records = sum(s["records"] for s in streams.values())
    print(f"\n{name}: {size / 1e6:.1f} MB, {records:,} records, {size / records:,.0f} bytes/record")
    print(f"  {'stream':<28}{'records':>9}{'JSON B/rec':>12}{'table+idx B/rec':>17}")
    for stream, s in sorted(streams.items(), key=lambda kv: -(kv[1]["table"] + kv[1]["indexes"])):
        per = (s["table"] + s["indexes"]) / max(s["records"], 1)
        print(f"  {stream:<28}{s['records']:>9,}{s['json']:>12,.0f}{per:>17,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="another target-pinterest-mirror to compare with")
    parser.add_argument("--messages", help="a file of the tap's messages from an earlier run")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mirror-size-"))
    messages = Path(args.messages) if args.messages else sync(workdir)
    results = {}
    targets = {"this checkout": str(BIN / "target-pinterest-mirror")}
    if args.before:
        targets = {"before": args.before, **targets}
    for n, (name, target) in enumerate(targets.items()):
        db = workdir / f"mirror{n}.db"
        load(target, messages, db)
        results[name] = sizes(db)
        report(name, *results[name])
    if args.before:
        before, after = results["before"][0], results["this checkout"][0]
        print(f"\nthe file is {before / after:.1f} times smaller ({before:,} -> {after:,} bytes)")
    print(f"(files in {workdir})")


if __name__ == "__main__":
    main()
