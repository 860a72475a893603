"""Asynchronous reports: their lifecycle, their files and the pre-signed downloads.

Times are on the simulator clock. A report is created by POST .../reports
(`{"report_status": "IN_PROGRESS", "token": "<uuid>", "message": null}`), then polled
with GET .../reports?token=...:

- the first `poll_delay` polls (default 2) answer IN_PROGRESS, with url and size null;
- the next one answers FINISHED and builds the file then (so it reflects restatements
  made while the report was in progress). Every FINISHED poll issues a fresh pre-signed
  URL on the simulator itself, `http://HOST:PORT/_sim/report-files/<key>.json` (or
  `.csv`) with `X-Amz-Date`, `X-Amz-Expires` and `X-Amz-Signature` query parameters, and
  `size`, the file's length in bytes;
- the URL downloads without auth while clock < X-Amz-Date + `url_ttl` (default 300 s).
  Then it answers 403 with an S3-style XML error, Code AccessDenied, "Request has
  expired"; a missing or altered signature answers 403 SignatureDoesNotMatch, and an
  unknown key (or the file of an expired report) 404 NoSuchKey;
- `report_ttl` (3600 s) after finishing, polls answer EXPIRED and the file is gone;
- a token that was never issued for that ad account answers DOES_NOT_EXIST.

`fail_next(status, count)` makes the next `count` reports end FAILED, EXPIRED or
CANCELLED after their IN_PROGRESS polls, or (IN_PROGRESS) never finish.

File formats. JSON: an object keyed by entity id (the ad account id at ADVERTISER level;
by DATE with primary_sort BY_DATE), each value the list of rows the synchronous endpoint
gives for that entity and the same dates, columns and attribution (`Analytics.rows`):
same keys, values, types and omitted columns. CSV: a header row (the id column, DATE
unless TOTAL, HOUR for HOUR, then the requested columns) and the same rows, zero-filled:
0 for a missing number, an empty field for a missing attribute, true/false for booleans.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tap_pinterest.simulator.analytics.ads import Analytics
from tap_pinterest.simulator.analytics.columns import column_type
from tap_pinterest.simulator.analytics.metrics import Attribution
from tap_pinterest.simulator.analytics.rows import HOUR_COLUMN, level_of

# Where the pre-signed report files are served on the simulator (see `Reports.download`):
# not an API route (no auth, no rate limit), but the app logs it under this template
# and scripted faults may target it.
DOWNLOAD_ROUTE = "/_sim/report-files/{file_name}"
DEFAULT_POLL_DELAY = 2
DEFAULT_URL_TTL = 300
DEFAULT_REPORT_TTL = 3600
INJECTABLE_OUTCOMES = ("FAILED", "EXPIRED", "CANCELLED", "IN_PROGRESS")
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class ReportSpec:
    """A validated report request (see `report_request`): everything needed to build the file."""

    ad_account_id: str
    level: str
    entity_ids: tuple[str, ...]
    start: date
    end: date
    granularity: str
    columns: tuple[str, ...]
    attribution: Attribution
    start_hour: int | None = None
    end_hour: int | None = None
    metrics_filters: tuple[tuple[str, str, float], ...] = ()
    report_format: str = "JSON"
    primary_sort: str = "BY_ID"


@dataclass
class Report:
    token: str
    key: str
    spec: ReportSpec
    created_at: float
    poll_delay: int
    outcome: str  # FINISHED, or one of INJECTABLE_OUTCOMES
    polls: int = 0
    finished_at: float | None = None
    content: bytes | None = field(default=None, repr=False)

    @property
    def extension(self) -> str:
        return self.spec.report_format.lower()

    def summary(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "ad_account_id": self.spec.ad_account_id,
            "level": self.spec.level,
            "granularity": self.spec.granularity,
            "report_format": self.spec.report_format,
            "entities": len(self.spec.entity_ids),
            "polls": self.polls,
            "outcome": self.outcome,
            "size": None if self.content is None else len(self.content),
        }


@dataclass(frozen=True)
class Download:
    """What the download route answers."""

    status: int
    body: bytes
    content_type: str


class Reports:
    """The reports of one simulator; settings may change while it runs."""

    def __init__(
        self,
        analytics: Analytics,
        *,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        poll_delay: int = DEFAULT_POLL_DELAY,
        url_ttl: float = DEFAULT_URL_TTL,
        report_ttl: float = DEFAULT_REPORT_TTL,
    ) -> None:
        self.analytics = analytics
        self.clock = clock
        self._lock = threading.RLock()
        self._rng = random.Random(f"reports:{seed}")  # noqa: S311 - ids, not secrets
        self._secret = hashlib.sha256(f"report-files:{seed}".encode()).digest()
        self._reports: dict[str, Report] = {}
        self._by_key: dict[str, Report] = {}
        self._pending: list[str] = []
        self.poll_delay = poll_delay
        self.url_ttl = url_ttl
        self.report_ttl = report_ttl
        self.configure(poll_delay=poll_delay, url_ttl=url_ttl, report_ttl=report_ttl)

    # ---- settings and faults -------------------------------------------------------------

    def configure(self, **settings: Any) -> None:
        """Set poll_delay (int >= 0), url_ttl or report_ttl (seconds > 0)."""
        unknown = set(settings) - {"poll_delay", "url_ttl", "report_ttl"}
        if unknown:
            raise ValueError(f"unknown report settings: {', '.join(sorted(unknown))}")
        delay = settings.get("poll_delay", self.poll_delay)
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
            raise ValueError(f"poll_delay must be an integer >= 0, got {delay!r}")
        for name in ("url_ttl", "report_ttl"):
            value = settings.get(name, getattr(self, name))
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}")
        with self._lock:
            for name, value in settings.items():
                setattr(self, name, value)

    def fail_next(self, status: str = "FAILED", count: int = 1) -> None:
        """The next `count` reports end in `status` (FAILED, EXPIRED, CANCELLED) after
        their IN_PROGRESS polls, or never leave IN_PROGRESS (status IN_PROGRESS)."""
        if status not in INJECTABLE_OUTCOMES:
            raise ValueError(f"status must be one of {', '.join(INJECTABLE_OUTCOMES)}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be an integer >= 1, got {count!r}")
        with self._lock:
            self._pending.extend([status] * count)

    def clear_faults(self) -> None:
        with self._lock:
            self._pending.clear()

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "poll_delay": self.poll_delay,
                "url_ttl": self.url_ttl,
                "report_ttl": self.report_ttl,
                "pending_outcomes": list(self._pending),
                "reports": [r.summary() for r in self._reports.values()],
            }

    # ---- lifecycle -----------------------------------------------------------------------

    def create(self, spec: ReportSpec) -> Report:
        with self._lock:
            now = self.clock()
            for old in self._reports.values():  # expired files are gone: free their bytes
                if old.finished_at is not None and now >= old.finished_at + self.report_ttl:
                    old.content = None
            token = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
            key = f"{self._rng.getrandbits(128):032x}"
            outcome = self._pending.pop(0) if self._pending else "FINISHED"
            report = Report(token, key, spec, now, self.poll_delay, outcome)
            self._reports[token] = report
            self._by_key[key] = report
            return report

    def get(self, token: str) -> Report | None:
        with self._lock:
            return self._reports.get(token)

    def all(self) -> list[Report]:
        with self._lock:
            return list(self._reports.values())

    def poll(self, ad_account_id: str, token: str, url_root: str) -> dict[str, Any]:
        """The body of GET .../reports?token=... (AdsAnalyticsGetAsyncResponse)."""
        with self._lock:
            report = self._reports.get(token)
            if report is None or report.spec.ad_account_id != ad_account_id:
                return _status("DOES_NOT_EXIST")
            report.polls += 1
            if report.polls <= report.poll_delay or report.outcome == "IN_PROGRESS":
                return _status("IN_PROGRESS")
            if report.outcome != "FINISHED":
                return _status(report.outcome)
            now = self.clock()
            if report.finished_at is None:
                report.content = self.render(report.spec)
                report.finished_at = now
            if report.content is None or now >= report.finished_at + self.report_ttl:
                report.content = None
                return _status("EXPIRED")
            return {
                "report_status": "FINISHED",
                "url": self._presign(report, url_root, now),
                "size": len(report.content),
            }

    # ---- files ---------------------------------------------------------------------------

    def render(self, spec: ReportSpec) -> bytes:
        """The report file's bytes (JSON or CSV; see the module docstring)."""
        options: dict[str, Any] = {
            "click_window_days": spec.attribution.click_window_days,
            "engagement_window_days": spec.attribution.engagement_window_days,
            "view_window_days": spec.attribution.view_window_days,
            "conversion_report_time": spec.attribution.conversion_report_time,
            "start_hour": spec.start_hour,
            "end_hour": spec.end_hour,
            "metrics_filters": spec.metrics_filters,
            "granularity": spec.granularity,
            "columns": spec.columns,
        }
        args = (spec.level, spec.entity_ids, spec.start, spec.end)
        if spec.report_format == "JSON":
            content = self.analytics.report(*args, primary_sort=spec.primary_sort, **options)
            return json.dumps(content, separators=(",", ":")).encode()
        rows = self.analytics.rows(*args, **options)
        if spec.primary_sort == "BY_DATE":
            rows.sort(key=lambda r: (r.get("DATE", ""), r.get(HOUR_COLUMN, -1)))
        return csv_bytes(spec, rows)

    def _presign(self, report: Report, url_root: str, now: float) -> str:
        amz_date = datetime.fromtimestamp(int(now), tz=UTC).strftime(_AMZ_DATE)
        expires = str(int(self.url_ttl))
        file_name = f"{report.key}.{report.extension}"
        signature = self._sign(file_name, amz_date, expires)
        return (
            f"{url_root.rstrip('/')}{DOWNLOAD_ROUTE.format(file_name=file_name)}"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={amz_date}"
            f"&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
        )

    def _sign(self, file_name: str, amz_date: str, expires: str) -> str:
        message = f"{file_name}\n{amz_date}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def download(self, file_name: str, args: Mapping[str, str]) -> Download:
        """Answer a GET of a pre-signed URL (no auth: the signature is the credential)."""
        key, _dot, extension = file_name.partition(".")
        now = self.clock()
        with self._lock:
            report = self._by_key.get(key)
            content = None if report is None else report.content
            finished = None if report is None else report.finished_at
            if finished is not None and now >= finished + self.report_ttl:
                content = None
        if report is None or content is None or extension != report.extension:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.", now)
        amz_date, expires = args.get("X-Amz-Date", ""), args.get("X-Amz-Expires", "")
        expected = self._sign(file_name, amz_date, expires)
        if not hmac.compare_digest(expected, args.get("X-Amz-Signature", "")):
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                now,
            )
        issued = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC).timestamp()
        if now >= issued + int(expires):
            expired_at = _iso(issued + int(expires))
            return _s3_error(403, "AccessDenied", "Request has expired", now, expired_at)
        content_type = "application/json" if extension == "json" else "text/csv"
        return Download(200, content, content_type)


