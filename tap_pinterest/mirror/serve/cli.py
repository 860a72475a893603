"""``tap-pinterest-mirror``: query the local mirror, list live, serve the HTTP endpoint
and the MCP server (``mcp``, in ``mcp.py``, whose SDK is the ``[mcp]`` extra).

Every command prints JSON on stdout. Every error is one line ``error: <message>`` on
stderr and exit status 2, never a traceback; a usage error names the command and what
is wrong (every missing argument at once, the valid commands for an unknown one).

The commands are click's. This is the mirror's one wiring point to the live API: with
``--config`` it builds the tap's adapter (:mod:`tap_pinterest.live`) and hands its
``list`` and ``get`` to the executor.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import traceback
import typing as t
from pathlib import Path

import click

from tap_pinterest.mirror.db import database
from tap_pinterest.mirror.db.database import DEFAULT_URL, DatabaseError
from tap_pinterest.mirror.db.errors import NotFoundError, QueryError
from tap_pinterest.mirror.query.api import MAX_LIMIT, Mirror
from tap_pinterest.mirror.query.execute import Executor, from_mirror_error
from tap_pinterest.mirror.query.requests import RequestError
from tap_pinterest.mirror.serve.server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    MCP_PORT,
    MirrorApp,
    MirrorServer,
    check_bind,
)
from tap_pinterest.mirror.serve.usage import Group, Integer, param_name

if t.TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from tap_pinterest.live import LiveClient

PROG = "tap-pinterest-mirror"
DATABASE_URL_ENV = "PINTEREST_MIRROR_DATABASE_URL"
TOKEN_ENV = "PINTEREST_MIRROR_TOKEN"  # noqa: S105 - the variable's name, not a token
#: Set to DEBUG to follow a database error's line with its traceback (as the target does).
LOGLEVEL_ENVS = ("TAP_PINTEREST_MIRROR_LOGLEVEL", "LOGLEVEL")
EXIT_ERROR = 2
MCP_INSTALL = 'pip install "tap-pinterest[mcp]"'
#: How to make a mirror, for the message about a missing one.
LOAD_HINT = (
    "run a sync first: `meltano run tap-pinterest target-pinterest-mirror`, or "
    "`tap-pinterest --config TAP.json | target-pinterest-mirror --config MIRROR.json`"
)


class CliError(Exception):
    """A one-line error for the user."""


def _remember_database_url(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:  # the command's, given after it, wins over the one before it
        ctx.meta["database_url"] = value


_database_url_option = click.option(
    "--database-url",
    expose_value=False,
    callback=_remember_database_url,
    help=f"the mirror database (default: ${DATABASE_URL_ENV} or {DEFAULT_URL})",
)


@click.group(
    cls=Group,
    invoke_without_command=True,
    help="Query the local Pinterest mirror, list live from the API, or serve both over HTTP "
    "(POST /execute) or to AI agents over MCP.",
)
@_database_url_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    if ctx.invoked_subcommand is None:
        raise click.UsageError("the following arguments are required: command", ctx)


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


def _database_url() -> tuple[str, str]:
    """The database URL, and the setting it came from (for error messages)."""
    if given := click.get_current_context().meta.get("database_url"):
        return given, "--database-url"
    if from_env := os.environ.get(DATABASE_URL_ENV):
        return from_env, f"${DATABASE_URL_ENV}"
    return DEFAULT_URL, "--database-url (default)"


def _mirror(*, must_exist: bool = True) -> Mirror:
    """The mirror, connected; a missing SQLite file is an error unless `must_exist` is
    False (`serve` waits for a sync to make it). Nothing is created."""
    url, setting = _database_url()
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


def _executor(live: LiveClient | None = None, *, serving: bool = False) -> Executor:
    mirror = _mirror(must_exist=not serving)
    if live is None:
        return Executor(mirror)
    from tap_pinterest.live import GET_ENTITIES  # noqa: PLC0415

    return Executor(mirror, live.list, live.get, GET_ENTITIES)


def _params(text: str | None) -> dict[str, t.Any]:
    params = _json_arg("--params", text) if text is not None else {}
    if not isinstance(params, dict):
        msg = "--params must be a JSON object"
        raise CliError(msg)
    return params


def _print(result: object) -> None:
    sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")


@cli.command(help="search the mirror")
@_database_url_option
@click.argument("entity")
@click.option("--query", help='JSON, e.g. \'{"filter": {"eq": {"country": "US"}}}\'')
@click.option("--query-file", type=click.Path(path_type=Path), help="a file holding the query JSON")
@click.option(
    "--limit", type=Integer(), default=MAX_LIMIT, help=f"records per page, 1 to {MAX_LIMIT}"
)
@click.option("--cursor", help="meta.cursor of the previous page")
@click.option("--fields", help="comma-separated field paths, e.g. id,owner.username")
def search(
    *,
    entity: str,
    query: str | None,
    query_file: Path | None,
    limit: int,
    cursor: str | None,
    fields: str | None,
) -> None:
    if query is not None and query_file is not None:
        raise click.UsageError("argument --query-file: not allowed with argument --query")
    params: dict[str, t.Any] = {"limit": limit}
    if query is not None:
        params["query"] = _json_arg("--query", query)
    elif query_file is not None:
        params["query"] = _json_arg(f"--query-file {query_file}", _read("--query-file", query_file))
    if cursor is not None:
        params["cursor"] = cursor
    if fields is not None:
        params["fields"] = [field.strip() for field in fields.split(",") if field.strip()]
    _print(_executor().execute({"entity": entity, "action": "search", "params": params}))


@cli.command(help="one record by id")
@_database_url_option
@click.argument("entity")
@click.argument("id")
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    help="tap config: read the entities the API can get live",
)
@click.option("--params", help='JSON parent ids of a live get, e.g. \'{"ad_account_id": "1"}\'')
def get(entity: str, id: str, config: Path | None, params: str | None) -> None:
    request = {**_params(params), "id": id}
    live = _live(config)
    if live is not None:
        from tap_pinterest.live import GET_ENTITIES  # noqa: PLC0415

        if entity in GET_ENTITIES:  # from the API; the mirror is not needed
            _print(live.get(entity, request))
            return
    _print(_executor().execute({"entity": entity, "action": "get", "params": request}))


@cli.command(help="records and last load per entity")
@_database_url_option
@click.argument("entity", required=False)
def stats(entity: str | None) -> None:
    _print(_executor().execute({"entity": entity, "action": "stats"}))


@cli.command("list", help="one page live from the API")
@_database_url_option
@click.argument("entity")
@click.option("--params", help='JSON, e.g. \'{"board_id": "1", "page_size": 50}\'')
@click.option(
    "--config", type=click.Path(path_type=Path), required=True, help="the tap-pinterest config file"
)
def list_(entity: str, params: str | None, config: Path) -> None:
    request = _params(params)
    live = _live(config)
    if live is None:  # click requires --config; kept for the type checker
        msg = "list needs --config"
        raise CliError(msg)
    _print(live.list(entity, request))


@cli.command(help="serve POST /execute")
@_database_url_option
@click.option("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
@click.option("--port", type=Integer(), default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
@click.option("--token", help=f"bearer token required of every request (or ${TOKEN_ENV})")
@click.option("--config", type=click.Path(path_type=Path), help="tap config, for live list and get")
def serve(host: str, port: int, token: str | None, config: Path | None) -> None:
    token = _bearer(host, token)
    _log_to_stderr()
    app = MirrorApp(_executor(_live(config), serving=True), token=token)
    with _listening(host, port):
        MirrorServer(app, host, port).serve_until_signalled()


@cli.command(help="serve the mirror to AI agents over MCP (stdio, or streamable HTTP at /mcp)")
@_database_url_option
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio")
@click.option("--host", help=f"http only; default {DEFAULT_HOST}")
@click.option("--port", type=Integer(), help=f"http only; default {MCP_PORT} (0: any free port)")
@click.option("--token", help=f"http only: bearer token of every request (or ${TOKEN_ENV})")
@click.option("--config", type=click.Path(path_type=Path), help="tap config, for live list and get")
def mcp(
    transport: str, host: str | None, port: int | None, token: str | None, config: Path | None
) -> None:
    if transport == "stdio" and (host, port, token) != (None, None, None):
        raise click.UsageError("--host, --port and --token apply to --transport http only")
    try:
        from tap_pinterest.mirror.serve import mcp as agents  # noqa: PLC0415 - an extra
    except ModuleNotFoundError as error:
        missing = (error.name or "mcp").split(".")[0]
        msg = f"the mcp command needs the MCP SDK (no module {missing!r}): {MCP_INSTALL}"
        raise CliError(msg) from None
    host, port = host or DEFAULT_HOST, MCP_PORT if port is None else port
    token = _bearer(host, token) if transport == "http" else None
    _log_to_stderr()
    live = _live(config)
    server = agents.build(_executor(live), live.params_schemas() if live is not None else None)
    if transport == "stdio":
        agents.serve_stdio(server)
        return
    with _listening(host, port):
        agents.serve_http(server, host, port, token)


def _bearer(host: str, token: str | None) -> str | None:
    """The bearer token (``--token``, or the environment's): none is refused beyond loopback."""
    token = token or os.environ.get(TOKEN_ENV) or None
    try:
        check_bind(host, has_token=token is not None)
    except ValueError as error:
        raise CliError(str(error)) from None
    return token


def _log_to_stderr() -> None:
    """A server's log: on stderr (stdout is MCP's stdio transport)."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )


@contextlib.contextmanager
def _listening(host: str, port: int) -> Iterator[None]:
    """An address that cannot be bound, as one line."""
    try:
        yield
    except OSError as error:
        msg = f"cannot listen on {host}:{port}: {error.strerror or error}"
        raise CliError(msg) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    try:
        status = cli.main(list(argv) if argv is not None else None, PROG, standalone_mode=False)
    except (click.ClickException, click.Abort, KeyboardInterrupt) as error:
        return _fail(_usage(error))
    except CliError as error:
        _debug_traceback(error)
        return _fail(str(error))
    except RequestError as error:
        return _fail(error.message)
    except (QueryError, NotFoundError) as error:
        return _fail(from_mirror_error(error).message)
    except Exception as error:  # noqa: BLE001 - one line, never a traceback
        return _fail(f"unexpected {type(error).__name__}: {error}")
    return status if isinstance(status, int) else 0


def _usage(error: click.ClickException | click.Abort | KeyboardInterrupt) -> str:
    """`<command>: <what is wrong>` (a bad value named by its argument), or `interrupted`."""
    if not isinstance(error, click.ClickException):
        return "interrupted"
    if not isinstance(error, click.UsageError):
        return error.format_message()
    message = error.message
    if isinstance(error, click.BadParameter) and error.param is not None:
        message = f"argument {param_name(error.param)}: {message}"
    return f"{error.ctx.command_path if error.ctx else PROG}: {message}"


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
