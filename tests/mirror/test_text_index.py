"""PostgreSQL's word arrays and how a text search reads them: the prefilter for ASCII
words only, and the scan in windows of `_rowid` that returns every match once (the words
themselves: test_words.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.db import database, dialects, textsearch
from tap_pinterest.mirror.load import rows
from tap_pinterest.mirror.query import paging
from tests.mirror.conftest import item, load_items, make_url, paged_ids
from tests.mirror.test_indexes import _index_columns
from tests.mirror.test_plans import explain, statements

TABLE = "mirror_items"


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    yield from make_url("postgresql", tmp_path)


def _word_indexes(url: str) -> set[str]:
    return {name for name in _index_columns(url) if "__words_" in name}


def _search_sql(url: str, flt: dict[str, Any]) -> tuple[list[str], str]:
    """The ids a search finds, and the SQL of its statements."""
    with Mirror(url) as m, statements() as seen:
        data = m.search("items", {"filter": flt}, limit=100)["data"]
    return [r["id"] for r in data], "\n".join(s for s, _ in seen)


@pytest.mark.parametrize(
    ("word", "want", "indexed"),
    [
        ("dress", ["item000", "item002"], True),
        ("1e5x", ["item001"], True),  # one word, not its parts: "1e5 x" does not match
        ("covid19", ["item002"], True),
        ("caf", [], True),  # "café": the array holds "caf", the regex finds no whole word
        ("café", ["item001"], False),  # not ASCII: the regex alone decides
        ("x" * 101, [], False),  # longer than any word the index is asked for
    ],
)
def test_the_word_index_prefilters_ascii_words_only(
    pg_url: str, word: str, want: list[str], indexed: bool
) -> None:
    load_items(
        pg_url,
        [
            item(0, title="Red dress"),
            item(1, title="café 1e5x"),
            item(2, title="covid19 dress"),
            item(3, title="1e5 x cafe"),  # the parts of "1e5x", as two words
        ],
    )
    assert _word_indexes(pg_url) == {f"{TABLE}__words_title", f"{TABLE}__words_description"}
    for flt in ({"keyword": {"title": word}}, {"and": [{"fuzzy": {"title": word}}]}):
        found, sql = _search_sql(pg_url, flt)
        assert found == want
        assert ("w_title" in sql) is indexed
        # behind the word array, the regex is `~*` called as its function, which no
        # index a user adds on the column (pg_trgm's) can serve
        assert ("texticregexeq" in sql) is indexed
        assert ("~*" in sql) is not indexed


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Red summer DRESS, red!", {"red", "summer", "dress"}),
        ("don't red_dress 1e5x", {"don", "t", "red", "dress", "1e5x"}),
        ("Caféx straße İstanbul", {"caf", "x", "stra", "e", "stanbul"}),
        ("\u212aelvin x²y", {"elvin", "x", "y"}),  # the Kelvin sign lower-cases to k
        ("a" * 100 + " " + "b" * 101, {"a" * 100}),
        ("", set()),
    ],
)
def test_the_loader_and_the_database_make_the_same_word_arrays(
    pg_url: str, text: str, words: set[str]
) -> None:
    """The loader makes a row's array (`ascii_words`); a field a table gains has the array
    of its old rows made by SQL (`add_word_arrays`): the two agree, word for word."""
    assert set(textsearch.ascii_words(text)) == words
    load_items(pg_url, [item(0, title=text)])
    engine = dialects.make_engine(pg_url)
    with engine.begin() as conn:
        loaded = conn.exec_driver_sql("SELECT w_title FROM mirror_items").scalar_one()
        conn.exec_driver_sql("ALTER TABLE mirror_items DROP COLUMN w_title")
        textsearch.add_word_arrays(conn, TABLE, ["title"])
        made = conn.exec_driver_sql("SELECT w_title FROM mirror_items").scalar_one()
    engine.dispose()
    assert set(loaded) == set(made) == words


@pytest.mark.parametrize(
    "text",
    [
        "Red summer DRESS, red!",
        "Caféx straße İstanbul \u212aelvin x²y",  # İ and the Kelvin sign lower-case to ASCII
        'tab\there\nnew line "quoted" back\\slash',
        "a" * 100 + " " + "b" * 101,
        "",
    ],
)
def test_the_word_arrays_are_the_same_from_text_and_from_its_json(text: str) -> None:
    """The loader reads a string's words from its UTF-8 bytes when its JSON has no
    escapes, and from the decoded text otherwise: the same words either way."""
    words = set(textsearch.ascii_words(text))
    assert all(w.isascii() and w.isalnum() and w == w.lower() for w in words)
    assert {w.decode() for w in textsearch.ascii_words_of_utf8(text.encode())} == words
    raw_utf8 = json.dumps(text, ensure_ascii=False)
    escaped = json.dumps(text)
    for form in {raw_utf8, escaped}:
        field = rows._copy_words(msgspec.Raw(form.encode()))
        assert set(field[1:-1].decode().split(",")) - {""} == words


def test_the_copy_array_keeps_repeats_and_drops_long_words() -> None:
    """COPY's array literal lists the words as they come (the GIN index takes each once):
    the same words as `ascii_words_of_utf8`, repeats kept, none longer than the index's."""
    text = b"Red red-DRESS red " + b"x" * 101 + b" dress"
    assert textsearch.word_array_literal(text) == b"{red,red,dress,red,dress}"
    assert textsearch.ascii_words_of_utf8(text) == [b"red", b"dress"]
    assert textsearch.word_array_literal(b"") == b"{}"


