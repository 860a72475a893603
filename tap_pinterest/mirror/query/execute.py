"""One request of the agent-connector API: ``{entity, action, params}`` to a JSON answer.

The HTTP endpoint (``serve/server.py``) and the command line (``serve/cli.py``) both go
through :class:`Executor`, so they validate the same way (the shapes of ``requests``)
and answer the same JSON:

- ``search`` and ``stats`` read the mirror;
- ``get`` reads the mirror, or the Pinterest API when a live client is configured and
  the API has a get endpoint for the entity (the live client then takes the params,
  parent ids included, and validates them itself);
- ``list`` calls the Pinterest API (one page) through the live client, when configured.

The live client is passed in as callables; this module imports nothing from the tap.
"""

from __future__ import annotations

import contextlib
import functools
import typing as t
from dataclasses import dataclass

import msgspec

from tap_pinterest.mirror.db.database import DatabaseError
from tap_pinterest.mirror.db.errors import NotFoundError, QueryError
from tap_pinterest.mirror.query.api import MAX_LIMIT
from tap_pinterest.mirror.query.requests import (
    REQUEST,
    Param,
    RequestError,
    Shape,
    one_of,
    params_shape,
    unknown_param,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_pinterest.mirror.query.api import Mirror

DEFAULT_LIMIT = MAX_LIMIT

#: ``(entity, params) -> {"data", "meta"}``: one page from the API. It validates the
#: entity and the params itself, raising :class:`RequestError` (``None``: no entity given).
Lister = t.Callable[[str | None, dict[str, t.Any]], dict[str, t.Any]]
#: ``(entity, params) -> record``: one record from the API. It validates the params
#: itself (the id, as :func:`record_id` reads it, and any parent ids its path needs).
Getter = t.Callable[[str, dict[str, t.Any]], dict[str, t.Any]]


class SearchParams(msgspec.Struct, forbid_unknown_fields=True):
    """The params of `search`: their values are the mirror's to check (`QueryError`), as
    they are when the Python API is called."""

    query: t.Any = None
    limit: t.Any = DEFAULT_LIMIT
    cursor: t.Any = None
    fields: t.Any = None


class StatsParams(msgspec.Struct, forbid_unknown_fields=True):
    """`stats` takes no params."""


SEARCH = Shape(SearchParams, unknown_param(SearchParams.__struct_fields__), {})
STATS = Shape(StatsParams, unknown_param(()), {})


@functools.lru_cache(maxsize=128)
def _get_params(entity: str) -> Shape[t.Any]:
    """The params of the mirror's `get`: the id, by either name."""
    ids = {name: Param(t.Any, default=None) for name in ("id", id_param(entity))}
    return params_shape("GetParams", ids)


def from_mirror_error(error: QueryError | NotFoundError) -> RequestError:
    """The mirror's own error as a request error (400 for a query, 404 for an id).

    The message is the error's text, which names the problem and lists the choices.
    """
    message = str(error)
    if isinstance(error, NotFoundError):
        return RequestError("not_found", message, status=404)
    return RequestError(error.problem, message, error.choices)


@contextlib.contextmanager
def as_request_errors() -> Iterator[None]:
    """The mirror's errors, raised inside, as request errors: a bad query 400, a missing
    record 404, a database that went away (or whose file is now bad) 503."""
    try:
        yield
    except (QueryError, NotFoundError) as error:
        raise from_mirror_error(error) from None
    except DatabaseError as error:
        raise RequestError("database_unavailable", str(error), status=503) from None


def id_param(entity: str) -> str:
    """The connector's name of an entity's id parameter: ``boards`` -> ``board_id``."""
    return f"{entity.removesuffix('s')}_id"


def record_id(entity: str, params: dict[str, t.Any]) -> t.Any:
    """The id a ``get`` names: ``params.id`` or ``params.<entity>_id`` (the first given)."""
    name = id_param(entity)
    given = [params[key] for key in ("id", name) if params.get(key) is not None]
    if not given or given[0] == "":
        raise RequestError("missing_param", f"get {entity} needs params.{name} (or params.id)")
    return given[0]


@dataclass
class Executor:
    """Runs actions against a mirror and, when given, the live API."""

    mirror: Mirror
    lister: Lister | None = None
    getter: Getter | None = None
    #: Entities whose ``get`` goes to the API (when ``getter`` is set).
    live_get_entities: frozenset[str] = frozenset()

    def execute(self, request: object) -> dict[str, t.Any]:
        """Validate ``{"entity", "action", "params"}`` and run it."""
        valid = REQUEST.convert(request)
        with as_request_errors():
            return self._run(valid.action, valid.entity, valid.params or {})

    def _run(self, action: str, entity: str | None, params: dict[str, t.Any]) -> dict[str, t.Any]:
        if action == "stats":
            return self._stats(entity, params)
        if action == "list":
            return self._list(entity, params)
        if action == "get":
            return self._get(entity, params)
        return self._search(entity, params)

    # ---- mirror actions ------------------------------------------------------------------
    # The mirror validates the entity, the query, the cursor and the fields itself
    # (QueryError names the problem and the choices); only what it cannot see is checked here.

    def _named(self, entity: str | None) -> str:
        if entity is None:
            choices = self.mirror.entities()
            raise RequestError("missing_entity", one_of("entity", None, choices), choices)
        return entity

    def _search(self, entity: str | None, params: dict[str, t.Any]) -> dict[str, t.Any]:
        name = self._named(entity)
        search = SEARCH.convert(params)
        return self.mirror.search(
            name,
            query=search.query,
            limit=search.limit,
            cursor=search.cursor,
            fields=search.fields,
        )

    def _get(self, entity: str | None, params: dict[str, t.Any]) -> dict[str, t.Any]:
        name = self._named(entity)
        if self.getter is not None and name in self.live_get_entities:
            return self.getter(name, params)
        _get_params(name).convert(params)
        return self.mirror.get(name, record_id(name, params))

    def _stats(self, entity: str | None, params: dict[str, t.Any]) -> dict[str, t.Any]:
        STATS.convert(params)
        stats = self.mirror.stats()
        if entity is None:
            return stats
        if entity not in stats:
            raise RequestError("unknown_entity", one_of("entity", entity, stats), list(stats))
        return {entity: stats[entity]}

    # ---- live actions --------------------------------------------------------------------

    def _list(self, entity: str | None, params: dict[str, t.Any]) -> dict[str, t.Any]:
        if self.lister is None:
            raise RequestError(
                "live_not_configured",
                "list calls the Pinterest API: give the tap config (--config TAP_CONFIG.json)",
            )
        return self.lister(entity, params)
