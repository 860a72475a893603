"""Live ``list`` and ``get``: one call to the Pinterest API through the tap's own streams.

``list`` fetches exactly one page, as the hosted connector's list does, and answers
``{"data": [...], "meta": {"has_more", "cursor", "took_ms"}}`` where ``cursor`` is the
page's bookmark. The request is the stream's (``get_http_request``, so the same URL,
parameters and headers as a sync), sent with its session, authenticator, error mapping
and retries (``request_decorator``, ``validate_response``); the records pass through
its ``parse_response`` and ``post_process`` (parent ids added, secret fields dropped).

``get`` reads ``GET {the stream's path}/{id}``, the API's get of one record, for the
entities in :data:`GET_ENTITIES`. The ids in the stream's path are its params as they
are ``list``'s: ``get campaigns`` needs ``ad_account_id`` beside the campaign's id.

The adapter between the tap and the mirror: it stands on the tap's side (the mirror
imports nothing of the tap), speaks the mirror's request vocabulary
(:mod:`tap_pinterest.mirror.query.execute`), and only the mirror's command line
(``mirror/serve/cli.py``) imports it, to hand ``list`` and ``get`` to the executor.
"""

from __future__ import annotations

import re
import threading
import time
import typing as t

import requests
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from singer_sdk.streams.rest import PageContext

from tap_pinterest.client import PAGE_SIZE, PinterestStream
from tap_pinterest.config import BOARD_PRIVACY, ConfigError
from tap_pinterest.errors import ClientError
from tap_pinterest.mirror.query.execute import (
    RequestError,
    UpstreamError,
    id_param,
    one_of,
    record_id,
)
from tap_pinterest.streams.ads import ENTITY_STATUSES
from tap_pinterest.tap import TapPinterest

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.helpers.types import Context

#: Pinterest ids are numeric strings; anything else never reaches a URL path.
_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
#: Statuses of API errors that are the caller's to fix, passed through as they are.
_CALLER_STATUSES = frozenset({400, 404})
#: Entities whose API has ``GET {the stream's path}/{id}`` for one record.
GET_ENTITIES = frozenset(
    {
        "ad_accounts",
        "campaigns",
        "ad_groups",
        "ads",
        "audiences",
        "customer_lists",
        "conversion_tags",
        "boards",
        "pins",
        "catalogs_feeds",
        "catalogs_product_groups",
    }
)


