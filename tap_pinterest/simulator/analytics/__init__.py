"""What the analytics endpoints and the asynchronous reports answer, computed from the data.

`ads` (`Analytics`: the ads analytics rows and JSON report bodies, restatement, "today"),
`rows` (levels, buckets, one entity's rows), `columns` (how each column is computed and
typed), `columns_catalog` (the column and metric names the spec lists), `metrics` (the
deterministic activity behind every number), `organic` (user account and Pin analytics)
and `reports` (the report lifecycle, its files and their pre-signed downloads).

Nothing here reads a request: the endpoints validate parameters and call in. Imports
only `simulator.data` (tests/test_layering.py).
"""
