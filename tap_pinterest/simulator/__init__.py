"""A loopback simulator of the Pinterest API v5 endpoints that tap-pinterest reads.

It imports nothing from the tap. See `Simulator` for the Python API and
`tap-pinterest-sim --help` for the command line. Beside the lists it serves one record
by id wherever the spec has a get route for a listed entity (`handlers_get`), the
synchronous ads analytics, the organic analytics and the asynchronous reports:
`analytics` (row format, activity, restatement), `analytics_params` (date limits),
`columns` (how each column is computed and typed), `organic` (user account and Pin
analytics) and `reports` (report lifecycle, files, pre-signed downloads).
"""

from tap_pinterest.simulator.analytics.ads import Analytics
from tap_pinterest.simulator.analytics.columns import column_type, is_conversion_column
from tap_pinterest.simulator.analytics.reports import Report, Reports
from tap_pinterest.simulator.data.dataset import ENTITIES, Dataset
from tap_pinterest.simulator.endpoints.analytics_params import (
    HOUR_LIMITS,
    ORGANIC_LIMITS,
    REPORT_LIMITS,
    SYNC_LIMITS,
    DateLimits,
)
from tap_pinterest.simulator.faults import Faults, ScriptedFault
from tap_pinterest.simulator.log import RequestLog, RequestLogEntry
from tap_pinterest.simulator.routes import ROUTES, Route
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
