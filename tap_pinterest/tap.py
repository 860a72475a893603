"""TapPinterest: the settings (declared in :mod:`tap_pinterest.settings`), their
validation, the stream registry, and a stop on SIGTERM."""

# Private singer-sdk members used here (tests/test_sdk_coupling.py checks this list):
#   Tap._handle_termination: the first SIGTERM stops at the next page, not at once

from __future__ import annotations

import copy
import signal
import typing as t
from types import MappingProxyType

from singer_sdk import Tap
from singer_sdk.singerlib import StateMessage
from typing_extensions import override

from tap_pinterest.auth import AccessTokenAuthenticator, RefreshTokenAuthenticator
from tap_pinterest.config import RUN_FILES, check_config_file, read_run_file, validate_settings
from tap_pinterest.fanout import FanOut
from tap_pinterest.output import FastSingerWriter
from tap_pinterest.pacing import Budget, Pacer
from tap_pinterest.reporting import failures_in_one_line, start_run
from tap_pinterest.run_state import RunState
from tap_pinterest.settings import (
    ACCESS_TIERS,
    CONFIG_JSONSCHEMA,
    REFRESH_SETTINGS,
    TRIAL_BURST,
    effective,
)
from tap_pinterest.stopping import StopRequest, SyncStoppedError
from tap_pinterest.streams import STREAM_TYPES

if t.TYPE_CHECKING:
    from pathlib import PurePath
    from types import FrameType

    import click
    from singer_sdk.streams import Stream

    from tap_pinterest.auth import PinterestAuthenticator


class TapPinterest(Tap):
    """Singer tap for the Pinterest REST API v5."""

    name = "tap-pinterest"
    #: Singer messages as msgspec-encoded lines, RECORDs buffered (tap_pinterest.output).
    message_writer_class = FastSingerWriter

    #: A copy: the SDK appends its built-in settings (stream_maps, ...) to it in place
    #: when it validates a config.
    config_jsonschema = copy.deepcopy(CONFIG_JSONSCHEMA)
    #: The tap's own settings, as the docs list them.
    own_settings: t.ClassVar[dict[str, t.Any]] = copy.deepcopy(CONFIG_JSONSCHEMA["properties"])

    def __init__(
        self,
        *,
        config: dict[str, t.Any] | PurePath | str | list[PurePath | str] | None = None,
        catalog: PurePath | str | dict[str, t.Any] | None = None,
        state: PurePath | str | dict[str, t.Any] | None = None,
        parse_env_config: bool = False,
        validate_config: bool = True,
        setup_mapper: bool = True,
    ) -> None:
        """Validate the settings (when asked) before any stream or request exists."""
        start_run(self.logger)
        self.stop_request = StopRequest(on_stop=self._write_state_now)
        self._run_state: RunState | None = None
        self._validate_settings = validate_config
        super().__init__(
            config=config,
            catalog=catalog,
            state=state,
            parse_env_config=parse_env_config,
            validate_config=False,
            setup_mapper=setup_mapper,
        )
        if validate_config and not setup_mapper:
            self._check_settings()

    @override
    def setup_mapper(self) -> None:
        """Check the settings before the SDK builds mappers and streams from them."""
        if self._validate_settings:
            self._check_settings()
        super().setup_mapper()

    def _check_settings(self) -> None:
        """The tap's settings and the SDK's built-in ones (stream_maps, ...) are known.

        The settings are checked as given, before :attr:`config` fills in the defaults.
        """
        self.append_builtin_config(self.config_jsonschema)
        validate_settings(super().config, self.config_jsonschema, self.logger)

    @property
    @override
    def config(self) -> t.Mapping[str, t.Any]:
        """The settings as given, with every unset one at its default (the streams copy it).

        See :func:`tap_pinterest.settings.effective`.
        """
        return MappingProxyType(effective(super().config))

    @classmethod
    @override
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> t.Any:
        """Read the ``--config`` files; a missing or malformed one is one line of error."""
        for path in value:
            if path != "ENV":
                check_config_file(path)
        return super().cb_config(ctx, param, value)

    @classmethod
    @override
    def invoke(cls, **kwargs: t.Any) -> None:
        """Sync; an expected failure ends it with one line (:mod:`tap_pinterest.reporting`);
        a stop on SIGTERM (:mod:`tap_pinterest.stopping`) with one line and status 0."""
        for option in RUN_FILES:  # a --state or --catalog file that cannot be used: one line
            if kwargs.get(option) is not None:
                kwargs[option] = read_run_file(option, kwargs[option])
        with failures_in_one_line(cls.logger):
            try:
                super().invoke(**kwargs)
            except SyncStoppedError as stopped:
                cls.logger.warning("%s", stopped)

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """The dry run (``--test``); an expected failure ends it with one line."""
        with failures_in_one_line(cls.logger):
            super().cb_test(ctx, param, value)

    def _write_state_now(self) -> None:
        """Write the state, even if unchanged: on a stop, the last message says where to
        resume."""
        self.write_message(StateMessage(value=self.state))

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """The first SIGTERM (or SIGINT) stops the sync after the page in progress
        (:mod:`tap_pinterest.stopping`); a second one stops at once, the SDK's way."""
        if self.stop_request.requested:
            super()._handle_termination(signum, frame)
            return
        self.stop_request.request(signum)
        self.logger.warning(
            "Received %s: finishing the page in progress, then writing the state and stopping",
            signal.Signals(signum).name,
        )

    @property
    def run_state(self) -> RunState:
        """What this run's streams share, with one authenticator per tap instance."""
        if self._run_state is None:
            width = int(self.config["max_concurrency"])
            self._run_state = RunState(
                self._authenticator(), Pacer(self.budgets(), headroom=width + 1), FanOut(width)
            )
        return self._run_state

    def budgets(self) -> dict[str, Budget]:
        """Each rate-limit category's budget: the access tier's, or ``requests_per_minute``."""
        tier = str(self.config["access_tier"])
        burst = TRIAL_BURST if tier == "trial" else 1
        budgets = {c: Budget(n, 60.0, burst) for c, n in ACCESS_TIERS[tier].items()}
        for category, n in (self.config.get("requests_per_minute") or {}).items():
            budgets[category] = Budget(float(n))
        return budgets

    def _authenticator(self) -> PinterestAuthenticator:
        config = self.config
        if all(config.get(key) for key in REFRESH_SETTINGS):
            return RefreshTokenAuthenticator(
                api_url=config["api_url"],
                client_id=config["client_id"],
                client_secret=config["client_secret"],
                refresh_token=config["refresh_token"],
                continuous_refresh=bool(config["continuous_refresh"]),
                token_cache_path=config.get("token_cache_path"),
                timeout=float(config["request_timeout"]),
            )
        return AccessTokenAuthenticator(token=config.get("access_token") or "")

    @property
    @override
    def streams(self) -> dict[str, Stream]:
        """The streams in registry order, not the SDK's alphabetical one.

        Top-level streams sync in this order, so pin_analytics reads the pin ids the
        pins stream kept instead of listing every pin again.
        """
        order: dict[type[Stream], int] = {cls: index for index, cls in enumerate(STREAM_TYPES)}
        ranked = sorted(super().streams.values(), key=lambda stream: order[type(stream)])
        return {stream.name: stream for stream in ranked}

    @override
    def discover_streams(self) -> list[Stream]:
        """One instance of every stream class in the registry."""
        return [stream_class(tap=self) for stream_class in STREAM_TYPES]
