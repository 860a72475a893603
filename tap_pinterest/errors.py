"""Pinterest error bodies, the retry policy, and the exceptions the tap raises.

Every Pinterest error carries a JSON body ``{"code": int, "message": str}`` where
``code`` is Pinterest's own number (1 bad parameter, 2 authentication failed,
8 rate limit, ...). Every error message the tap produces names the stream, the
request path (never the query string or headers) and that code and message.
"""

from __future__ import annotations

import json
import socket
import ssl
import typing as t
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlparse

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterator

#: Pinterest's error code for "rate limit exceeded".
RATE_LIMIT_CODE = 8
#: The longest exponential wait between two tries when the API gives no hint.
MAX_BACKOFF_SECONDS = 60.0


def pinterest_error(response: requests.Response) -> tuple[int | None, str]:
    """Return Pinterest's ``(code, message)`` from an error response.

    A body that is not Pinterest's error shape is summarised, not dropped, so
    that the reason for a failure always reaches the log.
    """
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().replace("\n", " ")
        return None, (text[:200] or response.reason or "empty response body")
    if isinstance(body, dict) and "message" in body:
        code = body.get("code")
        return (code if isinstance(code, int) else None), str(body["message"])
    return None, json.dumps(body)[:200]


def describe_error(stream: str, response: requests.Response) -> str:
    """One line describing a failed response, safe to log (no query, no headers)."""
    code, message = pinterest_error(response)
    path = urlparse(response.url).path if response.url else "?"
    method = response.request.method if response.request is not None else "GET"
    pinterest_code = f" (Pinterest code {code})" if code is not None else ""
    return (
        f"stream '{stream}': {method} {path} returned HTTP {response.status_code}"
        f"{pinterest_code}: {message}"
    )


#: What a 403 or a 404 from Pinterest most often means, and what to change.
CLIENT_ERROR_HINTS: dict[int, str] = {
    HTTPStatus.FORBIDDEN: "the token may not read this: check that the app has the read "
    "scope this endpoint needs (ads:read, boards:read, pins:read, catalogs:read, "
    "user_accounts:read) and that the user can access the account, or deselect the stream",
    HTTPStatus.NOT_FOUND: "check api_url: it must end in /v5, e.g. https://api.pinterest.com/v5",
}

#: Errors without an HTTP response that the SDK's retry decorator retries (the same
#: list as ``RESTStream.request_decorator``); :class:`RetryPolicy` bounds the retries.
RETRIED_ERRORS: tuple[type[Exception], ...] = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (``args``) and its causes, each once."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or any(current is done for done in seen):
            continue
        seen.append(current)
        yield current
        wrapped = [arg for arg in current.args if isinstance(arg, BaseException)]
        pending += [current.__cause__, current.__context__, *wrapped]


def describe_request_failure(exc: BaseException) -> tuple[str, str]:
    """``(what failed, how to fix it)`` for a request that got no HTTP response.

    Names the method, path and host:port, never the query string or headers.
    """
    request = getattr(exc, "request", None)
    url = urlparse(getattr(request, "url", None) or "")
    method = getattr(request, "method", None) or "GET"
    where = f"{method} {url.path or '/'}" if url.netloc else "a request"
    host = url.netloc.rsplit("@", 1)[-1] or "the API"
    causes = list(_causes(exc))
    if any(isinstance(c, requests.exceptions.ConnectTimeout) for c in causes):
        return f"{where}: no connection to {host} within request_timeout", (
            "check api_url and the network, or raise request_timeout"
        )
    if any(isinstance(c, requests.exceptions.Timeout | TimeoutError) for c in causes):
        return f"{where}: {host} sent no response within request_timeout", (
            "raise request_timeout, or try again later"
        )
    if any(isinstance(c, socket.gaierror) for c in causes):
        return f"{where}: the host name of {host} could not be resolved", (
            "check the host name in api_url and the DNS settings"
        )
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return f"{where}: {host} refused the connection", (
            "check api_url, and that the server it names is running"
        )
    if any(isinstance(c, ssl.SSLError | requests.exceptions.SSLError) for c in causes):
        return f"{where}: the TLS handshake with {host} failed", (
            "check api_url (https) and the system's CA certificates"
        )
    return f"{where}: the connection to {host} failed ({type(exc).__name__})", (
        "check api_url and the network"
    )


class RateLimitedError(RetriableAPIError):
    """A 429: retried after the wait the API asked for, within the configured cap."""

    def __init__(
        self,
        message: str,
        response: requests.Response,
        *,
        category: str,
        reset_seconds: float | None,
    ) -> None:
        super().__init__(message, response)
        self.category = category
        self.reset_seconds = reset_seconds


class TokenRejectedError(RetriableAPIError):
    """A 401 after which a fresh access token may help: retried once, at once."""


