"""What the handlers share: their context, the list they return and the ad-account checks.

`Ctx` is what a list or get handler receives, `Listing` what a list handler returns
(the app paginates it), `Options` the simulator's behaviour switches, and `ad_account`
and `business_access` the account checks of every endpoint under an ad account or
taking an optional `ad_account_id`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from tap_pinterest.simulator.data.dataset import Dataset, Record
from tap_pinterest.simulator.endpoints.params import ApiError, Query, bad_parameter


@dataclass
class Options:
    """Behaviour switches of one simulator (mutable at runtime)."""

    keywords_ad_group_ids_supported: bool = True


@dataclass
class Ctx:
    query: Query
    args: dict[str, str]
    dataset: Dataset
    options: Options


@dataclass
class Listing:
    """A filtered list: `key` identifies the filters (for caching and bookmarks)."""

    entity: str
    key: tuple[Any, ...]
    load: Callable[[], list[Record]]
    render: Callable[[Record], Record] | None = None
    paginated: bool = True


class AccountScoped(Protocol):
    """What the ad-account checks need from a handler context."""

    query: Query
    args: dict[str, str]
    dataset: Dataset


def ad_account(ctx: AccountScoped) -> Record:
    """The ad account of the path, or a 400 (malformed id) / 404 (unknown)."""
    account_id = ctx.args["ad_account_id"]
    if not account_id.isdigit() or len(account_id) > 18:
        raise bad_parameter(f"'ad_account_id' value '{account_id}' must match the pattern: ^\\d+$")
    account = ctx.dataset.by_id("ad_accounts", account_id)
    if account is None:
        raise ApiError(404, 2, "AdAccount not found.")
    return account


def business_access(ctx: AccountScoped) -> None:
    """Validate the optional `ad_account_id` ("operation user_account") parameter."""
    account_id = ctx.query.id("ad_account_id")
    if account_id is not None and ctx.dataset.by_id("ad_accounts", account_id) is None:
        raise ApiError(404, 2, "AdAccount not found.")
