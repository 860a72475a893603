"""RetryingStream: Pinterest's responses, errors and retries, and the refresh on a 401.

Pinterest's error bodies become one-line errors (:mod:`tap_pinterest.errors`); 429s wait
for ``X-RateLimit-Reset`` within ``rate_limit_max_wait_seconds``; 5xx and connection
errors are retried with backoff; a 401 refreshes the token once.
"""

# Private singer-sdk members used here (tests/test_sdk_coupling.py checks this list):
#   Stream._tap: the tap instance, for the stop request of the run

from __future__ import annotations

import random
import threading
import typing as t
from http import HTTPStatus

import backoff
import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from typing_extensions import override

from tap_pinterest.bodies import json_body
from tap_pinterest.errors import (
    RETRIED_ERRORS,
    NotJSONError,
    RetryPolicy,
    TokenRejectedError,
    classify,
    describe_error,
    describe_request_failure,
    pinterest_error,
    with_request,
)
from tap_pinterest.output_stream import OutputStream, RunTap

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterable

    from backoff.types import Details
    from singer_sdk.helpers.types import Context, RequestFunc

    from tap_pinterest.auth import PinterestAuthenticator
    from tap_pinterest.stopping import StopRequest


class RetryingStream(OutputStream):
    """Error mapping and retries of a Pinterest stream (see the module)."""

    #: The endpoint's ``x-ratelimit-category`` in the spec, named in rate-limit errors.
    rate_limit_category: t.ClassVar[str] = "org_read"
    #: Pinterest error codes that mean "nothing to list here" rather than a failure.
    empty_on_codes: t.ClassVar[frozenset[int]] = frozenset()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: Per fetch thread: set after a 401 made it refresh the token; a second 401 in
        #: a row is fatal.
        self._thread = threading.local()
        #: Unpaired surrogates replaced with U+FFFD in this run's answers (bodies.py),
        #: counted by every fetch thread.
        self.replaced_surrogates = 0
        self._counting = threading.Lock()

    @property
    def stop_request(self) -> StopRequest:
        """Set when the run was asked to stop (SIGTERM): checked before each request."""
        return t.cast("RunTap", self._tap).stop_request

    @override
    def run_summary(self) -> list[str]:
        """Lines for the end of the stream's sync: what it repaired or skipped."""
        if not self.replaced_surrogates:
            return super().run_summary()
        return [
            *super().run_summary(),
            f"Stream '{self.name}': replaced {self.replaced_surrogates} unpaired UTF-16 "
            "surrogate(s) in the API's text with U+FFFD (e.g. a title cut in the middle "
            "of an emoji), so that every target can load it",
        ]

    def response_json(self, response: requests.Response) -> t.Any:
        """The parsed body (ValueError if not JSON), unpaired surrogates replaced and
        counted for this stream (see :mod:`tap_pinterest.bodies`)."""
        body = json_body(response)
        if body.replaced:
            with self._counting:
                self.replaced_surrogates += body.replaced
        return body.value

    @property
    @override
    def authenticator(self) -> PinterestAuthenticator:
        """The tap instance's authenticator."""
        return self.run_state.authenticator

    def send_with_retries(
        self, prepared: requests.PreparedRequest, context: Context | None = None
    ) -> requests.Response:
        """Send one prepared request as a sync does: the stream's session, authenticator,
        timeout, error mapping (``validate_response``) and retries (``request_decorator``)."""

        def attempt(
            prepared: requests.PreparedRequest, _context: Context | None = None
        ) -> requests.Response:
            response = self.requests_session.send(
                self.authenticator(prepared.copy()), timeout=self.timeout
            )
            self.validate_response(response)
            return response

        return self.request_decorator(attempt)(prepared, context)

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Map Pinterest errors; on a 401, refresh the token once and retry."""
        authenticator = self.authenticator
        if response.status_code == HTTPStatus.UNAUTHORIZED:
            message = describe_error(self.name, response)
            if authenticator.can_refresh and not getattr(self._thread, "retried_401", False):
                self._thread.retried_401 = True
                authenticator.invalidate(response.request.headers.get("Authorization"))
                self.logger.warning("%s; refreshing the access token and retrying", message)
                raise TokenRejectedError(message, response)
            hint = (
                "the token was refused even right after a refresh: check the app's scopes"
                if authenticator.can_refresh
                else "the access_token is invalid or expired: issue a new one, or configure "
                "client_id, client_secret and refresh_token so the tap can refresh it"
            )
            msg = f"{message} -- {hint}"
            raise FatalAPIError(msg)
        self._thread.retried_401 = False
        if self._means_empty(response):
            return
        error = classify(self.name, self.rate_limit_category, response)
        if error is not None:
            raise error
        try:
            json_body(response)
        except ValueError:
            msg = (
                f"{describe_error(self.name, response)} -- the body is not JSON "
                "(an error page of a proxy or CDN?)"
            )
            raise NotJSONError(msg, response) from None

    def _means_empty(self, response: requests.Response) -> bool:
        if response.status_code < HTTPStatus.BAD_REQUEST or not self.empty_on_codes:
            return False
        code, _ = pinterest_error(response)
        return code in self.empty_on_codes

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        """The SDK's retries, logged by :meth:`backoff_handler` only (the SDK's own
        decorator has ``backoff`` log each retry a second time, with the request's repr)."""
        decorator: t.Callable[[RequestFunc], RequestFunc] = backoff.on_exception(
            self.backoff_wait_generator,
            RETRIED_ERRORS,
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )
        stop = self.stop_request

        def attempt(
            prepared: requests.PreparedRequest, context: Context | None
        ) -> requests.Response:
            """One try: not after a stop was asked for; a failure names its request."""
            stop.check()
            try:
                return func(prepared, context)
            except RETRIED_ERRORS as exc:
                with_request(exc, prepared)
                raise

        return decorator(attempt)

    @override
    def backoff_handler(self, details: Details) -> None:
        """One short line per retry: what failed, and when the next try is."""
        self.stop_request.check()  # no retry, and no wait for one, after a SIGTERM
        error = details.get("exception")
        if error is None or isinstance(error, TokenRejectedError):
            return  # validate_response has said that the token is being refreshed
        what = (
            str(error)
            if isinstance(error, RetriableAPIError)
            else f"stream '{self.name}': {describe_request_failure(error)[0]}"
        )
        self.logger.warning("%s -- retry %d in %.1fs", what, details["tries"], details["wait"])

    @override
    def backoff_wait_generator(self) -> Generator[float, None, None]:
        """Waits taken from the rate-limit headers, within the configured cap."""
        policy = RetryPolicy(
            stream=self.name,
            max_rate_limit_wait=float(self.config["rate_limit_max_wait_seconds"]),
            max_retries=int(self.config["max_retries"]),
            backoff_factor=float(self.config["retry_base_wait_seconds"]),
        )
        return t.cast("Generator[float, None, None]", policy.waits())

    @override
    def backoff_max_tries(self) -> int:
        """Unbounded here: :class:`RetryPolicy` decides when to give up."""
        return 1_000_000

    @override
    def backoff_jitter(self, value: float) -> float:
        """Up to 10% extra, so that parallel runs do not retry in step."""
        return value * (1 + random.random() / 10)  # noqa: S311 - jitter, not crypto

    @override
    def response_error_message(self, response: requests.Response) -> str:
        """One line with Pinterest's code and message, never headers or the query."""
        return describe_error(self.name, response)

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        """The ``items`` of a page; any other shape is an error, never an empty page."""
        if self._means_empty(response):
            self.logger.info("%s: nothing to list", describe_error(self.name, response))
            return
        try:
            body = self.response_json(response)
        except ValueError:
            msg = f"{describe_error(self.name, response)} -- the body is not JSON"
            raise FatalAPIError(msg) from None
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            msg = (
                f"{describe_error(self.name, response)} -- expected an object with an "
                "'items' list of records"
            )
            raise FatalAPIError(msg)
        yield from items
