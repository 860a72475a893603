"""`tap-pinterest-mirror mcp` through the real protocol: the `mcp` client library starts
the server over stdio and over streamable HTTP, lists the tools, pages searches to the end
and compares them with `Mirror.search`; bad queries are tool errors with the 400's body;
the token rule holds over HTTP; the documented client config starts the server."""

# The fixtures imported from .pipeline are parameters of the tests (F811).
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import jsonschema
import pytest
import requests
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult

from tap_pinterest.live import GET_ENTITIES, LiveClient
from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.query.execute import Executor
from tap_pinterest.mirror.query.requests import RequestError
from tap_pinterest.mirror.serve import mcp as agents
from tap_pinterest.mirror.serve.server import MirrorApp, MirrorServer
from tap_pinterest.simulator import Simulator

from .pipeline import BIN, Loaded, loaded, mirror, mirror_records  # noqa: F401 - fixtures
from .test_cli import CLI, fails

ROOT = Path(__file__).resolve().parents[2]
#: Where the documented client config lives: the README's MCP section.
DOCUMENTED = ROOT / "README.md"
#: The placeholder the documented config uses for the project's directory.
PROJECT_PLACEHOLDER = "/path/to/project"
TOOLS = {"search", "get", "list", "stats", "describe"}
TOKEN = "mcp-token-0123456789abcdef"
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what the tests bind, or refuse to
#: The tool list's size budget, in tokens (characters / 4).
TOKEN_BUDGET = 3000


