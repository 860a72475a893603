"""Access and refresh tokens of the simulated OAuth app.

One static access token (valid for the simulator's lifetime unless `static_token_ttl`
is set), tokens issued by `POST /v5/oauth/token` that expire after `token_ttl` seconds,
and one current refresh token that rotates on every refresh.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_SCOPE = (
    "ads:read,boards:read,boards:read_secret,catalogs:read,pins:read,pins:read_secret,"
    "user_accounts:read"
)
REFRESH_TOKEN_TTL = 60 * 86_400  # continuous refresh tokens last 60 days


class AuthError(Exception):
    """An authentication failure: HTTP `status` with body `{code, message}`."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Token:
    expires_at: float | None
    scope: str


class TokenStore:
    """Thread-safe token bookkeeping; token values never leave it except to callers."""

    def __init__(
        self,
        *,
        seed: int = 1,
        token_ttl: int = 3600,
        static_token_ttl: int | None = None,
        refresh_token_ttl: int = REFRESH_TOKEN_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.token_ttl = token_ttl
        self.refresh_token_ttl = refresh_token_ttl
        # The static credentials follow the seed, so a demo config can name them; tokens
        # issued later are random.
        digest = hashlib.sha256(f"tap-pinterest-sim:{seed}".encode()).hexdigest()
        self.client_id = str(1_400_000 + int(digest[:6], 16) % 600_000)
        self.client_secret = digest[6:46]
        now = clock()
        self.static_access_token = f"pina_sim{digest[:48]}"
        self._access: dict[str, _Token] = {
            self.static_access_token: _Token(
                None if static_token_ttl is None else now + static_token_ttl, DEFAULT_SCOPE
            )
        }
        self._refresh_token = f"pinr.sim{digest[16:64]}"
        self._refresh_expires_at = now + refresh_token_ttl

    @property
    def refresh_token(self) -> str:
        """The one refresh token that is valid now."""
        with self._lock:
            return self._refresh_token

    def check_access_token(self, authorization: str | None) -> None:
        """Raise AuthError unless `authorization` is `Bearer <valid token>`."""
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError(401, 2, "Authentication failed.")
        token = authorization[len("Bearer ") :].strip()
        with self._lock:
            found = self._access.get(token)
        if found is None:
            raise AuthError(401, 2, "Authentication failed.")
        if found.expires_at is not None and self._clock() >= found.expires_at:
            raise AuthError(401, 1104, "The token you provided is not valid or has expired.")

    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        ok_id = secrets.compare_digest(client_id or "", self.client_id)
        ok_secret = secrets.compare_digest(client_secret or "", self.client_secret)
        if not (ok_id and ok_secret):
            raise AuthError(401, 2, "Authentication failed: invalid client credentials.")

    def refresh(self, refresh_token: str, scope: str | None = None) -> dict[str, Any]:
        """Exchange the current refresh token for new access and refresh tokens.

        The refresh token rotates: the one used becomes invalid at once.
        """
        with self._lock:
            now = self._clock()
            valid = secrets.compare_digest(refresh_token, self._refresh_token)
            if not valid or now >= self._refresh_expires_at:
                raise AuthError(401, 283, "The authorization grant is invalid")
            granted = scope or DEFAULT_SCOPE
            access = f"pina_{secrets.token_hex(32)}"
            self._access[access] = _Token(now + self.token_ttl, granted)
            self._refresh_token = f"pinr.{secrets.token_hex(24)}"
            self._refresh_expires_at = now + self.refresh_token_ttl
            return {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": self.token_ttl,
                "scope": granted,
                "refresh_token": self._refresh_token,
                "refresh_token_expires_in": self.refresh_token_ttl,
                "refresh_token_expires_at": int(self._refresh_expires_at),
                "response_type": "refresh_token",
            }
