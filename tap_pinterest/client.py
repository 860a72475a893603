"""PinterestStream: the base of every stream.

It knows the API's conventions once: the base URL from ``api_url``, records in
``$.items[*]``, the next page in ``$.bookmark``, ``page_size=250``, the parent ids in
every child record, and the fan-out: child contexts fetched ahead on the run's workers
(:mod:`tap_pinterest.fanout`). Concrete streams only declare what differs. Below it:
:class:`~tap_pinterest.retrying.RetryingStream` (errors, retries, the 401 refresh) and
:class:`~tap_pinterest.output_stream.OutputStream` (what is written, and when).
"""

# Private singer-sdk members used here (tests/test_sdk_coupling.py checks this list):
#   Stream._tap: the tap instance, for the other streams of the run

from __future__ import annotations

import logging
import sys
import typing as t
from collections import deque

import requests
from singer_sdk import RESTStream, SchemaDirectory, StreamSchema
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import JSONPathPaginator, SinglePagePaginator
from typing_extensions import override

from tap_pinterest.pacing import PacedSession
from tap_pinterest.reporting import one_line, stopped_at_record_limit
from tap_pinterest.retrying import RetryingStream
from tap_pinterest.schema_files import schemas_dir
from tap_pinterest.settings import DEFAULT_USER_AGENT

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from singer_sdk.helpers.types import Context, Record

Item = t.TypeVar("Item")
#: The largest page Pinterest serves on every list endpoint the tap reads.
PAGE_SIZE = 250


def _parent_id(context: Context | None) -> str:
    return str((context or {}).get("ad_account_id", ""))


def _fetch_key(stream: str, context: Context | None) -> tuple[str, tuple[tuple[str, t.Any], ...]]:
    """What names one stream context's fetch: the stream and the context's items."""
    return stream, tuple(sorted((context or {}).items()))


def _fetcher(stream: PinterestStream, context: Context) -> Callable[[], Iterable[dict[str, t.Any]]]:
    """A fetch of the context's pages that a worker runs (never the prefetch lookup). As
    each record arrives, the worker starts its own children (a board's sections start
    the sections' pins), so the fan-out runs ahead at every level, not only the top."""

    def fetch() -> Iterator[dict[str, t.Any]]:
        children = stream._children_to_fetch()
        for record in RESTStream.request_records(stream, context):
            if children:
                stream._start_children(record, context, children)
            yield record

    return fetch


