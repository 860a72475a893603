"""The stored form of a record: without the top-level fields its schema declares that are
null, read back in the schema's full shape; and the bytes that COPY text must escape
(PostgreSQL) arriving intact, on both backends."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import pytest
import sqlalchemy as sa

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.load.target import TargetPinterestMirror
from tests.mirror.conftest import (
    ITEMS_SCHEMA,
    S,
    item,
    load_items,
    run_target,
    schema_message,
)


def _stored(url: str, pk: str) -> dict[str, Any]:
    """The record as the table holds it."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        raw = conn.execute(
            sa.text("SELECT _record FROM mirror_items WHERE _pk = :pk"), {"pk": pk}
        ).scalar_one()
    engine.dispose()
    return raw if isinstance(raw, dict) else json.loads(raw)


def _lines(url: str, lines: list[str]) -> None:
    """Feed raw input lines to the target."""
    target = TargetPinterestMirror(config={"database_url": url})
    with redirect_stdout(io.StringIO()):
        target.listen(file_input=io.StringIO("".join(line + "\n" for line in lines)))
    target.store.engine.dispose()


SPARSE = item(1, description=None, count=None, owner=None, tags=None, media={"media_type": None})


def test_null_fields_are_not_stored_but_read_back(db_url: str) -> None:
    record = {**SPARSE, "extra": None}  # a field the schema does not declare
    load_items(db_url, [record, item(2)])
    stored = _stored(db_url, "item001")
    # declared fields by their codes (their place in the schema), the null ones left out
    codes = {name: f"{i:x}" for i, name in enumerate(ITEMS_SCHEMA["properties"])}
    assert codes["parts"] == "b"
    dropped = {"description", "count", "owner", "tags"}
    assert stored == {
        **{codes[k]: v for k, v in record.items() if k in codes and k not in dropped},
        "~extra": None,  # undeclared: kept as it came, under its name
    }
    assert stored[codes["media"]] == {"media_type": None}  # nested nulls are kept
    assert _stored(db_url, "item002") == {codes[k]: v for k, v in item(2).items()}
    with Mirror(db_url) as m:
        assert m.get("items", "item001") == record
        page = m.search("items", {"filter": {"eq": {"count": None}}})["data"]
        assert page == [record]
        picked = m.search(
            "items", {"filter": {"eq": {"id": "item001"}}}, fields=["description", "count", "title"]
        )["data"]
        assert picked == [{"description": None, "count": None, "title": SPARSE["title"]}]
        assert m.search("items", {"filter": {"neq": {"description": None}}})["data"] == [item(2)]


def test_a_field_the_schema_declares_but_the_record_lacks_reads_as_null(db_url: str) -> None:
    record = {k: v for k, v in item(3).items() if k not in {"price", "parts"}}
    load_items(db_url, [record])
    with Mirror(db_url) as m:
        assert m.get("items", "item003") == {**record, "price": None, "parts": None}


def test_an_update_to_null_removes_the_stored_field(db_url: str) -> None:
    load_items(db_url, [item(4)])
    load_items(db_url, [item(4, title=None)])
    assert "1" not in _stored(db_url, "item004")  # title's code
    with Mirror(db_url) as m:
        assert m.get("items", "item004")["title"] is None
        assert m.search("items", {"filter": {"keyword": {"title": "summer"}}})["data"] == []


def test_copy_special_bytes_arrive_intact(db_url: str) -> None:
    """Backslashes, tabs, newlines and carriage returns, escaped in JSON strings and as
    the whitespace between tokens, in the record and in a composite key."""
    schema = {"properties": {"a": {"type": "string"}, "b": {"type": "string"},
                             "title": {"type": ["string", "null"]}}}  # fmt: skip
    keys = ["a", "b"]
    odd = {"a": "tab\there", "b": "back\\slash\nnew\rline \\N", "title": "C:\\temp\\new \\t"}
    plain = {"a": "x", "b": "y", "title": "two\ttabs\tand \\ one"}
    lines = [
        json.dumps(schema_message("items", schema, keys)),
        json.dumps({"type": "RECORD", "stream": "items", "record": odd}),
        # literal tab and carriage return between tokens: valid JSON whitespace
        '{"type": "RECORD", "stream": "items", "record": {"a":\t"x",\r"b": "y", '
        + '"title": "two\\ttabs\\tand \\\\ one"}}',
    ]
    _lines(db_url, lines)
    with Mirror(db_url) as m:
        assert m.get("items", [odd["a"], odd["b"]]) == odd
        assert m.get("items", ["x", "y"]) == plain
        found = m.search("items", {"filter": {"keyword": {"title": "temp"}}})["data"]
        assert found == [odd]


