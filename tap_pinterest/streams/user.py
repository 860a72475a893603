"""The authenticated user's account."""

from __future__ import annotations

import typing as t

from singer_sdk.exceptions import FatalAPIError
from typing_extensions import override

from tap_pinterest.client import PinterestStream
from tap_pinterest.errors import describe_error

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests


class UserAccountStream(PinterestStream):
    """GET /user_account: one record, the account the token belongs to."""

    name = "user_account"
    path = "/user_account"
    paginated = False

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        """The body is the account object itself, not a list."""
        try:
            body = self.response_json(response)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("id"):
            msg = f"{describe_error(self.name, response)} -- expected an account object"
            raise FatalAPIError(msg)
        yield body
