"""tap-pinterest with singer-sdk's defaults where the shipped tap departs from them, for
benchmarks/tap_speed.py: every record through the SDK's path (recursive type conformance,
selection pruning), the SDK's JSON writer flushing every line, requests reading the
environment on every call, SCHEMA for every parent and STATE after every partition.
Run it as the tap: ``python benchmarks/sdk_defaults_tap.py --config ... --catalog ...``.
"""

from __future__ import annotations

from typing import Any

from singer_sdk import RESTStream
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.io_base import SingerWriter

from tap_pinterest import output_stream, pacing
from tap_pinterest.client import PinterestStream
from tap_pinterest.output_stream import OutputStream
from tap_pinterest.tap import TapPinterest


def _trusting_session_init(self: pacing.PacedSession, *args: Any, **kwargs: Any) -> None:
    _session_init(self, *args, **kwargs)
    self.trust_env = True


_session_init = pacing.PacedSession.__init__

output_stream.LEAN_RECORDS = False
PinterestStream.TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.RECURSIVE
TapPinterest.message_writer_class = SingerWriter
pacing.PacedSession.__init__ = _trusting_session_init  # type: ignore[method-assign]
OutputStream._write_schema_message = RESTStream._write_schema_message  # type: ignore[method-assign]
OutputStream._write_state_message = RESTStream._write_state_message  # type: ignore[method-assign]

if __name__ == "__main__":
    TapPinterest.cli()
