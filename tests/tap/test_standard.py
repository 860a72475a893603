"""The singer-sdk's standard tap tests, run against a simulator that lives for the module.

They are never skipped: the simulator is part of this repository.
"""

from __future__ import annotations

import atexit

from singer_sdk.testing import get_tap_test_class

from tap_pinterest.simulator import Simulator
from tap_pinterest.tap import TapPinterest

_SIMULATOR = Simulator(seed=21, scale=1).start()
atexit.register(_SIMULATOR.stop)

TestTapPinterest = get_tap_test_class(
    TapPinterest,
    config={"api_url": _SIMULATOR.base_url, "access_token": _SIMULATOR.access_token},
)
