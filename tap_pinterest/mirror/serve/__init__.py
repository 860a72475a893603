"""The mirror's front ends: the command line `tap-pinterest-mirror` (`cli`), the HTTP
endpoint `POST /execute` (`server`) and the MCP server for AI agents (`mcp`, on the
`[mcp]` extra's SDK), all running requests through `query.execute`; `usage` holds the
command line's click plumbing (usage errors).

Imports `tap_pinterest.mirror.query` and `tap_pinterest.mirror.db`, and the shared
`tap_pinterest.serving`. `cli` is the mirror's one wiring point to the live API: it alone
imports `tap_pinterest.live` (the tap's adapter), and hands its `list` and `get` to the
executor as callables.
"""
