"""How `fuzzy` and `keyword` split words, and the order of a text search, on SQLite and
PostgreSQL alike (the rule is in the docstring of `tap_pinterest.mirror.query`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tap_pinterest.mirror import Mirror
from tests.mirror.conftest import BACKENDS, item, load_items, make_url, paged_ids

TITLES = {
    "w01": "red_dress",
    "w02": "red-dress",
    "w03": "Don't stop",
    "w04": "covid19 update",
    "w05": "CAFÉ crème",
    "w06": "cafe creme",
    "w07": "red dress redo",
    "w08": "Dress in RED",
    "w09": "report 2024-05-01",
    "w10": "user_name@example.com",
    "w11": "ÉCOLE Naïve",
    "w12": "reddress",
    "w13": "1e5x 0x1f",  # PostgreSQL's text parser reads "1e5x" as '1e5' and 'x'
}
# loaded in this order, which is not the order of the keys
LOAD_ORDER = [
    "w12", "w03", "w07", "w01", "w10", "w05", "w08", "w02", "w11", "w04", "w13", "w06", "w09"
]  # fmt: skip

CASES: list[tuple[str, str, str, set[str]]] = [
    ("keyword", "title", "dress", {"w01", "w02", "w07", "w08"}),
    ("keyword", "title", "DRESS", {"w01", "w02", "w07", "w08"}),
    ("keyword", "title", "red_dress", {"w01", "w02", "w07", "w08"}),
    ("keyword", "title", "reddress", {"w12"}),
    ("keyword", "title", "dres", set()),
    ("fuzzy", "title", "red dress", {"w01", "w02", "w07"}),
    ("fuzzy", "title", "red-dress", {"w01", "w02", "w07"}),
    ("fuzzy", "title", "dress red", {"w08"}),  # "redo" is not the word "red"
    ("fuzzy", "title", "in", {"w08"}),
    ("keyword", "title", "don", {"w03"}),
    ("keyword", "title", "t", {"w03"}),
    ("keyword", "title", "dont", set()),
    ("fuzzy", "title", "don't stop", {"w03"}),
    ("keyword", "title", "covid19", {"w04"}),
    ("keyword", "title", "covid", set()),
    ("keyword", "title", "19", set()),
    ("keyword", "title", "2024", {"w09"}),
    ("keyword", "title", "05", {"w09"}),
    ("fuzzy", "title", "2024 01", {"w09"}),
    ("keyword", "title", "café", {"w05"}),
    ("keyword", "title", "Café", {"w05"}),
    ("keyword", "title", "cafe", {"w06"}),
    ("keyword", "title", "CRÈME", {"w05"}),
    ("fuzzy", "title", "café crème", {"w05"}),
    ("fuzzy", "title", "cafe creme", {"w06"}),
    ("keyword", "title", "école", {"w11"}),
    ("fuzzy", "title", "école NAÏVE", {"w11"}),
    ("keyword", "title", "naive", set()),
    ("keyword", "title", "example", {"w10"}),
    ("keyword", "title", "name", {"w10"}),
    ("keyword", "title", "user_name", {"w10"}),
    ("fuzzy", "title", "name com", {"w10"}),
    ("keyword", "title", "@example.com", {"w10"}),
    ("keyword", "title", "1e5x", {"w13"}),
    ("keyword", "title", "1E5X", {"w13"}),
    ("keyword", "title", "1e5", set()),
    ("keyword", "title", "x", set()),
    ("fuzzy", "title", "1e5x 0x1f", {"w13"}),
    ("fuzzy", "title", "0x1f 1e5x", set()),
]


@pytest.fixture(scope="module", params=BACKENDS)
def mirror(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    urls = make_url(request.param, tmp_path_factory.mktemp(request.param))
    url = next(urls)
    load_items(url, [item(n, id=key, title=TITLES[key]) for n, key in enumerate(LOAD_ORDER)])
    with Mirror(url) as m:
        yield m
    next(urls, None)


def found(mirror: Mirror, flt: dict[str, Any]) -> set[str]:
    return {r["id"] for r in mirror.search("items", {"filter": flt})["data"]}


@pytest.mark.parametrize(("op", "field", "value", "want"), CASES, ids=[str(c[:3]) for c in CASES])
def test_words(mirror: Mirror, op: str, field: str, value: str, want: set[str]) -> None:
    condition = {op: {field: value}}
    assert found(mirror, condition) == want
    # the same inside a boolean (a different SQL shape from the one-condition scan)
    assert found(mirror, {"and": [condition, {"neq": {"id": "none"}}]}) == want
    assert found(mirror, {"not": condition}) == set(TITLES) - want


def test_a_text_search_returns_matches_in_load_order(mirror: Mirror) -> None:
    flt = {"keyword": {"title": "dress red"}}
    data = mirror.search("items", {"filter": flt})["data"]
    assert [r["id"] for r in data] == [k for k in LOAD_ORDER if k in {"w07", "w01", "w08", "w02"}]
    # with an explicit sort on the key, by the key
    keyed = mirror.search("items", {"filter": flt, "sort": [{"id": "desc"}]})["data"]
    assert [r["id"] for r in keyed] == ["w08", "w07", "w02", "w01"]


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_a_text_search_pages_once(mirror: Mirror, limit: int) -> None:
    query = {"filter": {"fuzzy": {"description": "linen piece"}}}
    assert paged_ids(mirror, query, limit) == LOAD_ORDER
