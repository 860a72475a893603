"""Ads analytics of the simulated dataset, as the endpoints and the reports return them.

`Analytics.rows()` returns exactly what a synchronous ads analytics endpoint answers, and
`Analytics.report()` exactly what a JSON report file holds, so tests can compute the
expected data without HTTP. A row holds:

- the level's id column: AD_ACCOUNT_ID, CAMPAIGN_ID, AD_GROUP_ID or AD_ID (a string);
- DATE ("YYYY-MM-DD", UTC), except with granularity TOTAL. DAY: the day. WEEK (Monday
  to Sunday) and MONTH: the first day of the bucket inside the requested range, that is
  max(first day of the week or month, start_date). HOUR: the day, plus "HOUR": the hour
  (int, 0..23, UTC), e.g. {"CAMPAIGN_ID": "626...", "DATE": "2026-11-20", "HOUR": 13, ...}.
  The spec types DATE as a date, so the hour is a key of its own;
- the requested columns, in UPPER_CASE, typed as `columns.column_type()` says. A column
  without data (a zero count or amount, a ratio with a zero numerator or denominator, an
  attribute the entity lacks) is omitted, as the API does.

There is one row per entity and bucket in which the entity delivered. An entity delivers
from its creation day (`created_time`) to its `end_time`, if any: accounts every day,
ACTIVE entities on about 95% of days, PAUSED on 35%, ARCHIVED on 15%, drafts never.
Rows whose requested columns are all omitted are dropped too (reports "omit rows where
all the columns are equal to 0"). Rows come by entity, in the order asked (duplicates
dropped), then by time. Every level is simulated on its own: a campaign's numbers are
not the sum of its ads'. Every day up to today is complete (no partial "today").

Restatement: `restate(day, entity_ids, factor)` changes the conversion columns of that
day (for those entities, or all) from then on, in the endpoints and in reports created
afterwards: the restatement count is hashed into the day's conversions, which are also
multiplied by `factor`. Only days within the last RESTATEMENT_WINDOW_DAYS can be restated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tap_pinterest.simulator.analytics import organic
from tap_pinterest.simulator.analytics.columns import Chain
from tap_pinterest.simulator.analytics.metrics import Attribution, DayStats, Profile
from tap_pinterest.simulator.analytics.rows import (
    HOUR_COLUMN,
    LEVELS,
    Bucket,
    MetricsFilter,
    as_date,
    entity_rows,
    level_of,
    plan,
)
from tap_pinterest.simulator.data.dataset import Dataset, Record

RESTATEMENT_WINDOW_DAYS = 30
DEFAULT_RESTATEMENT_FACTOR = 1.25


@dataclass(frozen=True)
class Restatement:
    day: date
    entity_ids: frozenset[str] | None
    factor: float


class Analytics:
    """Analytics of one simulator's dataset; `clock` gives "today" (its UTC date)."""

    def __init__(
        self, dataset: Dataset, *, seed: int | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.dataset = dataset
        self.seed = dataset.seed if seed is None else seed
        self.clock = clock
        self._lock = threading.Lock()
        self._restatements: dict[date, list[Restatement]] = {}
        self._profiles: dict[tuple[int, str], Profile] = {}

    def today(self) -> date:
        """The UTC date of the simulator clock."""
        return datetime.fromtimestamp(self.clock(), tz=UTC).date()

    # ---- restatement ---------------------------------------------------------------------

    def restate(
        self,
        day: date | str,
        entity_ids: Iterable[str] | None = None,
        factor: float = DEFAULT_RESTATEMENT_FACTOR,
    ) -> int:
        """Restate the conversions of `day` for `entity_ids` (ids of any level; None:
        every entity), multiplying them by `factor`. Returns the day's restatement count."""
        day = as_date(day)
        today = self.today()
        if not today - timedelta(days=RESTATEMENT_WINDOW_DAYS) <= day <= today:
            raise ValueError(
                f"only the last {RESTATEMENT_WINDOW_DAYS} days can be restated "
                f"(today is {today}, got {day})"
            )
        if not factor > 0:
            raise ValueError(f"factor must be > 0, got {factor}")
        ids = None if entity_ids is None else frozenset(str(i) for i in entity_ids)
        unknown = sorted(i for i in ids or () if self._find(i) is None)
        if unknown:
            raise ValueError(f"unknown entity ids: {', '.join(unknown)}")
        with self._lock:
            found = self._restatements.setdefault(day, [])
            found.append(Restatement(day, ids, float(factor)))
            return len(found)

    def restatements(self) -> list[Restatement]:
        with self._lock:
            return [r for day in sorted(self._restatements) for r in self._restatements[day]]

    def _restated(self, entity_id: str, day: date) -> tuple[int, float]:
        found = self._restatements.get(day)
        if not found:
            return 0, 1.0
        version, factor = 0, 1.0
        for r in found:
            if r.entity_ids is None or entity_id in r.entity_ids:
                version += 1
                factor *= r.factor
        return version, factor

    # ---- entities ------------------------------------------------------------------------

    def _find(self, entity_id: str) -> tuple[str, Record] | None:
        for collection in ("ad_accounts", "campaigns", "ad_groups", "ads"):
            record = self.dataset.by_id(collection, entity_id)
            if record is not None:
                return collection, record
        return None

    def chain(self, collection: str, record: Record) -> Chain:
        by_id = self.dataset.by_id
        if collection == "ad_accounts":
            return Chain(account=record)
        account = by_id("ad_accounts", record["ad_account_id"]) or {"id": record["ad_account_id"]}
        if collection == "campaigns":
            return Chain(account=account, campaign=record)
        campaign = by_id("campaigns", record["campaign_id"])
        if collection == "ad_groups":
            return Chain(account=account, campaign=campaign, ad_group=record)
        group = by_id("ad_groups", record["ad_group_id"])
        pin = by_id("pins", record["pin_id"])
        return Chain(account=account, campaign=campaign, ad_group=group, ad=record, pin=pin)

    def profile(self, collection: str, record: Record) -> Profile:
        key = (self.dataset.generation, record["id"])
        found = self._profiles.get(key)
        if found is None:
            creative = record.get("creative_type") if collection == "ads" else None
            found = self._profiles[key] = Profile(self.seed, collection, record, creative)
        return found

    def _records(self, collection: str, entity_ids: Iterable[str]) -> list[Record]:
        out = []
        for entity_id in dict.fromkeys(str(i) for i in entity_ids):
            record = self.dataset.by_id(collection, entity_id)
            if record is None:
                raise ValueError(f"unknown {collection} id {entity_id!r}")
            out.append(record)
        return out

    # ---- rows ----------------------------------------------------------------------------

    def rows(
        self,
        level: str,
        entity_ids: Iterable[str],
        start: date | str,
        end: date | str,
        *,
        granularity: str,
        columns: Sequence[str],
        click_window_days: int = 30,
        engagement_window_days: int = 30,
        view_window_days: int = 1,
        conversion_report_time: str = "TIME_OF_AD_ACTION",
        start_hour: int | None = None,
        end_hour: int | None = None,
        metrics_filters: Sequence[MetricsFilter] = (),
    ) -> list[Record]:
        """The rows an ads analytics endpoint returns (see the module docstring).

        `level`: ADVERTISER (or AD_ACCOUNT), CAMPAIGN, AD_GROUP, PIN_PROMOTION (or AD).
        Raises ValueError for an unknown level, granularity, column or entity id. No
        date limits apply here; the endpoints check those first.
        """
        attribution = Attribution(
            click_window_days, engagement_window_days, view_window_days, conversion_report_time
        )
        rows_plan = plan(
            level,
            as_date(start),
            as_date(end),
            granularity=granularity,
            columns=columns,
            attribution=attribution,
            hours=(start_hour, end_hour),
            metrics_filters=metrics_filters,
        )
        out: list[Record] = []
        for record in self._records(rows_plan.collection, entity_ids):
            profile = self.profile(rows_plan.collection, record)

            def stats(bucket: Bucket, profile: Profile = profile) -> list[DayStats]:
                return self._stats(profile, bucket, attribution)

            chain = self.chain(rows_plan.collection, record)
            out.extend(entity_rows(rows_plan, record["id"], chain, stats))
        return out

    def report(
        self,
        level: str,
        entity_ids: Iterable[str],
        start: date | str,
        end: date | str,
        *,
        primary_sort: str = "BY_ID",
        **options: Any,
    ) -> dict[str, list[Record]]:
        """A JSON report's content: the rows of `rows(...)` with the same arguments,
        grouped by entity id (BY_ID) or by DATE (BY_DATE, in time order; TOTAL rows
        under start_date). Entities without rows are absent."""
        _collection, id_column = level_of(level)
        found = self.rows(level, entity_ids, start, end, **options)
        if primary_sort == "BY_DATE":
            found.sort(key=lambda r: (r.get("DATE", ""), r.get(HOUR_COLUMN, -1)))
        out: dict[str, list[Record]] = {}
        for row in found:
            key = row[id_column] if primary_sort != "BY_DATE" else row.get("DATE", str(start))
            out.setdefault(str(key), []).append(row)
        return out

    def _stats(self, profile: Profile, bucket: Bucket, attribution: Attribution) -> list[DayStats]:
        out = []
        for day in bucket.days:
            if not profile.active(day):
                continue
            stats = DayStats(
                profile,
                day,
                attribution,
                hour=bucket.hour,
                restated=self._restated(profile.id, day),
            )
            if bucket.hour is None or stats.base["IMPRESSION_1"] > 0:
                out.append(stats)
        return out

    # ---- organic -------------------------------------------------------------------------

    def user_account_analytics(
        self,
        start: date | str,
        end: date | str,
        metric_types: Sequence[str] | None = None,
        **filters: str,
    ) -> dict[str, Any]:
        """The body of GET /user_account/analytics (split_field NO_SPLIT); `filters`:
        from_claimed_content, pin_format, app_types, content_type, source."""
        return organic.user_account_analytics(
            self.seed,
            self.dataset.user_account["id"],
            (as_date(start), as_date(end)),
            metric_types=metric_types,
            today=self.today(),
            filters=filters,
        )

    def pin_analytics(
        self,
        pin_ids: Sequence[str],
        start: date | str,
        end: date | str,
        metric_types: Sequence[str],
        app_types: str = "ALL",
    ) -> dict[str, Any]:
        """The body of GET /pins/analytics: {pin_id: {"all": {...}}}."""
        pins = [self.dataset.by_id("pins", p) for p in dict.fromkeys(pin_ids)]
        if any(p is None for p in pins):
            raise ValueError("unknown pin ids")
        return organic.pin_analytics(
            self.seed,
            [p for p in pins if p is not None],
            (as_date(start), as_date(end)),
            metric_types=metric_types,
            app_types=app_types,
            today=self.today(),
        )


__all__ = ["HOUR_COLUMN", "LEVELS", "Analytics", "Restatement", "level_of"]
