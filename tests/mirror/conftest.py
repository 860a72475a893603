"""Mirror fixtures: a database URL per backend (SQLite file, throw-away PostgreSQL schema)
and helpers that feed Singer messages to the target in-process."""

from __future__ import annotations

import base64
import io
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.load.target import TargetPinterestMirror
from tap_pinterest.mirror.query import paging

PG_URL = os.environ.get("MIRROR_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


def _pg_unavailable(reason: str) -> None:
    message = f"PostgreSQL not reachable at {PG_URL} ({reason})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} -- CI must provide it")
    pytest.skip(f"{message} -- start it to run the PostgreSQL mirror tests")


def make_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty mirror URL; the PostgreSQL schema is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'mirror.db'}"
        return
    try:
        engine = sa.create_engine(PG_URL)
        with engine.begin() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        _pg_unavailable(str(exc).splitlines()[0])
    schema = f"mirror_test_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema},public"
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from make_url(request.param, tmp_path)


def schema_message(stream: str, schema: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    return {"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": keys}


def record_message(stream: str, record: dict[str, Any], version: int | None = None) -> dict:
    message: dict[str, Any] = {"type": "RECORD", "stream": stream, "record": record}
    if version is not None:
        message["version"] = version
    return message


def run_target(url: str, messages: list[dict[str, Any]], **config: Any) -> list[dict[str, Any]]:
    """Feed `messages` to the target in-process (with more `config`, if given); return
    the STATE values it emitted."""
    return feed(TargetPinterestMirror(config={"database_url": url, **config}), messages)


def feed(target: TargetPinterestMirror, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Feed `messages` to `target` in-process; return the STATE values it emitted."""
    lines = "".join(json.dumps(m) + "\n" for m in messages)
    out = io.StringIO()
    with redirect_stdout(out):
        target.listen(file_input=io.StringIO(lines))
    target.store.engine.dispose()
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


S = {"type": ["string", "null"]}
I = {"type": ["integer", "null"]}  # noqa: E741
N = {"type": ["number", "null"]}
B = {"type": ["boolean", "null"]}

ITEMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": S,
        "title": S,
        "description": S,
        "status": S,
        "count": I,
        "price": N,
        "active": B,
        "created_at": {"type": ["string", "null"], "format": "date-time"},
        "owner": {"type": ["object", "null"], "properties": {"username": S}},
        "media": {"type": ["object", "null"], "properties": {"media_type": S, "width": I}},
        "tags": {"type": ["array", "null"], "items": S},
        "parts": {
            "type": ["array", "null"],
            "items": {"type": "object", "properties": {"name": S, "qty": I}},
        },
    },
}


def item(i: int, **over: Any) -> dict[str, Any]:
    """A synthetic record with every kind of field; `over` replaces fields."""
    colors = ["Red", "Blue", "Green"]
    record = {
        "id": f"item{i:03d}",
        "title": f"{colors[i % 3]} summer dress {i}",
        "description": f"A {colors[(i + 1) % 3].lower()} linen piece number {i}",
        "status": ["ACTIVE", "PAUSED", "ARCHIVED"][i % 3],
        "count": i,
        "price": i * 1.5,
        "active": i % 2 == 0,
        "created_at": f"2024-01-{(i % 28) + 1:02d}T00:00:00Z",
        "owner": {"username": f"user{i % 4}"},
        "media": {"media_type": "video" if i % 5 == 0 else "image", "width": 100 * (i % 7)},
        "tags": [f"tag{i % 3}", "all"],
        "parts": [{"name": f"part{i % 4}", "qty": i % 6}, {"name": "common", "qty": 1}],
    }
    record.update(over)
    return record


def paged_ids(mirror: Mirror, query: dict[str, Any], limit: int) -> list[str]:
    """The ids of every record a search returns, page after page through the cursor."""
    seen: list[str] = []
    cursor = None
    while True:
        page = mirror.search("items", query, limit=limit, cursor=cursor)
        seen.extend(r["id"] for r in page["data"])
        if not page["meta"]["has_more"]:
            return seen
        cursor = page["meta"]["cursor"]


def load_items(
    url: str, records: list[dict[str, Any]], stream: str = "items", **config: Any
) -> None:
    run_target(
        url,
        [schema_message(stream, ITEMS_SCHEMA, ["id"])]
        + [record_message(stream, r) for r in records],
        **config,
    )


def loaded_mirror(backend: str, tmp_path: Path, records: list[dict[str, Any]]) -> Iterator[Mirror]:
    """A mirror of `records` (stream `items`) on `backend`, dropped afterwards."""
    urls = make_url(backend, tmp_path)
    url = next(urls)
    load_items(url, records)
    with Mirror(url) as mirror:
        yield mirror
    next(urls, None)


def forge_cursor(query: dict[str, Any], values: list[Any], key: Any) -> str:
    """A cursor of `items` with the query's own hash, and these values and key (written
    by Python's json: NaN and lone surrogates included)."""
    payload = {"q": paging.query_hash("items", query), "v": values, "k": key}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
