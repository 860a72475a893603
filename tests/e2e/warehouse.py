"""The PostgreSQL the end-to-end tests load into.

127.0.0.1:5432 with trust auth and a database `test` (override with E2E_POSTGRES_DSN).
Where none is reachable the tests say so and skip; under CI=true they fail instead,
because CI always has one.
"""

from __future__ import annotations

import os

import pytest

psycopg = pytest.importorskip("psycopg")

DSN = os.environ.get("E2E_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")


def connect() -> psycopg.Connection:
    try:
        return psycopg.connect(DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {DSN!r}: {exc}".strip()
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} -- CI must provide it (see .ci/run)")
        pytest.skip(f"{message} -- start it to run the end-to-end test")
