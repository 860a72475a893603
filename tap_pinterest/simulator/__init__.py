"""A loopback simulator of the Pinterest API v5 endpoints that tap-pinterest reads.

It imports nothing from the tap. See `Simulator` for the Python API and
`tap-pinterest-sim --help` for the command line. Beside the lists it serves one record
by id wherever the spec has a get route for a listed entity, the synchronous ads
analytics, the organic analytics and the asynchronous reports.

Four sub-packages, each importing only the ones after it (tests/test_layering.py):

    api/        serving over HTTP: the WSGI app, routes, auth, faults, request log, admin
    endpoints/  what each route answers: parameters validated, then the body
    analytics/  the analytics rows, organic analytics and report files, computed
    data/       the dataset and its generators

Here, above them all: `server` (`Simulator`, which wires the parts and serves them),
`cli` (`tap-pinterest-sim`) and the public names below, which code outside the
simulator imports.
"""

from tap_pinterest.simulator.analytics.ads import Analytics
from tap_pinterest.simulator.analytics.columns import column_type, is_conversion_column
from tap_pinterest.simulator.analytics.reports import Report, Reports
from tap_pinterest.simulator.api.faults import Faults, ScriptedFault
from tap_pinterest.simulator.api.log import RequestLog, RequestLogEntry
from tap_pinterest.simulator.api.routes import ROUTES, Route
from tap_pinterest.simulator.data.dataset import ENTITIES, Dataset
from tap_pinterest.simulator.endpoints.analytics_params import (
    HOUR_LIMITS,
    ORGANIC_LIMITS,
    REPORT_LIMITS,
    SYNC_LIMITS,
    DateLimits,
)
from tap_pinterest.simulator.server import Simulator

__all__ = [
    "ENTITIES",
    "HOUR_LIMITS",
    "ORGANIC_LIMITS",
    "REPORT_LIMITS",
    "ROUTES",
    "SYNC_LIMITS",
    "Analytics",
    "Dataset",
    "DateLimits",
    "Faults",
    "Report",
    "Reports",
    "RequestLog",
    "RequestLogEntry",
    "Route",
    "ScriptedFault",
    "Simulator",
    "column_type",
    "is_conversion_column",
]
