"""The WSGI application: routing, auth, faults, rate limits and pagination.

Order of work for a `/v5` request: maybe drop the connection (drop_rate); sleep
(latency_ms); a matching scripted fault; a random 5xx (error_rate); authentication (the
token endpoint checks the client instead); the rate-limit budget of the route's category;
then the handler, whose list is paginated here. Every `/v5` request is logged with its
final status (None when dropped); `/_sim/` admin requests are not, except the report
downloads (`DOWNLOAD_ROUTE`, no auth, no budget; latency and scripted faults apply), which
are logged with their signature redacted. The admin routes are answered by `admin`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tap_pinterest.simulator.analytics.ads import Analytics
from tap_pinterest.simulator.analytics.reports import DOWNLOAD_ROUTE, Reports
from tap_pinterest.simulator.api.admin import ADMIN_ROUTES, Admin
from tap_pinterest.simulator.api.auth import AuthError, TokenStore
from tap_pinterest.simulator.api.bookmarks import (
    bookmark_page,
    decode_bookmark,
    encode_bookmark,
    fingerprint,
)
from tap_pinterest.simulator.api.faults import RATE_LIMIT_MESSAGE, Faults, ScriptedFault
from tap_pinterest.simulator.api.log import RequestLog, RequestLogEntry
from tap_pinterest.simulator.api.routes import ROUTES, ROUTES_BY_NAME, Route
from tap_pinterest.simulator.data.dataset import Dataset, Record
from tap_pinterest.simulator.endpoints import by_id, lists
from tap_pinterest.simulator.endpoints.analytics import HANDLERS as ANALYTICS_HANDLERS
from tap_pinterest.simulator.endpoints.analytics import AnalyticsCtx
from tap_pinterest.simulator.endpoints.common import Ctx, Listing, Options
from tap_pinterest.simulator.endpoints.params import ApiError, Query, bad_parameter

StartResponse = Callable[..., Any]
_CACHE_SIZE = 1024
_SERVER_ERRORS = {
    500: "Internal server error (simulated).",
    503: "Service unavailable (simulated).",
}
_HANDLERS: dict[str, Callable[[Ctx], Listing | Record]] = {
    **lists.HANDLERS,
    **by_id.HANDLERS,
}


class DroppedConnectionError(ConnectionAbortedError):
    """Raised out of the WSGI call so the server sends nothing at all."""


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status=status,
        headers=headers,
        mimetype="application/json",
    )


class SimulatorApp:
    """The simulator's WSGI callable."""

    def __init__(
        self,
        dataset: Dataset,
        tokens: TokenStore,
        faults: Faults,
        request_log: RequestLog,
        options: Options,
        *,
        clock: Callable[[], float] = time.time,
        analytics: Analytics | None = None,
        reports: Reports | None = None,
    ) -> None:
        self.dataset = dataset
        self.analytics = analytics or Analytics(dataset, clock=clock)
        self.reports = reports or Reports(self.analytics, seed=dataset.seed, clock=clock)
        self.tokens = tokens
        self.faults = faults
        self.request_log = request_log
        self.options = options
        self.clock = clock
        rules = [Rule(r.rule, endpoint=r.name, methods=[r.method]) for r in ROUTES]
        rules += [
            Rule(path, endpoint=f"admin:{name}", methods=[m]) for m, path, name in ADMIN_ROUTES
        ]
        download = DOWNLOAD_ROUTE.replace("{file_name}", "<file_name>")
        rules.append(Rule(download, endpoint="download", methods=["GET"]))
        self.url_map = Map(rules)
        self.admin = Admin(
            dataset=dataset,
            analytics=self.analytics,
            reports=self.reports,
            tokens=tokens,
            faults=faults,
            request_log=request_log,
            clock=clock,
        )
        self._cache: dict[str, list[Record]] = {}
        self._cache_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except DroppedConnectionError:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            raise
        return response(environ, start_response)

    # ---- dispatch ------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except (NotFound, MethodNotAllowed) as exc:
            status = exc.code or 404
            if request.path.startswith("/_sim/"):
                return json_response({"code": status, "message": exc.description}, status)
            message = "Not found." if isinstance(exc, NotFound) else "Method not allowed."
            response = json_response({"code": status, "message": message}, status)
            self._log(request, request.path, response.status_code)
            return response
        except HTTPException as exc:  # e.g. a redirect for a trailing slash
            return json_response({"code": exc.code, "message": exc.description}, exc.code or 400)
        if endpoint.startswith("admin:"):
            return self._admin(endpoint.removeprefix("admin:"), request)
        if endpoint == "download":
            return self._download(request, dict(args))
        route = ROUTES_BY_NAME[endpoint]
        try:
            response = self._api(route, request, dict(args))
        except DroppedConnectionError:
            self._log(request, route.template, None)
            raise
        self._log(request, route.template, response.status_code)
        return response

    def _log(self, request: Request, route: str, status: int | None) -> None:
        query = request.args.to_dict(flat=False)
        if "X-Amz-Signature" in query:
            query["X-Amz-Signature"] = ["REDACTED"]
        self.request_log.record(
            RequestLogEntry(
                method=request.method, path=request.path, route=route, query=query, status=status
            )
        )

    def _download(self, request: Request, args: dict[str, str]) -> Response:
        """A pre-signed report download: latency and scripted faults, then the file."""
        latency = self.faults.latency_seconds()
        if latency > 0:
            time.sleep(latency)
        scripted = self.faults.take_script("GET", DOWNLOAD_ROUTE, None, args)
        if scripted is not None and scripted.drop:
            self._log(request, DOWNLOAD_ROUTE, None)
            raise DroppedConnectionError("scripted dropped connection")
        if scripted is not None and scripted.status is not None:
            response = _scripted_response(scripted)
        else:
            found = self.reports.download(args["file_name"], request.args)
            response = Response(found.body, status=found.status, content_type=found.content_type)
        self._log(request, DOWNLOAD_ROUTE, response.status_code)
        return response

    def _api(self, route: Route, request: Request, args: dict[str, str]) -> Response:
        faults = self.faults
        if faults.should_drop():
            raise DroppedConnectionError("simulated dropped connection")
        latency = faults.latency_seconds()
        if latency > 0:
            time.sleep(latency)
        page = bookmark_page(request.args.get("bookmark") or None) if route.paginated else 1
        scripted = faults.take_script(request.method, route.template, page, args)
        if scripted is not None:
            if scripted.drop:
                raise DroppedConnectionError("scripted dropped connection")
            for entity, ids in (scripted.delete or {}).items():
                self.dataset.delete(entity, ids)
            if scripted.status is not None and not (
                scripted.cut_off and scripted.body is None and scripted.raw is None
            ):
                return _cut_off(_scripted_response(scripted), scripted.cut_off)
        error = faults.random_error()
        if error is not None:
            return json_response({"code": error, "message": _SERVER_ERRORS[error]}, error)
        headers: dict[str, str] = {}
        try:
            if route.name != "oauth_token":
                self.tokens.check_access_token(request.headers.get("Authorization"))
            decision = faults.check_rate_limit(route.category)
            if decision is not None:
                headers.update(decision.headers)
                if not decision.allowed:
                    return json_response({"code": 8, "message": RATE_LIMIT_MESSAGE}, 429, headers)
            response = json_response(self._handle(route, request, args), 200, headers)
            return _cut_off(response, scripted is not None and scripted.cut_off)
        except (ApiError, AuthError) as exc:
            headers.update(getattr(exc, "headers", {}))
            return json_response({"code": exc.code, "message": exc.message}, exc.status, headers)

    def _handle(self, route: Route, request: Request, args: dict[str, str]) -> Any:
        """The body of a successful answer (errors are raised as ApiError or AuthError)."""
        if route.name == "oauth_token":
            return self._oauth_token(request)
        analytics_handler = ANALYTICS_HANDLERS.get(route.name)
        if analytics_handler is not None:
            actx = AnalyticsCtx(
                Query(request.args), args, self.dataset, self.analytics, self.reports, request
            )
            return analytics_handler(actx)
        ctx = Ctx(Query(request.args), args, self.dataset, self.options)
        result = _HANDLERS[route.name](ctx)
        return self._paginate(route, ctx, result) if isinstance(result, Listing) else result

    # ---- lists ---------------------------------------------------------------------------

    def _records(self, print_: str, listing: Listing) -> list[Record]:
        print_ = f"{self.dataset.generation}:{print_}"
        with self._cache_lock:
            found = self._cache.get(print_)
        if found is None:
            found = listing.load()
            with self._cache_lock:
                if len(self._cache) >= _CACHE_SIZE:
                    self._cache.clear()
                self._cache[print_] = found
        return found

    def _paginate(self, route: Route, ctx: Ctx, listing: Listing) -> dict[str, Any]:
        print_ = fingerprint(route.template, ctx.args, listing.key)
        if not listing.paginated:
            return {"items": self._render(listing, self._records(print_, listing))}
        size = ctx.query.page_size()
        offset, page = 0, 1
        bookmark = ctx.query.string("bookmark") or None
        if bookmark is not None:
            offset, page, bookmark_print = decode_bookmark(bookmark)
            if bookmark_print != print_:
                raise bad_parameter(
                    f"Invalid bookmark '{bookmark}': it belongs to a different request."
                )
        records = self._records(print_, listing)
        if offset > len(records):
            raise bad_parameter(f"Invalid bookmark '{bookmark}'.")
        chunk = records[offset : offset + size]
        end = offset + len(chunk)
        next_bookmark = encode_bookmark(end, page + 1, print_) if end < len(records) else None
        return {"items": self._render(listing, chunk), "bookmark": next_bookmark}

    def _render(self, listing: Listing, records: list[Record]) -> list[Record]:
        to_api, render = self.dataset.to_api, listing.render
        with self.dataset.lock:
            items = [to_api(listing.entity, r) for r in records]
        return [render(i) for i in items] if render else items

    # ---- OAuth ---------------------------------------------------------------------------

    def _oauth_token(self, request: Request) -> dict[str, Any]:
        auth = request.authorization
        if auth is None or auth.type != "basic":
            raise AuthError(
                401, 2, "Authentication failed: send the client id and secret as HTTP Basic."
            )
        self.tokens.check_client(auth.username, auth.password)
        if request.mimetype != "application/x-www-form-urlencoded":
            raise bad_parameter("The body must be application/x-www-form-urlencoded.")
        form = request.form
        grant_type = form.get("grant_type")
        if grant_type != "refresh_token":
            raise bad_parameter(
                f"Unsupported grant_type {grant_type!r}: the simulator supports refresh_token."
            )
        if form.get("continuous_refresh", "true").lower() not in ("true", "false"):
            raise bad_parameter("Parameter 'continuous_refresh' must be true or false.")
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            raise bad_parameter("Missing parameter 'refresh_token'.")
        return self.tokens.refresh(refresh_token, form.get("scope") or None)

    # ---- admin ---------------------------------------------------------------------------

    def _admin(self, name: str, request: Request) -> Response:
        try:
            return json_response(self.admin.answer(name, request))
        except (ValueError, KeyError, TypeError) as exc:
            return json_response({"code": 1, "message": str(exc).strip("'\"")}, 400)


def _scripted_response(scripted: ScriptedFault) -> Response:
    status = scripted.status if scripted.status is not None else 200
    if scripted.raw is None:
        return json_response(scripted.response_body(), status, scripted.headers)
    response = Response(scripted.raw, status=status, headers=scripted.headers)
    if "Content-Type" not in scripted.headers:
        response.content_type = "text/html; charset=utf-8"
    return response


def _cut_off(response: Response, cut: bool) -> Response:
    """The response, or (`cut`) one that announces its whole body, sends half of it,
    then closes the connection."""
    if not cut:
        return response
    body = response.get_data()
    response.response = [body[: len(body) // 2]]
    response.headers["Content-Length"] = str(len(body))
    return _Truncated(response)


class _Truncated(Response):
    """Sends the part of a body it holds, then shuts the connection down."""

    def __init__(self, whole: Response) -> None:
        super().__init__(whole.response, status=whole.status, headers=whole.headers)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        parts = super().__call__(environ, start_response)

        def send() -> Iterable[bytes]:
            yield from parts
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            raise DroppedConnectionError("scripted cut-off body")

        return send()


__all__ = ["DroppedConnectionError", "SimulatorApp", "json_response"]
