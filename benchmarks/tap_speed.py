"""How fast the tap syncs, against references run in the same process, on the simulator.

    .venv/bin/python benchmarks/tap_speed.py latency --scale 50      # >= 500 boards, 100 ms
    .venv/bin/python benchmarks/tap_speed.py cpu --scale 240         # >= 200,000 records
    .venv/bin/python benchmarks/tap_speed.py accounts --small 3 --large 300
    .venv/bin/python benchmarks/tap_speed.py backfill --accounts 100 --latency-ms 150

- ``latency``: the board streams (boards, board_sections, board_pins, board_section_pins)
  with the simulator answering every call after ``--latency-ms`` (100). The tap at
  ``max_concurrency`` 1 and 8, and a serial minimal loop (requests + orjson) making the
  same calls. Target: at 8, at most 1/6 of the time at 1, the same records, no 429.
- ``cpu``: ad_accounts, campaigns, ad_groups, ads, boards, board_sections and board_pins at
  0 latency, stdout to /dev/null. The tap as shipped, the same tap with the SDK's defaults
  (its record path, its writer, requests reading the environment on every call, SCHEMA
  per parent, STATE per partition: ``--sdk-defaults`` of benchmarks/sdk_defaults_tap.py),
  and the minimal loop (one session, page_size 250, orjson, RECORD lines; the simulator,
  like werkzeug, closes each connection, for both alike). The simulator has no rate
  limit here and the tap's budgets are lifted (``UNPACED``). Targets: the tap
  at least 50% of the loop's records/s, and at least 3x the tap with SDK defaults.
- ``accounts``: the same seven streams at two scales (3 ad accounts per scale unit, the
  same data per account). Target: records/s at the large scale within 15% of the small.

- ``backfill``: what a first full sync of ``--accounts`` ad accounts costs with the
  shipped settings (every stream, the ads analytics of the last 90 days at DAY): the
  calls per rate-limit category, and the wall time at ``--latency-ms`` per call.

Every figure is a ratio against a run of the same script, so a busy machine slows all
sides alike. Peak RSS is each tap process's own (benchmarks/peak_rss.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import requests
from peak_rss import Measured  # benchmarks/ is the script's directory

from tap_pinterest.settings import RATE_LIMIT_CATEGORIES
from tap_pinterest.simulator import Faults, Simulator
from tap_pinterest.simulator.api.routes import ROUTES
from tap_pinterest.tap import TapPinterest

HERE = Path(__file__).resolve().parent
#: The simulator sets no rate limit in the CPU-bound runs, so the tap's budgets are lifted:
#: the figure is then the tap's own work, not the pacer's waits.
UNPACED = {"requests_per_minute": dict.fromkeys(RATE_LIMIT_CATEGORIES, 1e9)}
BOARD_STREAMS = ("boards", "board_sections", "board_pins", "board_section_pins")
SEVEN_STREAMS = ("ad_accounts", "campaigns", "ad_groups", "ads", "boards", "board_sections",
                 "board_pins")  # fmt: skip
EVERY_STATUS = {"entity_statuses": "ACTIVE,PAUSED,ARCHIVED,DRAFT,DELETED_DRAFT"}
#: Parent stream -> [(child stream, path template with the parent's id, parameters)].
CHILDREN = {
    "ad_accounts": [
        ("campaigns", "/ad_accounts/{}/campaigns", EVERY_STATUS),
        ("ad_groups", "/ad_accounts/{}/ad_groups", EVERY_STATUS),
        ("ads", "/ad_accounts/{}/ads", EVERY_STATUS),
    ],
    "boards": [
        ("board_sections", "/boards/{}/sections", {}),
        ("board_pins", "/boards/{}/pins", {}),
    ],
}


@dataclass
class Run:
    seconds: float
    records: int
    rss_mb: float = 0.0

    @property
    def rate(self) -> float:
        return self.records / self.seconds


def catalog(sim: Simulator, streams: tuple[str, ...]) -> dict[str, Any]:
    entries = TapPinterest(config=sim.tap_config()).catalog_dict
    for entry in entries["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return entries


def expected(sim: Simulator, streams: tuple[str, ...]) -> int:
    """The records a full sync of ``streams`` emits (the simulator's own counts)."""
    data = sim.dataset
    sizes = {
        "ad_accounts": len(data.ad_accounts),
        "campaigns": len(data.campaigns),
        "ad_groups": len(data.ad_groups),
        "ads": len(data.ads),
        "boards": len(data.boards),
        "board_sections": len(data.board_sections),
        "board_pins": len(data.pins),
        "board_section_pins": sum(1 for p in data.pins if p["board_section_id"]),
    }
    return sum(sizes[s] for s in streams)


def run_tap(
    sim: Simulator,
    streams: tuple[str, ...],
    *,
    sdk_defaults: bool = False,
    count: bool = False,
    **settings: Any,
) -> Run:
    """The tap as a subprocess, its output into /dev/null, or counted (``count``)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({**sim.tap_config(), **settings}))
        catalog_file = Path(tmp) / "catalog.json"
        catalog_file.write_text(json.dumps(catalog(sim, streams)))
        launcher = [str(HERE / "sdk_defaults_tap.py")] if sdk_defaults else ["-m", "tap_pinterest"]
        out = Path(tmp) / "out.jsonl" if count else Path(os.devnull)
        started = time.perf_counter()
        with out.open("wb") as sink:
            files = ["--config", str(config), "--catalog", str(catalog_file)]
            process = Measured(
                [sys.executable, *launcher, *files],
                stdout=sink,
                stderr=subprocess.DEVNULL,
            )
            status, rss_mb = process.wait()
        seconds = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"the tap failed (status {status}); rerun it by hand to see why")
        records = expected(sim, streams)
        if count:
            with out.open("rb") as lines:
                records = sum(1 for line in lines if line.startswith(b'{"type":"RECORD"'))
    return Run(seconds, records, rss_mb)


def minimal_loop(sim: Simulator, streams: tuple[str, ...]) -> Run:
    """The least a connector can do: one keep-alive session, page_size 250, orjson, one
    RECORD line per record, serial, into /dev/null."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sim.access_token}"
    base = sim.base_url.rstrip("/")
    records = 0

    def pages(path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        nonlocal records
        out: list[dict[str, Any]] = []
        bookmark = None
        while True:
            query = {**params, "page_size": 250, **({"bookmark": bookmark} if bookmark else {})}
            body = orjson.loads(session.get(base + path, params=query, timeout=60).content)
            for item in body["items"]:
                sink.write(orjson.dumps({"type": "RECORD", "stream": path, "record": item}))
                sink.write(b"\n")
            records += len(body["items"])
            out += body["items"]
            bookmark = body.get("bookmark")
            if not bookmark:
                return out

    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:  # noqa: PTH123
        for top, path in (("ad_accounts", "/ad_accounts"), ("boards", "/boards")):
            if top not in streams:
                continue
            for parent in pages(path, {}):
                for child, template, params in CHILDREN[top]:
                    if child in streams:
                        items = pages(template.format(parent["id"]), params)
                        if child == "board_sections" and "board_section_pins" in streams:
                            for section in items:
                                pages(f"/boards/{parent['id']}/sections/{section['id']}/pins", {})
    return Run(time.perf_counter() - started, records)


def _line(label: str, run: Run, reference: Run | None = None, note: str = "") -> None:
    ratio = f"  {run.rate / reference.rate:6.2f}x the reference" if reference else ""
    rss = f"  peak RSS {run.rss_mb:5.0f} MB" if run.rss_mb else ""
    figures = f"{run.records:>9,} records {run.seconds:8.1f} s {run.rate:>9,.0f}/s"
    print(f"{label:34} {figures}{rss}{ratio} {note}")


def latency(args: argparse.Namespace) -> None:
    faults = Faults(latency_ms=args.latency_ms)
    with Simulator(seed=args.seed, scale=args.scale, faults=faults) as sim:
        print(f"{len(sim.dataset.boards)} boards, {args.latency_ms:g} ms per call")
        serial = run_tap(sim, BOARD_STREAMS, count=True, max_concurrency=1)
        calls_serial = sim.request_log.total()
        sim.request_log.reset()
        wide = run_tap(sim, BOARD_STREAMS, count=True, max_concurrency=args.width)
        statuses = Counter(sim.request_log.statuses())
        calls_wide = sim.request_log.total()
        loop = minimal_loop(sim, BOARD_STREAMS)
    _line("tap, max_concurrency 1", serial)
    _line(f"tap, max_concurrency {args.width}", wide)
    _line("minimal loop (serial)", loop)
    print(f"calls: {calls_serial:,} at 1, {calls_wide:,} at {args.width}; "
          f"429s at {args.width}: {statuses.get(429, 0)}")  # fmt: skip
    share = wide.seconds / serial.seconds
    same = wide.records == serial.records == expected(sim, BOARD_STREAMS)
    print(f"time at {args.width} / time at 1: {share:.3f} (target <= 1/6 = 0.167), "
          f"records as the simulator's: {same}; "
          f"time at {args.width} / serial loop: {wide.seconds / loop.seconds:.3f}")  # fmt: skip


def cpu(args: argparse.Namespace) -> None:
    with Simulator(seed=args.seed, scale=args.scale) as sim:
        loop = minimal_loop(sim, SEVEN_STREAMS)
        tap = run_tap(sim, SEVEN_STREAMS, **UNPACED)
        defaults = run_tap(sim, SEVEN_STREAMS, sdk_defaults=True, max_concurrency=1, **UNPACED)
    _line("minimal loop (reference)", loop)
    _line("tap-pinterest", tap, loop)
    _line("tap-pinterest with SDK defaults", defaults, loop)
    print(f"tap / loop: {tap.rate / loop.rate:.2f} (target >= 0.50); "
          f"tap / SDK defaults: {tap.rate / defaults.rate:.2f} (target >= 3)")  # fmt: skip


def accounts(args: argparse.Namespace) -> None:
    runs = {}
    for scale in (args.small, args.large):
        with Simulator(seed=args.seed, scale=scale) as sim:
            runs[scale] = (len(sim.dataset.ad_accounts), run_tap(sim, SEVEN_STREAMS, **UNPACED))
    for scale, (n, run) in runs.items():
        _line(f"{n} ad accounts (scale {scale:g})", run)
    small, large = runs[args.small][1], runs[args.large][1]
    print(f"records/s at {runs[args.large][0]} accounts / at {runs[args.small][0]}: "
          f"{large.rate / small.rate:.2f} (target >= 0.85); "
          f"peak RSS {large.rss_mb / small.rss_mb:.2f}x (target <= 1.5)")  # fmt: skip


def backfill(args: argparse.Namespace) -> None:
    faults = Faults(latency_ms=args.latency_ms)
    with Simulator(seed=args.seed, scale=args.accounts / 3, faults=faults) as sim:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "config.json"
            config.write_text(json.dumps(sim.tap_config()))
            started = time.perf_counter()
            with open(os.devnull, "wb") as sink:  # noqa: PTH123
                command = [sys.executable, "-m", "tap_pinterest", "--config", str(config)]
                subprocess.run(command, stdout=sink, stderr=subprocess.DEVNULL, check=True)
            seconds = time.perf_counter() - started
        categories: Counter[str] = Counter()
        routes = {route.template: route.category for route in ROUTES}
        for (_, route), n in sim.request_log.counts().items():
            categories[routes.get(route, route)] += n
        accounts = len(sim.dataset.ad_accounts)
    print(f"{accounts} ad accounts, {args.latency_ms:g} ms per call: {seconds:.0f} s in all")
    for category, n in sorted(categories.items()):
        print(f"  {category:16} {n:>7,} calls")
    print(f"  {'total':16} {sum(categories.values()):>7,} calls")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    modes = parser.add_subparsers(dest="mode", required=True)
    one = modes.add_parser("latency")
    one.add_argument("--scale", type=float, default=50)
    one.add_argument("--latency-ms", type=float, default=100)
    one.add_argument("--width", type=int, default=8)
    one.set_defaults(run=latency)
    two = modes.add_parser("cpu")
    two.add_argument("--scale", type=float, default=240)
    two.set_defaults(run=cpu)
    three = modes.add_parser("accounts")
    three.add_argument("--small", type=float, default=3)
    three.add_argument("--large", type=float, default=300)
    three.set_defaults(run=accounts)
    four = modes.add_parser("backfill")
    four.add_argument("--accounts", type=int, default=100)
    four.add_argument("--latency-ms", type=float, default=150)
    four.set_defaults(run=backfill)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
