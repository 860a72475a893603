"""PinterestStream: the base of every stream.

It knows the API's conventions once: the base URL from ``api_url``, records in
``$.items[*]``, the next page in ``$.bookmark``, ``page_size=250``, Pinterest's
error bodies, 429 waits from ``X-RateLimit-Reset`` within a cap, and one refresh
on a 401. Concrete streams only declare what differs.
"""

# Private singer-sdk members used here (tests/test_sdk_coupling.py checks this list):
#   Stream._tap: the tap instance, for the run state and the other streams of the run
#   Stream._write_activate_version_message: overridden to hold ACTIVATE_VERSION back
#   Stream._write_schema_message: a stream that synced no partition still sends SCHEMA

from __future__ import annotations

import logging
import random
import sys
import typing as t
from http import HTTPStatus

import backoff
import requests
from singer_sdk import RESTStream, SchemaDirectory, StreamSchema, metrics
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import RemoveRecordTransform
from singer_sdk.pagination import JSONPathPaginator, SinglePagePaginator
from typing_extensions import override

from tap_pinterest.bodies import json_body
from tap_pinterest.errors import (
    RETRIED_ERRORS,
    NotJSONError,
    RetryPolicy,
    TokenRejectedError,
    classify,
    describe_error,
    describe_request_failure,
    pinterest_error,
    with_request,
)
from tap_pinterest.pacing import PacedSession
from tap_pinterest.reporting import SyncTimer, one_line, stopped_at_record_limit
from tap_pinterest.run_state import RunState
from tap_pinterest.schema_files import schemas_dir
from tap_pinterest.scoping import ScopedActivateVersionMessage, deletion_scope
from tap_pinterest.settings import DEFAULT_USER_AGENT

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterable

    from backoff.types import Details
    from singer_sdk.helpers.types import Context, Record, RequestFunc

    from tap_pinterest.auth import PinterestAuthenticator
    from tap_pinterest.stopping import StopRequest

#: The largest page Pinterest serves on every list endpoint the tap reads.
PAGE_SIZE = 250


def _tree(stream: PinterestStream) -> list[PinterestStream]:
    """The stream and all its descendants, parents first."""
    out = [stream]
    for child in stream.child_streams:
        out += _tree(t.cast("PinterestStream", child))
    return out


def _parent_id(context: Context | None) -> str:
    return str((context or {}).get("ad_account_id", ""))


class _HasRunState(t.Protocol):
    run_state: RunState
    stop_request: StopRequest


