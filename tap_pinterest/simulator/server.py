"""`Simulator`: the dataset, the token store, faults and the request log behind a
loopback HTTP server running in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tap_pinterest.simulator.analytics import DEFAULT_RESTATEMENT_FACTOR, Analytics
from tap_pinterest.simulator.app import SimulatorApp
from tap_pinterest.simulator.auth import REFRESH_TOKEN_TTL, TokenStore
from tap_pinterest.simulator.data import Dataset
from tap_pinterest.simulator.faults import Faults
from tap_pinterest.simulator.handlers import Options
from tap_pinterest.simulator.log import RequestLog
from tap_pinterest.simulator.reports import (
    DEFAULT_POLL_DELAY,
    DEFAULT_REPORT_TTL,
    DEFAULT_URL_TTL,
    Reports,
)
from tap_pinterest.simulator.routes import API_PREFIX


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: the simulator keeps its own request log.

    HTTP/1.1, so clients keep their connections alive between requests, as they
    do with the real API.
    """

    protocol_version = "HTTP/1.1"

    def log(self, type: str, message: str, *args: Any) -> None:
        if type != "info":
            super().log(type, message, *args)


class Simulator:
    """A Pinterest API v5 simulator.

    >>> with Simulator(seed=1, scale=1.0) as sim:
    ...     requests.get(f"{sim.base_url}/boards",
    ...                  headers={"Authorization": f"Bearer {sim.access_token}"})

    `clock` (default `time.time`) drives token expiry, `mutate()` timestamps, the
    analytics' "today" (its UTC date: date limits, restatement window) and the reports'
    URL and report lifetimes, so tests can freeze it; rate-limit budgets use
    `faults.clock` (monotonic).

    Analytics: `sim.analytics` computes what the analytics endpoints answer
    (`rows()`, `report()`, `user_account_analytics()`, `pin_analytics()`), and
    `sim.restate(day, entity_ids, factor)` restates a day's conversions. Reports:
    `sim.reports` (`poll_delay`, `url_ttl`, `report_ttl`, `fail_next(status, count)`,
    `all()`); `report_poll_delay`, `report_url_ttl` and `report_ttl` set them here.
    """

    def __init__(
        self,
        seed: int = 1,
        scale: float = 1.0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token_ttl: int = 3600,
        faults: Faults | None = None,
        keywords_ad_group_ids_supported: bool = True,
        static_token_ttl: int | None = None,
        refresh_token_ttl: int = REFRESH_TOKEN_TTL,
        clock: Callable[[], float] = time.time,
        report_poll_delay: int = DEFAULT_POLL_DELAY,
        report_url_ttl: float = DEFAULT_URL_TTL,
        report_ttl: float = DEFAULT_REPORT_TTL,
    ) -> None:
        self.seed = seed
        self.scale = scale
        self.host = host
        self.port = port
        self.clock = clock
        self.dataset = Dataset(seed=seed, scale=scale)
        self.tokens = TokenStore(
            seed=seed,
            token_ttl=token_ttl,
            static_token_ttl=static_token_ttl,
            refresh_token_ttl=refresh_token_ttl,
            clock=clock,
        )
        self.faults = faults if faults is not None else Faults(seed=seed)
        self.request_log = RequestLog()
        self.options = Options(keywords_ad_group_ids_supported=keywords_ad_group_ids_supported)
        self.analytics = Analytics(self.dataset, seed=seed, clock=clock)
        self.reports = Reports(
            self.analytics,
            seed=seed,
            clock=clock,
            poll_delay=report_poll_delay,
            url_ttl=report_url_ttl,
            report_ttl=report_ttl,
        )
        self.app = SimulatorApp(
            self.dataset,
            self.tokens,
            self.faults,
            self.request_log,
            self.options,
            clock=clock,
            analytics=self.analytics,
            reports=self.reports,
        )
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind and serve in a daemon thread; returns self. Raises OSError if the port is taken."""
        if self._server is not None:
            return self
        # Bind here: werkzeug's own bind prints to stderr and calls sys.exit on failure.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            self.port = sock.getsockname()[1]
            server = make_server(
                self.host,
                self.port,
                self.app,
                threaded=True,
                request_handler=_QuietHandler,
                fd=sock.fileno(),
            )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"tap-pinterest-sim:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
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

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- addresses and credentials -------------------------------------------------------

    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:8765 (admin routes live under /_sim/)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. http://127.0.0.1:8765/v5 (the tap's `api_url`)."""
        return self.url + API_PREFIX

    @property
    def access_token(self) -> str:
        return self.tokens.static_access_token

    @property
    def client_id(self) -> str:
        return self.tokens.client_id

    @property
    def client_secret(self) -> str:
        return self.tokens.client_secret

    @property
    def refresh_token(self) -> str:
        """The refresh token valid now (it rotates on every refresh)."""
        return self.tokens.refresh_token

    @property
    def keywords_ad_group_ids_supported(self) -> bool:
        return self.options.keywords_ad_group_ids_supported

    @keywords_ad_group_ids_supported.setter
    def keywords_ad_group_ids_supported(self, value: bool) -> None:
        self.options.keywords_ad_group_ids_supported = value

    def tap_config(self) -> dict[str, str]:
        """A tap config for access-token mode: `{"api_url", "access_token"}`."""
        return {"api_url": self.base_url, "access_token": self.access_token}

    # ---- data ----------------------------------------------------------------------------

    def mutate(self, entity: str, count: int) -> list[str]:
        """Edit `count` records of `entity` now (see `Dataset.mutate`); returns their ids."""
        return self.dataset.mutate(entity, count, self.clock())

    def restate(
        self,
        day: date | str,
        entity_ids: Iterable[str] | None = None,
        factor: float = DEFAULT_RESTATEMENT_FACTOR,
    ) -> int:
        """Restate the conversions of `day` (see `Analytics.restate`); returns how many
        restatements that day has had."""
        return self.analytics.restate(day, entity_ids, factor)
