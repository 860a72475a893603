"""``tap-pinterest-mirror mcp``: the mirror's actions as tools of a Model Context Protocol
server, for AI agents (the official ``mcp`` SDK, its high-level ``MCPServer``).

The tools ``search``, ``get``, ``list`` and ``stats`` are the actions of ``POST /execute``:
a call's arguments are the request's ``entity`` and its ``params``, run by the same
:class:`~tap_pinterest.mirror.query.execute.Executor`, which alone validates them, so a
bad query gets the 400's message, as a tool error (``isError``, the message as its text,
``{"error": {"problem", "message", "choices"}}`` as its structured content). An answer
is structured content ``{"data", "meta"}``: the executor's own for ``search`` and
``list``; the record, or the stats, as ``data`` for ``get`` and ``stats``. ``describe``
tells an agent each entity's fields, their types and the operators each type takes.

The input schemas come from the mirror's catalog when the server starts (``entity``: an
enum of the synced streams) and, for the live ``list`` and ``get``, from the params the
tap's adapter declares (handed in by the command line, as the executor's callables are).

Nothing here writes to the mirror. The Pinterest API is called only by ``list`` and a
live ``get``, which exist only when the command line was given a tap config.

Transports: stdio, or streamable HTTP at ``/mcp``, bound as ``serve`` binds (loopback by
default; any other address needs a bearer token, checked by ``server.bearer_matches``).
"""

from __future__ import annotations

import json
import logging
import signal
import time
import typing as t
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio.to_thread
import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from starlette.responses import JSONResponse
from typing_extensions import TypedDict, override

from tap_pinterest.mirror.query.api import MAX_LIMIT
from tap_pinterest.mirror.query.execute import as_request_errors
from tap_pinterest.mirror.query.guide import GUIDE, QUERY_SHAPE, operators_by_type
from tap_pinterest.mirror.query.requests import RequestError, unknown_param
from tap_pinterest.mirror.serve.server import (
    CHALLENGE,
    bearer_matches,
    check_bind,
    unauthorized,
)
from tap_pinterest.serving import listening_socket

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

    from mcp.server.mcpserver import Context
    from starlette.types import ASGIApp, Receive, Scope, Send

    from tap_pinterest.mirror.query.execute import Executor

logger = logging.getLogger("tap_pinterest.mirror.mcp")

NAME = "pinterest-mirror"
PATH = "/mcp"
INSTRUCTIONS = (
    "Read-only access to a local mirror of Pinterest data (ad accounts, campaigns, ads, "
    "boards, pins, catalogs, analytics...) synced by tap-pinterest. Start with stats (what "
    "is there) and describe (an entity's fields), then search. Answers are {data, meta}; "
    "page with meta.cursor while meta.has_more."
)


class Answer(TypedDict):
    """Every tool's structured content."""

    data: Any
    meta: dict[str, Any]


#: The actions whose answers are already ``{data, meta}`` (a page); the others' go in ``data``.
PAGED = frozenset({"search", "list"})
#: The params schemas of the live actions: ``{"list"|"get": {entity: object schema}}``.
LiveParams = dict[str, dict[str, dict[str, Any]]]
Run = t.Callable[[dict[str, Any]], dict[str, Any]]


class ActionTool(Tool):
    """A tool whose call runs ``fn(arguments)`` in a worker thread (the mirror's reads
    block). The arguments go to ``fn`` as they came: the executor is the one place they
    are validated (the advertised ``parameters`` describe them to the agent)."""

    @override
    async def run(
        self, arguments: dict[str, Any], context: Context[Any, Any], convert_result: bool = False
    ) -> Any:
        result = await anyio.to_thread.run_sync(self.fn, arguments)
        return self.fn_metadata.convert_result(result) if convert_result else result


