"""A loopback simulator of the Pinterest API v5 endpoints that tap-pinterest reads.

It imports nothing from the tap. See `Simulator` for the Python API and
`tap-pinterest-sim --help` for the command line.
"""

from tap_pinterest.simulator.data import ENTITIES, Dataset
from tap_pinterest.simulator.faults import Faults, ScriptedFault
from tap_pinterest.simulator.log import RequestLog, RequestLogEntry
from tap_pinterest.simulator.routes import ROUTES, Route
from tap_pinterest.simulator.server import Simulator

__all__ = [
    "ENTITIES",
    "ROUTES",
    "Dataset",
    "Faults",
    "RequestLog",
    "RequestLogEntry",
    "Route",
    "ScriptedFault",
    "Simulator",
]
