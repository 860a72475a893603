"""Analytics: ads metrics per account, campaign, ad group and ad; organic per user and pin.

Every stream is incremental on ``date`` with one bookmark per ad account (the
organic ones have a single bookmark). Each run reads again the ``lookback_days``
before the bookmark, because Pinterest restates conversions for up to 30 days;
rows are keyed by entity and date, so targets upsert them. Ids go 250 to a request
(100 pins) and dates 90 days to a request (3 days for HOUR); days older than the
synchronous endpoints serve come from async reports, into the same streams.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import typing as t

import pendulum
import requests
from singer_sdk.exceptions import FatalAPIError
from typing_extensions import override

from tap_pinterest.client import PinterestStream
from tap_pinterest.errors import describe_error
from tap_pinterest.settings import ATTRIBUTION_SETTINGS
from tap_pinterest.streams.ads import AdAccountsStream
from tap_pinterest.streams.analytics.reports import ReportClient, ReportSettings
from tap_pinterest.streams.analytics.vanished import rows_skipping_vanished
from tap_pinterest.streams.analytics.windows import parse_day, plan, row_date

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context

#: Sync columns the async reports do not take (spec v5.23.0); they stay null there.
NOT_IN_REPORTS = frozenset({"QUIZ_PIN_RESULT_OPEN"})


class _AnalyticsStream(PinterestStream):
    """Shared behaviour: windows, id batches, attribution, lookback, row normalising.

    Each request's dates and batch of ids travel in the context, as ``start_date``,
    ``end_date`` and :attr:`id_param`, on top of the partition's ``ad_account_id``. The
    state is keyed by the partition alone (``ad_account_id``, see
    ``state_partitioning_keys``), so there is one bookmark per account however many
    windows and batches a run reads.
    """

    replication_key = "date"
    #: Each context is many requests (windows x id batches), fanned out by get_records.
    fetch_ahead = False
    is_sorted = False
    paginated = False
    rate_limit_category = "ads_analytics"
    #: The entity id column (lower case) and the date; the date holds the hour with HOUR.
    primary_keys: t.ClassVar[tuple[str, ...]] = ("date",)
    #: The query parameter for the ids, and the stream that lists them.
    id_param: t.ClassVar[str | None] = None
    ids_from: t.ClassVar[str | None] = None
    batch_size: t.ClassVar[int] = 250
    #: The async report level for deep history; None where reports do not exist.
    report_level: t.ClassVar[str | None] = None
    #: Granularity and analytics_columns are settings, or fixed (organic endpoints).
    configurable: t.ClassVar[bool] = True
    _schema_cache: dict[str, t.Any] | None = None
    #: Ids listed earlier in the run that no longer existed when their analytics were
    #: asked for (see :mod:`.vanished`); made on first use.
    _vanished: set[str] | None = None

    @property
    def key_field(self) -> str | None:
        """The entity id column of the rows: the first part of the key the class declares."""
        declared = type(self).primary_keys
        return declared[0] if len(declared) > 1 else None

    @property
    def granularity(self) -> str:
        """DAY, HOUR, WEEK or MONTH."""
        if not self.configurable:
            return "DAY"
        return str(self.config["granularity"])

    @property
    @override
    def schema(self) -> dict[str, t.Any]:  # type: ignore[override]
        """The generated schema; ``date`` is a date-time with HOUR granularity."""
        if self._schema_cache is None:
            schema = copy.deepcopy(super().schema)
            if self.granularity == "HOUR":
                schema["properties"]["date"] = {"type": ["string"], "format": "date-time"}
            self._schema_cache = schema
        return self._schema_cache

    @functools.cached_property
    def metric_columns(self) -> list[str]:
        """The UPPER_CASE columns requested: the setting, else every one of the schema."""
        keys = {"date", *self.context_fields, self.key_field, "data_status"}
        every = [name.upper() for name in super().schema["properties"] if name not in keys]
        wanted = self.config.get("analytics_columns")
        if wanted and self.configurable:
            chosen = {str(name).upper() for name in wanted}
            return [column for column in every if column in chosen]
        return every

    @functools.cached_property
    def _null_row(self) -> tuple[str, ...]:
        """The lower-case names of the requested columns, null until a row fills them."""
        return tuple(column.lower() for column in self.metric_columns)

    def attribution(self) -> dict[str, t.Any]:
        """The attribution settings, sent on every request and report (0 included)."""
        return {name: self.config[name] for name in ATTRIBUTION_SETTINGS}

    def today(self) -> dt.date:
        """Today in UTC (the API's dates are UTC)."""
        return pendulum.now("UTC").date()

    def date_range(self, context: Context | None, today: dt.date) -> tuple[dt.date, dt.date]:
        """From the bookmark minus the lookback (else start_date), to end_date or today."""
        bookmark = self.get_context_state(context).get("replication_key_value")
        if bookmark:
            lookback = int(self.config["lookback_days"])
            start = parse_day(str(bookmark)) - dt.timedelta(days=lookback)
        elif self.config.get("start_date"):
            start = parse_day(self.config["start_date"])
        else:
            start = today - dt.timedelta(days=89)
        end = parse_day(self.config["end_date"]) if self.config.get("end_date") else today
        return start, end

    def ids(self, context: Context | None) -> list[str]:
        """The entity ids to ask for: from this run's parent stream, else one listing."""
        if not self.ids_from:
            return []
        return self.entity_ids(self.ids_from, context)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Reports for old days, then synchronous windows x id batches; oldest first."""
        if self.skipped_in_sandbox():
            return
        today = self.today()
        start, end = self.date_range(context, today)
        # The sandbox has no async reports.
        reports = self.report_level is not None and not self.in_sandbox
        windows, notices = plan(start, end, today, self.granularity, reports=reports)
        for notice in notices:
            self.logger.warning("%s: %s", self.name, notice)
        ids = self.ids(context)
        if self.id_param and not ids:
            return
        size = self.batch_size
        batches = [ids[i : i + size] for i in range(0, len(ids), size)]
        # the synchronous requests, fetched together, max_concurrency at once
        synchronous: list[t.Callable[[], Iterable[dict[str, t.Any]]]] = []
        for window in windows:
            request = {
                **(context or {}),
                "start_date": window.start.isoformat(),
                "end_date": window.end.isoformat(),
            }
            if window.source == "report":
                yield from self.fetch_each(synchronous, _call)
                synchronous = []
                yield from self.report_rows(request, set(ids))
            elif not self.id_param:
                synchronous.append(functools.partial(self.fetch_now, request))
            else:
                synchronous += [functools.partial(self.batch_rows, request, b) for b in batches]
        yield from self.fetch_each(synchronous, _call)

    def batch_rows(self, request: Context, batch: list[str]) -> Iterator[dict[str, t.Any]]:
        """The rows of one batch of ids; ids deleted since they were listed are skipped."""
        if self._vanished is None:
            self._vanished = set()
        id_param = t.cast("str", self.id_param)

        def fetch(ids: list[str]) -> Iterator[dict[str, t.Any]]:
            yield from super(_AnalyticsStream, self).get_records(
                {**request, id_param: ",".join(ids)}
            )

        yield from rows_skipping_vanished(batch, fetch, self._vanished)

    @override
    def run_summary(self) -> list[str]:
        """Also: how many listed ids no longer existed when their analytics were read."""
        lines = super().run_summary()
        if self._vanished:
            shown = ", ".join(sorted(self._vanished)[:10])
            more = " and more" if len(self._vanished) > 10 else ""
            lines.append(
                f"Stream '{self.name}': skipped {len(self._vanished)} {self.ids_from} "
                f"id(s) deleted after they were listed ({shown}{more}); the analytics of "
                "every other id were read"
            )
        return lines

    def query_params(self, context: Context | None) -> dict[str, t.Any]:
        """The request's dates (from the context), the endpoint's parameters, its ids."""
        request = context or {}
        params = {
            "start_date": request["start_date"],
            "end_date": request["end_date"],
            **self.endpoint_params(),
        }
        if self.id_param:
            params[self.id_param] = request[self.id_param]
        return params

    def endpoint_params(self) -> dict[str, t.Any]:
        """What every request of the stream sends: grain, columns and attribution."""
        return {
            "granularity": self.granularity,
            "columns": ",".join(self.metric_columns),
            **self.attribution(),
        }

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        """A bare JSON array of flat rows; anything else is an error."""
        try:
            body = self.response_json(response)
        except ValueError:
            body = None
        if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
            msg = f"{describe_error(self.name, response)} -- expected a JSON array of rows"
            raise FatalAPIError(msg)
        for row in body:
            yield self.normalize(row)

    def normalize(self, row: dict[str, t.Any]) -> dict[str, t.Any]:
        """Lower-case keys, ``date`` from DATE (with the hour for HOUR), missing columns null."""
        record: dict[str, t.Any] = dict.fromkeys(self._null_row)
        for key, value in row.items():
            record[key.lower()] = value
        record["date"] = row_date(row, self.granularity)
        record.pop("hour", None)  # HOUR rows carry the hour apart; it is part of ``date``
        if self.key_field and record.get(self.key_field) is not None:
            record[self.key_field] = str(record[self.key_field])
        return record

    def report_rows(self, request: Context, known_ids: set[str]) -> Iterator[dict[str, t.Any]]:
        """Rows of one async report of the request's account and dates, normalised like
        synchronous rows."""
        account_id, start, end = (request[k] for k in ("ad_account_id", "start_date", "end_date"))
        columns = [c for c in self.metric_columns if c not in NOT_IN_REPORTS]
        body = {
            "start_date": start,
            "end_date": end,
            "granularity": self.granularity,
            "level": self.report_level,
            "columns": columns,
            "report_format": "JSON",
            **self.attribution(),
        }
        client = ReportClient(
            reports_url=f"{self.url_base}/ad_accounts/{account_id}/reports",
            send=self._send,
            settings=ReportSettings.from_config(self.config),
            log=self.logger.warning,
        )
        what = f"{self.name} of ad account {account_id}, {start} to {end}"
        self.logger.info("Requesting an async report for %s", what)
        for row in client.rows(body, what):
            record = self.normalize(row)
            if self.key_field and known_ids and record.get(self.key_field) not in known_ids:
                continue
            yield record

    def _send(self, request: requests.Request) -> requests.Response:
        """One API call with the stream's auth, pacing, error mapping and retries."""
        return self.send_with_retries(self.requests_session.prepare_request(request))


def _call(fetch: t.Callable[[], Iterable[dict[str, t.Any]]]) -> Iterable[dict[str, t.Any]]:
    return fetch()


class _AdsAnalyticsStream(_AnalyticsStream):
    parent_stream_type = AdAccountsStream
    context_fields = ("ad_account_id",)


class AdAccountAnalyticsStream(_AdsAnalyticsStream):
    """GET /ad_accounts/{ad_account_id}/analytics: the whole account per day."""

    name = "ad_account_analytics"
    path = "/ad_accounts/{ad_account_id}/analytics"
    primary_keys = ("ad_account_id", "date")
    report_level = "ADVERTISER"


class CampaignAnalyticsStream(_AdsAnalyticsStream):
    """GET /ad_accounts/{ad_account_id}/campaigns/analytics, 250 campaigns a call."""

    name = "campaign_analytics"
    path = "/ad_accounts/{ad_account_id}/campaigns/analytics"
    primary_keys = ("campaign_id", "date")
    id_param = "campaign_ids"
    ids_from = "campaigns"
    report_level = "CAMPAIGN"


class AdGroupAnalyticsStream(_AdsAnalyticsStream):
    """GET /ad_accounts/{ad_account_id}/ad_groups/analytics, 250 ad groups a call."""

    name = "ad_group_analytics"
    path = "/ad_accounts/{ad_account_id}/ad_groups/analytics"
    primary_keys = ("ad_group_id", "date")
    id_param = "ad_group_ids"
    ids_from = "ad_groups"
    report_level = "AD_GROUP"


class AdAnalyticsStream(_AdsAnalyticsStream):
    """GET /ad_accounts/{ad_account_id}/ads/analytics, 250 ads a call."""

    name = "ad_analytics"
    path = "/ad_accounts/{ad_account_id}/ads/analytics"
    primary_keys = ("ad_id", "date")
    id_param = "ad_ids"
    ids_from = "ads"
    report_level = "PIN_PROMOTION"


class _OrganicAnalyticsStream(_AnalyticsStream):
    """Organic metrics: daily, ``metric_types`` instead of columns, no async reports."""

    rate_limit_category = "org_analytics"
    configurable = False
    sandbox_supported = False

    def endpoint_params(self) -> dict[str, t.Any]:
        """The metric types; no grain, columns or attribution here."""
        return {"metric_types": ",".join(self.metric_columns)}

    def daily_rows(self, key: str | None, metrics: t.Any) -> Iterator[dict[str, t.Any]]:
        """Rows of an ``{"daily_metrics": [{date, data_status, metrics}]}`` object."""
        if not isinstance(metrics, dict):
            return
        for day in metrics.get("daily_metrics") or []:
            row = {**(day.get("metrics") or {}), "DATE": day.get("date")}
            record = self.normalize(row)
            record["data_status"] = day.get("data_status")
            if self.key_field:
                record[self.key_field] = key
            yield record

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        """An object keyed by split ("all") or, for pins, by pin id then split."""
        try:
            body = self.response_json(response)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            msg = f"{describe_error(self.name, response)} -- expected a JSON object"
            raise FatalAPIError(msg)
        yield from self.rows_of(body)

    def rows_of(self, body: dict[str, t.Any]) -> Iterator[dict[str, t.Any]]:
        """The daily rows of the account (split "all")."""
        yield from self.daily_rows(None, body.get("all"))


class UserAccountAnalyticsStream(_OrganicAnalyticsStream):
    """GET /user_account/analytics: the user's organic metrics per day."""

    name = "user_account_analytics"
    path = "/user_account/analytics"


class PinAnalyticsStream(_OrganicAnalyticsStream):
    """GET /pins/analytics: the user's pins' organic metrics per day, 100 pins a call."""

    name = "pin_analytics"
    path = "/pins/analytics"
    primary_keys = ("pin_id", "date")
    id_param = "pin_ids"
    ids_from = "pins"
    batch_size = 100

    def rows_of(self, body: dict[str, t.Any]) -> Iterator[dict[str, t.Any]]:
        """``{pin_id: {"all": {"daily_metrics": [...]}}}`` (or without the split level)."""
        for pin_id, metrics in body.items():
            split = metrics.get("all", metrics) if isinstance(metrics, dict) else None
            yield from self.daily_rows(str(pin_id), split)
