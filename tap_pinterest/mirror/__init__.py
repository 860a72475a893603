"""The sync mirror: a local, searchable copy of the streams tap-pinterest syncs.

`target.TargetPinterestMirror` loads Singer messages into SQLite or PostgreSQL;
`Mirror` searches them with the agent-connector query language (see `query`).
"""

from tap_pinterest.mirror.api import Mirror
from tap_pinterest.mirror.database import DatabaseError
from tap_pinterest.mirror.errors import NotFoundError, QueryError

__all__ = ["DatabaseError", "Mirror", "NotFoundError", "QueryError"]
