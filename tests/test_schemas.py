"""The stream JSON Schemas: valid draft-07, current with the spec, covering the reference fields.

The spec and the reference document live outside the repo in ``../shared``. Where one is
missing the tests that need it skip with a notice, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft7Validator

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = REPO_ROOT / "schemas"
SEED_DOC = REPO_ROOT.parent / "shared" / "seeds" / "000_b3afbae1e6dcb984.txt"

STREAM_NAMES = frozenset({
    "user_account", "ad_accounts", "campaigns", "ad_groups", "ads", "keywords", "audiences",
    "customer_lists", "conversion_tags", "boards", "board_sections", "board_pins",
    "board_section_pins", "pins", "catalogs", "catalogs_feeds", "catalogs_product_groups",
})  # fmt: skip

# Analytics streams: one property per column of the endpoint's enum, plus a required key.
ANALYTICS_KEYS = {
    "ad_account_analytics": ("ad_account_id", "date"),
    "campaign_analytics": ("campaign_id", "date"),
    "ad_group_analytics": ("ad_group_id", "date"),
    "ad_analytics": ("ad_id", "date"),
    "user_account_analytics": ("date",),
    "pin_analytics": ("pin_id", "date"),
}

# The reference connector's entities; its `"entity"` key is our stream name.
SEED_ENTITIES = frozenset({
    "ad_accounts", "boards", "campaigns", "ad_groups", "ads", "board_sections", "board_pins",
    "catalogs", "catalogs_feeds", "catalogs_product_groups", "audiences", "conversion_tags",
    "customer_lists", "keywords",
})  # fmt: skip

# Parent ids the streams write into child records (nullable strings).
PARENT_IDS = {
    "campaigns": ("ad_account_id",),
    "ad_groups": ("ad_account_id", "campaign_id"),
    "ads": ("ad_account_id", "ad_group_id", "campaign_id"),
    "keywords": ("ad_account_id", "ad_group_id", "campaign_id"),
    "audiences": ("ad_account_id",),
    "customer_lists": ("ad_account_id",),
    "conversion_tags": ("ad_account_id",),
    "board_sections": ("board_id",),
    "board_pins": ("board_id",),
    "board_section_pins": ("board_id", "board_section_id"),
}

_ALLOWED_KEYWORDS = frozenset(
    {"type", "properties", "items", "format", "anyOf", "additionalProperties"}
)


def _load_generator() -> ModuleType:
    path = REPO_ROOT / "scripts" / "generate_schemas.py"
    spec = importlib.util.spec_from_file_location("generate_schemas", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


generator = _load_generator()
SPEC_HINT = f", or ${generator.SPEC_ENV_VAR} pointing at the spec"


def require_shared_file(path: Path, what: str, hint: str = "") -> None:
    """Skip (or fail under CI=true) when a file from ../shared is absent."""
    if path.is_file():
        return
    message = f"{what} not found at {path}; this check needs ../shared next to the repo{hint}."
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} CI=true, so this is a failure, not a skip.")
    pytest.skip(message)


def load(stream: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS_DIR / f"{stream}.json").read_text("utf-8"))
    return schema


def walk(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield every sub-schema below a property, with a readable path."""
    for name, sub in schema.get("properties", {}).items():
        yield f"{path}.{name}", sub
        yield from walk(sub, f"{path}.{name}")
    if "items" in schema:
        yield f"{path}[]", schema["items"]
        yield from walk(schema["items"], f"{path}[]")
    for index, branch in enumerate(schema.get("anyOf", [])):
        yield f"{path}|{index}", branch
        yield from walk(branch, f"{path}|{index}")


# --- the files -------------------------------------------------------------------------------


def test_one_schema_file_per_stream() -> None:
    files = {path.name for path in SCHEMAS_DIR.iterdir()}
    assert files == {f"{name}.json" for name in STREAM_NAMES | set(ANALYTICS_KEYS)}
    assert set(generator.STREAMS) == STREAM_NAMES
    assert set(generator.ANALYTICS) == set(ANALYTICS_KEYS)


@pytest.mark.parametrize(("stream", "key"), sorted(ANALYTICS_KEYS.items()))
def test_analytics_schemas(stream: str, key: tuple[str, ...]) -> None:
    schema = load(stream)
    Draft7Validator.check_schema(schema)
    properties = schema["properties"]
    for name in key:
        assert "null" not in properties[name]["type"], f"{stream}.{name} is a key"
    assert properties["date"]["format"] == "date"
    others = {name: p for name, p in properties.items() if name not in key}
    assert all("null" in p["type"] for p in others.values()), stream
    assert all(name == name.lower() for name in properties)
    if stream.endswith(("campaign_analytics", "ad_analytics", "ad_group_analytics")):
        assert properties["spend_in_micro_dollar"]["type"] == ["integer", "null"]
        assert properties["impression_1"]["type"] == ["number", "null"]
        assert properties["campaign_name"]["type"] == ["string", "null"]
        assert len(properties) > 170


