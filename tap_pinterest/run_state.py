"""What the streams of one tap run share (:class:`RunState`)."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from tap_pinterest.auth import PinterestAuthenticator
    from tap_pinterest.pacing import Pacer


class RunState:
    """What the streams of one tap run share.

    - the authenticator (one per tap instance, never a process-wide singleton);
    - the ids each stream has read per ad account, so that a later stream (the
      keywords of every ad group, the analytics of every campaign) can use them
      instead of listing the same entities again.
    """

    def __init__(self, authenticator: PinterestAuthenticator, pacer: Pacer) -> None:
        self.authenticator = authenticator
        self.pacer = pacer
        self._ids: dict[tuple[str, str], list[str]] = {}

    def remember_ids(self, entity: str, parent_id: str, ids: list[str]) -> None:
        """Record every id a complete read of ``entity`` returned under the parent."""
        self._ids[entity, parent_id] = ids

    def known_ids(self, entity: str, parent_id: str) -> list[str] | None:
        """The ids of ``entity`` read in this run under the parent, or None if not read."""
        return self._ids.get((entity, parent_id))
