"""Full-sync throughput and calls per sync: tap-pinterest against the bundled simulator.

    .venv/bin/python benchmarks/sync_throughput.py --scale 300

Starts the simulator in this process, runs ``tap-pinterest`` as a subprocess on the
17 entity streams (analytics: benchmarks/analytics_backfill.py) with its Singer
output sent to /dev/null, and prints: records emitted, wall time,
records per second, the API calls the sync made, the calls the ceil(records/250)
rule predicts, and the calls the API's default page size (25) would have needed.
The record count is the simulator's own (the sum over streams of what a full sync
must emit), so nothing is parsed on the hot path.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tap_speed import catalog  # benchmarks/ is the script's directory

from tap_pinterest.simulator import Simulator


def expected_counts(sim: Simulator) -> dict[str, int]:
    """Records per entity stream that a full sync must emit."""
    data = sim.dataset
    return {
        "user_account": 1,
        "ad_accounts": len(data.ad_accounts),
        "campaigns": len(data.campaigns),
        "ad_groups": len(data.ad_groups),
        "ads": len(data.ads),
        "keywords": len(data.keywords),
        "audiences": len(data.audiences),
        "customer_lists": len(data.customer_lists),
        "conversion_tags": len(data.conversion_tags),
        "boards": len(data.boards),
        "board_sections": len(data.board_sections),
        "board_pins": len(data.pins),
        "board_section_pins": sum(1 for p in data.pins if p["board_section_id"]),
        "pins": len(data.pins),
        "catalogs": len(data.catalogs),
        "catalogs_feeds": len(data.catalogs_feeds),
        "catalogs_product_groups": len(data.catalogs_product_groups),
    }


ENTITY_STREAMS = {
    "user_account", "ad_accounts", "campaigns", "ad_groups", "ads", "keywords", "audiences",
    "customer_lists", "conversion_tags", "boards", "board_sections", "board_pins",
    "board_section_pins", "pins", "catalogs", "catalogs_feeds", "catalogs_product_groups",
}  # fmt: skip


def entity_catalog(sim: Simulator) -> dict:
    """The tap's catalog with the entity streams selected and the analytics ones not."""
    return catalog(sim, tuple(ENTITY_STREAMS))


def list_sizes(sim: Simulator) -> list[tuple[str, int]]:
    """The size of every list call a full sync makes (route, records)."""
    data = sim.dataset
    sizes: list[tuple[str, int]] = [
        ("/ad_accounts", len(data.ad_accounts)),
        ("/boards", len(data.boards)),
        ("/pins", len(data.pins)),
        ("/catalogs", len(data.catalogs)),
        ("/catalogs/feeds", len(data.catalogs_feeds)),
        ("/catalogs/product_groups", len(data.catalogs_product_groups)),
    ]
    for entity in ("campaigns", "ad_groups", "ads", "audiences", "customer_lists"):
        per_account = Counter(r["ad_account_id"] for r in data.get(entity))
        sizes += [(entity, per_account[a["id"]]) for a in data.ad_accounts]
    keywords = Counter(k["parent_id"] for k in data.keywords)
    for account in data.ad_accounts:
        sizes.append(("keywords (account)", keywords[account["id"]]))
        groups = [g["id"] for g in data.ad_groups if g["ad_account_id"] == account["id"]]
        for start in range(0, len(groups), 250):
            batch = groups[start : start + 250]
            sizes.append(("keywords (ad groups)", sum(keywords[g] for g in batch)))
    sizes += [("keywords (campaign)", keywords[c["id"]]) for c in data.campaigns]
    sections = Counter(s["board_id"] for s in data.board_sections)
    pins = Counter(p["board_id"] for p in data.pins)
    section_pins = Counter(p["board_section_id"] for p in data.pins if p["board_section_id"])
    sizes += [("sections", sections[b["id"]]) for b in data.boards]
    sizes += [("board pins", pins[b["id"]]) for b in data.boards]
    sizes += [("section pins", section_pins[s["id"]]) for s in data.board_sections]
    return sizes


def calls(sizes: list[tuple[str, int]], page_size: int) -> int:
    return sum(max(1, math.ceil(n / page_size)) for _, n in sizes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with Simulator(seed=args.seed, scale=args.scale) as sim, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps(sim.tap_config()))
        catalog = Path(tmp) / "catalog.json"
        catalog.write_text(json.dumps(entity_catalog(sim)))
        records = sum(expected_counts(sim).values())
        sim_cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        with open("/dev/null", "w") as devnull:  # noqa: PTH123
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tap_pinterest",
                    "--config",
                    str(config),
                    "--catalog",
                    str(catalog),
                ],
                stdout=devnull,
                stderr=subprocess.PIPE,
                text=True,
                check=False,
            )
        elapsed = time.perf_counter() - started
        sim_cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        tap_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)
            return 1
        made = sim.request_log.total()
        assert set(expected_counts(sim)) == ENTITY_STREAMS
        sizes = list_sizes(sim)
        conversion_tags = len(sim.dataset.ad_accounts)  # not paginated: one call each
        print(f"scale                      {args.scale:g} (seed {args.seed})")
        print(f"records emitted            {records:,}")
        print(f"wall time                  {elapsed:.1f} s")
        print(f"records per second         {records / elapsed:,.0f}")
        print(f"tap CPU time               {tap_cpu.ru_utime + tap_cpu.ru_stime:.1f} s")
        sim_cpu = (sim_cpu_after.ru_utime + sim_cpu_after.ru_stime) - (
            sim_cpu_before.ru_utime + sim_cpu_before.ru_stime
        )
        print(f"simulator CPU time         {sim_cpu:.1f} s")
        print(f"API calls made             {made:,}")
        print(f"calls by ceil(n/250) rule  {calls(sizes, 250) + conversion_tags + 1:,}")
        print(f"calls at page_size=25      {calls(sizes, 25) + conversion_tags + 1:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
