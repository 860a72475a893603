"""Property tests of the search language, on SQLite and PostgreSQL, through POST /execute.

Hypothesis draws filters, sorts, limits, cursors and values (unicode edge cases, NUL,
lone surrogates, huge and non-finite numbers, deep nesting, long lists) and checks each
answer against `reference`: a query it refuses is a 400 with a message, and every other
is a 200 whose pages, read through the cursor, hold exactly the reference's records in
its order. Nothing raises, nothing is a 500.

Profiles (`HYPOTHESIS_PROFILE`): `ci`, the default, runs in about a minute for both
databases; `long` runs 25 times as many examples, for local runs:
`HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/mirror/test_properties.py`.
"""

from __future__ import annotations

import base64
import json
import os
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from tap_pinterest.mirror.query.execute import Executor
from tap_pinterest.mirror.serve.server import MirrorApp
from tests.mirror import reference
from tests.mirror.conftest import BACKENDS, forge_cursor, item, loaded_mirror

_COMMON = {
    "deadline": None,
    "derandomize": True,  # the same examples every run: CI stays deterministic
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("ci", max_examples=200, **_COMMON)
settings.register_profile("long", max_examples=7500, **_COMMON)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# ---- the records ----------------------------------------------------------------------

#: Words the records and the queries share, so that queries match something: case,
#: digits, `_`, `-`, `'`, wildcards and backslashes, CJK and emoji (no cased letters
#: beyond ASCII: their case folding in `like` is the database's).
VOCABULARY = [
    "red", "Red", "RED", "dress", "summer", "blue", "a", "x1", "1e5x", "covid19", "don't",
    "a_b", "red-dress", "100%", "50_50", "back\\slash", "中文", "中", "😀", "€5", "",
]  # fmt: skip
TEXT = st.sampled_from(VOCABULARY)


def _records() -> list[dict[str, Any]]:
    """40 records of every kind of value, ties and NULLs included (fixed: loaded once)."""
    rng = random.Random(15)
    out = []
    for i in range(40):
        words = rng.sample(VOCABULARY, rng.randint(0, 4))
        over: dict[str, Any] = {
            "title": " ".join(words) if i % 9 else None,
            "description": rng.choice([" / ".join(reversed(words)), "\n".join(words), None]),
            "status": rng.choice(["ACTIVE", "active", "PAUSED", "中文", "", None]),
            "count": rng.choice([0, 1, -1, 7, 2**62, -(2**63), 2**63 - 1, None]),
            "price": rng.choice([0.1, 2.5, -0.0, 1e300, 7, 2**60, None]),
            "active": rng.choice([True, False, None]),
            "owner": rng.choice([{"username": rng.choice(VOCABULARY)}, {"username": None}, None]),
            "tags": rng.choice([[], ["a"], ["red", "中文"], None, [rng.choice(VOCABULARY)]]),
            "parts": rng.choice(
                [[], None, [{"name": rng.choice(VOCABULARY), "qty": rng.randint(-2, 3)}]]
            ),
        }
        out.append(item(i, **over))
    rng.shuffle(out)  # load order differs from key order
    return out


RECORDS = _records()


@pytest.fixture(scope="module", params=BACKENDS)
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    tmp_path = tmp_path_factory.mktemp(request.param)
    for mirror in loaded_mirror(request.param, tmp_path, RECORDS):
        yield Client(MirrorApp(Executor(mirror)))


# ---- the strategies -------------------------------------------------------------------


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any], odds: int = 8) -> Any:
    """`good` `odds` times out of `odds + 1`, else `bad` (one_of draws its branches
    alike, however often one is listed)."""
    return st.integers(0, odds).flatmap(lambda i: bad if i == 0 else good)


HOSTILE_TEXT = st.sampled_from(["\x00", "a\x00", "\ud800", "x\udfff", " ", "%", "\\", "a\\"])
HUGE = st.sampled_from([2**63, -(2**63) - 1, 10**40, 2**63 - 1, -(2**63), 2**53 + 1])
FRIENDLY = st.one_of(
    TEXT,
    TEXT,
    st.builds(lambda a, b: f"{a}{b}", TEXT, TEXT),
    st.text(st.sampled_from("aA1 _%\\-'中😀\n"), max_size=6),
)
#: Now and then hostile: NUL, lone surrogates, any unicode at all (a 400, or the
#: reference's answer)
STRINGS = mostly(FRIENDLY, st.one_of(HOSTILE_TEXT, st.text(max_size=4)), odds=6)
INTS = st.one_of(st.sampled_from([0, 1, -1, 7, 2**62]), st.integers(-10, 10), HUGE)
FLOATS = st.one_of(
    st.sampled_from([0.1, 2.5, -0.0, 1e300, 7.0]),
    st.floats(allow_nan=True, allow_infinity=True),
)
WRONG = st.one_of(st.booleans(), st.none(), st.just([]), st.just({}), st.just(1.5), st.just("1"))


