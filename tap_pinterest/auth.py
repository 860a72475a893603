"""Authenticators: a fixed access token, or OAuth refresh with token rotation.

Pinterest rotates the refresh token on every refresh and refresh tokens expire
after 60 days, so a pipeline that never keeps the new one breaks about two months
after set-up. The refresh authenticator keeps the rotated token for the rest of
the run and, when ``token_cache_path`` is set, writes it there atomically with
owner-only permissions and reads it back at the next start.

No token, secret or Authorization header is ever logged or put in an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
import typing as t
from pathlib import Path

import requests
from singer_sdk.authenticators import BearerTokenAuthenticator, OAuthAuthenticator
from singer_sdk.exceptions import FatalAPIError
from typing_extensions import override

from tap_pinterest.errors import describe_error, describe_request_failure

if t.TYPE_CHECKING:
    from collections.abc import Mapping

#: Refresh this long before the access token expires.
REFRESH_MARGIN_SECONDS = 300
#: Warn when the refresh token expires within this many days.
REFRESH_TOKEN_WARNING_DAYS = 14


class AuthenticationError(FatalAPIError):
    """The credentials were refused; retrying will not help."""


class PinterestAuthenticator(t.Protocol):
    """What the streams need from either authenticator."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest: ...

    @property
    def can_refresh(self) -> bool: ...

    def invalidate(self, rejected: str | None = None) -> None: ...


