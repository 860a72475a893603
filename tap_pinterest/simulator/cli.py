"""`tap-pinterest-sim`: run the Pinterest API simulator in the foreground."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from tap_pinterest.simulator.analytics.reports import (
    DEFAULT_POLL_DELAY,
    DEFAULT_REPORT_TTL,
    DEFAULT_URL_TTL,
)
from tap_pinterest.simulator.api.faults import Faults, parse_rate
from tap_pinterest.simulator.api.routes import CATEGORIES
from tap_pinterest.simulator.server import Simulator

PROG = "tap-pinterest-sim"


class _Parser(argparse.ArgumentParser):
    """Errors as one line: `tap-pinterest-sim: error: ...`."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _number(
    kind: Callable[[str], float], low: float, high: float | None = None
) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"between {low:g} and {high:g}" if high is not None else f">= {low:g}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return value

    return parse


def _rate_limit(text: str) -> tuple[str, int, float]:
    category, sep, rate = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected CATEGORY=REQUESTS/SECONDS, got {text!r}")
    if category not in CATEGORIES:
        raise argparse.ArgumentTypeError(
            f"unknown category {category!r}; choose from {', '.join(CATEGORIES)}"
        )
    try:
        limit, window = parse_rate(rate)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return category, limit, window


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Serve a deterministic simulation of the Pinterest API v5 on a local port.",
    )
    add = parser.add_argument
    add("--seed", type=int, default=1, help="dataset and fault seed (default 1)")
    add(
        "--scale",
        type=_number(float, 0.0),
        default=1.0,
        help="dataset size; counts grow linearly (default 1; about 150,000 pins at 300)",
    )
    add("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    add("--port", type=_number(int, 0, 65535), default=8765, help="port (default 8765; 0: any)")
    add(
        "--token-ttl",
        type=_number(int, 1),
        default=3600,
        help="lifetime in seconds of access tokens issued by /v5/oauth/token (default 3600)",
    )
    add(
        "--static-token-ttl",
        type=_number(int, 1),
        default=None,
        help="lifetime of the static access token (default: the server's lifetime)",
    )
    add("--latency-ms", type=_number(float, 0.0), default=0.0, help="added to every response")
    add(
        "--error-rate",
        type=_number(float, 0.0, 1.0),
        default=0.0,
        help="fraction of requests answered 500/503",
    )
    add(
        "--drop-rate",
        type=_number(float, 0.0, 1.0),
        default=0.0,
        help="fraction of requests whose connection is closed without a response",
    )
    add(
        "--rate-limit",
        type=_rate_limit,
        action="append",
        default=[],
        metavar="CATEGORY=N/SECONDS",
        help=f"request budget per window for a category ({', '.join(CATEGORIES)}); "
        "repeatable; e.g. ads_analytics=300/60",
    )
    add(
        "--report-poll-delay",
        type=_number(int, 0),
        default=DEFAULT_POLL_DELAY,
        metavar="POLLS",
        help="polls a report answers IN_PROGRESS before FINISHED (default %(default)s)",
    )
    add(
        "--report-url-ttl",
        type=_number(float, 1),
        default=DEFAULT_URL_TTL,
        metavar="SECONDS",
        help="lifetime of a report's pre-signed download URL (default %(default)s)",
    )
    add(
        "--report-ttl",
        type=_number(float, 1),
        default=DEFAULT_REPORT_TTL,
        metavar="SECONDS",
        help="how long a finished report stays available before EXPIRED (default %(default)s)",
    )
    add(
        "--no-keywords-ad-group-ids",
        action="store_true",
        help="answer 400 to keywords requests with ad_group_ids (the beta is off)",
    )
    add(
        "--write-config",
        type=Path,
        metavar="PATH",
        help='write a tap config {"api_url", "access_token"} to PATH',
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    faults = Faults(
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        drop_rate=args.drop_rate,
        rate_limits={c: (n, w) for c, n, w in args.rate_limit},
        seed=args.seed,
    )
    sim = Simulator(
        seed=args.seed,
        scale=args.scale,
        host=args.host,
        port=int(args.port),
        token_ttl=int(args.token_ttl),
        faults=faults,
        keywords_ad_group_ids_supported=not args.no_keywords_ad_group_ids,
        static_token_ttl=None if args.static_token_ttl is None else int(args.static_token_ttl),
        report_poll_delay=int(args.report_poll_delay),
        report_url_ttl=args.report_url_ttl,
        report_ttl=args.report_ttl,
    )
    try:
        sim.start()
    except OSError as exc:
        print(
            f"{PROG}: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    stop = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    note = ""
    try:
        if args.write_config is not None:
            args.write_config.parent.mkdir(parents=True, exist_ok=True)
            args.write_config.write_text(json.dumps(sim.tap_config(), indent=2) + "\n")
            note = f"; tap config written to {args.write_config}"
    except OSError as exc:
        sim.stop()
        print(
            f"{PROG}: error: cannot write {args.write_config}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    print(
        f"{PROG}: serving {sim.base_url} (seed {args.seed}, scale {args.scale:g}){note}",
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


if __name__ == "__main__":
    sys.exit(main())
