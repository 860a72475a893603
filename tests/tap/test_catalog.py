"""The discovered catalog, as a snapshot: any change to streams or schemas shows up here.

Regenerate with ``UPDATE_SNAPSHOTS=1 pytest tests/tap/test_catalog.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tap_pinterest.tap import TapPinterest

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "catalog.json"


def test_catalog_matches_the_snapshot() -> None:
    catalog = TapPinterest(config={}, validate_config=False).catalog_dict
    rendered = json.dumps(catalog, indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered)
    assert rendered == SNAPSHOT.read_text(), "catalog changed: see the module docstring"


def test_catalog_keys_and_replication() -> None:
    catalog = TapPinterest(config={}, validate_config=False).catalog_dict
    entries = {entry["tap_stream_id"]: entry for entry in catalog["streams"]}
    assert len(entries) == 23
    incremental = {
        name for name, entry in entries.items() if entry.get("replication_method") == "INCREMENTAL"
    }
    analytics = {name for name in entries if name.endswith("_analytics")}
    assert incremental == {"campaigns", "ad_groups", "ads"} | analytics
    for name, entry in entries.items():
        if name in analytics:
            assert list(entry["key_properties"])[-1] == "date", name
        else:
            assert list(entry["key_properties"]) == ["id"], name
        assert "access_token" not in json.dumps(entry)
    assert list(entries["campaign_analytics"]["key_properties"]) == ["campaign_id", "date"]
