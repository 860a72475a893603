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
imports nothing of the tap), declares its params in the mirror's request shapes
(:mod:`tap_pinterest.mirror.query.requests`: one msgspec Struct per stream, built from
the stream's path, paging and the connector's filters), and only the mirror's command
line (``mirror/serve/cli.py``) imports it, to hand ``list`` and ``get`` to the executor.
"""

from __future__ import annotations

import re
import threading
import time
import typing as t

import msgspec
import requests
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from singer_sdk.streams.rest import PageContext

from tap_pinterest.client import PAGE_SIZE, PinterestStream
from tap_pinterest.config import ConfigError
from tap_pinterest.errors import ClientError
from tap_pinterest.mirror.query.execute import id_param, record_id
from tap_pinterest.mirror.query.requests import (
    Param,
    RequestError,
    Shape,
    UpstreamError,
    one_of,
    params_shape,
)
from tap_pinterest.settings import BOARD_PRIVACY, ENTITY_STATUSES
from tap_pinterest.tap import TapPinterest

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.helpers.types import Context

#: Pinterest ids are numeric strings; anything else never reaches a URL path.
Id = t.Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z_-]{1,64}$")] | int
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


def _bad_id(name: str, value: object) -> RequestError:
    msg = f"params.{name} must be a Pinterest id (digits), got {value!r}"
    return RequestError("invalid_param", msg)


def _bad_flag(name: str, _value: object) -> RequestError:
    return RequestError("invalid_param", f"params.{name} must be true or false")


def _bad_choice(choices: tuple[str, ...]) -> Callable[[str, object], RequestError]:
    def refuse(name: str, value: object) -> RequestError:
        values = value if isinstance(value, list) and value else [value]
        bad = next((item for item in values if item not in choices), value)
        return RequestError("invalid_param", one_of(f"params.{name}", bad, choices), choices)

    return refuse


def _bad_page_size(_name: str, value: object) -> RequestError:
    msg = f"params.page_size must be an integer from 1 to {PAGE_SIZE}, got {value!r}"
    return RequestError("invalid_param", msg)


def _bad_bookmark(_name: str, _value: object) -> RequestError:
    return RequestError("invalid_param", "params.bookmark must be meta.cursor of a page")


_ORDER = t.Literal["ASCENDING", "DESCENDING"]
_STATUS = t.Literal[ENTITY_STATUSES]  # type: ignore[valid-type]
_STATUSES = _STATUS | t.Annotated[list[_STATUS], msgspec.Meta(min_length=1)]
_PRIVACY = t.Literal[BOARD_PRIVACY]  # type: ignore[valid-type]
#: The list filters of the hosted connector, beyond paging and parent ids (not given:
#: not sent).
FILTERS: dict[str, dict[str, Param]] = {
    "ad_accounts": {"include_shared_accounts": Param(bool, _bad_flag, None)},
    "boards": {"privacy": Param(_PRIVACY, _bad_choice(BOARD_PRIVACY), None)},
    **{
        entity: {
            "entity_statuses": Param(_STATUSES, _bad_choice(ENTITY_STATUSES), None),
            "order": Param(_ORDER, _bad_choice(t.get_args(_ORDER)), None),
        }
        for entity in ("campaigns", "ad_groups", "ads")
    },
    "keywords": {"campaign_id": Param(Id, _bad_id, None), "ad_group_id": Param(Id, _bad_id, None)},
}
PAGING = {
    "page_size": Param(t.Annotated[int, msgspec.Meta(ge=1)], _bad_page_size, PAGE_SIZE),
    "bookmark": Param(t.Annotated[str, msgspec.Meta(min_length=1)] | None, _bad_bookmark, None),
}


def parent_ids(stream: PinterestStream) -> list[str]:
    """The ids in the stream's path: ``/boards/{board_id}/pins`` -> ``["board_id"]``."""
    return re.findall(r"\{(\w+)\}", stream.path or "")


def _parents(action: str, stream: PinterestStream) -> dict[str, Param]:
    """The parent ids of the stream's path: required, each an id."""
    parents = parent_ids(stream)

    def refuse(name: str, value: object) -> RequestError:
        if value is None:
            msg = f"{action} {stream.name} needs params.{name} ({stream.path})"
            return RequestError("missing_param", msg, parents)
        return _bad_id(name, value)

    return {name: Param(Id, refuse) for name in parents}


