"""Shared fixtures: simulators and what a full sync of one should emit."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tap_pinterest.simulator import Dataset, Simulator

sys.path.insert(0, str(Path(__file__).resolve().parent))

PAGE_SIZE = 250


@pytest.fixture(scope="session")
def shared_sim() -> Iterator[Simulator]:
    """A read-only simulator for tests that neither mutate it nor inject faults."""
    with Simulator(seed=7, scale=1) as sim:
        yield sim


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A fresh simulator of one's own, for tests that change data, tokens or faults."""
    with Simulator(seed=11, scale=1) as simulator:
        yield simulator


def sim_config(sim: Simulator, **extra: Any) -> dict[str, Any]:
    return {"api_url": sim.base_url, "access_token": sim.access_token, **extra}


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(record))


def expected_records(dataset: Dataset) -> dict[str, list[dict[str, Any]]]:
    """Every record a full sync with default settings must emit, as emitted."""
    api = Dataset.to_api
    keywords = []
    for keyword in dataset.keywords:
        parent = keyword["parent_type"]
        keywords.append(
            {
                **api("keywords", keyword),
                "ad_account_id": keyword["ad_account_id"],
                "ad_group_id": keyword["parent_id"] if parent == "ad_group" else None,
                "campaign_id": keyword["parent_id"] if parent == "campaign" else None,
            }
        )
    sections = [
        {**api("board_sections", s), "board_id": s["board_id"]} for s in dataset.board_sections
    ]
    expected = {
        "user_account": [dataset.user_account],
        "ad_accounts": dataset.ad_accounts,
        "campaigns": dataset.campaigns,
        "ad_groups": dataset.ad_groups,
        "ads": dataset.ads,
        "keywords": keywords,
        "audiences": dataset.audiences,
        "customer_lists": dataset.customer_lists,
        "conversion_tags": dataset.conversion_tags,
        "boards": dataset.boards,
        "board_sections": sections,
        "board_pins": dataset.pins,
        "board_section_pins": [p for p in dataset.pins if p["board_section_id"]],
        "pins": dataset.pins,
        "catalogs": dataset.catalogs,
        # The feed's credentials (a username and password) are never emitted.
        "catalogs_feeds": [
            {k: v for k, v in feed.items() if k != "credentials"} for feed in dataset.catalogs_feeds
        ],
        "catalogs_product_groups": dataset.catalogs_product_groups,
    }
    return {stream: [_plain(r) for r in records] for stream, records in expected.items()}


def pages(count: int) -> int:
    """Calls a list of ``count`` records takes at 250 a page (an empty list takes one)."""
    return max(1, math.ceil(count / PAGE_SIZE))
