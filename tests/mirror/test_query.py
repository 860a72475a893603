"""Search semantics, one operator at a time, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tap_pinterest.mirror import Mirror, NotFoundError
from tap_pinterest.mirror.db import dialects
from tests.mirror.conftest import BACKENDS, item, load_items, make_url

RECORDS = [item(i) for i in range(30)] + [
    item(
        30,
        title=None,
        description=None,
        count=None,
        price=None,
        active=None,
        created_at=None,
        owner=None,
        media=None,
        tags=None,
        parts=None,
    ),
    item(31, title="Dress in red", description="ordered words reversed"),
]
BY_ID = {r["id"]: r for r in RECORDS}


@pytest.fixture(scope="module", params=BACKENDS)
def mirror(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    urls = make_url(request.param, tmp_path_factory.mktemp(request.param))
    url = next(urls)
    load_items(url, RECORDS)
    with Mirror(url) as m:
        yield m
    next(urls, None)


def ids(mirror: Mirror, flt: dict[str, Any], **kw: Any) -> list[str]:
    result = mirror.search("items", {"filter": flt}, **kw)
    return sorted(r["id"] for r in result["data"])


def expect(pred: Callable[[dict[str, Any]], bool]) -> list[str]:
    return sorted(r["id"] for r in RECORDS if pred(r))


def n(r: dict[str, Any], key: str) -> Any:
    return r.get(key)


CASES: list[tuple[str, dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
    ("eq id", {"eq": {"id": "item007"}}, lambda r: r["id"] == "item007"),
    ("eq string", {"eq": {"status": "ACTIVE"}}, lambda r: r["status"] == "ACTIVE"),
    ("eq integer", {"eq": {"count": 4}}, lambda r: r["count"] == 4),
    ("eq boolean", {"eq": {"active": True}}, lambda r: r["active"] is True),
    ("eq null", {"eq": {"title": None}}, lambda r: r["title"] is None),
    ("neq", {"neq": {"status": "ACTIVE"}}, lambda r: r["status"] != "ACTIVE"),
    ("neq null", {"neq": {"count": None}}, lambda r: r["count"] is not None),
    ("neq keeps nulls", {"neq": {"count": 3}}, lambda r: r["count"] != 3),
    ("gt", {"gt": {"count": 25}}, lambda r: r["count"] is not None and r["count"] > 25),
    ("gte", {"gte": {"count": 25}}, lambda r: r["count"] is not None and r["count"] >= 25),
    ("lt number", {"lt": {"price": 3.0}}, lambda r: r["price"] is not None and r["price"] < 3),
    ("lte", {"lte": {"count": 2}}, lambda r: r["count"] is not None and r["count"] <= 2),
    (
        "gt date string",
        {"gt": {"created_at": "2024-01-25T00:00:00Z"}},
        lambda r: (r["created_at"] or "") > "2024-01-25T00:00:00Z",
    ),
    ("in", {"in": {"count": [1, 2, 99]}}, lambda r: r["count"] in (1, 2)),
    (
        "in strings",
        {"in": {"id": ["item001", "item031"]}},
        lambda r: r["id"] in ("item001", "item031"),
    ),
    (
        "like",
        {"like": {"title": "%summer dress 1%"}},
        lambda r: "summer dress 1" in (r["title"] or ""),
    ),
    (
        "like case-insensitive",
        {"like": {"title": "red%"}},
        lambda r: (r["title"] or "").lower().startswith("red"),
    ),
    (
        "fuzzy ordered words",
        {"fuzzy": {"title": "red dress"}},
        lambda r: (r["title"] or "").startswith("Red summer dress"),
    ),
    (
        "fuzzy one word",
        {"fuzzy": {"title": "DRESS"}},
        lambda r: "dress" in (r["title"] or "").lower(),
    ),
    (
        "keyword any word",
        {"keyword": {"description": "blue green"}},
        lambda r: any(w in (r["description"] or "").split() for w in ("blue", "green")),
    ),
    (
        "keyword whole words",
        {"keyword": {"title": "dres"}},
        lambda r: False,
    ),
    (
        "keyword unindexed nested",
        {"keyword": {"owner.username": "user1"}},
        lambda r: (r["owner"] or {}).get("username") == "user1",
    ),
    (
        "nested eq",
        {"eq": {"owner.username": "user2"}},
        lambda r: (r["owner"] or {}).get("username") == "user2",
    ),
    (
        "nested path as list-free dotted",
        {"eq": {"media.media_type": "video"}},
        lambda r: (r["media"] or {}).get("media_type") == "video",
    ),
    (
        "nested integer",
        {"gte": {"media.width": 500}},
        lambda r: ((r["media"] or {}).get("width") or 0) >= 500,
    ),
    ("nested null", {"eq": {"owner.username": None}}, lambda r: not r["owner"]),
    ("contains", {"contains": {"tags": "tag1"}}, lambda r: "tag1" in (r["tags"] or [])),
    (
        "any",
        {"any": {"parts": {"and": [{"eq": {"name": "part2"}}, {"gte": {"qty": 3}}]}}},
        lambda r: any(p["name"] == "part2" and p["qty"] >= 3 for p in r["parts"] or []),
    ),
    ("not", {"not": {"eq": {"status": "ACTIVE"}}}, lambda r: r["status"] != "ACTIVE"),
    (
        "not over null",
        {"not": {"gt": {"count": 10}}},
        lambda r: not (r["count"] is not None and r["count"] > 10),
    ),
    (
        "and",
        {"and": [{"eq": {"status": "PAUSED"}}, {"lt": {"count": 10}}]},
        lambda r: r["status"] == "PAUSED" and r["count"] < 10,
    ),
    (
        "or",
        {"or": [{"eq": {"count": 1}}, {"eq": {"owner.username": "user3"}}]},
        lambda r: r["count"] == 1 or (r["owner"] or {}).get("username") == "user3",
    ),
    (
        "deep nesting",
        {
            "and": [
                {"or": [{"contains": {"tags": "tag0"}}, {"keyword": {"title": "blue"}}]},
                {"not": {"or": [{"eq": {"active": True}}, {"any": {"parts": {"eq": {"qty": 5}}}}]}},
            ]
        },
        lambda r: (
            ("tag0" in (r["tags"] or []) or "blue" in (r["title"] or "").lower().split())
            and not (r["active"] is True or any(p["qty"] == 5 for p in r["parts"] or []))
        ),
    ),
    (
        "several fields AND-ed",
        {"eq": {"status": "ACTIVE", "active": True}},
        lambda r: r["status"] == "ACTIVE" and r["active"] is True,
    ),
]


@pytest.mark.parametrize(("flt", "pred"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_operator(
    mirror: Mirror, flt: dict[str, Any], pred: Callable[[dict[str, Any]], bool]
) -> None:
    assert ids(mirror, flt) == expect(pred)


def test_fuzzy_needs_the_order(mirror: Mirror) -> None:
    assert "item031" not in ids(mirror, {"fuzzy": {"title": "red dress"}})
    assert ids(mirror, {"fuzzy": {"title": "dress red"}}) == ["item031"]


def test_no_filter_returns_all_sorted_by_key(mirror: Mirror) -> None:
    result = mirror.search("items")
    assert [r["id"] for r in result["data"]] == sorted(BY_ID)
    assert result["meta"]["has_more"] is False and result["meta"]["cursor"] is None
    assert isinstance(result["meta"]["took_ms"], float)


def test_fields_selection(mirror: Mirror) -> None:
    result = mirror.search(
        "items",
        {"filter": {"eq": {"id": "item005"}}},
        fields=["id", "owner.username", ["media", "media_type"], "parts"],
    )
    assert result["data"] == [
        {
            "id": "item005",
            "owner": {"username": "user1"},
            "media": {"media_type": "video"},
            "parts": BY_ID["item005"]["parts"],
        }
    ]


def test_records_round_trip_verbatim(mirror: Mirror) -> None:
    assert mirror.get("items", "item012") == BY_ID["item012"]
    assert mirror.get("items", "item030")["created_at"] is None


def test_numbers_and_text_round_trip_through_the_decoder(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records are decoded with msgspec (`dialects.loads`), to what `json` gives."""
    decoded: list[object] = []
    decode = msgspec.json.decode

    def counted(text: Any) -> Any:
        decoded.append(text)
        return decode(text)

    record = item(
        0,
        title="Ünïcode ✓ 😀 \u00e9",
        count=-(2**63),
        price=0.1 + 0.2,
        media={"media_type": "image", "width": 2**70},  # beyond 64 bits: JSON only
        owner={"username": None},
        tags=["1e5x", "", "0"],
    )
    load_items(db_url, [record])
    monkeypatch.setattr(dialects.msgspec.json, "decode", counted)
    with Mirror(db_url) as m:
        assert m.get("items", "item000") == record
        assert m.search("items", {"filter": {"keyword": {"title": "ünïcode"}}})["data"] == [record]
    assert len(decoded) >= 2


