"""The shard layout meltano.yml ships (docs/scaling-out.md) agrees with the streams."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tap_pinterest.streams import STREAM_TYPES
from tap_pinterest.streams.ads import AdAccountsStream
from tap_pinterest.tap import TapPinterest

REPO = Path(__file__).resolve().parents[2]


def _plugins() -> dict[str, dict[str, Any]]:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    plugins = project["plugins"]["extractors"] + project["plugins"]["loaders"]
    return {plugin["name"]: plugin for plugin in plugins}


def _selected(plugin: dict[str, Any]) -> set[str]:
    return {rule.removesuffix(".*") for rule in plugin["select"]}


def _in_account_tree(stream_type: type) -> bool:
    while stream_type is not AdAccountsStream:
        stream_type = getattr(stream_type, "parent_stream_type", None)
        if stream_type is None:
            return False
    return True


def test_the_user_and_accounts_jobs_split_the_shipped_selection() -> None:
    plugins = _plugins()
    user, accounts = plugins["tap-pinterest--user"], plugins["tap-pinterest--accounts"]
    assert user["inherit_from"] == accounts["inherit_from"] == "tap-pinterest"
    shipped = _selected(plugins["tap-pinterest"])
    assert not _selected(user) & _selected(accounts)
    assert _selected(user) | _selected(accounts) == shipped
    tree = {cls.name for cls in STREAM_TYPES if _in_account_tree(cls)}
    assert _selected(accounts) == tree & shipped


def test_target_postgres_shards_aliases_every_scoped_full_table_stream() -> None:
    """The streams whose ACTIVATE_VERSION a shard scopes get a table per shard."""
    loader = _plugins()["target-postgres--shards"]
    assert loader["inherit_from"] == "target-postgres"
    maps = loader["config"]["stream_maps"]
    tap = TapPinterest(config={"access_token": "x"}, validate_config=False)
    scoped = {
        stream.name
        for stream in tap.streams.values()
        if stream.replication_method == "FULL_TABLE"
        and getattr(stream, "scope_field", None) is not None
    }
    assert scoped == {"ad_accounts", "keywords", "audiences", "customer_lists", "conversion_tags"}
    assert maps == {name: {"__alias__": f"{name}__${{PINTEREST_SHARD}}"} for name in scoped}