def answer_of(run: Run) -> Callable[[dict[str, Any]], Annotated[CallToolResult, Answer]]:
    """The tool function of ``run``: its answer as structured content (and as JSON text,
    for clients that read only text), a `RequestError` as a tool error."""

    def call(arguments: dict[str, Any]) -> Annotated[CallToolResult, Answer]:
        try:
            answer = run(arguments)
        except RequestError as error:
            return CallToolResult(
                content=[TextContent(type="text", text=error.message)],
                structured_content=error.body(),
                is_error=True,
            )
        text = json.dumps(answer, ensure_ascii=False, default=str)
        return CallToolResult(
            content=[TextContent(type="text", text=text)], structured_content=answer
        )

    return call


def _request(action: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The ``POST /execute`` body of a call: ``entity`` apart, the rest as ``params``."""
    params = {key: value for key, value in arguments.items() if key != "entity"}
    return {"entity": arguments.get("entity"), "action": action, "params": params}


def _timed(data: Any, started: float) -> dict[str, Any]:
    return {"data": data, "meta": {"took_ms": round((time.perf_counter() - started) * 1000, 3)}}


@dataclass
class Actions:
    """The tools' bodies over one executor: each takes the call's arguments."""

    executor: Executor
    live: LiveParams = field(default_factory=dict)

    def run(self, action: str) -> Run:
        def call(arguments: dict[str, Any]) -> dict[str, Any]:
            started = time.perf_counter()
            answer = self.executor.execute(_request(action, arguments))
            return answer if action in PAGED else _timed(answer, started)

        return call

    def describe(self, arguments: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        unknown = sorted(set(arguments) - {"entity"})
        if unknown:
            raise unknown_param(["entity"])(unknown[0])
        mirror = self.executor.mirror
        with as_request_errors():
            entity = arguments.get("entity")
            if entity is None:
                data: dict[str, Any] = {"entities": mirror.entities()}
            else:
                data = {"entity": entity, **mirror.describe(entity)}
        data["operators_by_type"] = operators_by_type()
        data["query"] = QUERY_SHAPE
        return _timed(data, started)


# ---- the tools' descriptions and input schemas --------------------------------------------


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    return {**schema, "required": list(required)} if required else schema


def _entity(entities: list[str], what: str) -> dict[str, Any]:
    return (
        {"type": "string", "enum": entities, "description": what}
        if entities
        else {"type": "string"}
    )


def _operators() -> str:
    lines = [
        f"- {name}: {op.meaning}. e.g. {' or '.join(op.examples)}" for name, op in GUIDE.items()
    ]
    return "\n".join(lines)


def search_tool(entities: list[str]) -> tuple[str, dict[str, Any]]:
    description = (
        "Search one synced entity of the local mirror: filter, sort, page. Call describe "
        "first for the entity's fields and their types. Keep limit small and pick fields; "
        "while meta.has_more, pass meta.cursor back as cursor with the same query.\n"
        f"{QUERY_SHAPE}\nOperators:\n{_operators()}"
    )
    key_list = {"type": "array", "items": {"type": "string"}}
    schema = _object(
        {
            "entity": _entity(entities, "the synced stream to search"),
            "query": {
                "type": "object",
                "properties": {
                    "filter": {"type": "object", "description": "one condition"},
                    "sort": {"type": "array", "items": {"type": "object"}},
                },
                "additionalProperties": False,
            },
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": MAX_LIMIT},
            "cursor": {"type": "string", "description": "meta.cursor of the last page"},
            "fields": {
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, key_list]},
                "description": 'the fields to return, dotted ("owner.username"); default all',
            },
        },
        ("entity",),
    )
    return description, schema


def _parents(schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The required ids of the live actions' params, each naming the entities it is for."""
    users: dict[str, list[str]] = {}
    for entity, schema in schemas.items():
        for name in schema.get("required", []):
            users.setdefault(name, []).append(entity)
    return {
        name: {"type": "string", "description": f"required for {', '.join(entities)}"}
        for name, entities in users.items()
    }


def get_tool(entities: list[str], live: LiveParams) -> tuple[str, dict[str, Any]]:
    live_get = live.get("get", {})
    source = f" Live from the Pinterest API for {', '.join(sorted(live_get))}." if live_get else ""
    description = f"One record by its key, from the mirror.{source}"
    id_schema = {"description": "the record's key; a list of values for a composite key"}
    properties = {"entity": _entity(sorted({*entities, *live_get}), "the entity"), "id": id_schema}
    return description, _object({**properties, **_parents(live_get)}, ("entity", "id"))


def list_tool(live: LiveParams) -> tuple[str, dict[str, Any]]:
    schemas = live.get("list", {})
    if not schemas:
        description = "Unavailable: this server was started without a tap config. Use search."
        return description, _object({"entity": {"type": "string"}})
    properties: dict[str, Any] = {}
    for schema in schemas.values():
        for name, prop in schema.get("properties", {}).items():
            properties.setdefault(name, prop)
    properties.update(_parents(schemas))
    properties["entity"] = _entity(list(schemas), "the entity to list")
    description = (
        "One page live from the Pinterest API (not the mirror). Pass meta.cursor back as "
        "bookmark for the next page."
    )
    return description, _object(properties, ("entity",))


def build(executor: Executor, live: LiveParams | None = None) -> MCPServer[Any]:
    """The MCP server over ``executor`` (whose ``lister``/``getter`` serve the live
    actions; ``live`` describes their params)."""
    actions = Actions(executor, live or {})
    entities = executor.mirror.entities()
    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
    stats_schema = _object({"entity": _entity(entities, "one entity; default all")})
    describe_schema = _object({"entity": _entity(entities, "default: the entity names")})
    specs: list[tuple[str, tuple[str, dict[str, Any]], Run, ToolAnnotations]] = [
        ("search", search_tool(entities), actions.run("search"), read_only),
        ("get", get_tool(entities, actions.live), actions.run("get"), read_only),
        (
            "list",
            list_tool(actions.live),
            actions.run("list"),
            ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=True),
        ),
        (
            "stats",
            ("Records held and last load time, per entity.", stats_schema),
            actions.run("stats"),
            read_only,
        ),
        (
            "describe",
            (
                "An entity's key, fields and their types, and the operators each type "
                "takes; without entity, the entity names.",
                describe_schema,
            ),
            actions.describe,
            read_only,
        ),
    ]
    tools = []
    for name, (description, schema), run, hints in specs:
        tool = ActionTool.from_function(
            answer_of(run), name=name, description=description, annotations=hints
        )
        tool.parameters = schema
        tools.append(tool)
    return MCPServer(NAME, instructions=INSTRUCTIONS, tools=tools)