def _id(name: str, value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _ID.fullmatch(value):
        msg = f"params.{name} must be a Pinterest id (digits), got {value!r}"
        raise RequestError("invalid_param", msg)
    return value


def _flag(name: str, value: object) -> str:
    if not isinstance(value, bool):
        raise RequestError("invalid_param", f"params.{name} must be true or false")
    return str(value).lower()


def _choice(choices: tuple[str, ...]) -> Callable[[str, object], str]:
    def check(name: str, value: object) -> str:
        if value not in choices:
            raise RequestError("invalid_param", one_of(f"params.{name}", value, choices), choices)
        return str(value)

    return check


def _choices(choices: tuple[str, ...]) -> Callable[[str, object], str]:
    one = _choice(choices)

    def check(name: str, value: object) -> str:
        values = value if isinstance(value, list) and value else [value]
        return ",".join(one(name, item) for item in values)

    return check


_ORDER = _choice(("ASCENDING", "DESCENDING"))
_STATUSES = _choices(ENTITY_STATUSES)
#: The list filters of the hosted connector, beyond paging and parent ids.
FILTERS: dict[str, dict[str, Callable[[str, object], str]]] = {
    "ad_accounts": {"include_shared_accounts": _flag},
    "boards": {"privacy": _choice(BOARD_PRIVACY)},
    "campaigns": {"entity_statuses": _STATUSES, "order": _ORDER},
    "ad_groups": {"entity_statuses": _STATUSES, "order": _ORDER},
    "ads": {"entity_statuses": _STATUSES, "order": _ORDER},
    "keywords": {"campaign_id": _id, "ad_group_id": _id},
}


def parent_ids(stream: PinterestStream) -> list[str]:
    """The ids in the stream's path: ``/boards/{board_id}/pins`` -> ``["board_id"]``."""
    return re.findall(r"\{(\w+)\}", stream.path or "")


def _only(params: dict[str, t.Any], allowed: list[str]) -> None:
    if unknown := sorted(set(params) - set(allowed)):
        raise RequestError("unknown_param", one_of("param", unknown[0], allowed), allowed)


def _context(action: str, stream: PinterestStream, params: dict[str, t.Any]) -> Context | None:
    """The parent ids of the stream's path, from ``params`` (all required)."""
    parents = parent_ids(stream)
    if missing := [name for name in parents if params.get(name) is None]:
        msg = f"{action} {stream.name} needs params.{missing[0]} ({stream.path})"
        raise RequestError("missing_param", msg, parents)
    return {name: _id(name, params[name]) for name in parents} or None


def _page_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"params.page_size must be an integer from 1 to {PAGE_SIZE}, got {value!r}"
        raise RequestError("invalid_param", msg)
    return min(value, PAGE_SIZE)


class LiveClient:
    """Lists and gets through one tap instance (built from the tap config)."""

    def __init__(self, config: dict[str, t.Any]) -> None:
        # A live list shows every record: no start_date filter on the incremental streams.
        settings = {key: value for key, value in config.items() if key != "start_date"}
        try:
            self._tap = TapPinterest(config=settings, parse_env_config=False)
        except (ConfigError, ConfigValidationError) as error:
            message = error.format_message() if isinstance(error, ConfigError) else str(error)
            raise ValueError(message) from None
        self._streams: dict[str, PinterestStream] = {
            name: stream
            for name, stream in self._tap.streams.items()
            if isinstance(stream, PinterestStream) and not name.endswith("_analytics")
        }
        # Streams keep per-request state (paginator, 401 retry flag): one call at a time.
        self._lock = threading.Lock()

    def entities(self) -> list[str]:
        """Entities that ``list`` serves."""
        return list(self._streams)

    def _stream(self, entity: str | None) -> PinterestStream:
        stream = self._streams.get(entity or "")
        if stream is None:
            problem = "missing_entity" if entity is None else "unknown_entity"
            raise RequestError(problem, one_of("entity", entity, self._streams), self._streams)
        return stream

    def list(self, entity: str | None, params: dict[str, t.Any]) -> dict[str, t.Any]:
        """One page of ``entity``: ``{"data", "meta": {"has_more", "cursor", "took_ms"}}``."""
        stream = self._stream(entity)
        filters = FILTERS.get(stream.name, {})
        paging = ["page_size", "bookmark"] if stream.paginated else []
        _only(params, [*parent_ids(stream), *paging, *filters])
        context = _context("list", stream, params)
        bookmark = params.get("bookmark")
        if bookmark is not None and (not isinstance(bookmark, str) or not bookmark):
            raise RequestError("invalid_param", "params.bookmark must be meta.cursor of a page")
        extra: dict[str, str | int] = {
            name: check(name, params[name]) for name, check in filters.items() if name in params
        }
        if stream.paginated:
            extra["page_size"] = _page_size(params.get("page_size", PAGE_SIZE))
        with self._lock:
            started = time.perf_counter()
            response = self._call(stream, context, bookmark or None, extra)
            records = [
                record
                for record in (
                    stream.post_process(item, context) for item in stream.parse_response(response)
                )
                if record is not None
            ]
            paginator = stream.get_new_paginator()
            cursor = paginator.get_next(response) if paginator is not None else None
        took_ms = round((time.perf_counter() - started) * 1000, 3)
        meta = {"has_more": cursor is not None, "cursor": cursor, "took_ms": took_ms}
        return {"data": records, "meta": meta}

    def get(self, entity: str, params: dict[str, t.Any]) -> dict[str, t.Any]:
        """One record from ``GET {path}/{id}`` (entities in :data:`GET_ENTITIES`).

        ``params``: the id (``id`` or ``<entity>_id``) and the parent ids of the path.
        """
        if entity not in GET_ENTITIES:
            choices = sorted(GET_ENTITIES)
            raise RequestError("unknown_entity", one_of("entity", entity, choices), choices)
        stream = self._stream(entity)
        _only(params, ["id", id_param(entity), *parent_ids(stream)])
        wanted = _id(id_param(entity), record_id(entity, params))
        context = _context("get", stream, params)
        with self._lock:
            response = self._call(stream, context, None, {}, suffix=f"/{wanted}")
            try:
                body = response.json()
            except ValueError:
                body = None
        if not isinstance(body, dict):
            raise UpstreamError(f"stream '{entity}': GET {stream.path}/{wanted}: not a JSON object")
        record = stream.post_process(body, context)
        if record is None:  # e.g. an ad account outside ad_account_ids
            raise RequestError(
                "not_found", f"{entity} {wanted} is not in the configured scope", status=404
            )
        return record

    def _call(
        self,
        stream: PinterestStream,
        context: Context | None,
        bookmark: str | None,
        extra: dict[str, str | int],
        suffix: str = "",
    ) -> requests.Response:
        """One request built and sent the way the stream sends it, with its retries."""
        request = stream.get_http_request(
            page=PageContext(stream_context=context, next_page_token=bookmark)
        )
        params = request.params if isinstance(request.params, dict) else {}
        if suffix:
            params = {}
        params.update(extra)
        prepared = stream.build_prepared_request(
            method=request.method, url=request.url + suffix, params=params, headers=request.headers
        )
        try:
            return stream.send_with_retries(prepared, context)
        except ClientError as error:
            if error.status in _CALLER_STATUSES:
                problem = "not_found" if error.status == 404 else "api_rejected"
                raise RequestError(problem, str(error), status=error.status) from None
            raise UpstreamError(str(error)) from None
        except FatalAPIError as error:
            raise UpstreamError(str(error)) from None
        except requests.RequestException as error:
            raise UpstreamError(f"stream '{stream.name}': {type(error).__name__}") from None