def list_shape(stream: PinterestStream) -> Shape[t.Any]:
    """The params of ``list``: the parent ids, paging (when the API pages), filters."""
    paging = PAGING if stream.paginated else {}
    params = {**_parents("list", stream), **paging, **FILTERS.get(stream.name, {})}
    return params_shape(f"List_{stream.name}", params)


def get_shape(stream: PinterestStream) -> Shape[t.Any]:
    """The params of ``get``: the id (by either name) and the parent ids."""
    entity = stream.name

    def refuse(name: str, value: object) -> RequestError:
        if value == "":
            msg = f"get {entity} needs params.{id_param(entity)} (or params.id)"
            return RequestError("missing_param", msg)
        return _bad_id(name, value)

    ids = {name: Param(Id | None, refuse, None) for name in ("id", id_param(entity))}
    return params_shape(f"Get_{entity}", {**ids, **_parents("get", stream)})


def _text(value: object) -> str:
    """A param's value as the API takes it: ``true``, ``A,B``, ``123``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


class LiveClient:
    """Lists and gets through one tap instance (built from the tap config)."""

    def __init__(self, config: dict[str, t.Any]) -> None:
        # A live list shows every record: no start_date filter on the incremental streams.
        settings = {key: value for key, value in config.items() if key != "start_date"}
        try:
            self._pinterest = TapPinterest(config=settings, parse_env_config=False)
        except (ConfigError, ConfigValidationError) as error:
            message = error.format_message() if isinstance(error, ConfigError) else str(error)
            raise ValueError(message) from None
        self._by_name: dict[str, PinterestStream] = {
            name: stream
            for name, stream in self._pinterest.streams.items()
            if isinstance(stream, PinterestStream) and not name.endswith("_analytics")
        }
        self._list = {name: list_shape(stream) for name, stream in self._by_name.items()}
        self._get = {
            name: get_shape(stream)
            for name, stream in self._by_name.items()
            if name in GET_ENTITIES
        }
        # Streams keep per-request state (paginator, 401 retry flag): one call at a time.
        self._lock = threading.Lock()

    def entities(self) -> list[str]:
        """Entities that ``list`` serves."""
        return list(self._by_name)

    def params_schemas(self) -> dict[str, dict[str, dict[str, t.Any]]]:
        """The JSON Schemas of the params of ``list`` and ``get``, per action and entity
        (each an object schema with ``properties`` and ``required``), from their shapes."""
        out: dict[str, dict[str, dict[str, t.Any]]] = {}
        for action, shapes in (("list", self._list), ("get", self._get)):
            structs = {name: shape.struct for name, shape in shapes.items()}
            _, components = msgspec.json.schema_components(list(structs.values()))
            out[action] = {name: components[struct.__name__] for name, struct in structs.items()}
        return out

    def _stream(self, entity: str | None) -> PinterestStream:
        stream = self._by_name.get(entity or "")
        if stream is None:
            problem = "missing_entity" if entity is None else "unknown_entity"
            raise RequestError(problem, one_of("entity", entity, self._by_name), self._by_name)
        return stream

    def list(self, entity: str | None, params: dict[str, t.Any]) -> dict[str, t.Any]:
        """One page of ``entity``: ``{"data", "meta": {"has_more", "cursor", "took_ms"}}``."""
        stream = self._stream(entity)
        valid = self._list[stream.name].convert(params)
        context = _context(stream, valid)
        bookmark = getattr(valid, "bookmark", None)
        extra: dict[str, str | int] = {
            name: _text(getattr(valid, name))
            for name in FILTERS.get(stream.name, {})
            if getattr(valid, name) is not None
        }
        if stream.paginated:
            extra["page_size"] = min(valid.page_size, PAGE_SIZE)
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
        valid = self._get[entity].convert(params)
        wanted = str(record_id(entity, msgspec.structs.asdict(valid)))
        context = _context(stream, valid)
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


def _context(stream: PinterestStream, valid: msgspec.Struct) -> Context | None:
    """The parent ids of the stream's path, from the valid params."""
    return {name: str(getattr(valid, name)) for name in parent_ids(stream)} or None