# ---- transports ----------------------------------------------------------------------------


class BearerGate:
    """An ASGI app that lets through only HTTP requests with the bearer token (401, as
    ``POST /execute`` answers, otherwise)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            given = headers.get(b"authorization", b"").decode("latin-1")
            if not bearer_matches(given, self._token):
                error = unauthorized()
                response = JSONResponse(error.body(), error.status, headers=CHALLENGE)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def serve_stdio(server: MCPServer[Any]) -> None:
    """Serve on stdin/stdout until the client closes them."""
    server.run("stdio")


def serve_http(server: MCPServer[Any], host: str, port: int, token: str | None) -> None:
    """Serve streamable HTTP at ``http://host:port/mcp`` until SIGINT or SIGTERM; raises
    ValueError beyond loopback without a token, OSError if the address cannot be bound."""
    check_bind(host, has_token=token is not None)
    app: ASGIApp = server.streamable_http_app(streamable_http_path=PATH, host=host)
    if token is not None:
        app = BearerGate(app, token)
    sock = listening_socket(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    logger.info("serving MCP at http://%s:%d%s", shown, bound, PATH)
    config = uvicorn.Config(app, log_config=None, lifespan="on", timeout_graceful_shutdown=5)
    # uvicorn shuts down on SIGINT/SIGTERM, then raises the signal again for the handlers
    # it found: these, so that a requested stop ends the command normally, as `serve`'s.
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, _after_shutdown) for sig in stops}
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    logger.info("stopped")


def _after_shutdown(signum: int, _frame: FrameType | None) -> None:
    logger.info("received %s, stopped serving", signal.Signals(signum).name)
