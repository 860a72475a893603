"""The search language in plain words, for people and agents: what each operator does,
an example of it, and which operators apply to a field of each type.

`operators_for` states what `language.Compiler` accepts (tests/mirror/test_guide.py
checks the two agree on every kind of field), and every example runs against a mirror
loaded from the simulator, so the help cannot drift from the language.
"""

from __future__ import annotations

from dataclasses import dataclass

from tap_pinterest.mirror.db.schema import SCALAR_KINDS, FieldInfo
from tap_pinterest.mirror.query.language import BOOLEAN, COMPARISONS, TEXT


@dataclass(frozen=True)
class Operator:
    """One operator: what it matches, in plain words, and example filters."""

    meaning: str
    examples: tuple[str, ...]


GUIDE: dict[str, Operator] = {
    "eq": Operator(
        "equal (null matches a missing value)",
        ('{"eq": {"status": "ACTIVE"}}', '{"eq": {"owner.username": "sage_home_goods"}}'),
    ),
    "neq": Operator(
        "not equal; keeps records where the field is null", ('{"neq": {"status": "ARCHIVED"}}',)
    ),
    "gt": Operator("greater than", ('{"gt": {"daily_spend_cap": 1000000}}',)),
    "gte": Operator("greater than or equal", ('{"gte": {"created_time": 1700000000}}',)),
    "lt": Operator(
        "less than; strings compare as text, so ISO dates work",
        ('{"lt": {"created_at": "2024-01-01"}}',),
    ),
    "lte": Operator("less than or equal", ('{"lte": {"pin_count": 10}}',)),
    "in": Operator(
        "equal to any of 1 to 1000 values", ('{"in": {"status": ["ACTIVE", "PAUSED"]}}',)
    ),
    "like": Operator(
        "case-insensitive pattern: % is any text, _ one character",
        ('{"like": {"name": "%summer%"}}',),
    ),
    "fuzzy": Operator(
        'every word, in this order, anything between ("red dress" matches "Red summer dress")',
        ('{"fuzzy": {"title": "red dress"}}',),
    ),
    "keyword": Operator(
        "any of the words; case-insensitive", ('{"keyword": {"description": "linen velvet"}}',)
    ),
    "contains": Operator("the array holds the value", ('{"contains": {"permissions": "ADMIN"}}',)),
    "any": Operator(
        "some element of an array of objects meets the condition (on the element's fields)",
        ('{"any": {"media.items": {"eq": {"item_type": "image"}}}}',),
    ),
    "and": Operator(
        "all the conditions",
        ('{"and": [{"eq": {"status": "ACTIVE"}}, {"like": {"name": "%sale%"}}]}',),
    ),
    "or": Operator(
        "at least one of the conditions",
        ('{"or": [{"eq": {"privacy": "SECRET"}}, {"gt": {"pin_count": 100}}]}',),
    ),
    "not": Operator(
        "the condition is not true (unknown counts as not true)",
        ('{"not": {"eq": {"privacy": "PUBLIC"}}}',),
    ),
}
#: How a query is written, in one paragraph (the tools' descriptions and `describe`).
QUERY_SHAPE = (
    'query is {"filter": <condition>, "sort": [{"<field>": "asc"|"desc"}]}, both optional. '
    "A condition is an object with exactly one operator; several fields under one "
    "comparison are all required. Fields are dotted paths into nested objects "
    '("owner.username"). Words are runs of letters and digits; case does not count, '
    "accents do. sort takes string, integer, number and boolean fields (at most 8); "
    "without a sort, records come in load order."
)
#: The operators that take a field of each type, by the names `type_of` gives (`eq` and
#: `neq` with null take every field; `object`s are searched through their dotted paths).
BY_TYPE: dict[str, tuple[str, ...]] = {
    "string": (*COMPARISONS, *TEXT),
    "integer": COMPARISONS,
    "number": COMPARISONS,
    "boolean": ("eq", "neq", "in"),
    **{f"array of {kind}": ("contains",) for kind in sorted(SCALAR_KINDS)},
    "array of object": ("any",),
}


def type_of(field: FieldInfo) -> str:
    """A field's type as the guide names it: ``string``, ``array of string``, ``object``..."""
    if field.kind == "array":
        return f"array of {field.item_kind or 'any'}"
    return field.kind


def operators_for(field: FieldInfo) -> tuple[str, ...]:
    """The operators that take this field (beyond `eq`/`neq` null, which all fields take)."""
    return BY_TYPE.get(type_of(field), ())


def operators_by_type() -> dict[str, list[str]]:
    """`BY_TYPE` as JSON, plus the operators that combine conditions."""
    return {**{name: list(ops) for name, ops in BY_TYPE.items()}, "combining": list(BOOLEAN)}
