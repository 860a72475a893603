"""What the streams of one tap run share (:class:`RunState`)."""

from __future__ import annotations

import time
import typing as t

if t.TYPE_CHECKING:
    from tap_pinterest.auth import PinterestAuthenticator
    from tap_pinterest.fanout import FanOut
    from tap_pinterest.pacing import Pacer

#: The least time between two STATE messages while streams sync.
STATE_SECONDS = 10.0


class RunState:
    """What the streams of one tap run share.

    - the authenticator (one per tap instance, never a process-wide singleton);
    - the pacer of every rate-limit category, and the fetch workers (:class:`FanOut`);
    - which SCHEMA each stream has sent, and when the last STATE was written;
    - the ids each stream has read per ad account, so that a later stream (the
      keywords of every ad group, the analytics of every campaign) can use them
      instead of listing the same entities again.
    """

    def __init__(self, authenticator: PinterestAuthenticator, pacer: Pacer, fanout: FanOut) -> None:
        self.authenticator = authenticator
        self.pacer = pacer
        self.fanout = fanout
        self._ids: dict[tuple[str, str], list[str]] = {}
        #: The SCHEMA last written per stream name, so that it is written once.
        self.schemas_written: dict[str, dict[str, t.Any]] = {}
        #: True while a top-level stream writes its final STATE (always written).
        self.final_state = False
        self._state_at = -STATE_SECONDS

    def state_due(self) -> bool:
        """True when the last STATE is ``STATE_SECONDS`` old."""
        return time.monotonic() - self._state_at >= STATE_SECONDS

    def state_written(self) -> None:
        self._state_at = time.monotonic()

    def remember_ids(self, entity: str, parent_id: str, ids: list[str]) -> None:
        """Record every id a complete read of ``entity`` returned under the parent."""
        self._ids[entity, parent_id] = ids

    def known_ids(self, entity: str, parent_id: str) -> list[str] | None:
        """The ids of ``entity`` read in this run under the parent, or None if not read."""
        return self._ids.get((entity, parent_id))
