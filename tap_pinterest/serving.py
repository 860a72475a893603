"""A WSGI app served by werkzeug in a background thread: the simulator's and the mirror's
HTTP servers. It imports nothing from the rest of the package, so the simulator stays
free of the tap.

A server can defend itself against clients that hold connections: a `read_timeout`
closes a connection that sends nothing for that long (a request half sent, or none
begun), a `request_timeout` one still open that long after it was taken (a client
sending a byte now and then), and `max_connections` caps the connections served at
once (each has its own thread); one more is answered 503 at once and closed.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Self

from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer, WSGIRequestHandler

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

logger = logging.getLogger("tap_pinterest.serving")


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host` (brackets of an IPv6 address allowed) and `port` (0: any
    free port), listening; raises OSError if the address is taken or not this machine's."""
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class Http11Handler(WSGIRequestHandler):
    """HTTP/1.1; no access log (each server logs requests its own way). werkzeug still
    closes the connection after every response: it drains any unread request body by
    reading until the socket is quiet, which would swallow a kept-alive next request."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return

    def log_error(self, format: str, *args: Any) -> None:
        """A request that timed out or could not be read: the client's doing, so debug."""
        logger.debug(format, *args)


class _Deadlines:
    """Shuts down each connection still open `seconds` after it was taken, from one
    thread that looks every `tick` seconds (werkzeug answers one request per connection,
    so this bounds a request, however slowly its client sends it)."""

    def __init__(self, seconds: float, tick: float = 0.25) -> None:
        self.seconds = seconds
        self.tick = tick
        self._open: dict[socket.socket, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, connection: socket.socket) -> None:
        with self._lock:
            self._open[connection] = time.monotonic() + self.seconds
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
                self._thread.start()

    def forget(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.pop(connection, None)

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            now = time.monotonic()
            with self._lock:
                late = [c for c, deadline in self._open.items() if deadline <= now]
                for connection in late:
                    del self._open[connection]
            for connection in late:
                logger.debug("closed a connection open longer than %ss", self.seconds)
                with contextlib.suppress(OSError):  # its thread sees the end of its input
                    connection.shutdown(socket.SHUT_RDWR)


class CappedServer(ThreadedWSGIServer):
    """A thread per connection, at most `max_connections` at once (None: no cap); one
    more is sent `busy_response` and closed, from the accepting thread (without waiting
    on the client). A connection still open `request_timeout` seconds after it was taken
    is shut down (None: never)."""

    def __init__(
        self,
        *args: Any,
        max_connections: int | None = None,
        busy_response: bytes = b"",
        request_timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        # set before the base's __init__, which calls `server_close`
        self._slots = None if max_connections is None else threading.Semaphore(max_connections)
        self._busy = busy_response
        self._deadlines = None if request_timeout is None else _Deadlines(request_timeout)
        super().__init__(*args, **kwargs)

    def shutdown(self) -> None:
        if self._deadlines is not None:
            self._deadlines.stop()
        super().shutdown()

    def process_request(self, request: Any, client_address: Any) -> None:
        if self._slots is not None and not self._slots.acquire(blocking=False):
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # the thread did not start: its slot is free again
            if self._slots is not None:
                self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        if self._deadlines is not None:
            self._deadlines.watch(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            if self._deadlines is not None:
                self._deadlines.forget(request)
            if self._slots is not None:
                self._slots.release()

    def _refuse(self, request: socket.socket) -> None:
        logger.debug("refused a connection: %s", "max_connections reached")
        with contextlib.suppress(OSError):
            request.setblocking(False)
            # read what the client sent already: closing on unread data would reset the
            # connection, and the client might lose the answer
            with contextlib.suppress(BlockingIOError):
                request.recv(65536)
            request.send(self._busy)
        self.shutdown_request(request)


def _busy_response(body: bytes) -> bytes:
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class BackgroundServer:
    """Serves `app` on `host`:`port` (0: any free port) from a daemon thread; usable as
    a context manager."""

    def __init__(
        self,
        app: WSGIApplication,
        host: str,
        port: int,
        *,
        name: str,
        poll_interval: float = 0.1,
        read_timeout: float | None = None,
        request_timeout: float | None = None,
        max_connections: int | None = None,
        busy_body: bytes = b"",
    ) -> None:
        self.app = app
        self.read_timeout = read_timeout
        self.request_timeout = request_timeout
        self.max_connections = max_connections
        self._busy_body = busy_body
        self.host = host
        self.port = port
        self._name = name
        self._poll_interval = poll_interval
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Bind and serve; raises OSError if the address is taken. `port` becomes the
        port bound."""
        if self._server is not None:
            return self
        # Bind here: werkzeug's own bind prints to stderr and exits on failure.
        host = self.host.strip("[]")
        with listening_socket(host, self.port) as sock:
            self.port = sock.getsockname()[1]
            # the handler's `timeout` is set on each connection's socket
            handler = type("Handler", (Http11Handler,), {"timeout": self.read_timeout})
            self._server = CappedServer(
                host,
                self.port,
                self.app,
                handler,
                fd=sock.fileno(),
                max_connections=self.max_connections,
                busy_response=_busy_response(self._busy_body),
                request_timeout=self.request_timeout,
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self._poll_interval},
            name=f"{self._name}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, finish the requests in flight, close the socket."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """e.g. http://127.0.0.1:8788 (an IPv6 host in brackets)."""
        host = self.host.strip("[]")
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
