"""`tap-pinterest-sim`: run the Pinterest API simulator in the foreground.

A click command. A usage error is one stderr line, `tap-pinterest-sim: error: ...`
naming the flag, and exit status 2; `main` is the console script.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import click
from typing_extensions import override

from tap_pinterest.simulator.analytics.reports import (
    DEFAULT_POLL_DELAY,
    DEFAULT_REPORT_TTL,
    DEFAULT_URL_TTL,
)
from tap_pinterest.simulator.api.faults import Faults, parse_rate
from tap_pinterest.simulator.api.routes import CATEGORIES
from tap_pinterest.simulator.server import Simulator

PROG = "tap-pinterest-sim"
EXIT_INTERRUPTED = 130


class FiniteFloatRange(click.FloatRange):
    """`click.FloatRange` that also refuses nan and inf, which every bound lets through."""

    name = "float"

    @override
    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class RateLimit(click.ParamType[tuple[str, int, float], str]):
    """`CATEGORY=REQUESTS/SECONDS` -> (category, requests, window seconds)."""

    name = "rate limit"

    @override
    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, int, float]:
        if isinstance(value, tuple):  # already converted (a default)
            return value
        category, sep, rate = str(value).partition("=")
        if not sep:
            self.fail(f"expected CATEGORY=REQUESTS/SECONDS, got {value!r}", param, ctx)
        if category not in CATEGORIES:
            self.fail(
                f"unknown category {category!r}; choose from {', '.join(CATEGORIES)}", param, ctx
            )
        try:
            limit, window = parse_rate(rate)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return category, limit, window


@click.command(
    name=PROG,
    help="Serve a deterministic simulation of the Pinterest API v5 on a local port.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option("--seed", type=int, default=1, help="dataset and fault seed (default 1)")
@click.option(
    "--scale",
    type=FiniteFloatRange(min=0),
    default=1.0,
    help="dataset size; counts grow linearly (default 1; about 150,000 pins at 300)",
)
@click.option("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    help="port (default 8765; 0: any)",
)
@click.option(
    "--token-ttl",
    type=click.IntRange(min=1),
    default=3600,
    help="lifetime in seconds of access tokens issued by /v5/oauth/token (default 3600)",
)
@click.option(
    "--static-token-ttl",
    type=click.IntRange(min=1),
    default=None,
    help="lifetime of the static access token (default: the server's lifetime)",
)
@click.option(
    "--latency-ms",
    type=FiniteFloatRange(min=0),
    default=0.0,
    help="added to every response",
)
@click.option(
    "--error-rate",
    type=FiniteFloatRange(0, 1),
    default=0.0,
    help="fraction of requests answered 500/503",
)
@click.option(
    "--drop-rate",
    type=FiniteFloatRange(0, 1),
    default=0.0,
    help="fraction of requests whose connection is closed without a response",
)
@click.option(
    "--rate-limit",
    "rate_limits",
    type=RateLimit(),
    multiple=True,
    metavar="CATEGORY=N/SECONDS",
    help=f"request budget per window for a category ({', '.join(CATEGORIES)}); "
    "repeatable; e.g. ads_analytics=300/60",
)
@click.option(
    "--report-poll-delay",
    type=click.IntRange(min=0),
    default=DEFAULT_POLL_DELAY,
    metavar="POLLS",
    help=f"polls a report answers IN_PROGRESS before FINISHED (default {DEFAULT_POLL_DELAY})",
)
@click.option(
    "--report-url-ttl",
    type=FiniteFloatRange(min=1),
    default=DEFAULT_URL_TTL,
    metavar="SECONDS",
    help=f"lifetime of a report's pre-signed download URL (default {DEFAULT_URL_TTL:g})",
)
@click.option(
    "--report-ttl",
    type=FiniteFloatRange(min=1),
    default=DEFAULT_REPORT_TTL,
    metavar="SECONDS",
    help="how long a finished report stays available before EXPIRED "
    f"(default {DEFAULT_REPORT_TTL:g})",
)
@click.option(
    "--no-keywords-ad-group-ids",
    is_flag=True,
    help="answer 400 to keywords requests with ad_group_ids (the beta is off)",
)
@click.option(
    "--write-config",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="PATH",
    help='write a tap config {"api_url", "access_token"} to PATH',
)
def serve(
    *,
    seed: int,
    scale: float,
    host: str,
    port: int,
    token_ttl: int,
    static_token_ttl: int | None,
    latency_ms: float,
    error_rate: float,
    drop_rate: float,
    rate_limits: tuple[tuple[str, int, float], ...],
    report_poll_delay: int,
    report_url_ttl: float,
    report_ttl: float,
    no_keywords_ad_group_ids: bool,
    write_config: Path | None,
) -> int:
    """Serve until SIGINT or SIGTERM; 1 if the port or the config file is unusable."""
    faults = Faults(
        latency_ms=latency_ms,
        error_rate=error_rate,
        drop_rate=drop_rate,
        rate_limits={c: (n, w) for c, n, w in rate_limits},
        seed=seed,
    )
    sim = Simulator(
        seed=seed,
        scale=scale,
        host=host,
        port=port,
        token_ttl=token_ttl,
        faults=faults,
        keywords_ad_group_ids_supported=not no_keywords_ad_group_ids,
        static_token_ttl=static_token_ttl,
        report_poll_delay=report_poll_delay,
        report_url_ttl=report_url_ttl,
        report_ttl=report_ttl,
    )
    try:
        sim.start()
    except OSError as exc:
        _error(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        return 1
    stop = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    note = ""
    try:
        if write_config is not None:
            write_config.parent.mkdir(parents=True, exist_ok=True)
            write_config.write_text(json.dumps(sim.tap_config(), indent=2) + "\n")
            note = f"; tap config written to {write_config}"
    except OSError as exc:
        sim.stop()
        _error(f"cannot write {write_config}: {exc.strerror or exc}")
        return 1
    print(
        f"{PROG}: serving {sim.base_url} (seed {seed}, scale {scale:g}){note}",
        file=sys.stderr,
        flush=True,
    )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
    print(f"{PROG}: stopped", file=sys.stderr)
    return 0


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _usage_message(exc: click.ClickException) -> str:
    if isinstance(exc, click.NoSuchOption):
        hint = f" (did you mean {' or '.join(exc.possibilities)}?)" if exc.possibilities else ""
        return f"unrecognized option {exc.option_name}{hint}"
    return exc.format_message()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command on `argv` (default: the process's arguments); the exit status."""
    try:
        status: int = serve.main(args=argv, prog_name=PROG, standalone_mode=False)
    except click.ClickException as exc:
        _error(f"{_usage_message(exc)} (see --help)")
        return exc.exit_code
    except click.Abort:  # Ctrl-C before the signal handlers are set, e.g. while generating
        _error("interrupted")
        return EXIT_INTERRUPTED
    return status


if __name__ == "__main__":
    sys.exit(main())
