"""The agent-connector HTTP endpoint: ``POST /execute`` and ``GET /health``.

``POST /execute`` takes ``{"entity", "action", "params"}`` (JSON, at most 1 MiB) and
answers the JSON of :class:`~tap_pinterest.mirror.query.execute.Executor`, or
``{"error": {"problem", "message", "choices"}}`` with 400 (bad request or query),
401 (token), 404 (no such record or path), 405 (method), 413 (too big), 415 (not
JSON), 502 (the Pinterest API failed), 503 (the mirror's database cannot be opened:
its one-line `DatabaseError`, password hidden) or 500 (a bug: logged, never shown).

It binds 127.0.0.1 by default. Any other address needs a bearer token; with a token,
every request needs ``Authorization: Bearer <token>``, compared in constant time.
Neither the token nor any header is ever logged or echoed.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import signal
import threading
import time
import typing as t

from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tap_pinterest.mirror.query.requests import RequestError
from tap_pinterest.serving import BackgroundServer

if t.TYPE_CHECKING:
    from collections.abc import Iterable
    from types import FrameType

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from tap_pinterest.mirror.query.execute import Executor

logger = logging.getLogger("tap_pinterest.mirror.server")

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8788
#: The MCP server's port over HTTP (`tap-pinterest-mirror mcp --transport http`).
MCP_PORT = 8789
#: The paths and the methods they answer (GET answers HEAD too).
URLS = Map(
    [
        Rule("/execute", endpoint="execute", methods=["POST"]),
        Rule("/health", endpoint="health", methods=["GET"]),
    ]
)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; any other name or address is not."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, has_token: bool) -> None:
    """Refuse to serve beyond loopback without a token (raises ValueError)."""
    if not has_token and not is_loopback(host):
        msg = (
            f"binding {host} exposes the mirror beyond this machine: set a bearer token "
            "(--token or PINTEREST_MIRROR_TOKEN), or bind 127.0.0.1"
        )
        raise ValueError(msg)


#: The header of a 401 answer.
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="pinterest-mirror"'}


def bearer_matches(authorization: str, token: bytes) -> bool:
    """True when an ``Authorization`` header value is ``Bearer <token>`` (constant time)."""
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token)


def unauthorized() -> RequestError:
    """The answer to a request without the right bearer token (401)."""
    message = "missing or wrong bearer token (Authorization: Bearer <token>)"
    return RequestError("unauthorized", message, status=401)


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, default=str)
    return Response(text, status=status, headers=headers, mimetype="application/json")


def _error(error: RequestError, headers: dict[str, str] | None = None) -> Response:
    return _json(error.body(), error.status, headers)


class JSONRequest(Request):
    """A request whose JSON body, when it is not JSON, is a `RequestError` (415 or 400)."""

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        if e is None:  # not sent as JSON
            given = self.mimetype or "none"
            message = f"the body must be JSON (Content-Type: application/json), not {given}"
            raise RequestError("unsupported_media_type", message, ["application/json"], status=415)
        raise RequestError("invalid_json", f"the body is not valid JSON: {e}")


class MirrorApp:
    """The WSGI application."""

    def __init__(
        self, executor: Executor, *, token: str | None = None, max_body: int = MAX_BODY_BYTES
    ) -> None:
        self.executor = executor
        self._token = token.encode() if token else None
        self.max_body = max_body

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = JSONRequest(environ)
        started = time.perf_counter()
        response = self.respond(request)
        logger.info(
            "%s %s %d %.1fms",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response(environ, start_response)

    def respond(self, request: JSONRequest) -> Response:
        """The response to one request; never raises, never shows a traceback."""
        try:
            return self._respond(request)
        except RequestError as error:
            return _error(error)
        except Exception:  # the boundary: logged, answered with a generic 500
            logger.exception("internal error answering %s %s", request.method, request.path)
            return _error(
                RequestError("internal_error", "internal error (see the server log)", status=500)
            )

    @property
    def has_token(self) -> bool:
        """True when every request must carry the bearer token."""
        return self._token is not None

    def authorized(self, request: Request) -> bool:
        """True without a token; else the request's bearer token must match it."""
        if self._token is None:
            return True
        return bearer_matches(request.headers.get("Authorization", ""), self._token)

    def _respond(self, request: JSONRequest) -> Response:
        if not self.authorized(request):
            return _error(unauthorized(), dict(CHALLENGE))
        try:
            endpoint, _ = URLS.bind_to_environ(request.environ).match()
        except NotFound:
            paths = [rule.rule for rule in URLS.iter_rules()]
            message = f"no such path {request.path!r}"
            raise RequestError("unknown_path", message, paths, status=404) from None
        except MethodNotAllowed as error:
            methods = sorted(error.valid_methods or ())
            message = f"{request.path} accepts {', '.join(methods)}, not {request.method}"
            not_allowed = RequestError("method_not_allowed", message, methods, status=405)
            return _error(not_allowed, {"Allow": ", ".join(methods)})
        if endpoint == "health":
            return _json({"status": "ok"})
        # werkzeug stops reading a body sent chunked at this limit, silently: one byte
        # more than `max_body` tells a body that is too large from one that is not
        request.max_content_length = self.max_body + 1
        try:
            too_large = len(request.get_data()) > self.max_body
        except RequestEntityTooLarge:  # its Content-Length says so
            too_large = True
        if too_large:
            message = f"the body is larger than {self.max_body} bytes"
            raise RequestError("payload_too_large", message, status=413)
        return _json(self.executor.execute(request.get_json()))


class MirrorServer(BackgroundServer):
    """A threaded server for a :class:`MirrorApp`, in a background thread.

    >>> with MirrorServer(app, port=0) as server:
    ...     requests.post(f"{server.url}/execute", json={...})
    """

    def __init__(self, app: MirrorApp, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        check_bind(host, has_token=app.has_token)
        super().__init__(app, host, port, name="pinterest-mirror")

    def serve_until_signalled(self) -> None:
        """Serve until SIGINT or SIGTERM, then shut down cleanly."""
        stop = threading.Event()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            logger.info("received %s, shutting down", signal.Signals(signum).name)
            stop.set()

        self.start()
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            logger.info("serving POST %s/execute", self.url)
            while not stop.wait(0.5):
                pass
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            logger.info("stopped")
