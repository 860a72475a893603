"""Asynchronous analytics reports: request, poll until FINISHED, download, parse.

``POST /ad_accounts/{id}/reports`` returns a token; ``GET .../reports?token=`` tells
the status until it is FINISHED with a pre-signed ``url``, valid for minutes and
downloaded without auth. EXPIRED, FAILED, CANCELLED, DOES_NOT_EXIST, a report that
never finishes in time and a download URL that has already expired all start a new
report, at most ``max_attempts`` times; then the sync fails loudly.
"""

from __future__ import annotations

import time
import typing as t
from dataclasses import dataclass

import requests
from singer_sdk.exceptions import FatalAPIError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

#: Statuses after which polling stops and a new report is requested.
RETRY_STATUSES = frozenset({"EXPIRED", "FAILED", "CANCELLED", "DOES_NOT_EXIST"})
MAX_POLL_WAIT = 60.0


class ReportFailedError(FatalAPIError):
    """A report did not finish after every allowed attempt."""


class _RetryReportError(Exception):
    """This attempt is lost; a new report may still succeed."""


@dataclass(frozen=True)
class ReportSettings:
    """How patiently to wait for reports."""

    poll_interval: float
    timeout: float
    max_attempts: int

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> ReportSettings:
        """The report settings of the tap's config (defaults filled in)."""
        return cls(
            poll_interval=float(config["report_poll_interval_seconds"]),
            timeout=float(config["report_timeout_seconds"]),
            max_attempts=int(config["report_max_attempts"]),
        )


class ReportClient:
    """Runs one report to completion and yields its rows (UPPER_CASE keys)."""

    def __init__(
        self,
        *,
        reports_url: str,
        send: Callable[[requests.Request], requests.Response],
        settings: ReportSettings,
        log: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        download_timeout: float = 300.0,
    ) -> None:
        self._url = reports_url
        self._send = send
        self._settings = settings
        self._log = log
        self._clock = clock
        self._sleep = sleep
        self._download_timeout = download_timeout
        self._downloads = requests.Session()  # pre-signed URLs: no Authorization header

    def rows(self, body: Mapping[str, t.Any], what: str) -> Iterator[dict[str, t.Any]]:
        """Every row of the report ``body`` asks for; ``what`` names it in messages."""
        problems = []
        for attempt in range(1, self._settings.max_attempts + 1):
            try:
                document = self._attempt(body)
            except _RetryReportError as problem:
                problems.append(str(problem))
                self._log(f"report for {what}, attempt {attempt}: {problem}; requesting a new one")
                continue
            for entity_rows in document.values():
                yield from entity_rows
            return
        msg = (
            f"report for {what} failed {self._settings.max_attempts} times "
            f"({'; '.join(problems)}); failing so the next run retries from the last state"
        )
        raise ReportFailedError(msg)

    def _attempt(self, body: Mapping[str, t.Any]) -> dict[str, list[dict[str, t.Any]]]:
        created = self._send(requests.Request("POST", self._url, json=dict(body))).json()
        token = created.get("token") if isinstance(created, dict) else None
        if not token:
            msg = f"the API answered the report request without a token: {created!r:.200}"
            raise FatalAPIError(msg)
        url = self._poll(token)
        response = self._downloads.get(url, timeout=self._download_timeout)
        if response.status_code in {403, 404}:
            # The pre-signed URL expired before we got to it: ask for a fresh one.
            response = self._downloads.get(self._poll(token), timeout=self._download_timeout)
        if response.status_code != requests.codes.ok:
            msg = f"download answered HTTP {response.status_code}"
            raise _RetryReportError(msg)
        try:
            document = response.json()
        except ValueError:
            msg = "the downloaded report is not JSON"
            raise _RetryReportError(msg) from None
        if not isinstance(document, dict) or not all(
            isinstance(v, list) for v in document.values()
        ):
            msg = "the downloaded report is not an object of row lists"
            raise FatalAPIError(msg)
        return document

    def _poll(self, token: str) -> str:
        """Wait for FINISHED and return the download URL."""
        deadline = self._clock() + self._settings.timeout
        wait = self._settings.poll_interval
        while True:
            request = requests.Request("GET", self._url, params={"token": token})
            status = self._send(request).json()
            state = status.get("report_status") if isinstance(status, dict) else None
            if state == "FINISHED" and status.get("url"):
                return str(status["url"])
            if state in RETRY_STATUSES:
                msg = f"status {state}"
                raise _RetryReportError(msg)
            if self._clock() + wait > deadline:
                msg = f"not finished after {self._settings.timeout:g}s (status {state})"
                raise _RetryReportError(msg)
            self._sleep(wait)
            wait = min(wait * 2, MAX_POLL_WAIT)