class AccessTokenAuthenticator(BearerTokenAuthenticator):
    """A fixed Bearer token (``access_token`` setting); it cannot be refreshed."""

    can_refresh = False

    def invalidate(self, rejected: str | None = None) -> None:
        """A fixed token cannot be replaced: nothing to do."""


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshTokenAuthenticator(OAuthAuthenticator):
    """OAuth refresh-token grant against ``{api_url}/oauth/token``."""

    can_refresh = True

    def __init__(
        self,
        *,
        api_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        continuous_refresh: bool,
        token_cache_path: str | None,
        timeout: float,
    ) -> None:
        super().__init__(
            auth_endpoint=f"{api_url.rstrip('/')}/oauth/token",
            client_id=client_id,
            client_secret=client_secret,
        )
        self.logger = logging.getLogger("tap-pinterest.auth")
        self._configured_fingerprint = _fingerprint(refresh_token)
        self.refresh_token: str | None = refresh_token
        self.refresh_token_expires_at: float | None = None
        self._continuous_refresh = continuous_refresh
        self._cache_path = Path(token_cache_path).expanduser() if token_cache_path else None
        self._timeout = timeout
        self._expiry_warned = False
        # the run's fetch workers share this authenticator: one refresh at a time, so a
        # rotated refresh token is never sent twice
        self._refreshing = threading.RLock()
        self._load_cache()

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Refresh the access token first if it is not valid (one thread at a time)."""
        with self._refreshing:
            return super().authenticate_request(request)

    @property
    @override
    def oauth_request_body(self) -> dict[str, t.Any]:
        """The form body of a refresh-token grant."""
        body = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        if self._continuous_refresh:
            body["continuous_refresh"] = "true"
        return body

    @override
    def is_token_valid(self) -> bool:
        """Valid until ``REFRESH_MARGIN_SECONDS`` before the token's expiry."""
        if self.access_token is None or self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        age = (dt.datetime.now(dt.UTC) - self.last_refreshed).total_seconds()
        return age < self.expires_in - min(REFRESH_MARGIN_SECONDS, self.expires_in / 2)

    def invalidate(self, rejected: str | None = None) -> None:
        """Forget the access token, so the next request refreshes it first; not if the
        ``rejected`` Authorization header was an older token than the current one (another
        fetch thread has refreshed it already)."""
        with self._refreshing:
            if rejected is None or rejected == f"Bearer {self.access_token}":
                self.access_token = None
                self.last_refreshed = None

    @override
    def update_access_token(self) -> None:
        """Refresh the access token and keep the rotated refresh token."""
        self.logger.info("Refreshing the Pinterest access token")
        requested_at = dt.datetime.now(dt.UTC)
        try:
            response = requests.post(
                self.auth_endpoint,
                data=self.oauth_request_payload,
                auth=(self.client_id or "", self.client_secret or ""),
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            what, fix = describe_request_failure(exc)
            msg = f"OAuth token refresh failed: {what} -- {fix}"
            raise AuthenticationError(msg) from None
        if response.status_code != requests.codes.ok:
            msg = (
                f"OAuth token refresh failed -- {describe_error('oauth', response)}. "
                "Check client_id, client_secret and refresh_token (a refresh token is "
                "single-use once Pinterest has rotated it: set token_cache_path to keep "
                "the new one)."
            )
            raise AuthenticationError(msg)
        try:
            body = response.json()
            access_token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            msg = "OAuth token refresh failed: the response carries no access_token"
            raise AuthenticationError(msg) from None
        self.access_token = access_token
        expires_in = body.get("expires_in")
        self.expires_in = int(expires_in) if expires_in else None
        self.last_refreshed = requested_at
        if body.get("refresh_token"):
            self.refresh_token = body["refresh_token"]
            self.refresh_token_expires_at = _expiry(body, requested_at.timestamp())
            self.logger.info("Pinterest rotated the refresh token; keeping the new one")
            if self._cache_path is None:
                self.logger.warning(
                    "The rotated refresh token is kept for this run only; set "
                    "token_cache_path so that later runs can use it.",
                )
        self._warn_if_expiring()
        self._save_cache()

    def _warn_if_expiring(self) -> None:
        if self._expiry_warned or self.refresh_token_expires_at is None:
            return
        days_left = (self.refresh_token_expires_at - time.time()) / 86400
        if days_left < REFRESH_TOKEN_WARNING_DAYS:
            self._expiry_warned = True
            self.logger.warning(
                "The Pinterest refresh token expires in %.1f days; re-authorise the app "
                "or enable continuous_refresh before then.",
                max(days_left, 0.0),
            )

    def _load_cache(self) -> None:
        if self._cache_path is None or not self._cache_path.exists():
            return
        try:
            cached = json.loads(self._cache_path.read_text(encoding="utf-8"))
            fingerprint = cached["configured_refresh_token_sha256"]
            refresh_token = cached["refresh_token"]
        except (OSError, ValueError, KeyError, TypeError):
            self.logger.warning(
                "token_cache_path %s is unreadable; using the configured refresh token",
                self._cache_path,
            )
            return
        if fingerprint != self._configured_fingerprint:
            self.logger.info(
                "The configured refresh token changed since %s was written; using it",
                self._cache_path,
            )
            return
        self.refresh_token = refresh_token
        self.refresh_token_expires_at = cached.get("refresh_token_expires_at")
        access_expires_at = cached.get("access_token_expires_at")
        if cached.get("access_token") and access_expires_at:
            remaining = access_expires_at - time.time()
            if remaining > REFRESH_MARGIN_SECONDS:
                self.access_token = cached["access_token"]
                self.expires_in = int(remaining)
                self.last_refreshed = dt.datetime.now(dt.UTC)
        self._warn_if_expiring()

    def _save_cache(self) -> None:
        if self._cache_path is None:
            return
        access_expires_at = (
            self.last_refreshed.timestamp() + self.expires_in
            if self.last_refreshed is not None and self.expires_in
            else None
        )
        payload: Mapping[str, t.Any] = {
            "configured_refresh_token_sha256": self._configured_fingerprint,
            "refresh_token": self.refresh_token,
            "refresh_token_expires_at": self.refresh_token_expires_at,
            "access_token": self.access_token,
            "access_token_expires_at": access_expires_at,
        }
        write_private_json(self._cache_path, payload)


def _expiry(body: Mapping[str, t.Any], now: float) -> float | None:
    if isinstance(body.get("refresh_token_expires_at"), int | float):
        return float(body["refresh_token_expires_at"])
    if isinstance(body.get("refresh_token_expires_in"), int | float):
        return now + float(body["refresh_token_expires_in"])
    return None


def write_private_json(path: Path, payload: Mapping[str, t.Any]) -> None:
    """Write JSON atomically, readable by the owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp_name).chmod(0o600)
        Path(tmp_name).replace(path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
