"""`Mirror`: the Python API over a mirror database (search, get, entities, fields, describe,
stats)."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tap_pinterest.mirror.db import database, dialects
from tap_pinterest.mirror.db.database import DEFAULT_URL
from tap_pinterest.mirror.db.errors import NotFoundError, QueryError
from tap_pinterest.mirror.db.store import Store
from tap_pinterest.mirror.db.types import StreamInfo
from tap_pinterest.mirror.query import guide, paging
from tap_pinterest.mirror.query.language import Compiler

#: The most records one page holds (`limit` runs from 1 to this), and the default page.
MAX_LIMIT = 1000
DEFAULT_TIMEOUT_MS = 10_000


class Mirror:
    """A local, searchable copy of the synced streams.

    >>> mirror = Mirror("sqlite:///output/pinterest-mirror.db")
    >>> mirror.search("board_pins", {"filter": {"fuzzy": {"title": "red dress"}}}, limit=10)

    A URL the mirror does not support raises `DatabaseError` here; a database that cannot
    be reached or opened raises it at the first read (or `open`). A SQLite file that does
    not exist is an empty mirror, and is not created.
    """

    def __init__(self, url: str = DEFAULT_URL, *, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        self.url = url
        self.timeout_ms = timeout_ms
        self._parsed = database.resolve(url)
        self._store: Store | None = None

    # plumbing

    def _sqlite_missing(self) -> bool:
        if self._parsed.get_backend_name() != "sqlite":
            return False
        path = database.sqlite_file(self._parsed)
        return path is None or not path.exists()

    def _get_store(self) -> Store | None:
        """The store, or None while nothing was written (a missing SQLite file stays missing)."""
        if self._store is None:
            if self._sqlite_missing():
                return None
            self._store = Store.open(self.url)
        return self._store

    def _entity(self, conn: Connection, store: Store, entity: object) -> StreamInfo:
        info = store.info(conn, entity) if isinstance(entity, str) else None
        if info is None:
            raise QueryError(
                f"Unknown entity {entity!r}.", "unknown_entity", self._names(conn, store)
            )
        return info

    def _names(self, conn: Connection, store: Store) -> list[str]:
        if not store.has_catalog():
            return []
        return [row.stream for row in store.catalog_rows(conn)]

    def open(self) -> Mirror:
        """Connect now, so a database that cannot be used raises `DatabaseError` here."""
        self._get_store()
        return self

    def close(self) -> None:
        if self._store is not None:
            self._store.engine.dispose()
            self._store = None

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # public API

    def entities(self) -> list[str]:
        """The stream names present in the mirror."""
        store = self._get_store()
        if store is None:
            return []
        with store.engine.connect() as conn:
            return self._names(conn, store)

    def fields(self, entity: str) -> list[str]:
        """The valid dotted field paths of `entity`."""
        store = self._require_store(entity)
        with store.engine.connect() as conn:
            return sorted(self._entity(conn, store, entity).fields)

    def describe(self, entity: str) -> dict[str, Any]:
        """What a search of `entity` can use: its key, each field's type (the types of
        `query.guide`, which says the operators each takes) and the fields with a word
        index (fast `fuzzy`/`keyword`)."""
        store = self._require_store(entity)
        with store.engine.connect() as conn:
            info = self._entity(conn, store, entity)
        fields = dict(sorted(info.fields.items()))
        return {
            "key": list(info.key_properties),
            "fields": {name: guide.type_of(field) for name, field in fields.items()},
            "word_indexed": list(info.text_fields),
        }

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per entity: records held and when the target last wrote to it."""
        store = self._get_store()
        if store is None or not store.has_catalog():
            return {}
        out: dict[str, dict[str, Any]] = {}
        with store.engine.connect() as conn:
            for row in store.catalog_rows(conn):
                info = store.info(conn, row.stream)
                if info is None:
                    continue
                count = conn.execute(sa.select(sa.func.count()).select_from(info.table)).scalar()
                out[row.stream] = {"records": int(count or 0), "last_loaded_at": row.last_loaded_at}
        return out

    def get(self, entity: str, id: Any) -> dict[str, Any]:
        """The record of `entity` with key `id` (a value, or a list/dict for composite keys)."""
        store = self._require_store(entity)
        with store.engine.connect() as conn:
            info = self._entity(conn, store, entity)
            pk = _pk_text(info, id)
            row = conn.execute(
                sa.select(info.table.c._record).where(info.table.c._pk == pk)
            ).first()
        if row is None:
            raise NotFoundError(entity, id)
        return info.full(row[0])

    def search(
        self,
        entity: str,
        query: dict[str, Any] | None = None,
        limit: int = MAX_LIMIT,
        cursor: str | None = None,
        fields: list[str | list[str]] | None = None,
    ) -> dict[str, Any]:
        """Filter, sort and page `entity` (the language: the docs of `query.language`)."""
        started = time.perf_counter()
        _check_limit(limit)
        query = {} if query is None else query
        if not isinstance(query, dict) or set(query) - {"filter", "sort"}:
            raise QueryError(
                f"query must be an object with 'filter' and/or 'sort', got {query!r}.",
                "invalid_query",
                ["filter", "sort"],
            )
        store = self._require_store(entity)
        with store.engine.connect() as conn, conn.begin():
            info = self._entity(conn, store, entity)
            compiler = Compiler(info, store.dialect)
            flt = query.get("filter")
            where = compiler.condition(flt) if flt else sa.true()
            sort = compiler.sort(query.get("sort"))
            scan = None if sort else compiler.text_scan(flt)
            selected = _field_paths(info, fields)
            token = paging.query_hash(entity, query)
            after = None
            if cursor is not None:
                after = paging.decode_cursor(cursor, token, len(sort))
            with dialects.statement_timeout(conn, self.timeout_ms):
                try:
                    rows = paging.page(conn, compiler, where, sort, scan, after, limit)
                except sa.exc.OperationalError as exc:
                    if dialects.is_timeout(exc):
                        raise QueryError(
                            f"The query ran longer than {self.timeout_ms} ms; narrow the filter.",
                            "query_timeout",
                        ) from exc
                    raise
        has_more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = None
        if has_more and rows:
            last = rows[-1]
            next_cursor = paging.encode_cursor(token, list(last[2:]), last[0])
        data = [_select(info.full(row[1]), selected) for row in rows]
        took = (time.perf_counter() - started) * 1000
        return {
            "data": data,
            "meta": {"has_more": has_more, "cursor": next_cursor, "took_ms": round(took, 3)},
        }

    def _require_store(self, entity: object) -> Store:
        store = self._get_store()
        if store is None:
            raise QueryError(f"Unknown entity {entity!r}: the mirror is empty.", "unknown_entity")
        return store


