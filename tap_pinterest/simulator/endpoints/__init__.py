"""What each API route answers: its parameters validated, then its body (or an ApiError).

`params` (`Query`: typed query parameters; `ApiError`, the `{code, message}` errors),
`common` (the handler context, `Listing`, the ad-account checks), `lists` (the list
endpoints and the user account), `by_id` (one record by id), `analytics` (the ads and
organic analytics and the report endpoints), `analytics_params` (date limits and the
checks the analytics endpoints and reports share) and `report_request` (the report
request body). Every route's handler is registered in its module's `HANDLERS`.

Knows nothing of HTTP serving (routing, auth, faults, pagination: `simulator.api`).
Imports only `simulator.analytics` and `simulator.data` (tests/test_layering.py).
"""
