"""Start a command so that its peak RSS is its own, not the benchmark's.

On Linux a process keeps, across ``exec``, the high-water RSS of the image it replaced
(the kernel records it in the process's ``maxrss`` when ``exec`` drops the old memory).
``subprocess`` starts a child as a fork (or vfork) of the caller, so a target started
from a benchmark that holds the simulator's data set reports that data set's RSS in
``wait4``: a tap of 64 MB showed 753 MB at 900 ad accounts. A child forked by this
small launcher starts a new record, so ``wait4`` here reports the command's own peak.

    python benchmarks/peak_rss.py RESULT_FILE COMMAND [ARG ...]

writes the command's peak RSS in KiB and the CPU time it used in seconds (user and
system, all its threads) to RESULT_FILE, and exits with the command's status.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


class Measured:
    """A ``subprocess.Popen`` of ``command`` through this launcher; ``wait()`` gives
    the exit status and the command's own peak RSS in MB, and ``cpu_seconds`` its CPU
    time."""

    def __init__(self, command: list[str], **popen: Any) -> None:
        handle, name = tempfile.mkstemp(suffix=".rss")
        os.close(handle)
        self._result = Path(name)
        self.cpu_seconds = 0.0
        self.process = subprocess.Popen(
            [sys.executable, str(HERE), str(self._result), *command], **popen
        )

    def wait(self) -> tuple[int, float]:
        status = self.process.wait()
        try:
            kib, cpu = (self._result.read_text() or "0 0").split()
        finally:
            self._result.unlink()
        self.cpu_seconds = float(cpu)
        return status, int(kib) / 1024


def main() -> None:
    result, command = sys.argv[1], sys.argv[2:]
    child = os.fork()
    if child == 0:
        try:
            os.execvp(command[0], command)  # noqa: S606 (the benchmark's own command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(child, 0)
    Path(result).write_text(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
