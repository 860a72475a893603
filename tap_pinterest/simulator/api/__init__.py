"""Serving the API over HTTP: the WSGI app and what it applies before the endpoints.

`app` (`SimulatorApp`: routing, dropped connections, latency, scripted faults, random
5xx, authentication, rate limits, pagination, the request log), `routes` (the table of
simulated routes and their rate-limit categories), `auth` (access and refresh tokens),
`faults` (fault settings and scripts, rate-limit budgets), `bookmarks` (opaque page
bookmarks), `log` (the request log) and `admin` (the `/_sim/` admin routes).

Imports `simulator.endpoints`, `simulator.analytics` and `simulator.data`; nothing
below imports it (tests/test_layering.py).
"""