def value_for(kind: str) -> st.SearchStrategy[Any]:
    """Mostly values of the field's type; sometimes one of another."""
    right = {
        "string": STRINGS,
        "integer": INTS,
        "number": st.one_of(INTS, FLOATS),
        "boolean": st.booleans(),
    }[kind]
    return mostly(right, WRONG)


SCALAR_FIELDS = [n for n, k in reference.KINDS.items() if k in reference.SCALARS]
TEXT_FIELDS = [n for n, k in reference.KINDS.items() if k == "string"]


@st.composite
def comparison(draw: st.DrawFn, fields: dict[str, str]) -> dict[str, Any]:
    names = [n for n, k in fields.items() if k in reference.SCALARS]
    name = draw(st.sampled_from(names))
    op = draw(st.sampled_from(["eq", "neq", "gt", "gte", "lt", "lte", "in"]))
    values = value_for(fields[name])
    if op == "in":
        return {op: {name: draw(st.lists(values, min_size=0, max_size=4))}}
    value = draw(st.one_of(values, st.none()) if op in ("eq", "neq") else values)
    return {op: {name: value}}


@st.composite
def text_search(draw: st.DrawFn, fields: dict[str, str]) -> dict[str, Any]:
    names = [n for n, k in fields.items() if k == "string"]
    op = draw(st.sampled_from(["like", "fuzzy", "keyword"]))
    if op == "like":
        parts = st.one_of(TEXT, st.sampled_from(["%", "_", "\\%", "\\_", "\\\\", "\\a"]))
        text = "".join(draw(st.lists(parts, min_size=1, max_size=5)))
    else:
        text = " ".join(draw(st.lists(TEXT, min_size=1, max_size=3)))
    text = draw(st.one_of(st.just(text), STRINGS))
    return {op: {draw(st.sampled_from(names)): text}}


def leaf(fields: dict[str, str]) -> st.SearchStrategy[dict[str, Any]]:
    options = [comparison(fields), text_search(fields)]
    if fields is reference.KINDS:
        options += [
            st.builds(lambda v: {"contains": {"tags": v}}, st.one_of(TEXT, STRINGS, WRONG)),
            st.builds(
                lambda c: {"any": {"parts": c}},
                filters(reference.PART_KINDS, max_leaves=3),
            ),
            st.builds(lambda n: {"eq": {n: None}}, st.sampled_from(["owner", "tags", "parts"])),
        ]
    return st.one_of(*options)


def filters(fields: dict[str, str], max_leaves: int = 8) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaf(fields),
        lambda inner: st.one_of(
            st.builds(lambda c: {"not": c}, inner),
            st.builds(lambda cs: {"and": cs}, st.lists(inner, min_size=1, max_size=4)),
            st.builds(lambda cs: {"or": cs}, st.lists(inner, min_size=1, max_size=4)),
        ),
        max_leaves=max_leaves,
    )


def deep(levels: int, cond: dict[str, Any]) -> dict[str, Any]:
    for i in range(levels):
        cond = {"not": cond} if i % 2 else {"and": [cond]}
    return cond


MALFORMED = st.one_of(
    st.just({}),
    st.just({"eq": {}}),
    st.just({"eq": {"count": 1}, "neq": {"count": 2}}),
    st.just({"and": []}),
    st.just({"nope": {"count": 1}}),
    st.just({"eq": {"nope": 1}}),
    st.just({"contains": {"parts": "a"}}),
    st.just({"any": {"tags": {"eq": {"name": "a"}}}}),
    st.just({"gt": {"active": True}}),
    st.just({"eq": {"owner": {"username": "a"}}}),
    st.just([]),
    st.just("eq"),
)
FILTERS = mostly(
    filters(reference.KINDS),
    st.one_of(
        st.builds(deep, st.integers(10, 24), leaf(reference.KINDS)),  # around the depth limit
        st.builds(
            lambda n, c: {"or": [c] * n},
            st.sampled_from([100, 255, 256, 300]),
            leaf(reference.KINDS),
        ),
        MALFORMED,
    ),
    odds=4,
)
SORT_ITEM = st.builds(
    lambda n, d: {n: d},
    st.sampled_from([*SCALAR_FIELDS, "owner", "tags", "nope"]),
    st.sampled_from(["asc", "desc", "asc", "desc", "up"]),
)
GOOD_SORT = st.builds(
    lambda n, d: {n: d}, st.sampled_from(SCALAR_FIELDS), st.sampled_from(["asc", "desc"])
)
SORTS = mostly(
    st.one_of(st.none(), st.lists(GOOD_SORT, min_size=1, max_size=3)),
    st.one_of(st.lists(SORT_ITEM, max_size=4), st.just({"id": "asc"})),
    odds=6,
)
QUERIES = st.fixed_dictionaries({}, optional={"filter": FILTERS, "sort": SORTS})
LIMITS = mostly(st.integers(1, 7), st.sampled_from([1000, 0, 1001, -1, 2**63, 1.5, "5", True]))