@pytest.mark.parametrize("stream", sorted(STREAM_NAMES))
def test_schema_is_valid_draft7(stream: str) -> None:
    schema = load(stream)
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is True
    assert "id" in schema["properties"]
    for path, sub in walk(schema):
        assert set(sub) <= _ALLOWED_KEYWORDS, f"{stream}{path} keeps {set(sub) - _ALLOWED_KEYWORDS}"
        if "type" in sub:
            assert "null" in sub["type"], f"{stream}{path} is not nullable"
        if "format" in sub:
            assert sub["format"] in {"date-time", "date"}, f"{stream}{path}"


@pytest.mark.parametrize(("stream", "parent_ids"), sorted(PARENT_IDS.items()))
def test_child_schemas_have_parent_ids(stream: str, parent_ids: tuple[str, ...]) -> None:
    properties = load(stream)["properties"]
    for name in parent_ids:
        assert properties.get(name) == {"type": ["string", "null"]}, f"{stream}.{name}"


def test_nullable_records_validate() -> None:
    """A record of nulls and a record with unknown fields are both accepted."""
    schema = load("campaigns")
    validator = Draft7Validator(schema)
    validator.validate(dict.fromkeys(schema["properties"]))
    validator.validate({"id": "1", "status": "SOME_NEW_STATUS", "new_field": {"x": 1}})


def test_secrets_are_left_out() -> None:
    assert "credentials" not in load("catalogs_feeds")["properties"]


# --- current with the spec -------------------------------------------------------------------


def test_schemas_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    spec_path = generator.resolve_spec_path()
    require_shared_file(spec_path, "The Pinterest OpenAPI spec", SPEC_HINT)
    code = generator.main(["--check", "--spec", str(spec_path)])
    assert code == 0, capsys.readouterr().out


def test_check_mode_lists_stale_files_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_path = generator.resolve_spec_path()
    require_shared_file(spec_path, "The Pinterest OpenAPI spec", SPEC_HINT)
    assert generator.main(["--spec", str(spec_path), "--out", str(tmp_path)]) == 0
    (tmp_path / "boards.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "pins.json").unlink()
    capsys.readouterr()

    assert generator.main(["--check", "--spec", str(spec_path), "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "boards.json" in out
    assert "pins.json" in out
    assert "ads.json" not in out
    assert (tmp_path / "boards.json").read_text(encoding="utf-8") == "{}\n"
    assert not (tmp_path / "pins.json").exists()


def test_missing_spec_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert generator.main(["--check", "--spec", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err


# --- field coverage against the reference connector -------------------------------------------

_ENTITY = re.compile(r'"entity":\s*"(?P<name>\w+)",?')
_ACTION = re.compile(r'"action":\s*"(?P<name>\w+)",?')
_FIELD_ROW = re.compile(r"(?P<field>[A-Za-z_]\w*) \| ")


def parse_list_record_fields(text: str) -> dict[str, list[str]]:
    """Map each entity to the fields of its List action's "Records" table.

    Entities are recognized by the ``"entity": ...`` / ``"action": "list"`` lines of their
    example request, since not every section has an "<Entity> List" heading. The table that
    follows "Records" ends at the next non-row line, so the bookmark table is not included.
    """
    fields: dict[str, list[str]] = {}
    entity = action = None
    lines = (line.strip() for line in text.splitlines())
    for line in lines:
        if match := _ENTITY.fullmatch(line):
            entity, action = match["name"], None
        elif match := _ACTION.fullmatch(line):
            action = match["name"]
        elif line == "Records" and action == "list" and entity and entity not in fields:
            header = next(lines, "")
            assert header.startswith("| Field Name |"), f"{entity}: unexpected {header!r}"
            next(lines, "")  # |---|
            names = fields[entity] = []
            for row in lines:
                if not (row_match := _FIELD_ROW.match(row)):
                    break
                names.append(row_match["field"])
    return fields


def test_parser_reads_only_the_list_records_table() -> None:
    text = "\n".join([
        '"entity": "boards",', '"action": "list"', "Response Schema", "Records",
        "| Field Name | Type | Description |", "|---|",
        "id | null | string | |", "board_pins_modified_at | null | string | |",
        "| Field Name | Type | Description |", "|---|", "bookmark | null | string | |",
        '"entity": "boards",', '"action": "get",', "Records",
        "| Field Name | Type | Description |", "|---|", "only_in_get | null | string | |",
    ])  # fmt: skip
    assert parse_list_record_fields(text) == {"boards": ["id", "board_pins_modified_at"]}


def test_schemas_cover_the_reference_fields() -> None:
    require_shared_file(SEED_DOC, "The reference connector document")
    reference = parse_list_record_fields(SEED_DOC.read_text(encoding="utf-8"))
    assert set(reference) == SEED_ENTITIES
    assert all(reference.values()), "an entity's Records table parsed as empty"

    missing = {
        entity: sorted(set(fields) - set(load(entity)["properties"]))
        for entity, fields in sorted(reference.items())
    }
    missing = {entity: names for entity, names in missing.items() if names}
    assert not missing, f"reference fields absent from our schemas: {missing}"