def test_a_field_declared_later_is_found_in_older_records(db_url: str) -> None:
    """A field the schema did not declare is stored under its name; once a SCHEMA
    declares it, the older records are found by it (and a promoted copy is filled)."""
    load_items(db_url, [item(7, rank=3, shade={"name": "teal"}), item(8)])
    grown = json.loads(json.dumps(ITEMS_SCHEMA))
    grown["properties"]["rank"] = {"type": ["integer", "null"]}
    grown["properties"]["shade"] = {"type": ["object", "null"], "properties": {"name": S}}
    grown["properties"]["name"] = S  # promoted and text-indexed
    run_target(db_url, [schema_message("items", grown, ["id"])])
    with Mirror(db_url) as m:
        assert m.get("items", "item007") == {
            **item(7, rank=3, shade={"name": "teal"}),
            "name": None,
        }
        hits = m.search("items", {"filter": {"eq": {"shade.name": "teal"}}})["data"]
        assert [r["id"] for r in hits] == ["item007"]
        hits = m.search("items", {"filter": {"gte": {"rank": 3}}})["data"]
        assert [r["id"] for r in hits] == ["item007"]


def test_promoted_values_are_the_records_values(db_url: str) -> None:
    """The typed columns hold each value as the record has it: a string with escapes
    (PostgreSQL's COPY sends it as text), a number in a string field and an integer
    field (typed from the JSON array of promoted values), null."""
    schema = {"properties": {"id": S, "status": S, "title": S, "rank_id": {"type": "integer"}}}
    odd = 'say "hi" \\ caf\u00e9\tthen\nmore \\N'
    lines = [
        json.dumps(schema_message("items", schema, ["id"])),
        json.dumps({"type": "RECORD", "stream": "items", "record": {
            "id": "a", "status": odd, "title": "plain words", "rank_id": 5}}),
        # the same escapes as \u sequences, and a raw non-ASCII character
        '{"type": "RECORD", "stream": "items", "record": {"id": "b", '
        '"status": "\\u0073ay \\"hi\\" \\\\ caf\\u00e9\\tthen\\nmore \\\\N", "title": "é"}}',
        json.dumps({"type": "RECORD", "stream": "items", "record": {
            "id": "c", "status": 42, "title": None, "rank_id": None}}),
    ]  # fmt: skip
    _lines(db_url, lines)
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT _pk, f_status, f_title, f_rank_id FROM mirror_items ORDER BY _pk")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("a", odd, "plain words", 5),
        ("b", odd, "é", None),
        ("c", "42", None, None),
    ]
    with Mirror(db_url) as m:
        for status, ids in ((odd, ["a", "b"]), ("42", ["c"])):
            found = m.search("items", {"filter": {"eq": {"status": status}}})["data"]
            assert [r["id"] for r in found] == ids
        assert m.get("items", "c")["status"] == 42


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_compresses_large_records_with_lz4(db_url: str) -> None:
    """A record over 2 kB is compressed as it is stored: with LZ4 (this server has it),
    not the slower default pglz; it reads back whole."""
    long = item(1, description="linen " * 2_000)
    load_items(db_url, [long, item(2)])
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        used = conn.exec_driver_sql(
            "SELECT pg_column_compression(_record) FROM mirror_items WHERE _pk = 'item001'"
        ).scalar_one()
    engine.dispose()
    assert used == "lz4"
    with Mirror(db_url) as m:
        assert m.get("items", "item001") == long
