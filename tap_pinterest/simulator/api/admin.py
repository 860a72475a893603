"""The simulator's admin routes, under `/_sim/` (not logged, no auth, no faults).

`GET /_sim/health`; `GET /_sim/requests` (`?entries=true` for the entries) and
`POST /_sim/requests/reset`, the request log; `GET` and `POST /_sim/faults`, the fault
settings and scripts (`{"latency_ms", "error_rate", "drop_rate", "seed", "rate_limits",
"scripts": [...], "clear_scripts": true}`, every key optional); `POST /_sim/mutate`
`{"entity": "pins", "count": 1}`; `POST /_sim/delete` `{"entity": "pins", "ids": [...]}`;
`POST /_sim/edit` `{"entity": "pins", "id": "...", "fields": {"title": "..."}}`;
`GET /_sim/dataset/counts`; `GET /_sim/credentials`.

Admin routes for analytics: `POST /_sim/analytics/restate` `{"day": "YYYY-MM-DD",
"entity_ids": [...] (optional), "factor": 1.25 (optional)}`; `GET /_sim/reports` (settings,
pending faults, reports); `POST /_sim/reports` `{"poll_delay": 0, "url_ttl": 300,
"report_ttl": 3600, "fail_next": {"status": "FAILED", "count": 1} or "FAILED",
"clear_faults": true}` (every key optional).

A bad body raises ValueError, KeyError or TypeError, which the app answers 400.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request

from tap_pinterest.simulator.analytics.ads import DEFAULT_RESTATEMENT_FACTOR, Analytics
from tap_pinterest.simulator.analytics.reports import Reports
from tap_pinterest.simulator.api.auth import TokenStore
from tap_pinterest.simulator.api.faults import Faults
from tap_pinterest.simulator.api.log import RequestLog
from tap_pinterest.simulator.data.dataset import Dataset

# (method, path, the `Admin` method that answers it)
ADMIN_ROUTES = (
    ("GET", "/_sim/health", "health"),
    ("GET", "/_sim/requests", "requests"),
    ("POST", "/_sim/requests/reset", "requests_reset"),
    ("POST", "/_sim/mutate", "mutate"),
    ("POST", "/_sim/delete", "delete"),
    ("POST", "/_sim/edit", "edit"),
    ("GET", "/_sim/faults", "faults_get"),
    ("POST", "/_sim/faults", "faults_set"),
    ("GET", "/_sim/dataset/counts", "counts"),
    ("GET", "/_sim/credentials", "credentials"),
    ("POST", "/_sim/analytics/restate", "restate"),
    ("GET", "/_sim/reports", "reports_get"),
    ("POST", "/_sim/reports", "reports_set"),
)


class Admin:
    """Answers the admin routes of one simulator: each method takes the request and
    returns the JSON body."""

    def __init__(
        self,
        *,
        dataset: Dataset,
        analytics: Analytics,
        reports: Reports,
        tokens: TokenStore,
        faults: Faults,
        request_log: RequestLog,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.dataset = dataset
        self.analytics = analytics
        self.reports = reports
        self.tokens = tokens
        self.faults = faults
        self.request_log = request_log
        self.clock = clock

    def answer(self, name: str, request: Request) -> Any:
        """The body for the admin route `name` (from ADMIN_ROUTES)."""
        return getattr(self, name)(request)

    def health(self, _request: Request) -> Any:
        return {"ok": True}

    def requests(self, request: Request) -> Any:
        return self.request_log.to_dict(with_entries=request.args.get("entries") == "true")

    def requests_reset(self, _request: Request) -> Any:
        self.request_log.reset()
        return {"ok": True}

    def counts(self, _request: Request) -> Any:
        return self.dataset.counts()

    def credentials(self, _request: Request) -> Any:
        return {
            "client_id": self.tokens.client_id,
            "client_secret": self.tokens.client_secret,
            "refresh_token": self.tokens.refresh_token,
            "access_token": self.tokens.static_access_token,
        }

    def faults_get(self, _request: Request) -> Any:
        return self.faults.to_dict()

    def mutate(self, request: Request) -> Any:
        body = _json_object(request)
        count = body.get("count", 1)
        if not isinstance(count, int):
            raise ValueError("'count' must be an integer")
        return {"ids": self.dataset.mutate(str(body.get("entity")), count, self.clock())}

    def delete(self, request: Request) -> Any:
        body = _json_object(request)
        ids = body.get("ids")
        if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
            raise ValueError("'ids' must be a list of id strings")
        return {"deleted": self.dataset.delete(str(body.get("entity")), ids)}

    def edit(self, request: Request) -> Any:
        body = _json_object(request)
        fields = body.get("fields")
        if not isinstance(fields, dict) or not fields:
            raise ValueError("'fields' must be an object of the fields to set")
        return self.dataset.edit(str(body.get("entity")), str(body.get("id")), fields)

    def restate(self, request: Request) -> Any:
        body = _json_object(request)
        factor = body.get("factor", DEFAULT_RESTATEMENT_FACTOR)
        if isinstance(factor, bool) or not isinstance(factor, int | float):
            raise ValueError("'factor' must be a number")
        ids = body.get("entity_ids")
        if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
            raise ValueError("'entity_ids' must be a list of id strings")
        version = self.analytics.restate(str(body["day"]), ids, float(factor))
        return {"day": body["day"], "restatements": version}

    def reports_get(self, _request: Request) -> Any:
        return self.reports.to_dict()

    def reports_set(self, request: Request) -> Any:
        body = _json_object(request)
        fail = body.pop("fail_next", None)
        if body.pop("clear_faults", False):
            self.reports.clear_faults()
        self.reports.configure(**body)
        if isinstance(fail, str):
            self.reports.fail_next(fail)
        elif isinstance(fail, dict):
            self.reports.fail_next(**fail)
        elif fail is not None:
            raise ValueError('\'fail_next\' must be a status or {"status", "count"}')
        return self.reports.to_dict()

    def faults_set(self, request: Request) -> Any:
        return self._set_faults(_json_object(request))

    def _set_faults(self, body: dict[str, Any]) -> dict[str, Any]:
        names = ("latency_ms", "error_rate", "drop_rate", "seed", "rate_limits")
        settings = {k: body[k] for k in names if k in body}
        unknown = set(body) - set(settings) - {"scripts", "clear_scripts"}
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        self.faults.update(**settings)
        if body.get("clear_scripts"):
            self.faults.clear_scripts()
        for script in body.get("scripts") or []:
            if not isinstance(script, dict) or "route" not in script:
                raise ValueError("each script needs at least a 'route'")
            self.faults.script(**script)
        return self.faults.to_dict()


def _json_object(request: Request) -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    return body
