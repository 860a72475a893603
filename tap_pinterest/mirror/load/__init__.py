"""The mirror's write side: `target-pinterest-mirror` (`target`) reads Singer messages
(`ingest`), turns each stream's records into rows (`rows`) and writes them through
`writer` on its `lanes` (SQLite's batches through `staging`, PostgreSQL's by `pgcopy`).

Imports `tap_pinterest.mirror.db` and nothing else of the mirror (nor of the tap).
"""
