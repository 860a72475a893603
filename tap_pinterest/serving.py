"""A WSGI app served by werkzeug in a background thread: the simulator's and the mirror's
HTTP servers. It imports nothing from the rest of the package, so the simulator stays
free of the tap."""

from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING, Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


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
    ) -> None:
        self.app = app
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
            self._server = make_server(
                host,
                self.port,
                self.app,
                threaded=True,
                request_handler=Http11Handler,
                fd=sock.fileno(),
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
