"""The scope of an ACTIVATE_VERSION: which rows a full sync covered, so which it may delete.

tap-pinterest adds ``"scope": {"<field>": ["<value>", ...]}`` to the ACTIVATE_VERSION of a
shard (a sync narrowed to some ad accounts): the sync covered only the rows whose record
field holds one of the values, so only those rows of older versions are deleted. Several
fields all apply. A message without ``scope`` covers the whole stream, as in Singer.
"""

from __future__ import annotations

from typing import Any

from singer_sdk.singerlib.exceptions import InvalidInputLine

#: The message key, as tap_pinterest.scoping sends it (the mirror never imports the tap).
SCOPE_KEY = "scope"

Scope = dict[str, list[str]]


def read_scope(message: dict[str, Any]) -> Scope | None:
    """The message's scope (None: the whole stream); a malformed one is refused, never
    read as "the whole stream", which would delete other shards' rows."""
    scope = message.get(SCOPE_KEY)
    if scope is None:
        return None
    if (
        isinstance(scope, dict)
        and scope
        and all(
            isinstance(field, str)
            and field
            and isinstance(values, list)
            and all(isinstance(v, str | int) and not isinstance(v, bool) for v in values)
            for field, values in scope.items()
        )
    ):
        return {field: [str(v) for v in values] for field, values in scope.items()}
    msg = (
        f"ACTIVATE_VERSION of stream {message.get('stream')!r}: '{SCOPE_KEY}' must map "
        f"field names to lists of values, got {str(scope)[:200]}"
    )
    raise InvalidInputLine(msg)
