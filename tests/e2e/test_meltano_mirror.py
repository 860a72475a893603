"""`meltano run tap-pinterest target-pinterest-mirror`, then searches of the mirror."""

from __future__ import annotations

import os

import pytest
from conftest import expected_records
from singer_run import meltano_run

from tap_pinterest.mirror import Mirror
from tap_pinterest.simulator import Simulator

pytestmark = pytest.mark.e2e


def test_meltano_run_into_the_mirror_then_search(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'mirror.db'}"
    with Simulator(seed=41, scale=1) as sim:
        env = {
            **os.environ,
            "TAP_PINTEREST_API_URL": sim.base_url,
            "TAP_PINTEREST_ACCESS_TOKEN": sim.access_token,
            "TARGET_PINTEREST_MIRROR_DATABASE_URL": url,
            "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        }
        for _ in range(2):  # the second run must change nothing
            meltano_run("target-pinterest-mirror", env)
        expected = expected_records(sim.dataset)
    mirror = Mirror(url)
    try:
        stats = mirror.stats()
        for stream, records in expected.items():
            assert stats[stream]["records"] == len(records), stream
        seen: list[str] = []
        cursor = None
        while True:
            page = mirror.search("board_pins", limit=97, cursor=cursor, fields=["id"])
            seen += [row["id"] for row in page["data"]]
            cursor = page["meta"]["cursor"]
            if not page["meta"]["has_more"]:
                break
        assert sorted(seen) == sorted(p["id"] for p in expected["board_pins"])
        campaign = expected["campaigns"][0]
        found = mirror.search("campaigns", {"filter": {"eq": {"id": campaign["id"]}}})
        assert [row["name"] for row in found["data"]] == [campaign["name"]]
        word = expected["board_pins"][0]["title"].split()[0]
        hits = mirror.search("board_pins", {"filter": {"keyword": {"title": word}}}, limit=1000)
        want = {
            p["id"] for p in expected["board_pins"] if word.lower() in p["title"].lower().split()
        }
        assert {row["id"] for row in hits["data"]} == want
    finally:
        mirror.close()