def _environ(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PINTEREST_MIRROR_")}
    return {**environ, **extra}


def _run(connect: Callable[[Client], Awaitable[None]], server: Any) -> None:
    async def session() -> None:
        async with Client(server) as client:
            await connect(client)

    anyio.run(session)


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    return await client.call_tool(tool, arguments)


async def _ok(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await _call(client, tool, arguments)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    assert set(result.structured_content) == {"data", "meta"}
    text = result.content[0]
    assert json.loads(getattr(text, "text", "")) == result.structured_content
    return result.structured_content


async def _page_all(client: Client, entity: str, query: dict[str, Any], limit: int) -> list[Any]:
    pages: list[Any] = []
    arguments: dict[str, Any] = {"entity": entity, "query": query, "limit": limit}
    while True:
        page = await _ok(client, "search", arguments)
        pages.append(page["data"])
        if not page["meta"]["has_more"]:
            return pages
        arguments["cursor"] = page["meta"]["cursor"]


def _mirror_pages(mirror: Mirror, entity: str, query: dict[str, Any], limit: int) -> list[Any]:
    pages: list[Any] = []
    cursor = None
    while True:
        page = mirror.search(entity, query, limit=limit, cursor=cursor)
        pages.append(page["data"])
        if not page["meta"]["has_more"]:
            return pages
        cursor = page["meta"]["cursor"]


#: Searches paged through every transport: (entity, query, limit).
SEARCHES = [
    ("board_pins", {}, 7),
    ("campaigns", {"filter": {"neq": {"status": "ARCHIVED"}}, "sort": [{"name": "desc"}]}, 3),
]


async def _check_tools_and_searches(client: Client, mirror: Mirror) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    assert tools["search"].input_schema["properties"]["entity"]["enum"] == mirror.entities()
    for entity, query, limit in SEARCHES:
        pages = await _page_all(client, entity, query, limit)
        assert len(pages) > 1
        assert pages == _mirror_pages(mirror, entity, query, limit)
    bad = {"filter": {"eq": {"colour": "red"}}}
    refused = await _call(client, "search", {"entity": "boards", "query": bad})
    with pytest.raises(RequestError) as http_400:
        Executor(mirror).execute({"entity": "boards", "action": "search", "params": {"query": bad}})
    assert refused.is_error
    assert refused.structured_content == http_400.value.body()
    assert getattr(refused.content[0], "text", "") == http_400.value.message


# ---- stdio ---------------------------------------------------------------------------------


def test_stdio_lists_the_tools_and_pages_searches_to_the_end(
    loaded: Loaded, mirror: Mirror
) -> None:
    server = StdioServerParameters(
        command=CLI, args=["mcp", "--database-url", loaded.url], env=_environ()
    )
    database = loaded.directory / "output" / "pinterest-mirror.db"
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    _run(lambda client: _check_tools_and_searches(client, mirror), server)
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before  # never writes


def test_stdio_lists_live_with_a_tap_config(loaded: Loaded, tmp_path: Path) -> None:
    with Simulator(seed=3, scale=1) as sim:
        config = tmp_path / "tap.json"
        config.write_text(json.dumps(sim.tap_config()))
        expected = LiveClient(sim.tap_config()).list("boards", {"page_size": 2})
        args = ["mcp", "--database-url", loaded.url, "--config", str(config)]

        async def check(client: Client) -> None:
            page = await _ok(client, "list", {"entity": "boards", "page_size": 2})
            assert page["data"] == expected["data"]
            assert page["meta"]["cursor"] == expected["meta"]["cursor"]

        _run(check, StdioServerParameters(command=CLI, args=args, env=_environ()))


def test_stdio_refuses_http_options(loaded: Loaded) -> None:
    message = fails("--database-url", loaded.url, "mcp", "--token", TOKEN)
    assert (
        message
        == "tap-pinterest-mirror mcp: --host, --port and --token apply to --transport http only"
    )


def test_without_a_mirror_one_line_says_how_to_make_one(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    message = fails("--database-url", f"sqlite:///{missing}", "mcp")
    assert message.startswith(f"no mirror at {missing}: run a sync first")
    assert not missing.exists()


def test_without_the_sdk_one_line_names_the_extra(loaded: Loaded) -> None:
    code = (
        "import sys; sys.modules['mcp'] = None; "  # as if the extra were not installed
        "from tap_pinterest.mirror.serve.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "--database-url", loaded.url, "mcp"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=_environ(),
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: the mcp command needs the MCP SDK (no module 'mcp'): "
        'pip install "tap-pinterest[mcp]"\n'
    )


# ---- streamable HTTP --------------------------------------------------------------------


@contextmanager
def _http(db: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `mcp --transport http` on a free port; yield its URL (as 127.0.0.1); stop it
    with SIGTERM and check it stopped cleanly."""
    log = tmp_path / "mcp.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [CLI, "--database-url", db, "mcp", "--transport", "http", "--port", "0", *args],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=_environ(**(env or {})),
        )
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"serving MCP at http://\S+:(\d+)/mcp", log.read_text())):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{found[1]}/mcp"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    text = log.read_text()
    assert process.returncode == 0, text
    assert "Traceback" not in text
    assert TOKEN not in text


def test_http_lists_the_tools_and_pages_searches_to_the_end(
    loaded: Loaded, mirror: Mirror, tmp_path: Path
) -> None:
    with _http(loaded.url, tmp_path) as url:
        _run(lambda client: _check_tools_and_searches(client, mirror), url)


def test_http_reports_a_taken_port(loaded: Loaded) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        message = fails(
            "--database-url", loaded.url, "mcp", "--transport", "http", "--port", str(port)
        )
    assert message.startswith(f"cannot listen on 127.0.0.1:{port}")


def _with_headers(url: str, headers: dict[str, str]) -> Any:
    return streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers))


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}


def test_http_beyond_loopback_needs_the_token(
    loaded: Loaded, mirror: Mirror, tmp_path: Path
) -> None:
    message = fails(
        "--database-url", loaded.url, "mcp", "--transport", "http", "--host", ALL_INTERFACES
    )
    assert "set a bearer token" in message
    env = {"PINTEREST_MIRROR_TOKEN": TOKEN}
    with _http(loaded.url, tmp_path, "--host", ALL_INTERFACES, env=env) as url:
        accept = {"Accept": "application/json, text/event-stream"}
        for given in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN}):
            response = requests.post(url, json=INITIALIZE, headers={**accept, **given}, timeout=10)
            assert response.status_code == 401, given
            assert response.json()["error"]["problem"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        with pytest.raises(BaseExceptionGroup) as refused:
            _run(lambda client: client.list_tools(), _with_headers(url, {}))
        assert refused.group_contains(MCPError, match="error response")
        headers = {"Authorization": f"Bearer {TOKEN}"}
        _run(lambda client: _check_tools_and_searches(client, mirror), _with_headers(url, headers))


# ---- in process: answers and errors as POST /execute ----------------------------------------


@pytest.fixture(scope="module")
def http(mirror: Mirror) -> Iterator[MirrorServer]:
    with MirrorServer(MirrorApp(Executor(mirror)), port=0) as running:
        yield running


BAD = [
    ("search", {"entity": "nope"}),
    ("search", {"entity": "boards", "query": {"filter": {"eq": {"colour": "red"}}}}),
    ("search", {"entity": "boards", "query": {"filter": {"between": {"pin_count": 1}}}}),
    ("search", {"entity": "boards", "query": {"filter": {"gt": {"pin_count": "many"}}}}),
    ("search", {"entity": "boards", "query": {"sort": [{"name": "up"}]}}),
    ("search", {"entity": "boards", "limit": 0}),
    ("search", {"entity": "boards", "cursor": "not-a-cursor"}),
    ("search", {"entity": "boards", "fields": ["colour"]}),
    ("search", {"entity": "boards", "page": 2}),
    ("search", {}),
    ("get", {"entity": "boards", "id": "no-such-board"}),
    ("get", {"entity": "boards"}),
    ("stats", {"entity": "nope"}),
    ("list", {"entity": "boards"}),
]


def test_a_bad_request_is_a_tool_error_with_the_http_answer(
    mirror: Mirror, http: MirrorServer
) -> None:
    async def check(client: Client) -> None:
        for action, arguments in BAD:
            body = {"entity": arguments.get("entity"), "action": action}
            body["params"] = {k: v for k, v in arguments.items() if k != "entity"}
            answer = requests.post(f"{http.url}/execute", json=body, timeout=10)
            assert answer.status_code in (400, 404), answer.text
            result = await _call(client, action, arguments)
            assert result.is_error, (action, arguments)
            assert result.structured_content == answer.json()
            assert getattr(result.content[0], "text", "") == answer.json()["error"]["message"]

    _run(check, agents.build(Executor(mirror)))


def test_get_stats_and_describe_answer_as_the_mirror(
    mirror: Mirror, mirror_records: dict[str, list[dict[str, Any]]]
) -> None:
    board = mirror_records["boards"][1]

    async def check(client: Client) -> None:
        got = await _ok(client, "get", {"entity": "boards", "id": board["id"]})
        assert got["data"] == mirror.get("boards", board["id"])
        stats = await _ok(client, "stats", {})
        assert {k: v["records"] for k, v in stats["data"].items()} == {
            k: v["records"] for k, v in mirror.stats().items()
        }
        described = await _ok(client, "describe", {"entity": "board_pins"})
        assert described["data"]["fields"] == mirror.describe("board_pins")["fields"]
        assert described["data"]["fields"]["media.items"] == "array of object"
        assert "any" in described["data"]["operators_by_type"]["array of object"]
        names = await _ok(client, "describe", {})
        assert names["data"]["entities"] == mirror.entities()

    _run(check, agents.build(Executor(mirror)))


def test_the_tool_list_is_valid_and_within_its_token_budget(mirror: Mirror) -> None:
    # its params only: never called (a port nothing listens on, should it be)
    live = LiveClient({"api_url": "http://127.0.0.1:9/v5", "access_token": "unused-token"})
    executor = Executor(mirror, live.list, live.get, GET_ENTITIES)
    sizes: dict[str, int] = {}

    async def check(client: Client) -> None:
        for tool in (await client.list_tools()).tools:
            jsonschema.Draft202012Validator.check_schema(tool.input_schema)
            assert tool.annotations is not None
            assert tool.annotations.read_only_hint
            wire = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
            sizes[tool.name] = len(json.dumps(wire)) // 4

    _run(check, agents.build(executor, live.params_schemas()))
    assert set(sizes) == TOOLS
    print(f"tool list: {sum(sizes.values())} tokens (chars/4) {sizes}")
    assert sum(sizes.values()) <= TOKEN_BUDGET


def test_live_list_and_get_take_the_adapters_params(mirror: Mirror) -> None:
    with Simulator(seed=3, scale=1) as sim:
        live = LiveClient(sim.tap_config())
        executor = Executor(mirror, live.list, live.get, GET_ENTITIES)
        board = live.list("boards", {"page_size": 1})["data"][0]

        async def check(client: Client) -> None:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            listed = tools["list"].input_schema["properties"]
            assert listed["entity"]["enum"] == live.entities()
            assert "board_pins" in listed["board_id"]["description"].removeprefix(
                "required for "
            ).split(", ")
            assert "ad_account_id" in tools["get"].input_schema["properties"]
            page = await _ok(client, "list", {"entity": "board_pins", "board_id": board["id"]})
            assert page["data"] == live.list("board_pins", {"board_id": board["id"]})["data"]
            got = await _ok(client, "get", {"entity": "boards", "id": board["id"]})
            assert got["data"] == live.get("boards", {"id": board["id"]})
            missing = await _call(client, "list", {"entity": "board_pins"})
            assert missing.is_error
            assert getattr(missing.content[0], "text", "") == (
                "list board_pins needs params.board_id (/boards/{board_id}/pins)"
            )

        _run(check, agents.build(executor, live.params_schemas()))


# ---- the documented client config -----------------------------------------------------------


def _documented_config() -> dict[str, Any]:
    """The first ```json block of `DOCUMENTED` that registers a server (mcpServers)."""
    blocks = re.findall(r"```json\n(.*?)```", DOCUMENTED.read_text(), re.DOTALL)
    configs = [json.loads(block) for block in blocks if '"mcpServers"' in block]
    assert configs, f"no mcpServers block in {DOCUMENTED}"
    return dict(configs[0])


def test_the_documented_config_starts_the_server(loaded: Loaded, mirror: Mirror) -> None:
    ((name, entry),) = _documented_config()["mcpServers"].items()
    assert name == agents.NAME
    text = json.dumps(entry).replace(PROJECT_PLACEHOLDER, str(loaded.directory))
    entry = json.loads(text)
    assert set(entry) <= {"command", "args", "env"}
    # the command as installed: on the PATH of the environment that installed it
    env = _environ(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **entry.get("env", {}))
    server = StdioServerParameters(command=entry["command"], args=entry.get("args", []), env=env)

    async def check(client: Client) -> None:
        assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
        stats = await _ok(client, "stats", {})
        assert {k: v["records"] for k, v in stats["data"].items()} == {
            k: v["records"] for k, v in mirror.stats().items()
        }

    _run(check, server)
