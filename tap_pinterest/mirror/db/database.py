"""The mirror's database: its default URL, the URLs it supports, and opening one.

Every way opening can fail is one `DatabaseError`: a line naming the setting, the URL
without its password, the cause and the fix. The target (the writer) creates a SQLite
file's directory; a reader (`Mirror`, the command line) creates nothing.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from tap_pinterest.mirror.db import dialects, textsearch

#: The mirror when `database_url` is not set: relative to the working directory (under
#: Meltano, the project root), for the target and the command line alike.
DEFAULT_URL = "sqlite:///output/pinterest-mirror.db"
SETTING = "database_url"
SUPPORTED = (
    "the mirror supports sqlite:///<file> (default "
    f"{DEFAULT_URL}) and postgresql+psycopg://user:password@host:port/database "
    "(postgresql:// is read as postgresql+psycopg://)"
)
POSTGRES_INSTALL = 'pip install "tap-pinterest[postgres]"'
#: The drivers the mirror runs on, by the URL's scheme; plain postgresql:// would be
#: psycopg2 in SQLAlchemy, but the mirror is written for psycopg 3.
_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}
_HIDDEN = "***"


class DatabaseError(Exception):
    """The mirror's database cannot be used: the masked URL, the cause and the fix."""

    def __init__(self, url: str, cause: str, fix: str) -> None:
        self.url = url
        self.cause = " ".join(cause.split())
        self.fix = fix
        super().__init__(self.line(SETTING))

    def line(self, setting: str) -> str:
        """The one-line message, naming the setting the URL came from."""
        if not self.url:
            return f"{setting} {self.cause}; {self.fix}"
        return f"{setting} {self.url}: {self.cause}; {self.fix}"


def masked(url: URL) -> str:
    """`url` as text, its password (also one given as a query parameter) hidden."""
    if "password" not in url.query:
        return url.render_as_string(hide_password=True)
    hidden = url.update_query_dict({"password": "hidden"}).render_as_string(hide_password=True)
    return hidden.replace("password=hidden", f"password={_HIDDEN}")


def _passwords(url: URL) -> list[str]:
    """The passwords in `url`: its own, and any `password` query parameter (one or many)."""
    query = url.query.get("password", ())
    given = [url.password, *((query,) if isinstance(query, str) else query)]
    return [str(password) for password in given if password]


def resolve(url: str) -> URL:
    """The parsed URL, its scheme checked and its driver made explicit."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        # not echoed: text that is no URL cannot be masked, and may hold a password
        raise DatabaseError("", "is not a database URL", SUPPORTED) from None
    drivername = _DRIVERS.get(parsed.drivername)
    if drivername is None:
        raise DatabaseError(masked(parsed), f"unsupported scheme {parsed.drivername!r}", SUPPORTED)
    return parsed.set(drivername=drivername)


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or another backend."""
    if url.get_backend_name() != "sqlite" or url.database in {None, "", ":memory:"}:
        return None
    return Path(str(url.database))


def open_engine(url: str, *, writer: bool = False) -> Engine:
    """An engine for `url` that has connected once (see `dialects.make_engine`).

    A `writer` creates the directory of a SQLite file first; a reader's connections get
    the search functions. Raises `DatabaseError`.
    """
    parsed = resolve(url)
    path = sqlite_file(parsed)
    if writer and path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            cause = f"cannot create the directory {path.parent}: {error.strerror or error}"
            fix = "choose a SQLite file in a directory you can write"
            raise DatabaseError(masked(parsed), cause, fix) from error
    try:
        engine = dialects.make_engine(parsed, writer=writer)
    except ImportError as error:  # psycopg missing, or without a libpq to load
        if parsed.get_backend_name() != "postgresql":
            raise
        cause = f"the PostgreSQL driver psycopg cannot be loaded: {error}"
        fix = f"install it: {POSTGRES_INSTALL}"
        raise DatabaseError(masked(parsed), cause, fix) from error
    if not writer:
        textsearch.add_search_functions(engine)  # before the first connection is made
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as error:
        engine.dispose()
        raise _cannot_connect(parsed, path, error) from error
    return engine


def _driver_said(error: sa.exc.DBAPIError) -> str:
    """The first line of what the driver said."""
    said = str(error.orig if error.orig is not None else error).strip()
    return said.splitlines()[0] if said else type(error.orig).__name__


def write_failed(url: URL | None, error: sa.exc.DBAPIError) -> DatabaseError:
    """A write that failed during a load (the server went away, the disk is full, a value
    the database refused): what the driver said, and how to go on. The last STATE the
    target wrote is the one to resume from (the target writes a STATE only once the
    records before it are committed)."""
    said = _driver_said(error)
    cause = f"a write to the mirror failed: {said}"
    fix = (
        "fix the cause and run the sync again: it resumes from the last STATE the target "
        "wrote, and loads the records after it again"
    )
    return DatabaseError("" if url is None else masked(url), cause, fix)


def _cannot_connect(url: URL, path: Path | None, error: sa.exc.DBAPIError) -> DatabaseError:
    """What the driver said (its first line, any password hidden), and what to check."""
    said = _driver_said(error)
    for password in _passwords(url):
        said = said.replace(password, _HIDDEN)
    if path is not None:
        cause = f"cannot open the SQLite file {path}: {said}"
        fix = "point it at a SQLite file this user can read and write"
    else:
        where = f"{url.host}:{url.port or 5432}" if url.host else "its local socket"
        cause = f"cannot connect to PostgreSQL at {where}: {said}"
        fix = "check that PostgreSQL runs there and that the user, password and database are right"
    return DatabaseError(masked(url), cause, fix)