def _check_limit(limit: object) -> None:
    """Refuse a `limit` that is not an integer from 1 to `MAX_LIMIT` (QueryError)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError(
            f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}.",
            "invalid_limit",
            [f"1..{MAX_LIMIT}"],
        )


def _pk_text(info: StreamInfo, value: Any) -> str:
    keys = info.key_properties
    if len(keys) == 1:
        if isinstance(value, list | tuple) and len(value) == 1:
            value = value[0]
        if isinstance(value, dict):
            value = value.get(keys[0])
        if isinstance(value, list | tuple | dict) or value is None:
            raise QueryError(f"id must be a scalar for {info.name!r}.", "invalid_value", keys)
        return str(value)
    if isinstance(value, dict):
        value = [value.get(k) for k in keys]
    if not isinstance(value, list | tuple) or len(value) != len(keys):
        raise QueryError(
            f"{info.name!r} has a composite key: pass a list or object of {keys}.",
            "invalid_value",
            keys,
        )
    return dialects.dumps(list(value))


# field selection


def _field_paths(info: StreamInfo, fields: object) -> list[tuple[str, ...]] | None:
    if fields is None:
        return None
    if not isinstance(fields, list):
        raise QueryError(
            f"fields must be a list of dotted paths or lists of keys, got {fields!r}.",
            "invalid_fields",
            sorted(info.fields),
        )
    out = []
    for item in fields:
        if isinstance(item, str):
            path = tuple(item.split("."))
        elif isinstance(item, list | tuple) and item and all(isinstance(k, str) for k in item):
            path = tuple(item)
        else:
            raise QueryError(f"Bad field path {item!r}.", "invalid_fields", sorted(info.fields))
        if ".".join(path) not in info.fields:
            raise QueryError(
                f"Unknown field {item!r} in fields for entity {info.name!r}.",
                "unknown_field",
                sorted(info.fields),
            )
        out.append(path)
    return out


def _select(record: dict[str, Any], paths: list[tuple[str, ...]] | None) -> dict[str, Any]:
    if paths is None:
        return record
    out: dict[str, Any] = {}
    for path in paths:
        node: Any = record
        for key in path:
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        else:
            target = out
            for key in path[:-1]:
                target = target.setdefault(key, {})
            target[path[-1]] = node
    return out
