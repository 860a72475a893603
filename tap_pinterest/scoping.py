"""What a full-table stream's ACTIVATE_VERSION may delete: the scope of a shard.

A target applies ACTIVATE_VERSION by deleting the stream's rows of older versions: every
record the sync did not send again. That is right for a sync that covers the whole
stream, and wrong for a shard: a tap with ``ad_account_ids`` sends only its accounts'
records, so such a deletion would remove every other shard's rows.

So the ACTIVATE_VERSION of a stream in the ad-account tree names the rows it covers when
``ad_account_ids`` narrows the sync: ``"scope": {"ad_account_id": ["123", ...]}`` (``id``
for ``ad_accounts`` itself). The mirror then deletes only the older rows whose field holds
one of these values. A target that does not know ``scope`` ignores the key and deletes as
before (see docs/scaling-out.md for target-postgres). Without ``ad_account_ids`` the sync
covers every account and the message has no scope, exactly as before.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from singer_sdk.singerlib import ActivateVersionMessage

if t.TYPE_CHECKING:
    from collections.abc import Mapping

#: The message key that carries the scope (a Singer extension; other targets ignore it).
SCOPE_KEY = "scope"


@dataclass(slots=True, repr=False, eq=False)
class ScopedActivateVersionMessage(ActivateVersionMessage):
    """ACTIVATE_VERSION with the scope of the rows it covers (None: the whole stream)."""

    scope: dict[str, list[str]] | None = None


def deletion_scope(field: str | None, config: Mapping[str, t.Any]) -> dict[str, list[str]] | None:
    """The scope of a stream whose records name their ad account in ``field``.

    None (the whole stream) for a stream outside the ad-account tree (``field`` None) or
    for a sync of every account (``ad_account_ids`` empty). The tap fails when a
    configured account is not accessible, so the configured accounts are the ones synced.
    """
    accounts = config.get("ad_account_ids") or []
    if field is None or not accounts:
        return None
    return {field: sorted({str(account) for account in accounts})}