# the windowed scan

#: "every" in every title, "some" in one in 7, "rare" in the first and the last two
#: records, "none" in none
N = 120


def _title(i: int) -> str:
    words = ["every"]
    if i % 7 == 3:
        words.append("some")
    if i in (0, N - 2, N - 1):
        words.append("rare")
    return " ".join(words)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def windowed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Mirror]:
    urls = make_url(request.param, tmp_path_factory.mktemp(request.param))
    url = next(urls)
    # loaded out of key order, so load order and key order differ
    load_items(url, [item(1000 - i, title=_title(i)) for i in range(N)])
    with Mirror(url) as m:
        yield m
    next(urls, None)


@pytest.mark.parametrize("word", ["every", "some", "rare", "none", "some rare"])
@pytest.mark.parametrize("limit", [1, 3, 10, 1000])
@pytest.mark.parametrize(("first", "headroom"), [(1, 0.01), (1, 0.5), (4, 1), (50, 4)])
def test_a_windowed_scan_pages_through_every_match_once(  # noqa: PLR0917
    windowed: Mirror,
    monkeypatch: pytest.MonkeyPatch,
    word: str,
    limit: int,
    first: int,
    headroom: float,
) -> None:
    """Windows of every size: first windows far too small for the estimate (a second
    sized from a dense or a sparse first, then the rest), or so large that the rest of
    the table is read at once."""
    monkeypatch.setattr(paging, "FIRST_WINDOW", first)
    monkeypatch.setattr(paging, "MIN_FIRST_WINDOW", first)
    monkeypatch.setattr(paging, "HEADROOM", headroom)
    wanted = set(word.split())
    want = [f"item{1000 - i:03d}" for i in range(N) if wanted & set(_title(i).split())]
    assert paged_ids(windowed, {"filter": {"keyword": {"title": word}}}, limit) == want


