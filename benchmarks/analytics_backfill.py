"""The README's worked example: a 2-year DAY backfill of 1,000 campaigns, on the simulator.

    .venv/bin/python benchmarks/analytics_backfill.py --campaigns 1000 --days 730

Puts ``--campaigns`` campaigns into one simulated ad account, runs the tap's
``campaign_analytics`` stream from ``--days`` ago to today, and prints the calls it
made by kind (synchronous analytics, report requests, status polls, downloads), the
rows, the time, and what one call per campaign per 90-day window would have taken.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import io
import logging
import math
import time

from tap_pinterest.simulator import Simulator
from tap_pinterest.tap import TapPinterest

ACCOUNT = "/v5/ad_accounts/{ad_account_id}"


def one_account_with(sim: Simulator, campaigns: int, days: int) -> str:
    """Make the first ad account hold exactly ``campaigns`` campaigns, old enough."""
    data = sim.dataset
    account = data.ad_accounts[0]["id"]
    template = next(c for c in data.campaigns if c["ad_account_id"] == account)
    created = int(time.time()) - (days + 30) * 86400
    clones = []
    for index in range(campaigns):
        clone = copy.deepcopy(template)
        clone.update(
            id=str(626_000_000_000 + index),
            name=f"Backfill campaign {index}",
            status="ACTIVE",
            created_time=created,
            start_time=created,
            end_time=None,
        )
        clones.append(clone)
    data.campaigns[:] = clones
    data.reindex()
    return account


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with Simulator(seed=1, scale=1) as sim:
        account = one_account_with(sim, args.campaigns, args.days)
        start = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=args.days - 1)
        config = {
            **sim.tap_config(),
            "ad_account_ids": [account],
            "start_date": start.isoformat(),
            "report_poll_interval_seconds": 0.05,
            "requests_per_minute": {"ads_analytics": 100_000},
        }
        tap = TapPinterest(config=config)
        catalog = tap.catalog_dict
        for entry in catalog["streams"]:
            wanted = entry["tap_stream_id"] in {"campaign_analytics"}
            for metadata in entry["metadata"]:
                if metadata["breadcrumb"] == []:
                    metadata["metadata"]["selected"] = wanted
        tap = TapPinterest(config=config, catalog=catalog)
        out = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out):
            tap.sync_all()
        elapsed = time.perf_counter() - started
        rows = sum(1 for line in out.getvalue().splitlines() if line.startswith('{"type":"RECORD"'))
        counts = sim.request_log.counts()
        sync_calls = counts.get(("GET", ACCOUNT + "/campaigns/analytics"), 0)
        created = counts.get(("POST", ACCOUNT + "/reports"), 0)
        polls = counts.get(("GET", ACCOUNT + "/reports"), 0)
        downloads = sum(n for (_, route), n in counts.items() if "report-files" in route)
        listing = counts.get(("GET", ACCOUNT + "/campaigns"), 0)
        windows_90 = math.ceil(args.days / 90)
        print(f"campaigns                     {args.campaigns:,} in one ad account")
        print(f"days                          {args.days} (from {start})")
        print(f"rows emitted                  {rows:,}")
        print(f"wall time                     {elapsed:.1f} s")
        print(f"campaign list calls           {listing}")
        print(f"sync analytics calls          {sync_calls}")
        print(f"reports requested             {created}")
        print(f"report status polls           {polls}")
        print(f"report downloads              {downloads}")
        print(f"API calls in all              {listing + sync_calls + created + polls}")
        print(
            f"one call per campaign         {args.campaigns * windows_90:,} "
            f"({args.campaigns:,} campaigns x {windows_90} windows of 90 days, "
            "were the synchronous API to reach that far back)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
