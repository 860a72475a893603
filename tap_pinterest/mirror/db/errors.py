"""The mirror's errors: a bad query (`QueryError`), a missing record (`NotFoundError`), a
RECORD the target cannot store (`RecordKeyError`) and a message it refuses (`InputError`)."""

from __future__ import annotations

from collections.abc import Iterable


class QueryError(ValueError):
    """A query the mirror refuses, naming the problem and the valid choices.

    `problem` is a short code (`unknown_entity`, `unknown_field`, `unknown_operator`,
    `invalid_value`, `invalid_query`, `invalid_sort`, `invalid_fields`, `invalid_cursor`,
    `invalid_limit`, `query_timeout`); `choices` lists what would have been accepted.
    """

    def __init__(self, message: str, problem: str, choices: Iterable[str] = ()) -> None:
        self.message = message
        self.problem = problem
        self.choices = list(choices)
        text = message
        if self.choices:
            shown = ", ".join(self.choices[:60])
            more = f" (and {len(self.choices) - 60} more)" if len(self.choices) > 60 else ""
            text = f"{message} Valid choices: {shown}{more}."
        super().__init__(text)


class NotFoundError(KeyError):
    """No record with this id in this entity."""

    def __init__(self, entity: str, record_id: object) -> None:
        self.entity = entity
        self.id = record_id
        self.message = f"No {entity!r} record with id {record_id!r} in the mirror."
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class RecordKeyError(ValueError):
    """A RECORD with no value, or no scalar value, for a key property of its stream: the
    mirror upserts on the key."""

    def __init__(self, stream: str, key: str, record: object, *, problem: str = "") -> None:
        shown = str(record)
        shown = shown if len(shown) <= 200 else shown[:200] + "..."
        self.stream = stream
        self.problem = (
            f"a RECORD has {problem or 'no value'} for its key property {key!r} "
            f"(the mirror upserts on it): {shown}"
        )
        super().__init__(f"Stream {stream!r}: {self.problem}")


class InputError(ValueError):
    """A Singer message the target refuses, in one line: where in the input it is (the
    line number), its stream, and what is wrong with it."""

    def __init__(self, line: int, stream: str | None, problem: str) -> None:
        self.line = line
        self.stream = stream
        self.problem = problem
        where = f"line {line} of the input" + (f" (stream {stream!r})" if stream else "")
        super().__init__(f"{where}: {problem}")
