"""How a run reports what happened: one line per expected failure, honest dry runs.

- An expected failure ends the command with one line naming the cause and the fix:
  an error the tap raises for an API answer (:class:`FatalAPIError` and its
  subclasses: 401, 403, 404, retries or the rate-limit wait used up, ...) or a server
  it could not reach (``requests`` connection errors and timeouts). Its traceback is
  logged at DEBUG level only, which the SDK switches on with the environment variable
  ``TAP_PINTEREST_LOGLEVEL=debug`` (or ``LOGLEVEL=debug``), and Meltano with
  ``meltano --log-level=debug``. Any other exception is a bug and keeps its traceback.
- A stream stopped at the record limit of a dry run (``--test``) has not failed: its
  sync metric says ``succeeded``.
- The SDK's "Stream is assumed to be unsorted" warning is true of every incremental
  stream here, but it comes once per partition (per stream and ad account): it is
  logged once per run.
- The SDK's "Config validation failed" summary is dropped: the tap's own error names
  the setting.
"""

from __future__ import annotations

import contextlib
import logging
import typing as t

import click
import requests
from singer_sdk import metrics
from singer_sdk.exceptions import (
    AbortedSyncExceptionBase,
    FatalAPIError,
    MaxRecordsLimitException,
)
from typing_extensions import override

from tap_pinterest.errors import describe_request_failure
from tap_pinterest.stopping import SyncStoppedError

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

#: The failures that end a run with one line (see :func:`one_line`).
EXPECTED_FAILURES = (
    FatalAPIError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
)


def one_line(exc: BaseException) -> str | None:
    """The one-line report of an expected failure; None for an unexpected exception."""
    if isinstance(exc, FatalAPIError | SyncStoppedError):
        return " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        what, fix = describe_request_failure(exc)
        return f"{what} -- {fix}"
    return None


def stopped_at_record_limit(exc: BaseException | None) -> bool:
    """True for the abort of a stream that reached the dry run's record limit."""
    return isinstance(exc, AbortedSyncExceptionBase) and isinstance(
        exc.__cause__, MaxRecordsLimitException
    )


class RunFailedError(click.ClickException):
    """An expected failure: click prints it as ``Error: <message>`` and exits with 1."""


@contextlib.contextmanager
def failures_in_one_line(logger: logging.Logger) -> Iterator[None]:
    """Turn an expected failure into one ``Error:`` line; let any other exception through.

    The traceback goes to the log at DEBUG level, before the line.
    """
    try:
        yield
    except EXPECTED_FAILURES as exc:
        logger.debug("The traceback of the failure reported below:", exc_info=exc)
        raise RunFailedError(one_line(exc) or type(exc).__name__) from exc


class SyncTimer(metrics.Timer):
    """The SDK's ``sync_duration`` timer, for which the dry run's record limit is success.

    ``on_failure`` runs when the sync it times fails (the stream writes the state it
    reached, since STATE is otherwise written only every few seconds); ``on_exit`` runs
    at the end, whatever the outcome (the stream hands its buffered records on).
    """

    def __init__(
        self,
        metric: metrics.Metric,
        tags: dict[str, t.Any] | None = None,
        on_failure: t.Callable[[], None] | None = None,
        on_exit: t.Callable[[], None] | None = None,
    ) -> None:
        super().__init__(metric, tags)
        self.on_failure = on_failure
        self.on_exit = on_exit

    @override
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if stopped_at_record_limit(exc_val):
            self.tags[metrics.Tag.STATUS] = metrics.Status.SUCCEEDED
        elif exc_val is not None and self.on_failure is not None:
            self.on_failure()
        if self.on_exit is not None:
            self.on_exit()
        super().__exit__(exc_type, exc_val, exc_tb)


class _OncePerRun(logging.Filter):
    """Let the first record of a message through, and drop the repeats until reset."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.seen = False

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.prefix):
            return True
        first = not self.seen
        self.seen = True
        return first


#: The warning the SDK logs (on the ``singer_sdk`` logger) for each partition state of
#: an unsorted incremental stream, i.e. for every stream and ad account.
_UNSORTED = _OncePerRun("Stream is assumed to be unsorted")


class _SchemaSummary(logging.Filter):
    """Drops the SDK's "Config validation failed" warning.

    The SDK logs that summary, naming no setting, whenever the settings fail the schema;
    the tap then words each failure itself in one line naming the setting
    (:func:`tap_pinterest.config.validate_settings`), so the summary only doubles it.
    """

    MESSAGE = "Config validation failed"

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.MESSAGE


_SCHEMA_SUMMARY = _SchemaSummary()


def start_run(tap_logger: logging.Logger) -> None:
    """Begin a run: the SDK's unsorted-stream warning may be logged once more, and its
    settings summary is left to the tap's own one-line errors."""
    sdk_logger = logging.getLogger("singer_sdk")
    if _UNSORTED not in sdk_logger.filters:
        sdk_logger.addFilter(_UNSORTED)
    _UNSORTED.seen = False
    if _SCHEMA_SUMMARY not in tap_logger.filters:
        tap_logger.addFilter(_SCHEMA_SUMMARY)
