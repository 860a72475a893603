"""`Simulator`: the dataset, the token store, faults and the request log behind a
loopback HTTP server running in a background thread."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date

from tap_pinterest.serving import BackgroundServer
from tap_pinterest.simulator.analytics.ads import DEFAULT_RESTATEMENT_FACTOR, Analytics
from tap_pinterest.simulator.analytics.reports import (
    DEFAULT_POLL_DELAY,
    DEFAULT_REPORT_TTL,
    DEFAULT_URL_TTL,
    Reports,
)
from tap_pinterest.simulator.api.app import SimulatorApp
from tap_pinterest.simulator.api.auth import REFRESH_TOKEN_TTL, TokenStore
from tap_pinterest.simulator.api.faults import Faults
from tap_pinterest.simulator.api.log import RequestLog
from tap_pinterest.simulator.api.routes import API_PREFIX
from tap_pinterest.simulator.data.dataset import Dataset
from tap_pinterest.simulator.endpoints.common import Options


class Simulator(BackgroundServer):
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

    Serving (`serving.BackgroundServer`): `start()` and `stop()`, or `with`; `url` is the
    root (admin routes under /_sim/), `base_url` the API's.
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
        super().__init__(self.app, host, port, name="tap-pinterest-sim", poll_interval=0.02)

    # ---- addresses and credentials -------------------------------------------------------

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
