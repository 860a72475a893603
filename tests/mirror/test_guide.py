"""`query.guide`, the language in plain words: it names every operator, the operators it
gives each type are exactly those the compiler takes, and every example runs."""

# The fixtures imported from .pipeline are parameters of the tests (F811).
# ruff: noqa: F811

from __future__ import annotations

import json
from typing import Any

import pytest

from tap_pinterest.mirror import Mirror, QueryError
from tap_pinterest.mirror.query.guide import BY_TYPE, GUIDE, operators_by_type
from tap_pinterest.mirror.query.language import BOOLEAN, OPERATORS

from .conftest import item, load_items
from .pipeline import loaded, mirror  # noqa: F401 - fixtures

#: A value of each scalar kind, and an element condition for `any` on `parts`.
VALUES: dict[str, Any] = {"string": "red", "integer": 1, "number": 1.5, "boolean": True}
PART = {"eq": {"name": "common"}}


def test_every_operator_has_its_words_and_a_type() -> None:
    assert set(GUIDE) == set(OPERATORS)
    typed = {op for ops in BY_TYPE.values() for op in ops}
    assert typed | set(BOOLEAN) == set(OPERATORS)
    assert operators_by_type()["combining"] == list(BOOLEAN)


def _condition(op: str, field: str, kind: str) -> dict[str, Any]:
    """`op` on `field` with a value of the field's (item) kind."""
    scalar = VALUES.get(kind.removeprefix("array of "), "red")
    if op == "any":
        return {op: {field: PART}}
    if op == "in":
        return {op: {field: [scalar]}}
    return {op: {field: scalar}}


@pytest.fixture(scope="module")
def items(tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    url = f"sqlite:///{tmp_path_factory.mktemp('guide') / 'mirror.db'}"
    load_items(url, [item(i) for i in range(6)])
    return Mirror(url)


def test_the_operators_of_each_type_are_those_the_compiler_takes(items: Mirror) -> None:
    fields = items.describe("items")["fields"]
    assert {"string", "integer", "number", "boolean", "object"} <= set(fields.values())
    assert {"array of string", "array of object"} <= set(fields.values())
    for field, kind in fields.items():
        for op in set(OPERATORS) - set(BOOLEAN):
            try:
                items.search("items", {"filter": _condition(op, field, kind)}, limit=1)
                taken = True
            except QueryError:
                taken = False
            assert taken == (op in BY_TYPE.get(kind, ())), (field, kind, op)


def test_every_example_runs_on_a_synced_entity(mirror: Mirror) -> None:
    entities = mirror.entities()
    for name, operator in GUIDE.items():
        for example in operator.examples:
            condition = json.loads(example)
            assert set(condition) == {name}
            runs = []
            for entity in entities:
                try:
                    mirror.search(entity, {"filter": condition}, limit=1)
                except QueryError:
                    continue
                runs.append(entity)
            assert runs, example
