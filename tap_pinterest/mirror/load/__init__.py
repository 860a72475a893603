"""The mirror's write side: `target-pinterest-mirror` (`target`) reads Singer messages
(`ingest`) and writes them through `writer` (SQLite's batches through `staging`).

Imports `tap_pinterest.mirror.db` and nothing else of the mirror (nor of the tap).
"""
