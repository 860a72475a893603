"""``tap-pinterest-mirror``: query the local mirror, list live, serve the HTTP endpoint.

Every command prints JSON on stdout. Every error is one line ``error: <message>`` on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
import typing as t
from pathlib import Path

from tap_pinterest.mirror.db import database
from tap_pinterest.mirror.db.database import DEFAULT_URL, DatabaseError
from tap_pinterest.mirror.db.errors import NotFoundError, QueryError
from tap_pinterest.mirror.query.api import MAX_LIMIT, Mirror
from tap_pinterest.mirror.query.execute import Executor, RequestError, from_mirror_error
from tap_pinterest.mirror.serve.server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    MirrorApp,
    MirrorServer,
    check_bind,
)

if t.TYPE_CHECKING:
    from collections.abc import Sequence

    from tap_pinterest.live import LiveClient

DATABASE_URL_ENV = "PINTEREST_MIRROR_DATABASE_URL"
TOKEN_ENV = "PINTEREST_MIRROR_TOKEN"  # noqa: S105 - the variable's name, not a token
#: Set to DEBUG to follow a database error's line with its traceback (as the target does).
LOGLEVEL_ENVS = ("TAP_PINTEREST_MIRROR_LOGLEVEL", "LOGLEVEL")
EXIT_ERROR = 2
#: How to make a mirror, for the message about a missing one.
LOAD_HINT = (
    "run a sync first: `meltano run tap-pinterest target-pinterest-mirror`, or "
    "`tap-pinterest --config TAP.json | target-pinterest-mirror --config MIRROR.json`"
)


class CliError(Exception):
    """A one-line error for the user."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``error:`` line too."""

    def error(self, message: str) -> t.NoReturn:
        raise CliError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        help=f"the mirror database (default: ${DATABASE_URL_ENV} or {DEFAULT_URL})",
    )
    parser = _Parser(
        prog="tap-pinterest-mirror",
        description="Query the local Pinterest mirror, list live from the API, or serve "
        "both over HTTP (POST /execute).",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    search = commands.add_parser("search", parents=[common], help="search the mirror")
    search.add_argument("entity")
    query = search.add_mutually_exclusive_group()
    query.add_argument("--query", help='JSON, e.g. \'{"filter": {"eq": {"country": "US"}}}\'')
    query.add_argument("--query-file", type=Path, help="a file holding the query JSON")
    search.add_argument(
        "--limit", type=int, default=MAX_LIMIT, help=f"records per page, 1 to {MAX_LIMIT}"
    )
    search.add_argument("--cursor", help="meta.cursor of the previous page")
    search.add_argument("--fields", help="comma-separated field paths, e.g. id,owner.username")

    get = commands.add_parser("get", parents=[common], help="one record by id")
    get.add_argument("entity")
    get.add_argument("id")
    get.add_argument(
        "--config", type=Path, help="tap config: read the entities the API can get live"
    )
    get.add_argument(
        "--params", help='JSON parent ids of a live get, e.g. \'{"ad_account_id": "1"}\''
    )

    stats = commands.add_parser("stats", parents=[common], help="records and last load per entity")
    stats.add_argument("entity", nargs="?")

    live = commands.add_parser("list", parents=[common], help="one page live from the API")
    live.add_argument("entity")
    live.add_argument("--params", help='JSON, e.g. \'{"board_id": "1", "page_size": 50}\'')
    live.add_argument("--config", type=Path, required=True, help="the tap-pinterest config file")

    serve = commands.add_parser("serve", parents=[common], help="serve POST /execute")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    serve.add_argument("--token", help=f"bearer token required of every request (or ${TOKEN_ENV})")
    serve.add_argument("--config", type=Path, help="tap config, for live list and get")
    return parser


def _json_arg(name: str, text: str) -> t.Any:
    try:
        return json.loads(text)
    except ValueError as error:
        msg = f"{name} is not valid JSON: {error}"
        raise CliError(msg) from None


def _read(name: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        msg = f"{name}: cannot read {path}: {error.strerror or error}"
        raise CliError(msg) from None


def _database_url(args: argparse.Namespace) -> tuple[str, str]:
    """The database URL, and the setting it came from (for error messages)."""
    if given := getattr(args, "database_url", None):
        return given, "--database-url"
    if from_env := os.environ.get(DATABASE_URL_ENV):
        return from_env, f"${DATABASE_URL_ENV}"
    return DEFAULT_URL, "--database-url (default)"


def _mirror(args: argparse.Namespace, *, must_exist: bool = True) -> Mirror:
    """The mirror, connected; a missing SQLite file is an error unless `must_exist` is
    False (`serve` waits for a sync to make it). Nothing is created."""
    url, setting = _database_url(args)
    try:
        path = database.sqlite_file(database.resolve(url))
        if path is not None and not path.is_file():
            msg = (
                f"no mirror at {path.absolute()}: {LOAD_HINT}; or point "
                f"--database-url / ${DATABASE_URL_ENV} at an existing mirror"
            )
            if must_exist:
                raise CliError(msg)
            logging.getLogger(__name__).warning("%s", msg)
        return Mirror(url).open()
    except DatabaseError as error:
        raise CliError(error.line(setting)) from error


def _live(config_path: Path | None) -> LiveClient | None:
    if config_path is None:
        return None
    config = _json_arg(f"--config {config_path}", _read("--config", config_path))
    if not isinstance(config, dict):
        msg = f"--config {config_path}: must be a JSON object of tap settings"
        raise CliError(msg)
    from tap_pinterest.live import LiveClient  # noqa: PLC0415 - only when asked

    try:
        return LiveClient(config)
    except ValueError as error:
        msg = f"--config {config_path}: {error}"
        raise CliError(msg) from None


def _executor(
    args: argparse.Namespace, live: LiveClient | None = None, *, serving: bool = False
) -> Executor:
    mirror = _mirror(args, must_exist=not serving)
    if live is None:
        return Executor(mirror)
    from tap_pinterest.live import GET_ENTITIES  # noqa: PLC0415

    return Executor(mirror, live.list, live.get, GET_ENTITIES)


def _search(args: argparse.Namespace) -> t.Any:
    params: dict[str, t.Any] = {"limit": args.limit}
    if args.query is not None:
        params["query"] = _json_arg("--query", args.query)
    elif args.query_file is not None:
        params["query"] = _json_arg(
            f"--query-file {args.query_file}", _read("--query-file", args.query_file)
        )
    if args.cursor is not None:
        params["cursor"] = args.cursor
    if args.fields is not None:
        params["fields"] = [field.strip() for field in args.fields.split(",") if field.strip()]
    return _executor(args).execute({"entity": args.entity, "action": "search", "params": params})


def _get(args: argparse.Namespace) -> t.Any:
    params = {**_params(args.params), "id": args.id}
    live = _live(args.config)
    if live is not None:
        from tap_pinterest.live import GET_ENTITIES  # noqa: PLC0415

        if args.entity in GET_ENTITIES:  # from the API; the mirror is not needed
            return live.get(args.entity, params)
    return _executor(args).execute({"entity": args.entity, "action": "get", "params": params})


def _stats(args: argparse.Namespace) -> t.Any:
    return _executor(args).execute({"entity": args.entity, "action": "stats"})


def _params(text: str | None) -> dict[str, t.Any]:
    params = _json_arg("--params", text) if text is not None else {}
    if not isinstance(params, dict):
        msg = "--params must be a JSON object"
        raise CliError(msg)
    return params


def _list(args: argparse.Namespace) -> t.Any:
    params = _params(args.params)
    live = _live(args.config)
    if live is None:  # argparse requires --config; kept for the type checker
        msg = "list needs --config"
        raise CliError(msg)
    return live.list(args.entity, params)


def _serve(args: argparse.Namespace) -> None:
    token = args.token or os.environ.get(TOKEN_ENV) or None
    try:
        check_bind(args.host, has_token=token is not None)
    except ValueError as error:
        raise CliError(str(error)) from None
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    app = MirrorApp(_executor(args, _live(args.config), serving=True), token=token)
    try:
        MirrorServer(app, args.host, args.port).serve_until_signalled()
    except OSError as error:
        msg = f"cannot listen on {args.host}:{args.port}: {error.strerror or error}"
        raise CliError(msg) from None


COMMANDS = {"search": _search, "get": _get, "stats": _stats, "list": _list, "serve": _serve}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
        result = COMMANDS[args.command](args)
        if result is not None:
            sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    except CliError as error:
        _debug_traceback(error)
        return _fail(str(error))
    except RequestError as error:
        return _fail(error.message)
    except (QueryError, NotFoundError) as error:
        return _fail(from_mirror_error(error).message)
    except KeyboardInterrupt:
        return _fail("interrupted")
    except Exception as error:  # noqa: BLE001 - one line, never a traceback
        return _fail(f"unexpected {type(error).__name__}: {error}")
    return 0


def _debug_traceback(error: BaseException) -> None:
    """At LOGLEVEL=debug, the traceback of the error's cause (a database error's)."""
    level = next((os.environ[name] for name in LOGLEVEL_ENVS if os.environ.get(name)), "")
    if level.upper() == "DEBUG" and error.__cause__ is not None:
        sys.stderr.write("".join(traceback.format_exception(error.__cause__)))


def _fail(message: str) -> int:
    line = " ".join(message.split())
    sys.stderr.write(f"error: {line}\n")
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
