"""Opaque bookmarks: where the next page of a list starts, tied to the request that made it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping

from tap_pinterest.simulator.endpoints.params import ApiError, bad_parameter


def fingerprint(template: str, path_args: Mapping[str, str], key: object) -> str:
    """Identity of a listing: route, path arguments and normalised filters."""
    text = json.dumps([template, sorted(path_args.items()), key], default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_bookmark(offset: int, page: int, print_: str) -> str:
    raw = json.dumps([offset, page, print_], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_bookmark(value: str) -> tuple[int, int, str]:
    """(offset, page number, fingerprint), or ApiError 400 for anything not ours."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        offset, page, print_ = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise bad_parameter(f"Invalid bookmark '{value}'.") from exc
    if not (isinstance(offset, int) and isinstance(page, int) and isinstance(print_, str)):
        raise bad_parameter(f"Invalid bookmark '{value}'.")
    if offset < 0 or page < 2:
        raise bad_parameter(f"Invalid bookmark '{value}'.")
    return offset, page, print_


def bookmark_page(value: str | None) -> int | None:
    """The page a request asks for: 1 without a bookmark; None if the bookmark is bad."""
    if value is None:
        return 1
    try:
        return decode_bookmark(value)[1]
    except ApiError:
        return None