@pytest.mark.parametrize(
    "text",
    [
        '{"a":[1,-2,3.5,"x"],"b":{"c":null,"d":true}}',
        "123456789012345678901234567890",
        "-18446744073709551617",
        "1.10",
        "0.1000000000000000055511151231257827",
        "1E+2",
        '"caf\\u00e9 \\ud83d\\ude00"',
        # refused by msgspec, read by json: a lone surrogate, NaN, a float out of range
        '"\\ud800"',
        '{"v":NaN}',
        "1e400",
    ],
)
def test_decoding_gives_what_json_gives(text: str) -> None:
    for raw in (text, text.encode()):
        assert repr(dialects.loads(raw)) == repr(json.loads(raw))


def test_postgresql_statements_are_not_prepared(tmp_path: Path) -> None:
    """A prepared statement may switch to a generic plan, blind to how common a word is."""
    urls = make_url("postgresql", tmp_path)
    url = next(urls)
    load_items(url, [item(i) for i in range(5)])
    with Mirror(url) as m:
        for _ in range(8):  # psycopg prepares a statement on its 5th run by default
            m.search("items", {"filter": {"keyword": {"title": "dress"}}})
        store = m._get_store()
        assert store is not None
        with store.engine.connect() as conn:  # the pool's one connection, reused
            prepared = conn.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements")
            assert prepared.scalar() == 0
    next(urls, None)


