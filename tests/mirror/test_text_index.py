"""PostgreSQL's word index: the prefilter for ASCII words only, and an earlier mirror
gaining the index (the words themselves: test_words.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tap_pinterest.mirror import Mirror, dialects
from tests.mirror.conftest import item, load_items, make_url
from tests.mirror.test_indexes import _index_columns
from tests.mirror.test_plans import statements

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
        ("1e5x", ["item001"], True),  # the parser reads '1e5' and 'x': both are required
        ("covid19", ["item002"], True),
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
    assert _word_indexes(pg_url) == {f"{TABLE}__words_f_title", f"{TABLE}__words_f_description"}
    for flt in ({"keyword": {"title": word}}, {"and": [{"fuzzy": {"title": word}}]}):
        found, sql = _search_sql(pg_url, flt)
        assert found == want
        assert ("plainto_tsquery" in sql) is indexed
        # behind the word index, the regex is `~*` called as its function: as `~*`, the
        # planner also read pg_trgm's index for it (on a big table, where the two differ)
        assert ("texticregexeq" in sql) is indexed
        assert ("~*" in sql) is not indexed


def test_an_earlier_mirror_gains_the_word_index_on_the_next_load(pg_url: str) -> None:
    load_items(pg_url, [item(i) for i in range(20)])
    engine = dialects.make_engine(pg_url)
    with engine.begin() as conn:  # the layout an earlier version built: pg_trgm only
        for name in _word_indexes(pg_url):
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    engine.dispose()
    assert _word_indexes(pg_url) == set()
    load_items(pg_url, [item(20)])
    assert _word_indexes(pg_url) == {f"{TABLE}__words_f_title", f"{TABLE}__words_f_description"}
    found, _ = _search_sql(pg_url, {"fuzzy": {"title": "summer dress 20"}})
    assert found == ["item020"]
