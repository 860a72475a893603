"""Run a module as ``__main__`` on a clock that starts at a given moment and ticks.

``python tests/frozen_run.py 2026-11-24T12:00:00+00:00 tap_pinterest --config c.json``

A test that freezes its own clock (where the simulator runs) starts the tap's process
through this, so both processes read the same date whatever the real one is.
"""

from __future__ import annotations

import runpy
import sys

import time_machine


def main() -> None:
    moment, module, *args = sys.argv[1:]
    sys.argv = [module, *args]
    with time_machine.travel(moment, tick=True):
        runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
