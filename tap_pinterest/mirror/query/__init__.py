"""The mirror's read side: `Mirror` (`api`) searches the mirror in the agent-connector
query language (`language`, compiled to SQL; `paging` reads the pages), and `execute`
runs one `{entity, action, params}` request of that API.

Imports `tap_pinterest.mirror.db` and nothing else of the mirror (nor of the tap).
"""
