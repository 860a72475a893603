"""The JSON body of an API answer, parsed once, with every string made loadable.

JSON may escape half of a UTF-16 surrogate pair on its own (``"\\ud83d"``): Pinterest
sends that when it cuts a title in the middle of an emoji. Python parses it into a
string that no UTF-8 encoder or Singer target accepts, so each unpaired surrogate is
replaced with U+FFFD (the replacement character) here, at the tap's edge, and counted:
each stream logs how many it replaced, once, at the end of the run.

:func:`json_body` parses a response once; :meth:`PinterestStream.validate_response`
calls it (a 2xx body that is not JSON is retried there like a 5xx) and the streams'
``parse_response`` take the same parsed body.
"""

from __future__ import annotations

import re
import typing as t
import weakref
from dataclasses import dataclass

if t.TYPE_CHECKING:
    import requests

#: A JSON escape of a surrogate code point (paired or not): only then can a parsed
#: string hold an unpaired one (raw surrogates are not valid UTF-8).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class Body:
    """A parsed JSON body and the number of unpaired surrogates replaced in it."""

    value: t.Any
    replaced: int


_PARSED: weakref.WeakKeyDictionary[requests.Response, Body] = weakref.WeakKeyDictionary()


def json_body(response: requests.Response) -> Body:
    """The response's JSON, unpaired surrogates replaced; ValueError if it is not JSON.

    The result is kept for as long as the response lives, so the body is parsed once
    however many hooks read it.
    """
    found = _PARSED.get(response)
    if found is not None:
        return found
    value = response.json()
    replaced = 0
    if _SURROGATE_ESCAPE.search(response.content):
        value, replaced = replace_lone_surrogates(value)
    body = Body(value, replaced)
    _PARSED[response] = body
    return body


def replace_lone_surrogates(value: t.Any) -> tuple[t.Any, int]:
    """``value`` with every unpaired surrogate in its strings (keys too) replaced by
    U+FFFD, and how many were replaced."""
    if isinstance(value, str):
        return _LONE_SURROGATE.subn(REPLACEMENT, value)
    if isinstance(value, list):
        total = 0
        items = []
        for item in value:
            clean, count = replace_lone_surrogates(item)
            items.append(clean)
            total += count
        return items, total
    if isinstance(value, dict):
        total = 0
        pairs = {}
        for key, item in value.items():
            clean_key, key_count = replace_lone_surrogates(key)
            clean, count = replace_lone_surrogates(item)
            pairs[clean_key] = clean
            total += key_count + count
        return pairs, total
    return value, 0