def test_get_missing(mirror: Mirror) -> None:
    with pytest.raises(NotFoundError, match=r"'items'.*'nope'"):
        mirror.get("items", "nope")


def test_entities_fields_stats(mirror: Mirror) -> None:
    assert mirror.entities() == ["items"]
    assert {"id", "owner", "owner.username", "parts", "media.width"} <= set(mirror.fields("items"))
    stats = mirror.stats()
    assert stats["items"]["records"] == len(RECORDS)
    assert stats["items"]["last_loaded_at"]


@pytest.mark.parametrize(
    "sort",
    [
        [{"count": "asc"}],
        [{"count": "desc"}],
        [{"status": "asc"}, {"created_at": "desc"}],
        [{"active": "desc"}, {"price": "asc"}],
        [{"media.media_type": "asc"}],
        [{"title": "desc"}],
        [],
    ],
    ids=str,
)
@pytest.mark.parametrize("limit", [1, 4, 7])
def test_cursor_pages_through_everything_once(mirror: Mirror, sort: list, limit: int) -> None:
    query = {"sort": sort}
    full = [r["id"] for r in mirror.search("items", query)["data"]]
    seen: list[str] = []
    cursor = None
    while True:
        page = mirror.search("items", query, limit=limit, cursor=cursor)
        seen.extend(r["id"] for r in page["data"])
        assert len(page["data"]) <= limit
        if not page["meta"]["has_more"]:
            assert page["meta"]["cursor"] is None
            break
        cursor = page["meta"]["cursor"]
    assert seen == full
    assert sorted(seen) == sorted(BY_ID)


def test_sort_order_nulls_first_ascending(mirror: Mirror) -> None:
    data = mirror.search("items", {"sort": [{"count": "asc"}]}, limit=3)["data"]
    assert [r["count"] for r in data] == [None, 0, 1]
    data = mirror.search("items", {"sort": [{"count": "desc"}]})["data"]
    assert [r["count"] for r in data][:2] == [31, 29]
    assert data[-1]["count"] is None


def test_filter_sort_and_cursor_together(mirror: Mirror) -> None:
    query = {"filter": {"eq": {"status": "ACTIVE"}}, "sort": [{"price": "desc"}]}
    first = mirror.search("items", query, limit=3)
    second = mirror.search("items", query, limit=100, cursor=first["meta"]["cursor"])
    got = [r["id"] for r in first["data"] + second["data"]]
    want = sorted(
        (r for r in RECORDS if r["status"] == "ACTIVE"),
        key=lambda r: (r["price"] is not None, r["price"] or 0, r["id"]),
        reverse=True,
    )
    assert got == [r["id"] for r in want]


