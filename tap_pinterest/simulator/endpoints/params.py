"""Query-parameter parsing and Pinterest-style errors."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from werkzeug.datastructures import MultiDict

DIGITS = re.compile(r"^\d+$")
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 250


class ApiError(Exception):
    """An error answered as `{"code": code, "message": message}` with HTTP `status`."""

    def __init__(
        self, status: int, code: int, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message}


def bad_parameter(message: str) -> ApiError:
    return ApiError(400, 1, message)


class Query:
    """Typed access to query parameters, raising `ApiError` (400, code 1) on bad input.

    List parameters are accepted both as repeated keys (`?a=1&a=2`) and comma-joined
    (`?a=1,2`), as Pinterest accepts them.
    """

    def __init__(self, args: MultiDict[str, str]) -> None:
        self.args = args

    def string(self, name: str) -> str | None:
        return self.args.get(name)

    def values(self, name: str) -> list[str] | None:
        raw = self.args.getlist(name)
        if not raw:
            return None
        items = [item.strip() for value in raw for item in value.split(",")]
        if any(not item for item in items):
            raise bad_parameter(f"Parameter '{name}' has an empty value.")
        return items

    def id(self, name: str, max_length: int | None = 18) -> str | None:
        value = self.args.get(name)
        if value is not None:
            check_id(name, value, max_length)
        return value

    def ids(self, name: str, max_items: int = 250, max_length: int | None = 18) -> list[str] | None:
        items = self.values(name)
        if items is None:
            return None
        if len(items) > max_items:
            raise bad_parameter(
                f"Parameter '{name}' accepts at most {max_items} values (got {len(items)})."
            )
        for item in items:
            check_id(name, item, max_length)
        return items

    def enum(self, name: str, allowed: Collection[str]) -> str | None:
        value = self.args.get(name)
        if value is not None and value not in allowed:
            raise bad_parameter(
                f"Parameter '{name}' must be one of {', '.join(allowed)} (was {value})."
            )
        return value

    def enums(
        self, name: str, allowed: Collection[str], max_items: int | None = None
    ) -> list[str] | None:
        items = self.values(name)
        if items is None:
            return None
        if max_items is not None and len(items) > max_items:
            raise bad_parameter(f"Parameter '{name}' accepts at most {max_items} values.")
        for item in items:
            if item not in allowed:
                raise bad_parameter(
                    f"Parameter '{name}' has an invalid value '{item}'; "
                    f"expected one of {', '.join(allowed)}."
                )
        return items

    def ints(self, name: str, max_items: int) -> list[int] | None:
        items = self.values(name)
        if items is None:
            return None
        if len(items) > max_items:
            raise bad_parameter(f"Parameter '{name}' accepts at most {max_items} values.")
        for item in items:
            if not DIGITS.match(item):
                raise bad_parameter(f"Parameter '{name}' was not numeric (was {item}).")
        return [int(item) for item in items]

    def boolean(self, name: str, default: bool) -> bool:
        value = self.args.get(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise bad_parameter(f"Parameter '{name}' must be true or false (was {value}).")
        return lowered == "true"

    def page_size(self) -> int:
        value = self.args.get("page_size")
        if value is None:
            return DEFAULT_PAGE_SIZE
        if not re.fullmatch(r"[+-]?\d+", value.strip()):
            raise bad_parameter(f"Parameter 'page_size' was not numeric (was {value}).")
        size = int(value)
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise bad_parameter(
                f"Parameter 'page_size' must be between 1 and {MAX_PAGE_SIZE} (was {size})."
            )
        return size


def check_id(name: str, value: str, max_length: int | None) -> None:
    if not DIGITS.match(value):
        raise bad_parameter(f"'{name}' value '{value}' must match the pattern: ^\\d+$")
    if max_length is not None and len(value) > max_length:
        raise bad_parameter(f"'{name}' value '{value}' is longer than {max_length} characters.")
