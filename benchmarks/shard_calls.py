"""What sharding costs in API calls: one unsharded sync against the same sync in shards.

    .venv/bin/python benchmarks/shard_calls.py --scale 10 --shards 3

Starts the simulator in this process and runs ``tap-pinterest`` as subprocesses with its
output sent to /dev/null: once unsharded (every stream meltano.yml selects), then as
docs/scaling-out.md lays it out (one job with the user's streams, and ``--shards`` jobs
that split the ad accounts between them, each with the ad-account streams). Prints the
calls per rate-limit category of both, from the simulator's request log, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

from tap_pinterest.simulator import ROUTES, Simulator

REPO = Path(__file__).resolve().parent.parent
TAP = Path(sys.executable).with_name("tap-pinterest")


def _selections() -> dict[str, list[str]]:
    """The streams each of meltano.yml's extractors selects."""
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    out = {}
    for plugin in project["plugins"]["extractors"]:
        out[plugin["name"]] = [rule.removesuffix(".*") for rule in plugin["select"]]
    return out


def _sync(sim: Simulator, streams: list[str], workdir: Path, **settings: object) -> None:
    config = {"api_url": sim.base_url, "access_token": sim.access_token, **settings}
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config))
    catalog = json.loads(
        subprocess.run(
            [str(TAP), "--config", str(config_path), "--discover"],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    catalog_path = workdir / "catalog.json"
    catalog_path.write_text(json.dumps(catalog))
    subprocess.run(
        [str(TAP), "--config", str(config_path), "--catalog", str(catalog_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )


def _calls(sim: Simulator) -> Counter[str]:
    """Calls per rate-limit category since the last reset."""
    category = {route.template: route.category for route in ROUTES}
    calls: Counter[str] = Counter()
    for entry in sim.request_log.entries():
        calls[category.get(entry.route, "other")] += 1
    sim.request_log.reset()
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--shards", type=int, default=3)
    args = parser.parse_args()
    selected = _selections()
    with Simulator(seed=5, scale=args.scale) as sim, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sim.reports.configure(poll_delay=0)
        accounts = [a["id"] for a in sim.dataset.ad_accounts]
        _sync(sim, selected["tap-pinterest"], workdir)
        unsharded = _calls(sim)
        _sync(sim, selected["tap-pinterest--user"], workdir)
        for shard in range(args.shards):
            mine = accounts[shard :: args.shards]
            _sync(sim, selected["tap-pinterest--accounts"], workdir, ad_account_ids=mine)
        sharded = _calls(sim)
    print(f"{len(accounts)} ad accounts, 1 user job + {args.shards} account shards")
    print(f"{'category':<16}{'unsharded':>10}{'sharded':>10}{'extra':>8}")
    for name in sorted(set(unsharded) | set(sharded)):
        extra = sharded[name] - unsharded[name]
        print(f"{name:<16}{unsharded[name]:>10}{sharded[name]:>10}{extra:>8}")
    total, total_sharded = sum(unsharded.values()), sum(sharded.values())
    print(f"{'all':<16}{total:>10}{total_sharded:>10}{total_sharded - total:>8}")
    print(f"ratio sharded/unsharded: {total_sharded / total:.3f}")


if __name__ == "__main__":
    main()