def test_a_page_of_a_common_word_stops_in_the_first_window(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window sized from the estimate (4 times the 6 rows wanted, as every title has
    the word), where the table is large enough for one: 24 of 120 rows, read in key
    order without the word index where that costs less than the lookup (here: 6 rows
    passed, 120 listed and found)."""
    monkeypatch.setattr(paging, "MIN_FIRST_WINDOW", 8)
    monkeypatch.setattr(paging, "KEY_ORDER_COST", 19)
    monkeypatch.setattr(paging, "RESULT_COST", 0)
    load_items(pg_url, [item(i, title=_title(i)) for i in range(N)])
    page, reads = _first_page(pg_url, {"filter": {"keyword": {"title": "every"}}}, 5)
    assert [r["title"] for r in page["data"]] == [_title(i) for i in range(5)]
    ((select, params),) = reads
    assert "_rowid <=" in select
    assert params["rowid_1"] == 24
    assert "coalesce" in select.lower()
    plan = explain(pg_url, select, params, disable=("seqscan",))
    assert "__words_title" not in plan, plan


def test_a_word_the_index_lists_few_rows_of_is_read_in_one_lookup(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No window where the estimate holds at most FEW_LISTED pages of rows in all: a
    word in 3 rows of 120 (a page of 5 wants 6), and a word in none; though the first
    window's upper bound (here 16 rows) would have made one."""
    monkeypatch.setattr(paging, "MIN_FIRST_WINDOW", 8)
    monkeypatch.setattr(paging, "MAX_FIRST_WINDOW", 16)
    load_items(pg_url, [item(i, title=_title(i)) for i in range(N)])
    for word, hits in (("rare", 3), ("zzz", 0)):
        page, reads = _first_page(pg_url, {"filter": {"keyword": {"title": word}}}, 5)
        assert len(page["data"]) == hits
        ((select, _),) = reads
        assert "_rowid <=" not in select


@pytest.mark.parametrize(
    ("word", "cost"),
    [
        ("rare", 1),  # a first window too wide to read in key order
        ("every", 21),  # 6 passed * 21 > 120 listed: the index costs less
    ],
)
def test_where_the_index_costs_less_it_is_asked(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, word: str, cost: int
) -> None:
    monkeypatch.setattr(paging, "MIN_FIRST_WINDOW", 8)
    monkeypatch.setattr(paging, "KEY_ORDER_COST", cost)
    monkeypatch.setattr(paging, "RESULT_COST", 0)
    load_items(pg_url, [item(i, title=_title(i)) for i in range(N)])
    page, reads = _first_page(pg_url, {"filter": {"keyword": {"title": word}}}, 5)
    assert len(page["data"]) == min(5, sum(word in _title(i).split() for i in range(N)))
    (select, params), *_ = reads
    assert "coalesce" not in select.lower()  # the form the word index serves
    if word == "rare":  # (for a word in every row the planner rightly prefers the key)
        plan = explain(pg_url, select, params, disable=("seqscan", "indexscan"))
        assert "__words_title" in plan, plan


@pytest.mark.parametrize(("result_cost", "key_order"), [(0, False), (1, True)])
def test_the_rows_a_lookup_finds_count_too(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, result_cost: int, key_order: bool
) -> None:
    """6 rows passed at 21 each (126) against 120 rows listed, plus 120 found at
    `RESULT_COST` each: the bitmap of the rows found is most of a lookup's cost."""
    monkeypatch.setattr(paging, "MIN_FIRST_WINDOW", 8)
    monkeypatch.setattr(paging, "KEY_ORDER_COST", 21)
    monkeypatch.setattr(paging, "RESULT_COST", result_cost)
    load_items(pg_url, [item(i, title=_title(i)) for i in range(N)])
    page, reads = _first_page(pg_url, {"filter": {"keyword": {"title": "every"}}}, 5)
    assert [r["title"] for r in page["data"]] == [_title(i) for i in range(5)]
    (select, _), *_ = reads
    assert ("coalesce" in select.lower()) is key_order


def test_fuzzy_weighs_the_lists_of_all_its_words(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fuzzy` needs both words, but a lookup reads both lists: "every" lists all 120
    rows. In key order the scan passes about 14 rows for a page of one (1 in 7 has
    "some"): 14 * 5 < 120, so it reads in key order (against the 17 rows holding both
    words it would not)."""
    monkeypatch.setattr(paging, "MIN_FIRST_WINDOW", 8)
    monkeypatch.setattr(paging, "KEY_ORDER_COST", 5)
    monkeypatch.setattr(paging, "RESULT_COST", 0)
    load_items(pg_url, [item(i, title=_title(i)) for i in range(N)])
    page, reads = _first_page(pg_url, {"filter": {"fuzzy": {"title": "every some"}}}, 1)
    assert [r["title"] for r in page["data"]] == [_title(3)]
    (select, _), *_ = reads
    assert "coalesce" in select.lower()


def _first_page(
    url: str, query: dict[str, Any], limit: int
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The first page of a search of `items`, and the statements that read its records."""
    with Mirror(url) as m, statements() as seen:
        page = m.search("items", query, limit=limit)
    return page, [(s, p) for s, p in seen if "_record" in s and not s.startswith("EXPLAIN")]


def test_the_first_window_is_bounded_where_the_estimate_is_low(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Words that go together are far denser than the planner's estimate: the first
    window spans at most MAX_FIRST_WINDOW, as every candidate in it is read."""
    monkeypatch.setattr(paging, "MIN_FIRST_WINDOW", 2)
    monkeypatch.setattr(paging, "MAX_FIRST_WINDOW", 16)
    monkeypatch.setattr(paging, "HEADROOM", 1000)  # an estimate 1000 times too low
    load_items(pg_url, [item(i, title=_title(i)) for i in range(N)])
    page, reads = _first_page(pg_url, {"filter": {"keyword": {"title": "every"}}}, 5)
    assert [r["title"] for r in page["data"]] == [_title(i) for i in range(5)]
    (_, params), *_ = reads
    assert params["rowid_1"] == 16


def test_a_load_leaves_no_pending_gin_entries(pg_url: str) -> None:
    """A search reads a GIN index's pending list whole: the load merges it."""
    load_items(pg_url, [item(i) for i in range(30)])
    load_items(pg_url, [item(i) for i in range(30, 60)])
    engine = dialects.make_engine(pg_url)
    with engine.begin() as conn:
        pending = conn.exec_driver_sql(
            "SELECT c.relname, gin_clean_pending_list(c.oid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
            "WHERE i.indrelid = 'mirror_items'::regclass AND a.amname = 'gin'"
        ).all()
    engine.dispose()
    assert len(pending) == 2  # the word arrays of title and description
    assert all(pages == 0 for _, pages in pending), pending


def test_a_load_leaves_every_page_summarized_for_the_windows(pg_url: str) -> None:
    """A window of a text scan reads every page the BRIN index of `_rowid` has not
    summarized: the load summarizes the ranges of 128 pages it filled (a range still
    being filled is left, as PostgreSQL leaves it)."""
    text = " ".join(f"word{n}" for n in range(250))  # about 1,600 bytes: not TOASTed
    load_items(pg_url, [item(i, description=text) for i in range(800)])
    engine = dialects.make_engine(pg_url)
    with engine.begin() as conn:
        pages = conn.exec_driver_sql(
            "SELECT pg_relation_size('mirror_items') / current_setting('block_size')::int"
        ).scalar_one()
        left = conn.exec_driver_sql(
            "SELECT brin_summarize_new_values('mirror_items__rowid_brin'::regclass)"
        ).scalar_one()
    engine.dispose()
    assert pages > 128  # a full range at least
    assert left == 0


def test_readers_ask_for_pages_ahead_and_the_writer_keeps_the_servers_value(
    pg_url: str,
) -> None:
    """A window's bitmap scan reads rows spread over the table: a reader's session lets
    PostgreSQL prefetch `READ_AHEAD` pages; the target's session is left as it was."""
    values = {}
    for writer in (False, True):
        engine = database.open_engine(pg_url, writer=writer)
        with engine.connect() as conn:
            values[writer] = int(conn.exec_driver_sql("SHOW effective_io_concurrency").scalar())
        engine.dispose()
    assert values[False] == max(dialects.READ_AHEAD, values[True])
    assert values[True] < dialects.READ_AHEAD  # the server's default, 1
