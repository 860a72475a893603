"""Search latency over a mirror built by benchmarks/mirror_load.py (p50 / p95, in ms).

    .venv/bin/python benchmarks/mirror_search.py --db /tmp/mirror-bench.db
    .venv/bin/python benchmarks/mirror_search.py --url postgresql+psycopg://...

Times `Mirror.search` end to end (SQL, JSON decoding, response) for: eq on the key and
on an indexed field, keyword and fuzzy on title and description (common words, the
rarest words, a word that matches nothing), the next page of a keyword search, and
sorted pages read with a cursor at several depths.

Each case runs twice over the same searches: the first pass reads what the page cache
holds (at 10M records the database is larger than the cache, so many pages come from
disk), the second reads the pages the first brought in (`warm`). With `--cold` the
database's files are dropped from the kernel's page cache before each first pass
(`posix_fadvise`), so it reads every page from disk: the SQLite file, or PostgreSQL's
files of the table and its indexes (the data directory must be readable: run as root
or as the server's user; the server's own shared buffers are not dropped).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tap_pinterest.mirror import Mirror

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mirror_data import base_pins

E = "board_pins"


def database_files(args: argparse.Namespace) -> list[Path]:
    """The files holding the stream's table and indexes."""
    if not args.url:
        return [Path(args.db), Path(f"{args.db}-wal")]
    engine = sa.create_engine(args.url)
    with engine.connect() as conn:
        table = conn.exec_driver_sql(
            "SELECT table_name FROM mirror_streams WHERE stream = %(s)s", {"s": E}
        ).scalar_one()
        data = Path(conn.exec_driver_sql("SHOW data_directory").scalar_one())
        paths = (
            conn.exec_driver_sql(
                "SELECT pg_relation_filepath(c.oid) FROM pg_class c WHERE c.oid IN "
                "(SELECT CAST(%(t)s AS regclass) UNION SELECT indexrelid FROM pg_index "
                "WHERE indrelid = CAST(%(t)s AS regclass) UNION SELECT reltoastrelid FROM pg_class "
                "WHERE oid = CAST(%(t)s AS regclass) AND reltoastrelid <> 0)",
                {"t": table},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    # a relation over 1 GB is in segments (base/1/2, base/1/2.1, ...), beside its maps
    names = {Path(p).name for p in paths}
    directory = (data / paths[0]).parent
    return [
        f
        for f in directory.iterdir()
        if f.name.split(".")[0].removesuffix("_fsm").removesuffix("_vm") in names
    ]


def evict(files: list[Path]) -> None:
    """Drop `files` from the kernel's page cache."""
    for path in files:
        if not path.exists():
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def timed(mirror: Mirror, runs: list[dict[str, Any]], cold: list[Path] | None = None) -> str:
    """p50 and p95 of the searches `runs`, in a first pass (after evicting the `cold`
    files) and again (warm)."""
    if cold:
        evict(cold)
    passes = []
    for _ in range(2):
        times = []
        for kwargs in runs:
            started = time.perf_counter()
            mirror.search(E, **kwargs)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        passes.append((statistics.median(times), times[int(len(times) * 0.95) - 1]))
    (p50, p95), (warm50, warm95) = passes
    return f"p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   warm: p50 {warm50:7.2f}   p95 {warm95:7.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "mirror-bench.db"))
    parser.add_argument("--url")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--cold", action="store_true", help="read each first pass from disk")
    args = parser.parse_args()
    mirror = Mirror(args.url or f"sqlite:///{args.db}")
    cold = database_files(args) if args.cold else None
    total = mirror.stats()[E]["records"]
    rng = random.Random(7)
    words = [w for p in base_pins() for w in p["title"].lower().split() if len(w) > 3]
    pairs = [" ".join(p["title"].lower().split()[:3:2]) for p in base_pins()]
    rare = [w for w, _ in Counter(words).most_common()[-10:]]  # the least common words
    limit = args.limit
    ids = [str(100_000_000_000_000_000 + rng.randrange(total)) for _ in range(args.runs)]
    boards = [mirror.get(E, i)["board_id"] for i in ids]

    def flt(f: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return {"query": {"filter": f}, "limit": limit, **kw}

    cases = {
        "eq id": [flt({"eq": {"id": i}}) for i in ids],
        "eq board_id (indexed)": [flt({"eq": {"board_id": b}}) for b in boards],
        "keyword title": [flt({"keyword": {"title": rng.choice(words)}}) for _ in ids],
        "keyword description": [
            flt({"keyword": {"description": f"{rng.choice(words)} {rng.choice(words)}"}})
            for _ in ids
        ],
        "fuzzy title": [flt({"fuzzy": {"title": rng.choice(pairs)}}) for _ in ids],
        "fuzzy description": [flt({"fuzzy": {"description": rng.choice(pairs)}}) for _ in ids],
        "keyword description rare": [
            flt({"keyword": {"description": f"{rng.choice(rare)} {rng.choice(rare)}"}}) for _ in ids
        ],
        "keyword title no match": [flt({"keyword": {"title": f"zq{n}x"}}) for n in range(len(ids))],
    }
    print(f"{total:,} {E} records, limit {limit}, {args.runs} runs each")
    for name, runs in cases.items():
        print(f"{name:<28} {timed(mirror, runs, cold)}", flush=True)
    # sorted pages with a cursor, at several depths
    query = {"sort": [{"created_at": "desc"}]}
    depths = {0: None}
    cursor, seen = None, 0
    wanted = [d for d in (10_000, total // 2, total - 2 * limit) if 0 < d < total]
    while wanted and seen < wanted[-1]:
        page = mirror.search(E, query, limit=1000, cursor=cursor, fields=["id"])
        seen += len(page["data"])
        cursor = page["meta"]["cursor"]
        while wanted and seen >= wanted[0]:
            depths[wanted.pop(0)] = cursor
    search = {"filter": {"keyword": {"description": "curry cookies"}}}
    pages = [mirror.search(E, search, limit=limit)["meta"]["cursor"]]
    for _ in range(20):
        pages.append(mirror.search(E, search, limit=limit, cursor=pages[-1])["meta"]["cursor"])
    runs = [{"query": search, "limit": limit, "cursor": c} for c in pages]
    print(f"{'keyword next pages':<28} {timed(mirror, runs, cold)}")
    for depth, cur in depths.items():
        runs = [{"query": query, "limit": limit, "cursor": cur}] * args.runs
        print(f"sorted page at depth {depth:<7,} {timed(mirror, runs, cold)}", flush=True)
    mirror.close()


if __name__ == "__main__":
    main()
