"""Ad accounts and what hangs off them: campaigns, ad groups, ads, keywords, ..."""

from __future__ import annotations

import typing as t

import pendulum
from singer_sdk.exceptions import FatalAPIError
from typing_extensions import override

from tap_pinterest.client import PinterestStream
from tap_pinterest.errors import ClientError

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context, Record

#: The most ids the list filters take in one request.
MAX_IDS_PER_REQUEST = 250


class AdAccountsStream(PinterestStream):
    """GET /ad_accounts, shared accounts included; narrowed by ``ad_account_ids``."""

    name = "ad_accounts"
    path = "/ad_accounts"
    rate_limit_category = "ads_read"
    static_params: t.ClassVar[dict[str, t.Any]] = {"include_shared_accounts": True}
    scope_field = "id"

    def _wanted(self) -> set[str]:
        return set(self.config["ad_account_ids"])

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Every accessible account; fails if a configured account is not among them."""
        seen: set[str] = set()
        for record in super().get_records(context):
            seen.add(str(record.get("id")))
            yield record
        if missing := sorted(self._wanted() - seen):
            msg = (
                f"ad_account_ids: {', '.join(missing)} not accessible with these credentials "
                f"({len(seen)} accounts are)"
            )
            raise FatalAPIError(msg)

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """Keep only the configured accounts; an empty setting keeps all."""
        wanted = self._wanted()
        return row if not wanted or row.get("id") in wanted else None

    @override
    def get_child_context(self, record: Record, context: Context | None) -> Context:
        """Children of an ad account are partitioned by its id, nothing finer."""
        return {"ad_account_id": record["id"]}


class _AdAccountChild(PinterestStream):
    """A list under /ad_accounts/{ad_account_id}."""

    parent_stream_type = AdAccountsStream
    rate_limit_category = "ads_read"
    context_fields = ("ad_account_id",)
    scope_field = "ad_account_id"


class _AdEntityStream(_AdAccountChild):
    """Campaigns, ad groups and ads: every status, incremental on ``updated_time``.

    Pinterest has no "modified since" filter, so every page is read on every run;
    only records whose ``updated_time`` is at or after the account's bookmark are
    emitted. This saves rows downstream, not API calls.
    """

    replication_key = "updated_time"
    is_sorted = False
    remember_ids = True

    def query_params(self, context: Context | None) -> dict[str, t.Any]:
        """The ``entity_statuses`` setting (every status by default)."""
        statuses = ",".join(self.config["entity_statuses"])
        return {**super().query_params(context), "entity_statuses": statuses}

    def lower_bound(self, context: Context | None) -> int | None:
        """The account's bookmark, else ``start_date``, as Unix seconds.

        The SDK hands back the bookmark (Unix seconds) when the state has one for
        this account, and the ``start_date`` setting (an ISO date) when it has not.
        """
        start = self.get_starting_replication_key_value(context)
        if start is None:
            return None
        if isinstance(start, int | float):
            return int(start)
        parsed = pendulum.parse(str(start))
        if not isinstance(parsed, pendulum.Date):
            msg = f"start_date {start!r} is not a date"
            raise TypeError(msg)
        if not isinstance(parsed, pendulum.DateTime):
            parsed = pendulum.datetime(parsed.year, parsed.month, parsed.day)
        return int(parsed.timestamp())

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """Drop records not updated since the bookmark (the one client-side filter)."""
        record = super().post_process(row, context)
        bound = self.lower_bound(context)
        updated = record.get(self.replication_key) if record is not None else None
        if bound is not None and updated is not None and int(updated) < bound:
            return None
        return record


class CampaignsStream(_AdEntityStream):
    """GET /ad_accounts/{ad_account_id}/campaigns."""

    name = "campaigns"
    path = "/ad_accounts/{ad_account_id}/campaigns"


class AdGroupsStream(_AdEntityStream):
    """GET /ad_accounts/{ad_account_id}/ad_groups."""

    name = "ad_groups"
    path = "/ad_accounts/{ad_account_id}/ad_groups"


class AdsStream(_AdEntityStream):
    """GET /ad_accounts/{ad_account_id}/ads."""

    name = "ads"
    path = "/ad_accounts/{ad_account_id}/ads"


class KeywordsStream(_AdAccountChild):
    """GET /ad_accounts/{ad_account_id}/keywords: account, campaign and ad group keywords.

    Without a parent filter the API returns only the keywords attached to the
    account itself, so the stream also asks per campaign (``campaign_id``) and per
    batch of up to 250 ad groups (``ad_group_ids``, a beta). Where the API refuses
    ``ad_group_ids`` it falls back to one call per ad group for the rest of the run.
    The campaign and ad group ids come from this run's campaigns and ad_groups
    streams, or from one list call per account when those are not selected.
    """

    name = "keywords"
    path = "/ad_accounts/{ad_account_id}/keywords"
    _batch_ad_groups: bool = True

    def query_params(self, context: Context | None) -> dict[str, t.Any]:
        """The parent filter of the current request (set by get_records)."""
        params = super().query_params(context)
        for key in ("campaign_id", "ad_group_id", "ad_group_ids"):
            if context and context.get(key):
                params[key] = context[key]
        return params

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Account-level keywords, then per campaign, then per batch of ad groups."""
        if context is None:
            return
        seen: set[str] = set()

        def unseen(records: Iterable[dict[str, t.Any]]) -> Iterable[dict[str, t.Any]]:
            for record in records:
                if record["id"] not in seen:
                    seen.add(record["id"])
                    yield record

        yield from unseen(super().get_records(context))
        campaigns = self.entity_ids("campaigns", context)
        yield from unseen(self.fetch_each({**context, "campaign_id": c} for c in campaigns))
        ad_group_ids = self.entity_ids("ad_groups", context)
        for start in range(0, len(ad_group_ids), MAX_IDS_PER_REQUEST):
            batch = ad_group_ids[start : start + MAX_IDS_PER_REQUEST]
            if self._batch_ad_groups:
                try:
                    yield from unseen(self._batch(context, batch))
                    continue
                except _BatchRefusedError as refused:
                    self._batch_ad_groups = False
                    self.logger.warning(
                        "The API refused ad_group_ids (%s); reading keywords one ad group "
                        "at a time for the rest of this run",
                        refused,
                    )
            yield from unseen(self.fetch_each({**context, "ad_group_id": g} for g in batch))

    def _batch(self, context: Context, batch: list[str]) -> Iterable[dict[str, t.Any]]:
        records = iter(super().get_records({**context, "ad_group_ids": ",".join(batch)}))
        try:
            first = next(records, None)
        except ClientError as exc:
            # Refused before any record was read: falling back loses nothing.
            if exc.status == 400:
                raise _BatchRefusedError(str(exc)) from exc
            raise
        if first is not None:
            yield first
            yield from records

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """Name the parent: ``ad_group_id`` or ``campaign_id`` from the keyword's parent."""
        record = super().post_process(row, context)
        if record is None:
            return None
        parent_type = str(record.get("parent_type") or "").lower()
        record["ad_group_id"] = record.get("parent_id") if parent_type == "ad_group" else None
        record["campaign_id"] = record.get("parent_id") if parent_type == "campaign" else None
        return record


class _BatchRefusedError(Exception):
    """The API does not take ``ad_group_ids`` for this account."""


class AudiencesStream(_AdAccountChild):
    """GET /ad_accounts/{ad_account_id}/audiences."""

    name = "audiences"
    path = "/ad_accounts/{ad_account_id}/audiences"
    sandbox_supported = False


class CustomerListsStream(_AdAccountChild):
    """GET /ad_accounts/{ad_account_id}/customer_lists."""

    name = "customer_lists"
    path = "/ad_accounts/{ad_account_id}/customer_lists"
    sandbox_supported = False


class ConversionTagsStream(_AdAccountChild):
    """GET /ad_accounts/{ad_account_id}/conversion_tags: one unpaginated list."""

    name = "conversion_tags"
    path = "/ad_accounts/{ad_account_id}/conversion_tags"
    paginated = False
    sandbox_supported = False