class ClientError(FatalAPIError):
    """A 4xx other than 401 and 429: the request itself is wrong; not retried."""

    def __init__(self, message: str, *, status: int, code: int | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class RateLimitCapExceededError(FatalAPIError):
    """The API kept rate-limiting past the configured cap: the sync fails loudly."""


class RetriesExhaustedError(FatalAPIError):
    """A server or connection error that did not go away after the allowed retries."""


class NotJSONError(RetriableAPIError):
    """A 2xx answer whose body is not JSON (a proxy's or CDN's error page): retried like
    a 5xx, within the same retries."""


def with_request(exc: BaseException, request: requests.PreparedRequest) -> BaseException:
    """``exc``, naming the request it failed on if it does not already.

    ``requests`` leaves the request off some errors (a body cut off mid-read raises
    ``ChunkedEncodingError`` without it), and a bare ``ConnectionResetError`` never has
    one; :func:`describe_request_failure` needs it to name the endpoint.
    """
    if getattr(exc, "request", None) is None:
        exc.request = request  # type: ignore[attr-defined]
    return exc


def parse_reset_header(response: requests.Response) -> float | None:
    """Seconds until the rate-limit window resets: Pinterest's ``X-RateLimit-Reset``, else
    a ``Retry-After`` in seconds (what a proxy in front of the API may send instead)."""
    for header in ("X-RateLimit-Reset", "Retry-After"):
        raw = response.headers.get(header)
        if raw is None:
            continue
        try:
            seconds = float(raw)
        except ValueError:
            continue
        return max(seconds, 0.0)
    return None


def classify(
    stream: str,
    category: str,
    response: requests.Response,
) -> RetriableAPIError | FatalAPIError | None:
    """Map a response to the exception the SDK's retry loop should see, or None if OK."""
    status = response.status_code
    if status < HTTPStatus.BAD_REQUEST:
        return None
    message = describe_error(stream, response)
    code, _ = pinterest_error(response)
    if status == HTTPStatus.TOO_MANY_REQUESTS or code == RATE_LIMIT_CODE:
        return RateLimitedError(
            message,
            response,
            category=category,
            reset_seconds=parse_reset_header(response),
        )
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return RetriableAPIError(message, response)
    if hint := CLIENT_ERROR_HINTS.get(status):
        message = f"{message} -- {hint}"
    return ClientError(message, status=status, code=code)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before the next try of one request, and when to give up.

    Used as the SDK's backoff wait generator (``backoff_wait_generator``): the
    generator is created anew for every request and receives each exception.

    - 429: wait ``X-RateLimit-Reset`` seconds, or back off exponentially when the
      header is absent; once the waits for this request would pass
      ``max_rate_limit_wait`` seconds, fail with :class:`RateLimitCapExceededError`.
    - 401 handled by a token refresh: retry at once, once.
    - 5xx and connection errors: exponential backoff, ``max_retries`` times.
    """

    stream: str
    max_rate_limit_wait: float
    max_retries: int
    backoff_factor: float = 1.0

    def _expo(self, attempt: int) -> float:
        return min(self.backoff_factor * 2.0**attempt, MAX_BACKOFF_SECONDS)

    def _exhausted(self, exc: BaseException, attempts: int) -> str:
        if isinstance(exc, RetriableAPIError):
            return f"{exc} -- still failing after {attempts} attempts"
        what, fix = describe_request_failure(exc)
        return f"stream '{self.stream}': {what} -- still failing after {attempts} attempts; {fix}"

    def waits(self) -> Generator[float | None, BaseException, None]:
        """Yield the wait before each retry; raise when the request must fail.

        The final error names the stream, the method and path (never the query), the
        last status or exception and how many attempts were made.
        """
        waited = 0.0
        rate_limited_tries = 0
        failures = 0
        attempts = 0
        exc = yield None
        while True:
            attempts += 1
            if isinstance(exc, RateLimitedError):
                wait = exc.reset_seconds
                if wait is None:
                    wait = self._expo(rate_limited_tries)
                rate_limited_tries += 1
                if waited + wait > self.max_rate_limit_wait:
                    msg = (
                        f"{exc} -- rate limit of category '{exc.category}' still in force "
                        f"after {attempts} attempts and {waited:.0f}s of waiting; the next "
                        f"wait ({wait:.0f}s) would pass rate_limit_max_wait_seconds="
                        f"{self.max_rate_limit_wait:g}. "
                        "Failing so that the next run resumes from the last saved state."
                    )
                    raise RateLimitCapExceededError(msg) from exc
                waited += wait
            elif isinstance(exc, TokenRejectedError):
                wait = 0.0
            else:
                if failures >= self.max_retries:
                    raise RetriesExhaustedError(self._exhausted(exc, attempts)) from exc
                wait = self._expo(failures)
                failures += 1
            exc = yield wait