def test_limit_bounds(mirror: Mirror) -> None:
    one = mirror.search("items", limit=1)
    assert len(one["data"]) == 1
    assert one["meta"]["has_more"] is True
    assert one["meta"]["cursor"] is not None
    everything = mirror.search("items", limit=1000)
    assert everything["meta"] == {**everything["meta"], "has_more": False, "cursor": None}


def _page_while_a_sync_writes(
    db_url: str, query: dict[str, Any], writes: Callable[[int], list[dict[str, Any]]]
) -> None:
    """Page through `query` 6 records at a time, loading `writes(n)` (n = 1000, 1003, ...)
    between pages: every original record comes back, and none twice."""
    originals = [item(i) for i in range(40)]
    load_items(db_url, originals)
    seen: list[str] = []
    cursor = None
    extra = 1000
    with Mirror(db_url) as m:
        while True:
            page = m.search("items", query, limit=6, cursor=cursor)
            seen.extend(r["id"] for r in page["data"])
            load_items(db_url, writes(extra))
            extra += 3
            if not page["meta"]["has_more"]:
                break
            cursor = page["meta"]["cursor"]
    assert len(seen) == len(set(seen))
    assert {r["id"] for r in originals} <= set(seen)


def _updates(extra: int) -> list[dict[str, Any]]:
    """Records already seen and not yet seen, updated (their sort keys unchanged)."""
    return [item(i, description=f"updated {extra}") for i in (0, 20, 39)]


@pytest.mark.parametrize("sort", [[{"count": "desc"}], [{"created_at": "asc"}], []], ids=str)
def test_cursor_completeness_while_a_sync_writes(db_url: str, sort: list[dict[str, str]]) -> None:
    """New records everywhere in the order, and updates."""
    _page_while_a_sync_writes(
        db_url,
        {"sort": sort},
        lambda n: [item(n), item(n + 1, count=-n), item(n + 2, count=None), *_updates(n)],
    )


def test_results_come_in_load_order_and_so_do_ties(db_url: str) -> None:
    """Without a sort, and between records a sort ranks equal, the order is the order
    the mirror first stored the records, whatever their keys; an update keeps its place."""
    order = [5, 2, 9, 0, 7, 3, 4]
    load_items(db_url, [item(i) for i in order])
    load_items(db_url, [item(9, title="updated")])
    loaded = [f"item{i:03d}" for i in order]
    status = {f"item{i:03d}": item(i)["status"] for i in order}
    with Mirror(db_url) as m:

        def ids(query: dict[str, Any], limit: int = 100) -> list[str]:
            seen: list[str] = []
            cursor = None
            while True:
                page = m.search("items", query, limit=limit, cursor=cursor)
                seen += [r["id"] for r in page["data"]]
                if not page["meta"]["has_more"]:
                    return seen
                cursor = page["meta"]["cursor"]

        for limit in (100, 2):
            assert ids({}, limit) == loaded
            assert ids({"filter": {"eq": {"status": "ACTIVE"}}}, limit) == [
                k for k in loaded if status[k] == "ACTIVE"
            ]
            ascending = ids({"sort": [{"status": "asc"}]}, limit)
            assert ascending == sorted(loaded, key=lambda k: status[k])  # a stable sort
            descending = ids({"sort": [{"status": "desc"}]}, limit)
            assert descending == ascending[::-1]  # ties too: later loaded first


def test_sort_on_the_key_is_the_tie_break(mirror: Mirror) -> None:
    desc = mirror.search("items", {"sort": [{"id": "desc"}]})["data"]
    assert [r["id"] for r in desc] == sorted(BY_ID, reverse=True)
    # the key is unique, so sort fields after it change nothing
    first = mirror.search("items", {"sort": [{"id": "asc"}, {"count": "desc"}]})["data"]
    assert [r["id"] for r in first] == sorted(BY_ID)
    after = mirror.search("items", {"sort": [{"status": "asc"}, {"id": "desc"}]})["data"]
    want = sorted(RECORDS, key=lambda r: r["id"], reverse=True)
    assert [r["id"] for r in after] == [r["id"] for r in sorted(want, key=lambda r: r["status"])]


@pytest.mark.parametrize("op", ["keyword", "fuzzy"])
def test_text_search_cursor_completeness_while_a_sync_writes(db_url: str, op: str) -> None:
    """New matches, and updates (the text index too)."""
    _page_while_a_sync_writes(
        db_url,
        {"filter": {op: {"title": "summer dress"}}},
        lambda n: [item(n), item(n + 1), *_updates(n)],
    )