def _status(status: str) -> dict[str, Any]:
    return {"report_status": status, "url": None, "size": None}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _s3_error(
    status: int, code: str, message: str, now: float, expires: str | None = None
) -> Download:
    extra = f"<Expires>{expires}</Expires><ServerTime>{_iso(now)}</ServerTime>" if expires else ""
    request_id = hashlib.sha256(f"{code}:{now}".encode()).hexdigest()[:16].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{extra}"
        f"<RequestId>{request_id}</RequestId></Error>"
    )
    return Download(status, body.encode(), "application/xml")


def csv_header(spec: ReportSpec) -> list[str]:
    _collection, id_column = level_of(spec.level)
    keys = [id_column]
    if spec.granularity != "TOTAL":
        keys.append("DATE")
    if spec.granularity == "HOUR":
        keys.append(HOUR_COLUMN)
    return keys + [c for c in dict.fromkeys(spec.columns) if c not in keys]


def csv_bytes(spec: ReportSpec, rows: list[dict[str, Any]]) -> bytes:
    """A CSV report: header, then the rows zero-filled (see the module docstring)."""
    header = csv_header(spec)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(name, row.get(name)) for name in header])
    return buffer.getvalue().encode()


def _csv_value(name: str, value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is not None:
        return value
    if name in ("DATE", HOUR_COLUMN):
        return ""
    return 0 if column_type(name) in (int, float) else ""