class PinterestStream(RESTStream[str | None]):
    """A Pinterest v5 list endpoint."""

    schema = StreamSchema(SchemaDirectory(schemas_dir()))
    #: Records are the API's JSON as parsed: only the top level needs conforming (the
    #: nested objects are open schemas that keep every key anyway).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY
    records_jsonpath = "$.items[*]"
    primary_keys: t.ClassVar[tuple[str, ...]] = ("id",)

    #: The endpoint's ``x-ratelimit-category`` in the spec, named in rate-limit errors.
    rate_limit_category: t.ClassVar[str] = "org_read"
    #: False for the few list endpoints that return ``{items}`` without a bookmark.
    paginated: t.ClassVar[bool] = True
    #: Query parameters this endpoint always takes.
    static_params: t.ClassVar[dict[str, t.Any]] = {}
    #: Fields never emitted, e.g. the feed credentials the catalogs API returns.
    dropped_fields: t.ClassVar[tuple[str, ...]] = ()
    #: Context keys copied into every record: the parent ids.
    context_fields: t.ClassVar[tuple[str, ...]] = ()
    #: False for endpoints the sandbox does not serve (audiences, customer lists, ...).
    sandbox_supported: t.ClassVar[bool] = True
    #: Pinterest error codes that mean "nothing to list here" rather than a failure.
    empty_on_codes: t.ClassVar[frozenset[int]] = frozenset()
    #: Keep the ids of a complete read in the run state, for later streams.
    remember_ids: t.ClassVar[bool] = False
    #: The record field naming the ad account, in the ad-account tree: a sync narrowed by
    #: ``ad_account_ids`` scopes its deletions to them (:mod:`tap_pinterest.scoping`).
    scope_field: t.ClassVar[str | None] = None
    #: Set after a 401 made us refresh the token; a second 401 in a row is fatal.
    _retried_after_401: bool = False
    #: The table version of this run, once a partition of the stream started syncing.
    _held_version: int | None = None
    #: This stream's session, paced under the run's budget (made on first use).
    _paced_session: PacedSession | None = None
    #: Unpaired surrogates replaced with U+FFFD in this run's answers (see bodies.py).
    replaced_surrogates: int = 0

    @property
    @override
    def url_base(self) -> str:
        """``api_url`` without a trailing slash."""
        return str(self.config["api_url"]).rstrip("/")

    @property
    def run_state(self) -> RunState:
        """The state shared by this tap run's streams."""
        return t.cast("_HasRunState", self._tap).run_state

    @property
    def stop_request(self) -> StopRequest:
        """Set when the run was asked to stop (SIGTERM): checked before each request."""
        return t.cast("_HasRunState", self._tap).stop_request

    @property
    @override
    def authenticator(self) -> PinterestAuthenticator:
        """The tap instance's authenticator."""
        return self.run_state.authenticator

    @property
    @override
    def requests_session(self) -> requests.Session:
        """A session paced by the run's budget for this stream's rate-limit category."""
        if self._paced_session is None:
            self._paced_session = PacedSession(self.run_state.pacer, self.rate_limit_category)
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

    @property
    def in_sandbox(self) -> bool:
        """True when ``api_url`` points at Pinterest's sandbox."""
        return "api-sandbox." in self.url_base

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
    def get_sync_timer(self) -> metrics.Timer:
        """The SDK's timer, except that the dry run's record limit is no failure."""
        timer = super().get_sync_timer()
        return SyncTimer(timer.metric, timer.tags)

    @override
    def _write_activate_version_message(self, full_table_version: int) -> None:
        """Hold ACTIVATE_VERSION back until the whole stream has synced.

        The SDK sends it as each partition starts. A target applies it by deleting the
        rows of older versions, so sent then, it deletes every row not re-sent yet, and a
        sync cut short loses them. ``finalize_state_progress_markers`` sends it instead,
        once the stream and all its partitions have synced without error.
        """
        self._held_version = full_table_version

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        """After a top-level stream synced (children included): send ACTIVATE_VERSION.

        The SDK calls this on a top-level stream only once its sync has returned, so an
        error anywhere in the stream's tree means no ACTIVATE_VERSION and no deletion.
        """
        super().finalize_state_progress_markers(state)
        if self.parent_stream_type is None and not state:
            for stream in _tree(self):
                stream.activate_synced_version()
                for line in stream.run_summary():
                    self.logger.warning("%s", line)

    def activate_synced_version(self) -> None:
        """Send this run's ACTIVATE_VERSION, if this stream takes one (after a full sync),
        scoped to the configured ad accounts in a shard (:mod:`tap_pinterest.scoping`)."""
        if not (
            self.selected
            and self.emit_activate_version_messages
            and self.replication_method == "FULL_TABLE"
            and self.ABORT_AT_RECORD_COUNT is None
            and not (self.in_sandbox and not self.sandbox_supported)
        ):
            return
        if self._held_version is None:
            # No partition ran (the parent had no records): the stream now has no
            # records at all; the target needs the SCHEMA before ACTIVATE_VERSION.
            self._write_schema_message()
        version = self._held_version or self._tap.initialized_at // 1000
        scope = deletion_scope(self.scope_field, self.config)
        for stream_map in self.stream_maps:
            if not isinstance(stream_map, RemoveRecordTransform):
                self._tap.write_message(
                    ScopedActivateVersionMessage(stream_map.stream_alias, version, scope)
                )

    def send_with_retries(
        self, prepared: requests.PreparedRequest, context: Context | None = None
    ) -> requests.Response:
        """Send one prepared request as a sync does: the stream's session, authenticator,
        timeout, error mapping (``validate_response``) and retries (``request_decorator``)."""

        def attempt(
            prepared: requests.PreparedRequest, _context: Context | None = None
        ) -> requests.Response:
            response = self.requests_session.send(
                self.authenticator(prepared.copy()), timeout=self.timeout
            )
            self.validate_response(response)
            return response

        return self.request_decorator(attempt)(prepared, context)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The SDK's paging, except for endpoints the sandbox does not serve."""
        if self.in_sandbox and not self.sandbox_supported:
            self.logger.warning(
                "Stream '%s' is skipped: the Pinterest sandbox does not serve %s",
                self.name,
                self.path,
            )
            return
        if not self.remember_ids:
            yield from super().get_records(context)
            return
        ids: list[str] = []
        for record in super().get_records(context):
            ids.append(record["id"])
            yield record
        self.run_state.remember_ids(self.name, _parent_id(context), ids)

    def run_summary(self) -> list[str]:
        """Lines for the end of the stream's sync: what it repaired or skipped."""
        if not self.replaced_surrogates:
            return []
        return [
            f"Stream '{self.name}': replaced {self.replaced_surrogates} unpaired UTF-16 "
            "surrogate(s) in the API's text with U+FFFD (e.g. a title cut in the middle "
            "of an emoji), so that every target can load it"
        ]

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

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        """The ``items`` of a page; any other shape is an error, never an empty page."""
        if self._means_empty(response):
            self.logger.info("%s: nothing to list", describe_error(self.name, response))
            return
        try:
            body = self.response_json(response)
        except ValueError:
            msg = f"{describe_error(self.name, response)} -- the body is not JSON"
            raise FatalAPIError(msg) from None
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            msg = (
                f"{describe_error(self.name, response)} -- expected an object with an "
                "'items' list of records"
            )
            raise FatalAPIError(msg)
        yield from items

    def response_json(self, response: requests.Response) -> t.Any:
        """The parsed body (ValueError if not JSON), unpaired surrogates replaced and
        counted for this stream (see :mod:`tap_pinterest.bodies`)."""
        body = json_body(response)
        self.replaced_surrogates += body.replaced
        return body.value

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Map Pinterest errors; on a 401, refresh the token once and retry."""
        authenticator = self.authenticator
        if response.status_code == HTTPStatus.UNAUTHORIZED:
            message = describe_error(self.name, response)
            if authenticator.can_refresh and not self._retried_after_401:
                self._retried_after_401 = True
                authenticator.invalidate()
                self.logger.warning("%s; refreshing the access token and retrying", message)
                raise TokenRejectedError(message, response)
            hint = (
                "the token was refused even right after a refresh: check the app's scopes"
                if authenticator.can_refresh
                else "the access_token is invalid or expired: issue a new one, or configure "
                "client_id, client_secret and refresh_token so the tap can refresh it"
            )
            msg = f"{message} -- {hint}"
            raise FatalAPIError(msg)
        self._retried_after_401 = False
        if self._means_empty(response):
            return
        error = classify(self.name, self.rate_limit_category, response)
        if error is not None:
            raise error
        try:
            json_body(response)
        except ValueError:
            msg = (
                f"{describe_error(self.name, response)} -- the body is not JSON "
                "(an error page of a proxy or CDN?)"
            )
            raise NotJSONError(msg, response) from None

    def _means_empty(self, response: requests.Response) -> bool:
        if response.status_code < HTTPStatus.BAD_REQUEST or not self.empty_on_codes:
            return False
        code, _ = pinterest_error(response)
        return code in self.empty_on_codes

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        """The SDK's retries, logged by :meth:`backoff_handler` only (the SDK's own
        decorator has ``backoff`` log each retry a second time, with the request's repr)."""
        decorator: t.Callable[[RequestFunc], RequestFunc] = backoff.on_exception(
            self.backoff_wait_generator,
            RETRIED_ERRORS,
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )
        stop = self.stop_request

        def attempt(
            prepared: requests.PreparedRequest, context: Context | None
        ) -> requests.Response:
            """One try: not after a stop was asked for; a failure names its request."""
            stop.check()
            try:
                return func(prepared, context)
            except RETRIED_ERRORS as exc:
                with_request(exc, prepared)
                raise

        return decorator(attempt)

    @override
    def backoff_handler(self, details: Details) -> None:
        """One short line per retry: what failed, and when the next try is."""
        self.stop_request.check()  # no retry, and no wait for one, after a SIGTERM
        error = details.get("exception")
        if error is None or isinstance(error, TokenRejectedError):
            return  # validate_response has said that the token is being refreshed
        what = (
            str(error)
            if isinstance(error, RetriableAPIError)
            else f"stream '{self.name}': {describe_request_failure(error)[0]}"
        )
        self.logger.warning("%s -- retry %d in %.1fs", what, details["tries"], details["wait"])

    @override
    def backoff_wait_generator(self) -> Generator[float, None, None]:
        """Waits taken from the rate-limit headers, within the configured cap."""
        policy = RetryPolicy(
            stream=self.name,
            max_rate_limit_wait=float(self.config["rate_limit_max_wait_seconds"]),
            max_retries=int(self.config["max_retries"]),
            backoff_factor=float(self.config["retry_base_wait_seconds"]),
        )
        return t.cast("Generator[float, None, None]", policy.waits())

    @override
    def backoff_max_tries(self) -> int:
        """Unbounded here: :class:`RetryPolicy` decides when to give up."""
        return 1_000_000

    @override
    def backoff_jitter(self, value: float) -> float:
        """Up to 10% extra, so that parallel runs do not retry in step."""
        return value * (1 + random.random() / 10)  # noqa: S311 - jitter, not crypto

    @override
    def response_error_message(self, response: requests.Response) -> str:
        """One line with Pinterest's code and message, never headers or the query."""
        return describe_error(self.name, response)
