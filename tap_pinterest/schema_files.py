"""Find and load the stream JSON Schemas.

The schemas live in the repository's top-level ``schemas/`` directory, generated from
Pinterest's OpenAPI spec by ``scripts/generate_schemas.py``. A built wheel carries them as
``tap_pinterest/schemas/`` (hatch ``force-include``); an editable install, where force-include
does not apply, reads them from ``<repo>/schemas``.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

_REPO_ROOT = Path(__file__).resolve().parent.parent
_REPO_SCHEMAS_DIR = _REPO_ROOT / "schemas"
_STREAM_NAME = re.compile(r"[a-z0-9_]+")


class SchemaNotFoundError(FileNotFoundError):
    """No schema directory, or no schema file for a stream."""


@functools.cache
def schemas_dir() -> Traversable | Path:
    """Return the directory holding the ``<stream>.json`` files.

    The copy packaged in the wheel wins. The repository's ``schemas/`` is the fallback, used
    only in a source checkout (next to ``pyproject.toml``), never a stray ``site-packages/schemas``.
    """
    packaged = files("tap_pinterest") / "schemas"
    if packaged.is_dir():
        return packaged
    if _REPO_SCHEMAS_DIR.is_dir() and (_REPO_ROOT / "pyproject.toml").is_file():
        return _REPO_SCHEMAS_DIR
    msg = (
        f"No stream schemas found: neither {packaged} (wheel) nor {_REPO_SCHEMAS_DIR} "
        "(source checkout) exists."
    )
    raise SchemaNotFoundError(msg)


@functools.cache
def _read_schema(stream_name: str) -> dict[str, Any]:
    if not _STREAM_NAME.fullmatch(stream_name):
        msg = f"Invalid stream name {stream_name!r}."
        raise ValueError(msg)
    directory = schemas_dir()
    path = directory / f"{stream_name}.json"
    if not path.is_file():
        msg = f"No JSON Schema for stream {stream_name!r}: {path} does not exist."
        raise SchemaNotFoundError(msg)
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def load_schema(stream_name: str) -> dict[str, Any]:
    """Return the JSON Schema of ``stream_name``, as a copy the caller may change."""
    return copy.deepcopy(_read_schema(stream_name))
