"""The sync mirror: a local, searchable copy of the streams tap-pinterest syncs.

`load.target.TargetPinterestMirror` loads Singer messages into SQLite or PostgreSQL;
`Mirror` searches them with the agent-connector query language (see `query.language`);
`serve` holds the command line and the HTTP endpoint. The layers go one way:
`serve` -> `query` -> `db` <- `load` (tests/test_layering.py), and none imports the tap.
"""

from tap_pinterest.mirror.db.database import DatabaseError
from tap_pinterest.mirror.db.errors import NotFoundError, QueryError
from tap_pinterest.mirror.query.api import Mirror

__all__ = ["DatabaseError", "Mirror", "NotFoundError", "QueryError"]