def execute(client: Client, params: dict[str, Any]) -> tuple[int, Any]:
    body = {"entity": "items", "action": "search", "params": params}
    response = client.post("/execute", data=json.dumps(body), content_type="application/json")
    return response.status_code, response.get_json()


def refused_with_a_message(status: int, answer: Any) -> None:
    assert status == 400, answer
    error = answer["error"]
    assert isinstance(error["problem"], str)
    assert error["problem"]
    assert isinstance(error["message"], str)
    assert error["message"]


# ---- the properties -------------------------------------------------------------------


@settings(PROFILE)
@given(query=QUERIES, limit=LIMITS)
def test_every_answer_is_the_reference_or_a_400(
    client: Client, query: dict[str, Any], limit: Any
) -> None:
    try:
        expected: list[str] | None = reference.search(RECORDS, query)
    except reference.RefusedError:
        expected = None
    valid_limit = isinstance(limit, int) and not isinstance(limit, bool) and 1 <= limit <= 1000
    status, answer = execute(client, {"query": query, "limit": limit})
    if expected is None or not valid_limit:
        refused_with_a_message(status, answer)
        event(f"400 {answer['error']['problem']}")
        return
    event("200, no record" if not expected else "200, some records")
    assert status == 200, answer
    seen = [r["id"] for r in answer["data"]]
    pages = 1
    while answer["meta"]["has_more"]:
        assert len(answer["data"]) == limit
        status, answer = execute(
            client, {"query": query, "limit": limit, "cursor": answer["meta"]["cursor"]}
        )
        assert status == 200, answer
        seen += [r["id"] for r in answer["data"]]
        pages += 1
        assert pages <= len(RECORDS) + 1
    assert answer["meta"]["cursor"] is None
    assert seen == expected


CURSOR_VALUES = st.one_of(
    st.none(), STRINGS, INTS, FLOATS, st.booleans(), st.just([]), st.just({"a": 1})
)


@st.composite
def cursor_values(draw: st.DrawFn, sort: list[dict[str, str]]) -> list[Any]:
    """Mostly one value of each sort field's type (or NULL); sometimes anything."""
    kinds = [reference.KINDS[name] for entry in sort for name in entry]
    fitting = [st.one_of(value_for(kind), st.none()) for kind in kinds]
    return draw(mostly(st.tuples(*fitting).map(list), st.lists(CURSOR_VALUES, max_size=4), 3))


@settings(PROFILE)
@given(
    sort=st.lists(GOOD_SORT, min_size=0, max_size=3, unique_by=lambda e: next(iter(e))),
    data=st.data(),
    key=mostly(st.integers(0, 45), st.one_of(HUGE, st.sampled_from([-1, 1.5, "1"])), 4),
    garbage=mostly(st.none(), st.one_of(st.text(max_size=40), st.binary(max_size=40)), 4),
)
def test_any_cursor_pages_on_or_is_a_400(
    client: Client, sort: list[dict[str, str]], data: st.DataObject, key: Any, garbage: Any
) -> None:
    """A cursor is the query's hash, the last row's sort values and its load position: one
    forged with values of the sort's types is a valid position (a 200, whose rows are the
    reference's after it); any other is a 400 that says it does not belong."""
    query = {"sort": sort}
    values = data.draw(cursor_values(sort))
    if garbage is None:
        cursor = forge_cursor(query, values, key)
    elif isinstance(garbage, bytes):
        cursor = base64.urlsafe_b64encode(garbage).decode()
    else:
        cursor = garbage
    status, answer = execute(client, {"query": query, "limit": 5, "cursor": cursor})
    if status == 400:
        assert answer["error"]["problem"] == "invalid_cursor", answer
        assert "cursor" in answer["error"]["message"]
        event("400 invalid_cursor")
        return
    event("200")
    assert status == 200, answer
    assume(garbage is None)
    order = reference.search(RECORDS, query)
    assert [r["id"] for r in answer["data"]] == order_after(order, answer["data"])


def order_after(order: list[str], data: list[dict[str, Any]]) -> list[str]:
    """The reference's ids from the first one returned: a page is a run of the order."""
    if not data:
        return []
    start = order.index(data[0]["id"])
    return order[start : start + len(data)]
