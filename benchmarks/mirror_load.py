"""Load throughput of target-pinterest-mirror on SQLite and PostgreSQL in one run, as the
mirror grows, with the target's peak RSS and the database's size.

    .venv/bin/python benchmarks/mirror_load.py --records 1000000
    .venv/bin/python benchmarks/mirror_load.py --records 1000000 --target-postgres .venv-tp
    .venv/bin/python benchmarks/mirror_load.py --records 10000000 --keep   # then mirror_search.py

Streams `--records` board_pins (benchmarks/mirror_data.py, written to a file first, so
generating them takes no CPU from the target) into one target process per backend, in
turn, with a STATE every `--step` records. The pins come board by board, as the tap
sends them; `--order scattered` puts each on a random board, the input of the figures
before this order. The target emits each STATE after committing the records before it,
so the time between two STATE lines is the time to load and commit one step: the script
prints the rate of every step, the median, the first and the last million's rate (from
2M records), the time from the last STATE to the target's exit (it writes that STATE
once the last records are committed, then builds a new table's indexes and gathers the
statistics: `load.indexing`), the peak RSS, the CPU time per record (the target's, and
on a local PostgreSQL the server's: its backends and background processes, from /proc), the
database's size and bytes per record, and PostgreSQL's rate as a share of SQLite's on
the same messages. The CPU times show where a change moved work on a machine whose
speed moves from run to run; the rates are what the targets are about.

SQLite: a file `--db` (replaced). PostgreSQL: `--pg-url`, in a schema of its own
(`mirror_load_bench`, dropped first, and at the end unless `--keep`): tables left in
`public` would be seen by the tests and by the next run. `--backends` picks either.

`--target-postgres VENV` also loads the same messages with meltanolabs-target-postgres
installed in VENV (`python3 -m venv VENV && VENV/bin/pip install
meltanolabs-target-postgres`), with `use_copy`, into the schema `mirror_load_tp`, for
reference.

`--repeat N` runs the backends in turn N times (SQLite, PostgreSQL, SQLite, ...) and
prints each round's PostgreSQL / SQLite ratio and their median: on the 2-core CI
machine one backend's rate moves by up to 15% from run to run, so one pair of runs is
a noisy ratio. Before every run the script flushes the page cache's dirty pages
(`sync`) and has PostgreSQL checkpoint, so no run pays for the writes of the one
before it.

By default the target runs as shipped: it writes a STATE (committing first) at most
every 30 s (`state_interval_seconds`), so the marks come about 30 s apart, and the
first and the last million's rates are interpolated between them. `--state-interval 0`
writes every STATE, a commit every `--step` records (the figures before this default).
`--batch-size` sets
the target's `batch_size_rows` (records per batch; by default 2,500 per writer lane:
2,500 on SQLite, 5,000 on PostgreSQL).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mirror_data import ORDERS, singer_lines
from peak_rss import Measured

BIN = Path(sys.executable).parent
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCHEMA = "mirror_load_bench"
TP_SCHEMA = "mirror_load_tp"
MILLION = 1_000_000
FEED_CHUNK = 1 << 20
DROP_EVERY = 64 << 20


@dataclass
class Run:
    name: str
    records: int
    marks: list[tuple[int, float]]
    elapsed: float
    rss_mb: float
    status: int
    size: int | None
    target_cpu: float = 0.0
    server_cpu: float | None = None
    states: bool = True  # the marks are the target's STATE lines, not its start and end

    @property
    def rates(self) -> list[float]:
        return [(b[0] - a[0]) / (b[1] - a[1]) for a, b in itertools.pairwise(self.marks)]

    @property
    def overall(self) -> float:
        return self.records / self.elapsed

    def time_at(self, records: int) -> float | None:
        """When the load reached `records`: a mark's time, or interpolated between the two
        marks around it (with the target's default STATE interval a mark comes every
        30 s, not at every step)."""
        for (a, at), (b, bt) in itertools.pairwise(self.marks):
            if a <= records <= b:
                return at + (bt - at) * (records - a) / (b - a)
        return None

    def rate_between(self, start: int, end: int) -> float | None:
        """Records per second from `start` records to `end`."""
        began, ended = self.time_at(start), self.time_at(end)
        if began is None or ended is None:
            return None
        return (end - start) / (ended - began)


def input_file(records: int, step: int, order: str) -> Path:
    source = Path(tempfile.gettempdir()) / f"mirror-bench-{records}-{step}-{order}.jsonl"
    if not source.exists():
        partial = source.with_suffix(".partial")
        with partial.open("w") as out:
            out.writelines(line + "\n" for line in singer_lines(records, step, order=order))
        partial.rename(source)
    return source


def feed(source: Path, pipe: IO[bytes]) -> None:
    """Write `source` into the target's stdin, as a tap's pipe would, and drop what was
    read from the page cache: the 10M input (14 GB) would otherwise push the mirror's
    own pages out of it, which no sync through a pipe does."""
    read = 0
    try:
        with source.open("rb") as file, pipe:
            while chunk := file.read(FEED_CHUNK):
                pipe.write(chunk)
                read += len(chunk)
                if read % DROP_EVERY < len(chunk):
                    os.posix_fadvise(file.fileno(), 0, read, os.POSIX_FADV_DONTNEED)
    except BrokenPipeError:  # the target stopped early: its exit status tells why
        return


def server_cpu(pg_url: str) -> float | None:
    """The CPU seconds the local PostgreSQL server has used so far (its postmaster and
    every process it started, those that ended included: their time is added to the
    postmaster's when it reaps them), from /proc; None for a server this script cannot
    see (remote, or another user's without the rights)."""
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        postmaster = int(_proc_stat(backend)[1])
        total = sum(int(v) for v in _proc_stat(postmaster)[11:15])  # utime stime cutime cstime
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and entry.name != str(backend):
                fields = _proc_stat(int(entry.name))
                if fields and int(fields[1]) == postmaster:
                    total += int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError, sa.exc.DBAPIError):
        return None
    finally:
        engine.dispose()
    return total / os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command's name (state first), or []."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text[text.rindex(")") + 2 :].split()


def run_target(
    name: str, command: list[str], source: Path, records: int, *, marks: bool
) -> tuple[list[tuple[int, float]], float, float, int, float]:
    """Run a target on `source`; the STATE lines it writes mark the steps."""
    measured = Measured(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    target = measured.process
    if target.stdout is None or target.stdin is None:
        raise RuntimeError(name)
    feeder = threading.Thread(target=feed, args=(source, target.stdin.buffer), daemon=True)
    started = time.perf_counter()
    feeder.start()
    found = [(0, started)]
    for line in target.stdout:
        if not marks:
            continue
        loaded = json.loads(line)["loaded"]  # the STATE's value, as the target writes it
        found.append((loaded, time.perf_counter()))
        print(f"  {name}: {loaded:>11,} records  {found[-1][1] - started:8.1f} s", flush=True)
    status, rss_mb = measured.wait()
    feeder.join()
    elapsed = time.perf_counter() - started
    if not marks:
        found.append((records, started + elapsed))
    return [(n, t - started) for n, t in found], elapsed, rss_mb, status, measured.cpu_seconds


def write_config(settings: dict[str, Any]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as config:
        json.dump(settings, config)
    return config.name


def pg_schema_url(pg_url: str, schema: str) -> str:
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    return f"{pg_url}?options=-csearch_path%3D{schema},public"


def pg_size(pg_url: str, schema: str) -> int:
    """Bytes of the schema's tables, with their indexes and TOAST."""
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        size = conn.execute(
            sa.text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind IN ('r', 'm')"
            ),
            {"schema": schema},
        ).scalar_one()
    engine.dispose()
    return int(size)


def drop_schema(pg_url: str, schema: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


def sqlite_size(db: str) -> int:
    return sum(Path(db + s).stat().st_size for s in ("", "-wal") if Path(db + s).exists())


def settle(pg_url: str | None) -> None:
    """Start the next run on a quiet machine: the dirty pages of the runs before it
    written out, and PostgreSQL's checkpoint done (it needs the CHECKPOINT privilege: a
    superuser or `pg_checkpoint`; without it the run starts after the `sync` alone)."""
    os.sync()
    if pg_url is None:
        return
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CHECKPOINT")
    except sa.exc.DBAPIError as exc:
        print(f"  (no CHECKPOINT before the run: {str(exc.orig).strip()})", flush=True)
    finally:
        engine.dispose()


def mirror_run(backend: str, args: argparse.Namespace, source: Path) -> Run:
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(args.db + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{args.db}"
    else:
        url = pg_schema_url(args.pg_url, SCHEMA)
    settings: dict[str, Any] = {"database_url": url}
    if args.state_interval is not None:
        settings["state_interval_seconds"] = args.state_interval
    if args.batch_size:
        settings["batch_size_rows"] = args.batch_size
    config = write_config(settings)
    command = [str(BIN / "target-pinterest-mirror"), "--config", config]
    before = server_cpu(args.pg_url) if backend == "postgresql" else None
    marks, elapsed, rss, status, cpu = run_target(
        backend, command, source, args.records, marks=True
    )
    after = server_cpu(args.pg_url) if before is not None else None
    Path(config).unlink()
    size = sqlite_size(args.db) if backend == "sqlite" else pg_size(args.pg_url, SCHEMA)
    server = after - before if after is not None and before is not None else None
    return Run(backend, args.records, marks, elapsed, rss, status, size, cpu, server)


def target_postgres_run(args: argparse.Namespace, source: Path) -> Run:
    """meltanolabs-target-postgres, `use_copy` on, into a schema of its own."""
    pg_schema_url(args.pg_url, TP_SCHEMA)
    config = write_config(
        {
            "sqlalchemy_url": args.pg_url,
            "default_target_schema": TP_SCHEMA,
            "use_copy": True,
            # no _sdc_* columns: the mirror stores none either (ACTIVATE_VERSION needs them)
            "add_record_metadata": False,
            "activate_version": False,
            "validate_records": False,
        }
    )
    command = [str(Path(args.target_postgres) / "bin" / "target-postgres"), "--config", config]
    name = "target-postgres (use_copy)"
    before = server_cpu(args.pg_url)
    marks, elapsed, rss, status, cpu = run_target(name, command, source, args.records, marks=False)
    after = server_cpu(args.pg_url)
    Path(config).unlink()
    size = pg_size(args.pg_url, TP_SCHEMA)
    drop_schema(args.pg_url, TP_SCHEMA)
    if status:
        print(f"  {name} failed (exit status {status}): its figures mean nothing", flush=True)
    server = after - before if after is not None and before is not None else None
    return Run(name, args.records, marks, elapsed, rss, status, size, cpu, server, states=False)


def report(run: Run) -> None:
    print(f"\n{run.name}   exit status: {run.status}")
    rates = run.rates
    if len(rates) > 1:
        print("  rate per step (records/s):", ", ".join(f"{r:,.0f}" for r in rates))
        print(f"  median step: {statistics.median(rates):,.0f} records/s")
    print(f"  overall: {run.overall:,.0f} records/s ({run.elapsed:.1f} s)")
    if run.states:
        print(
            f"  after the last STATE (index builds, statistics, exit): "
            f"{run.elapsed - run.marks[-1][1]:.1f} s"
        )
    if run.records >= 2 * MILLION:
        first = run.rate_between(0, MILLION)
        last = run.rate_between(run.records - MILLION, run.records)
        if first and last:
            print(
                f"  first million: {first:,.0f} records/s   last million: {last:,.0f} "
                f"records/s   ({last / first:.0%} of the first)"
            )
    print(f"  peak RSS: {run.rss_mb:,.0f} MB")
    cpu = f"  CPU per record: target {run.target_cpu / run.records * 1e6:,.1f} µs"
    if run.server_cpu is not None:
        cpu += f", PostgreSQL server {run.server_cpu / run.records * 1e6:,.1f} µs"
    print(cpu)
    if run.size is not None:
        per = run.size / run.records
        print(f"  database size: {run.size / 1e6:,.1f} MB   ({per:,.0f} bytes/record)")


def compare(rounds: list[dict[str, Run]]) -> None:
    """PostgreSQL's rate as a share of SQLite's, per round, and the median of the rounds."""
    pairs = [(r["sqlite"], r["postgresql"]) for r in rounds if {"sqlite", "postgresql"} <= set(r)]
    if not pairs:
        return
    overall = [pg.overall / sqlite.overall for sqlite, pg in pairs]
    steps = [statistics.median(pg.rates) / statistics.median(sqlite.rates) for sqlite, pg in pairs]
    print()
    for n, (sqlite, pg) in enumerate(pairs, start=1):
        print(
            f"round {n}: SQLite {sqlite.overall:,.0f}, PostgreSQL {pg.overall:,.0f} records/s: "
            f"PostgreSQL / SQLite, overall: {overall[n - 1]:.0%}   median step: {steps[n - 1]:.0%}"
        )
    if len(pairs) > 1:
        print(
            f"PostgreSQL / SQLite, median of {len(pairs)} rounds: overall "
            f"{statistics.median(overall):.0%}   median step: {statistics.median(steps):.0%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=MILLION)
    parser.add_argument("--step", type=int, default=100_000)
    parser.add_argument(
        "--order",
        choices=ORDERS,
        default="boards",
        help="pins board by board, as the tap sends them, or each on a random board",
    )
    parser.add_argument("--backends", default="sqlite,postgresql", help="'' for none")
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "mirror-bench.db"))
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    parser.add_argument("--target-postgres", metavar="VENV", help="also run target-postgres")
    parser.add_argument(
        "--state-interval",
        type=float,
        help="the target's state_interval_seconds (default: its own)",
    )
    parser.add_argument(
        "--batch-size", type=int, help="the target's batch_size_rows (default: its own)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="run the backends in turn this many times"
    )
    args = parser.parse_args()
    source = input_file(args.records, args.step, args.order)
    backends = [backend for backend in args.backends.split(",") if backend]
    uses_pg = "postgresql" in backends or args.target_postgres
    rounds: list[dict[str, Run]] = []
    for _ in range(args.repeat):
        rounds.append({})
        for backend in backends:
            settle(args.pg_url if uses_pg else None)
            rounds[-1][backend] = mirror_run(backend, args, source)
    runs = [run for done in rounds for run in done.values()]
    if args.target_postgres:
        settle(args.pg_url)
        runs.append(target_postgres_run(args, source))
    for run in runs:
        report(run)
    compare(rounds)
    if "postgresql" in backends:
        if args.keep:
            print(f"PostgreSQL mirror kept: {args.pg_url}?options=-csearch_path%3D{SCHEMA},public")
        else:
            drop_schema(args.pg_url, SCHEMA)


if __name__ == "__main__":
    main()
