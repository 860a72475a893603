"""The requests of the agent-connector API, declared once and validated in one place.

A request is ``{"entity", "action", "params"}`` (:class:`Request`), and each action
takes its own params. Their shapes are msgspec Structs, each with a :class:`Shape`
that converts a JSON value to it (:meth:`Shape.convert`: the one place a request is
validated) and says what to answer for each field it refuses: msgspec names the field
and the problem, the answer also names the valid choices (:class:`RequestError`).

The params of the mirror's actions are declared in ``execute``, those of the live API
in :mod:`tap_pinterest.live`, with :func:`params_shape`.
"""

from __future__ import annotations

import json
import re
import typing as t
from dataclasses import dataclass

import msgspec

from tap_pinterest.mirror.query import limits

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

Action = t.Literal["search", "get", "list", "stats"]
ACTIONS: tuple[str, ...] = t.get_args(Action)
FIELDS = ("entity", "action", "params")


class RequestError(Exception):
    """A request the executor refuses: a problem name, a message, the valid choices."""

    status: int = 400

    def __init__(
        self,
        problem: str,
        message: str,
        choices: Iterable[str] = (),
        *,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.choices = list(choices)
        if status is not None:
            self.status = status

    def body(self) -> dict[str, t.Any]:
        """The JSON error answer."""
        return {
            "error": {"problem": self.problem, "message": self.message, "choices": self.choices}
        }


class UpstreamError(RequestError):
    """The Pinterest API failed; the message is the tap's one-line error (no secrets)."""

    status = 502

    def __init__(self, message: str) -> None:
        super().__init__("upstream_error", message)


def json_bytes(value: object, *, indent: int | None = None) -> bytes:
    """An answer as UTF-8 JSON; text that is not Unicode (a lone surrogate, echoed from a
    request or read from a record) is escaped, as `\\ud800`, rather than failing."""
    text = json.dumps(value, ensure_ascii=False, default=str, indent=indent)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, default=str, indent=indent).encode("ascii")


def parse_json(text: str | bytes, what: str = "the body") -> t.Any:
    """The JSON value of a request's text, or a 400 `RequestError`: `invalid_json`, or
    `limit_exceeded` for nesting deeper than `limits.BODY_DEPTH`."""
    too_deep = RequestError(
        "limit_exceeded",
        f"{what} is nested deeper than {limits.BODY_DEPTH} levels; the limit is "
        f"{limits.BODY_DEPTH} (body_depth).",
    )
    try:
        value = json.loads(text)
    except RecursionError:  # nested deeper than the parser's stack: far past the limit
        raise too_deep from None
    except ValueError as error:  # UnicodeDecodeError, 4,300+ digits included
        raise RequestError("invalid_json", f"{what} is not valid JSON: {error}") from None
    if _depth(value) > limits.BODY_DEPTH:
        raise too_deep
    return value


def _depth(value: object) -> int:
    """The nesting depth of a JSON value (a scalar is 0), without recursion."""
    deepest = 0
    level: list[object] = [value]
    while level:
        nested = [x for x in level if isinstance(x, dict | list)]
        if not nested:
            break
        deepest += 1
        if deepest > limits.BODY_DEPTH:
            break
        level = [y for x in nested for y in (x.values() if isinstance(x, dict) else x)]
    return deepest


def one_of(what: str, value: object, choices: Iterable[str]) -> str:
    """``Unknown entity 'x'. Valid choices: a, b.`` (the mirror's QueryError wording)."""
    names = list(choices)
    listed = ", ".join(names) if names else "none"
    return f"Unknown {what} {limits.shown(value)}. Valid choices: {listed}."


#: What to answer for a value a field refuses (None: the field is missing).
Refusal = t.Callable[[object], RequestError]
#: msgspec's ValidationError texts: an unknown field, a missing one, a refused value.
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<name>[^`]*)`")
_MISSING = re.compile(r"Object missing required field `(?P<name>[^`]*)`")
_AT = re.compile(r" - at `\$\.(?P<name>[^.`\[]+)")


S = t.TypeVar("S", bound=msgspec.Struct)


@dataclass(frozen=True)
class Shape(t.Generic[S]):
    """A Struct, and the answer to each way a JSON value fails to be one.

    ``refusals`` maps a field to its answer; ``""`` is the answer to a value that is
    not an object at all. ``unknown`` answers a field the Struct does not have.
    """

    struct: type[S]
    unknown: Callable[[str], RequestError]
    refusals: Mapping[str, Refusal]

    def convert(self, value: object) -> S:
        """``value`` as the Struct, or the `RequestError` of its first refused field."""
        try:
            return msgspec.convert(value, self.struct)
        except msgspec.ValidationError as error:
            raise self._refusal(str(error), value) from None
        except UnicodeEncodeError as error:  # msgspec takes only Unicode text
            bad = f"U+{ord(error.object[error.start]):04X}"
            message = f"the request holds a lone surrogate ({bad}), which is not Unicode text"
            raise RequestError("invalid_value", message) from None

    def _refusal(self, text: str, value: object) -> RequestError:
        if unknown := _UNKNOWN.match(text):
            return self.unknown(unknown["name"])
        if missing := _MISSING.match(text):
            return self.refusals[missing["name"]](None)
        at = _AT.search(text)
        if at is None or not isinstance(value, dict):
            return self.refusals[""](value)
        return self.refusals[at["name"]](value.get(at["name"]))


class Request(msgspec.Struct, forbid_unknown_fields=True):
    """One request: the action, the entity it is about, and the action's params."""

    action: Action
    entity: str | None = None
    params: dict[str, t.Any] | None = None


REQUEST = Shape(
    Request,
    unknown=lambda name: RequestError("unknown_field", one_of("field", name, FIELDS), FIELDS),
    refusals={
        "": lambda _: RequestError(
            "invalid_request", 'the body must be a JSON object {"entity", "action", "params"}'
        ),
        "action": lambda value: RequestError(
            "missing_action" if value is None else "unknown_action",
            one_of("action", value, ACTIONS),
            ACTIONS,
        ),
        "entity": lambda _: RequestError("invalid_entity", "entity must be a string"),
        "params": lambda _: RequestError("invalid_params", "params must be a JSON object"),
    },
)


@dataclass(frozen=True)
class Param:
    """One param: its type (msgspec's), the answer to a value it refuses (given the
    param's name; none for a type that takes any value), its default (none: required)."""

    type: t.Any
    refuse: Callable[[str, object], RequestError] | None = None
    default: t.Any = msgspec.NODEFAULT


def unknown_param(allowed: Iterable[str]) -> Callable[[str], RequestError]:
    names = list(allowed)
    return lambda name: RequestError("unknown_param", one_of("param", name, names), names)


def params_shape(name: str, params: Mapping[str, Param]) -> Shape[msgspec.Struct]:
    """The shape of an action's params: only these, each of its type."""
    fields = [
        (key, param.type)
        if param.default is msgspec.NODEFAULT
        else (key, param.type, param.default)
        for key, param in params.items()
    ]
    struct = msgspec.defstruct(name, fields, kw_only=True, forbid_unknown_fields=True)
    refusals = {
        key: _named(key, param.refuse) for key, param in params.items() if param.refuse is not None
    }
    return Shape(struct, unknown_param(params), refusals)


def _named(key: str, refuse: Callable[[str, object], RequestError]) -> Refusal:
    return lambda value: refuse(key, value)