class PinterestStream(RetryingStream):
    """A Pinterest v5 list endpoint."""

    schema = StreamSchema(SchemaDirectory(schemas_dir()))
    #: Records are the API's JSON as parsed: only the top level needs conforming (the
    #: nested objects are open schemas that keep every key anyway).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY
    records_jsonpath = "$.items[*]"
    primary_keys: t.ClassVar[tuple[str, ...]] = ("id",)

    #: False for the few list endpoints that return ``{items}`` without a bookmark.
    paginated: t.ClassVar[bool] = True
    #: Query parameters this endpoint always takes.
    static_params: t.ClassVar[dict[str, t.Any]] = {}
    #: Fields never emitted, e.g. the feed credentials the catalogs API returns.
    dropped_fields: t.ClassVar[tuple[str, ...]] = ()
    #: Context keys copied into every record: the parent ids.
    context_fields: t.ClassVar[tuple[str, ...]] = ()
    #: Keep the ids of a complete read in the run state, for later streams.
    remember_ids: t.ClassVar[bool] = False
    #: False for streams whose records are not one context's pages (analytics): their
    #: parent does not fetch them ahead; they fan out their own requests.
    fetch_ahead: t.ClassVar[bool] = True
    #: This stream's session, paced under the run's budget (made on first use).
    _paced_session: PacedSession | None = None

    @property
    @override
    def url_base(self) -> str:
        """``api_url`` without a trailing slash."""
        return str(self.config["api_url"]).rstrip("/")

    @property
    @override
    def requests_session(self) -> requests.Session:
        """A session paced by the run's budget for this stream's rate-limit category."""
        if self._paced_session is None:
            self._paced_session = PacedSession(
                self.run_state.pacer, self.rate_limit_category, self.run_state.fanout.width
            )
        return self._paced_session

    @property
    @override
    def timeout(self) -> int:
        """Seconds to wait for one response."""
        return int(self.config["request_timeout"])

    @property
    @override
    def user_agent(self) -> str:
        """Identify the tap to Pinterest (``user_agent`` in config overrides it)."""
        return str(self.config.get("user_agent") or DEFAULT_USER_AGENT)

    @property
    @override
    def http_headers(self) -> dict[str, t.Any]:
        """Ask for JSON; the Authorization header is added by the authenticator."""
        headers = super().http_headers
        headers["Accept"] = "application/json"
        return headers

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Partition state by parent only for incremental streams.

        An incremental child keeps one bookmark per parent (the ad account); a
        full-table child keeps no per-board or per-section state, so the state
        stays bounded however many boards there are.
        """
        super().__init__(*args, **kwargs)
        self.state_partitioning_keys = list(self.context_fields) if self.replication_key else []

    @override
    def get_new_paginator(self) -> JSONPathPaginator | SinglePagePaginator:
        """Bookmark paging, or a single page for endpoints without one."""
        if not self.paginated:
            return SinglePagePaginator()
        return JSONPathPaginator("$.bookmark")

    def query_params(self, context: Context | None) -> dict[str, t.Any]:
        """Endpoint parameters beyond paging; streams that read settings override this."""
        return dict(self.static_params)

    @override
    def get_url_params(
        self,
        context: Context | None,
        next_page_token: str | None,
    ) -> dict[str, t.Any]:
        """Paging parameters plus the endpoint's own."""
        params = {
            key: str(value).lower() if isinstance(value, bool) else value
            for key, value in self.query_params(context).items()
        }
        if self.paginated:
            params["page_size"] = PAGE_SIZE
            if next_page_token:
                params["bookmark"] = next_page_token
        return params

    @override
    def log(self, message: str, *args: t.Any, level: int = logging.INFO, **kwargs: t.Any) -> None:
        """Log; the SDK's "unhandled error" line only for an unexpected error.

        The SDK's sync loop logs an ERROR for every exception that leaves a stream, and
        again for each parent it passes through. A stream stopped at the record limit of
        a dry run (``--test``) has not failed; an expected failure (see
        :mod:`tap_pinterest.reporting`) ends the run with one line of its own. Both are
        logged at DEBUG level here; an unexpected exception stays an ERROR.
        """
        error = sys.exc_info()[1]
        if level >= logging.ERROR and error is not None:
            if stopped_at_record_limit(error):
                message, args = "Stream '%s' stopped at the dry run's record limit", (self.name,)
            if stopped_at_record_limit(error) or one_line(error) is not None:
                level = logging.DEBUG
        super().log(message, *args, level=level, **kwargs)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The SDK's paging, except for endpoints the sandbox does not serve; the child
        streams' first pages are fetched ahead while this stream's records are written."""
        if self.skipped_in_sandbox():
            return
        records = self._children_fetched_ahead(super().get_records(context), context)
        if not self.remember_ids:
            yield from records
            return
        ids: list[str] = []
        for record in records:
            ids.append(record["id"])
            yield record
        self.run_state.remember_ids(self.name, _parent_id(context), ids)

    def _children_fetched_ahead(
        self, records: Iterable[dict[str, t.Any]], context: Context | None
    ) -> Iterator[dict[str, t.Any]]:
        """The records, read up to ``max_concurrency`` ahead of the one being written: the
        child contexts of each are started on the run's fetch workers, so that when the
        SDK syncs a record's children, their first pages are already here."""
        fanout = self.run_state.fanout
        children = self._children_to_fetch()
        if not children:
            yield from records
            return
        ahead: deque[dict[str, t.Any]] = deque()
        for record in records:
            ahead.append(record)
            self._start_children(record, context, children)
            if len(ahead) > fanout.width:
                yield ahead.popleft()
        yield from ahead

    def _children_to_fetch(self) -> list[PinterestStream]:
        """The child streams whose contexts are fetched ahead (none at width 1, or in a
        dry run, which stops after a few records)."""
        if not self.run_state.fanout.concurrent or self.ABORT_AT_RECORD_COUNT is not None:
            return []
        return [
            child
            for child in t.cast("list[PinterestStream]", self.child_streams)
            if (child.selected or child.has_selected_descendents)
            and child.fetch_ahead
            and child.served
        ]

    def _start_children(
        self, record: dict[str, t.Any], context: Context | None, children: list[PinterestStream]
    ) -> None:
        """Start fetching the record's child contexts, as the SDK will sync them."""
        processed = self.post_process(dict(record), context)  # the record the SDK sees
        if processed is None or not self.stream_maps[0].get_filter_result(processed):
            return
        for child_context in self.generate_child_contexts(processed, context):
            if child_context is None:
                continue
            for child in children:
                key = _fetch_key(child.name, child_context)
                self.run_state.fanout.start(key, _fetcher(child, dict(child_context)))

    @override
    def request_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The context's records: from a fetch started ahead, else fetched now."""
        prefetch = self.run_state.fanout.take(_fetch_key(self.name, context))
        if prefetch is not None:
            return prefetch.records()
        return super().request_records(context)

    def fetch_each(
        self,
        items: Iterable[Item],
        fetch: Callable[[Item], Iterable[dict[str, t.Any]]] | None = None,
    ) -> Iterator[dict[str, t.Any]]:
        """The records of each item in turn, ``max_concurrency`` items in flight: by
        default the items are request contexts of this stream (:meth:`fetch_now`)."""
        return self.run_state.fanout.ordered(items, fetch or self.fetch_now)  # type: ignore[arg-type]

    def fetch_now(self, context: Context) -> Iterable[dict[str, t.Any]]:
        """One request context's records, fetched by the calling thread."""
        return RESTStream.request_records(self, context)

    def entity_ids(self, entity: str, context: Context | None) -> list[str]:
        """Ids of ``entity`` under the context's parent: from this run, else one listing."""
        known = self.run_state.known_ids(entity, _parent_id(context))
        if known is not None:
            return known
        stream = t.cast("PinterestStream", self._tap.streams[entity])
        parent = {"ad_account_id": context["ad_account_id"]} if context else None
        return [record["id"] for record in stream.request_records(parent)]

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """Put the parent ids from the context into the record; drop secret fields."""
        for key in self.dropped_fields:
            row.pop(key, None)
        for key in self.context_fields:
            row[key] = (context or {}).get(key)
        return row
