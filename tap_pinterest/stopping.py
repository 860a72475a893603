"""Stopping a sync on SIGTERM (or SIGINT) at the next safe point.

The signal only sets a flag (:meth:`StopRequest.request`). The tap checks it before each
API request and before each retry wait (:meth:`StopRequest.check`): by then every record
of the pages already received has been written, so the sync stops after the page in
progress, with no record cut in half. The tap then writes its state (``on_stop``) and
exits with status 0 (:meth:`tap_pinterest.tap.TapPinterest.invoke`); nothing is deleted,
since ACTIVATE_VERSION is sent only for a stream that synced in full. A second signal
stops at once, the SDK's way (the state is written, then the process exits).

A wait already under way (a rate-limit wait, the pacing between analytics calls) ends
before the flag is seen.
"""

from __future__ import annotations

import signal
import typing as t


class SyncStoppedError(Exception):
    """The sync was asked to stop (SIGTERM): the tap writes its state and exits."""


class StopRequest:
    """Whether, and by which signal, this run was asked to stop."""

    def __init__(self, on_stop: t.Callable[[], None] | None = None) -> None:
        self.signal: int | None = None
        self._on_stop = on_stop

    @property
    def requested(self) -> bool:
        """True once a stop was asked for."""
        return self.signal is not None

    def request(self, signum: int) -> None:
        """Ask the sync to stop at its next safe point."""
        self.signal = signum

    def check(self) -> None:
        """Raise :class:`SyncStoppedError` if a stop was asked for (calling ``on_stop``
        first, once)."""
        if self.signal is not None:
            on_stop, self._on_stop = self._on_stop, None
            if on_stop is not None:
                on_stop()
            name = signal.Signals(self.signal).name
            msg = f"stopped by {name} after the page in progress; the last STATE resumes the sync"
            raise SyncStoppedError(msg)
