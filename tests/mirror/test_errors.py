"""Bad queries get precise errors; injection attempts leave the mirror intact."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tap_pinterest.mirror import Mirror, NotFoundError, QueryError
from tests.mirror.conftest import item, load_items

RECORDS = [item(i) for i in range(12)]


@pytest.fixture
def mirror(db_url: str) -> Any:
    load_items(db_url, RECORDS)
    with Mirror(db_url) as m:
        yield m


def error(mirror: Mirror, *args: Any, **kwargs: Any) -> QueryError:
    with pytest.raises(QueryError) as info:
        mirror.search(*args, **kwargs)
    return info.value


def test_unknown_entity_lists_entities(mirror: Mirror) -> None:
    e = error(mirror, "itemz")
    assert e.problem == "unknown_entity"
    assert e.choices == ["items"]
    assert "'itemz'" in str(e) and "items" in str(e)


def test_unknown_field_lists_fields(mirror: Mirror) -> None:
    e = error(mirror, "items", {"filter": {"eq": {"colour": "red"}}})
    assert e.problem == "unknown_field"
    assert "'colour'" in e.message
    assert "owner.username" in e.choices and "title" in e.choices


def test_unknown_operator_lists_operators(mirror: Mirror) -> None:
    e = error(mirror, "items", {"filter": {"regex": {"title": "x"}}})
    assert e.problem == "unknown_operator"
    assert "'regex'" in e.message
    assert {"eq", "fuzzy", "keyword", "contains", "any", "not"} <= set(e.choices)


@pytest.mark.parametrize(
    ("flt", "needle"),
    [
        ({"eq": {"count": "three"}}, "expects a integer"),
        ({"eq": {"active": "yes"}}, "expects a boolean"),
        ({"gt": {"price": True}}, "expects a number"),
        ({"eq": {"title": 5}}, "expects a string"),
        ({"in": {"count": "1,2"}}, "takes a list"),
        ({"in": {"count": []}}, "takes a list"),
        ({"in": {"count": [1, "2"]}}, "expects a integer"),
        ({"like": {"count": "%1%"}}, "searches string fields"),
        ({"fuzzy": {"title": "   "}}, "non-empty string"),
        ({"keyword": {"title": "%%"}}, "found no words"),
        ({"contains": {"title": "x"}}, "array of scalars"),
        ({"contains": {"tags": 3}}, "expects a string"),
        ({"any": {"tags": {"eq": {"name": "x"}}}}, "array of objects"),
        ({"gt": {"owner": "x"}}, "scalar fields only"),
        ({"gt": {"active": True}}, "does not apply to boolean"),
        ({"and": {"eq": {"id": "x"}}}, "non-empty list"),
        ({"or": []}, "non-empty list"),
        ({"eq": {}}, "field -> value"),
    ],
    ids=str,
)
def test_wrong_value(mirror: Mirror, flt: dict[str, Any], needle: str) -> None:
    e = error(mirror, "items", {"filter": flt})
    assert e.problem == "invalid_value"
    assert needle in e.message


def test_any_checks_fields_against_the_element_schema(mirror: Mirror) -> None:
    e = error(mirror, "items", {"filter": {"any": {"parts": {"eq": {"title": "x"}}}}})
    assert e.problem == "unknown_field"
    assert e.choices == ["name", "qty"]


@pytest.mark.parametrize(
    "flt",
    [{"eq": {"id": "a"}, "neq": {"id": "b"}}, ["eq"], "title = 'x'", {"not": None}],
    ids=str,
)
def test_malformed_condition(mirror: Mirror, flt: Any) -> None:
    e = error(mirror, "items", {"filter": flt})
    assert e.problem == "invalid_query"
    assert "exactly one operator" in e.message


def test_bad_query_shape(mirror: Mirror) -> None:
    e = error(mirror, "items", {"where": {}})
    assert e.problem == "invalid_query"
    assert e.choices == ["filter", "sort"]


@pytest.mark.parametrize(
    ("sort", "needle"),
    [
        ({"title": "asc"}, "must be a list"),
        ([{"title": "up"}], "'asc' or 'desc'"),
        ([{"tags": "asc"}], "Cannot sort on array"),
        (["title"], "Each sort item"),
    ],
    ids=str,
)
def test_bad_sort(mirror: Mirror, sort: Any, needle: str) -> None:
    e = error(mirror, "items", {"sort": sort})
    assert e.problem == "invalid_sort"
    assert needle in e.message


def test_unknown_sort_field(mirror: Mirror) -> None:
    e = error(mirror, "items", {"sort": [{"nope": "asc"}]})
    assert e.problem == "unknown_field"
    assert "sort" in e.message


@pytest.mark.parametrize("limit", [0, -1, 1001, 5000, 2.5, "10", True, None])
def test_bad_limit(mirror: Mirror, limit: Any) -> None:
    e = error(mirror, "items", limit=limit)
    assert e.problem == "invalid_limit"
    assert e.message == f"limit must be an integer from 1 to 1000, got {limit!r}."
    assert e.choices == ["1..1000"]


def test_a_bad_limit_is_refused_on_an_empty_mirror_too(tmp_path: Path) -> None:
    with Mirror(f"sqlite:///{tmp_path / 'none.db'}") as empty:
        assert error(empty, "items", limit=0).problem == "invalid_limit"


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "e30",  # {}
        _cursor([1, 2]),
        _cursor({"q": "x", "v": [], "k": 5}),
        _cursor({"q": "x", "v": [{"a": 1}], "k": "item001"}),
        "A" * 5000,
        12,
    ],
    ids=str,
)
def test_malformed_cursor(mirror: Mirror, cursor: Any) -> None:
    e = error(mirror, "items", {"sort": [{"count": "asc"}]}, cursor=cursor)
    assert e.problem == "invalid_cursor"
    assert "cursor" in e.message


def test_cursor_of_another_query(mirror: Mirror) -> None:
    page = mirror.search("items", {"sort": [{"count": "asc"}]}, limit=2)
    e = error(mirror, "items", {"sort": [{"count": "desc"}]}, cursor=page["meta"]["cursor"])
    assert e.problem == "invalid_cursor"
    assert "different query" in e.message


def test_bad_fields(mirror: Mirror) -> None:
    assert error(mirror, "items", fields="id").problem == "invalid_fields"
    e = error(mirror, "items", fields=["id", "owner.email"])
    assert e.problem == "unknown_field" and "'owner.email'" in e.message


def test_fields_and_get_of_unknown_entity(mirror: Mirror) -> None:
    with pytest.raises(QueryError, match="Unknown entity"):
        mirror.fields("nope")
    with pytest.raises(QueryError, match="Unknown entity"):
        mirror.get("nope", "1")


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with Mirror(f"sqlite:///{path}") as m:
        assert m.entities() == []
        assert m.stats() == {}
        with pytest.raises(QueryError, match="empty"):
            m.search("items")
    assert not path.exists()


INJECTIONS = [
    "x'; DROP TABLE mirror_items; --",
    'x"); DELETE FROM mirror_streams; --',
    "' OR 1=1 --",
    "%' OR '1'='1",
    "\\'; DROP TABLE mirror_streams; --",
]


def _intact(mirror: Mirror) -> None:
    assert mirror.entities() == ["items"]
    assert mirror.stats()["items"]["records"] == len(RECORDS)
    assert len(mirror.search("items")["data"]) == len(RECORDS)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_through_values(mirror: Mirror, payload: str) -> None:
    for flt in (
        {"eq": {"title": payload}},
        {"like": {"title": payload}},
        {"fuzzy": {"description": payload}},
        {"keyword": {"title": payload}},
        {"in": {"id": [payload, "item001"]}},
        {"contains": {"tags": payload}},
        {"any": {"parts": {"eq": {"name": payload}}}},
        {"eq": {"owner.username": payload}},
    ):
        try:
            result = mirror.search("items", {"filter": flt})
        except QueryError as e:  # "found no words" is a fine answer too
            assert e.problem == "invalid_value"
            continue
        assert all(r["id"] in {"item001"} for r in result["data"]) or not result["data"]
    with pytest.raises((NotFoundError, QueryError)):
        mirror.get("items", payload)
    _intact(mirror)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_through_field_names_sort_and_entity(mirror: Mirror, payload: str) -> None:
    for call in (
        lambda: mirror.search("items", {"filter": {"eq": {payload: "x"}}}),
        lambda: mirror.search("items", {"filter": {"any": {payload: {"eq": {"x": 1}}}}}),
        lambda: mirror.search("items", {"sort": [{payload: "asc"}]}),
        lambda: mirror.search("items", {"sort": [{"title": payload}]}),
        lambda: mirror.search("items", fields=[payload]),
        lambda: mirror.search(payload),
        lambda: mirror.search("items", {"filter": {payload: {"title": "x"}}}),
    ):
        with pytest.raises(QueryError) as info:
            call()
        assert info.value.problem in {
            "unknown_field",
            "unknown_entity",
            "unknown_operator",
            "invalid_sort",
            "invalid_query",
        }
    _intact(mirror)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_through_cursor(mirror: Mirror, payload: str) -> None:
    query = {"sort": [{"title": "asc"}]}
    page = mirror.search("items", query, limit=2)
    real = json.loads(base64.urlsafe_b64decode(page["meta"]["cursor"] + "=="))
    forged = _cursor({"q": real["q"], "v": [payload], "k": real["k"]})
    result = mirror.search("items", query, limit=100, cursor=forged)  # a valid position
    assert all(isinstance(r["id"], str) for r in result["data"])
    # the key is a row number: text there is refused before any SQL is built
    with pytest.raises(QueryError, match="Malformed cursor"):
        mirror.search("items", query, cursor=_cursor({"q": real["q"], "v": ["a"], "k": payload}))
    _intact(mirror)
