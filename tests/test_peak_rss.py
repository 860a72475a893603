"""benchmarks/peak_rss.py: a command's peak RSS is its own, not that of the benchmark that
started it (the figures of docs/performance.md rest on it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from peak_rss import Measured  # benchmarks/ is not a package

SMALL = [sys.executable, "-c", "pass"]


def test_the_launcher_reports_the_commands_own_peak_not_its_parents() -> None:
    """Started directly, a child reports its parent's peak; through the launcher, its own."""
    ballast = b"x" * (400 * 1024 * 1024)  # written, so resident
    direct = subprocess.Popen(SMALL)
    _, status, usage = os.wait4(direct.pid, 0)
    assert status == 0
    assert usage.ru_maxrss / 1024 > 400  # the kernel's record of the image it replaced

    measured = Measured(SMALL)
    status, peak_mb = measured.wait()
    assert status == 0
    assert 0 < peak_mb < 100
    del ballast


def test_the_launcher_passes_on_the_commands_exit_status() -> None:
    status, _ = Measured([sys.executable, "-c", "raise SystemExit(3)"]).wait()
    assert status == 3


def test_the_launcher_reports_the_cpu_time_of_every_thread_of_the_command() -> None:
    """Two threads each spin for 0.3 s of CPU: the command used at least 0.6 s."""
    spin = (
        "import threading, time\n"
        "def spin():\n"
        "    end = time.thread_time() + 0.3\n"
        "    while time.thread_time() < end: pass\n"
        "threads = [threading.Thread(target=spin) for _ in range(2)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
    )
    measured = Measured([sys.executable, "-c", spin])
    status, _ = measured.wait()
    assert status == 0
    assert measured.cpu_seconds >= 0.6
