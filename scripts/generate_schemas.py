"""Generate the stream JSON Schemas in ``schemas/`` from Pinterest's OpenAPI spec.

Usage::

    python scripts/generate_schemas.py [--check] [--spec PATH]

The spec is taken from ``--spec``, else from ``$PINTEREST_OPENAPI_SPEC``, else from
``<repo>/../shared/pinterest-openapi/openapi.json``. The spec is never copied into the repo:
only its converted output, one file per stream, is committed.

OpenAPI 3.0 schemas become permissive JSON Schema draft-07 for Singer targets:
``$ref`` is resolved, ``allOf`` and object variants of ``oneOf``/``anyOf`` are merged into one
object, primitive variants become a union of types, and every property is nullable. Only
``type``, ``properties``, ``items``, ``anyOf`` and the ``date-time``/``date`` formats are kept:
enums, descriptions, examples, patterns, ``required`` and the rest are dropped, because Pinterest
adds enum values over time and may omit or null any field.

``--check`` writes nothing and exits 1 if a file is missing or differs from the output.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from analytics_schemas import ANALYTICS, build_analytics_schema

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = REPO_ROOT / "schemas"
DEFAULT_SPEC_PATH = REPO_ROOT.parent / "shared" / "pinterest-openapi" / "openapi.json"
SPEC_ENV_VAR = "PINTEREST_OPENAPI_SPEC"

JSONSchema = dict[str, Any]

_NULLABLE_STRING: JSONSchema = {"type": ["string", "null"]}


@dataclass(frozen=True)
class StreamSource:
    """Where a stream's schema comes from in the spec, and what the tap adds to its records."""

    component: str
    """Component schema of one item of the endpoint's 200 response."""
    endpoint: str
    """The GET path the stream reads; the generator checks that it returns ``component``."""
    parent_ids: tuple[str, ...] = ()
    """Parent ids the tap writes into each record: ensured present, as nullable strings."""
    excluded: tuple[str, ...] = ()
    """Top-level spec properties left out; the SDK drops record fields the schema lacks."""


STREAMS: dict[str, StreamSource] = {
    "user_account": StreamSource("Account", "/user_account"),
    "ad_accounts": StreamSource("AdAccount", "/ad_accounts"),
    "campaigns": StreamSource(
        "CampaignResponse", "/ad_accounts/{ad_account_id}/campaigns", ("ad_account_id",)
    ),
    "ad_groups": StreamSource(
        "AdGroupResponse", "/ad_accounts/{ad_account_id}/ad_groups", ("ad_account_id",)
    ),
    "ads": StreamSource("AdResponse", "/ad_accounts/{ad_account_id}/ads", ("ad_account_id",)),
    # The spec's Keyword only has parent_id/parent_type. ad_group_id is the ad group whose
    # keywords were listed (null for account- or campaign-level keywords) and campaign_id is
    # set only for campaign-level keywords.
    "keywords": StreamSource(
        "Keyword",
        "/ad_accounts/{ad_account_id}/keywords",
        ("ad_account_id", "ad_group_id", "campaign_id"),
    ),
    "audiences": StreamSource(
        "Audience", "/ad_accounts/{ad_account_id}/audiences", ("ad_account_id",)
    ),
    "customer_lists": StreamSource(
        "CustomerList", "/ad_accounts/{ad_account_id}/customer_lists", ("ad_account_id",)
    ),
    "conversion_tags": StreamSource(
        "ConversionTag", "/ad_accounts/{ad_account_id}/conversion_tags", ("ad_account_id",)
    ),
    "boards": StreamSource("Board", "/boards"),
    "board_sections": StreamSource("BoardSection", "/boards/{board_id}/sections", ("board_id",)),
    "board_pins": StreamSource("Pin", "/boards/{board_id}/pins", ("board_id",)),
    # Pin already names the section `board_section_id`; the tap fills it from the path's
    # `section_id` rather than adding a second column with the same value.
    "board_section_pins": StreamSource(
        "Pin",
        "/boards/{board_id}/sections/{section_id}/pins",
        ("board_id", "board_section_id"),
    ),
    "pins": StreamSource("Pin", "/pins"),
    "catalogs": StreamSource("Catalog", "/catalogs"),
    # `credentials` holds the feed location's username and password (format: password):
    # a secret, which must not reach the warehouse.
    "catalogs_feeds": StreamSource("CatalogsFeed", "/catalogs/feeds", excluded=("credentials",)),
    "catalogs_product_groups": StreamSource(
        "CatalogsVerticalProductGroup", "/catalogs/product_groups"
    ),
}

# Fields the API returns but spec v5.23.0 does not declare. The reference connector's records
# have them (tests/test_schemas.py checks its field lists), and clients generated from later
# spec versions declare them with these types. Generation fails once the spec has one of them,
# so each entry can then be removed.
SPEC_GAPS: dict[str, dict[str, JSONSchema]] = {
    "CampaignResponse": {
        "is_top_of_search": {"type": ["boolean", "null"]},
    },
    "AdGroupResponse": {
        "placement_traffic_type": {"type": ["string", "null"]},
        "promotion_ids": {"type": ["array", "null"], "items": {"type": ["string", "null"]}},
    },
    "Pin": {
        "is_removable": {"type": ["boolean", "null"]},
        # Product tags on the Pin; v5.23.0 does not document the shape of an item.
        "product_tags": {"type": ["array", "null"]},
    },
}

_PRIMITIVES = ("string", "integer", "number", "boolean")
_TYPE_ORDER = ("object", "array", *_PRIMITIVES, "null")
_KEPT_FORMATS = frozenset({"date-time", "date"})
_COMPOSITIONS = ("allOf", "oneOf", "anyOf")


class SpecError(Exception):
    """The spec does not have the shape the generator relies on."""


def _kind(schema: JSONSchema) -> str:
    """Classify a converted schema: any, mixed, object, array, primitive or null."""
    if not schema:
        return "any"
    if "anyOf" in schema:
        return "mixed"
    types: list[str] = [t for t in schema["type"] if t != "null"]
    if not types:
        return "null"
    if types in (["object"], ["array"]):
        return types[0]
    return "primitive"


def _with_null(types: Sequence[str]) -> list[str]:
    """Order types canonically, add null, and fold integer into number."""
    unique = set(types) | {"null"}
    if "number" in unique:
        unique.discard("integer")
    return [t for t in _TYPE_ORDER if t in unique]


def _merge_same_kind(kind: str, left: JSONSchema, right: JSONSchema) -> JSONSchema:
    if kind == "object":
        merged: JSONSchema = {"type": ["object", "null"]}
        left_props, right_props = left.get("properties", {}), right.get("properties", {})
        if left_props or right_props:
            props = dict(left_props)
            for name, sub in right_props.items():
                props[name] = merge(props[name], sub) if name in props else sub
            merged["properties"] = props
            merged["additionalProperties"] = True
        return merged
    if kind == "array":
        merged = {"type": ["array", "null"]}
        if "items" in left and "items" in right:
            merged["items"] = merge(left["items"], right["items"])
        return merged
    merged = {"type": _with_null([*left["type"], *right["type"]])}
    if "format" in left and left.get("format") == right.get("format"):
        merged["format"] = left["format"]
    return merged


def merge(left: JSONSchema, right: JSONSchema) -> JSONSchema:
    """Union of two converted schemas: anything valid for either is valid for the result.

    Objects merge their properties, arrays their items and primitives their types; schemas of
    different kinds become an ``anyOf`` with one branch per kind.
    """
    if left == right:
        return left
    if "any" in (_kind(left), _kind(right)):
        return {}
    branches: list[JSONSchema] = []
    for schema in (left, right):
        for branch in schema.get("anyOf", [schema]):
            kind = _kind(branch)
            for index, existing in enumerate(branches):
                if _kind(existing) == kind:
                    branches[index] = _merge_same_kind(kind, existing, branch)
                    break
            else:
                branches.append(branch)
    if len(branches) == 1:
        return branches[0]
    return {"anyOf": branches}


def _infer_type(node: Mapping[str, Any]) -> str | None:
    if "type" in node:
        return str(node["type"])
    if "properties" in node:
        return "object"
    if "items" in node:
        return "array"
    values = [value for value in node.get("enum", []) if value is not None]
    # bool first: True is also an int.
    for python_type, name in ((bool, "boolean"), (str, "string"), (int, "integer")):
        if values and all(isinstance(value, python_type) for value in values):
            return name
    return None


class Converter:
    """Converts spec component schemas to permissive, nullable draft-07 schemas."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._spec = spec
        try:
            self._components: Mapping[str, Any] = spec["components"]["schemas"]
        except KeyError as exc:
            raise SpecError("the spec has no components.schemas") from exc

    def component(self, name: str) -> Mapping[str, Any]:
        try:
            component: Mapping[str, Any] = self._components[name]
        except KeyError:
            raise SpecError(f"component schema {name!r} is not in the spec") from None
        return component

    def _resolve(self, ref: str) -> tuple[str, Mapping[str, Any]]:
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            raise SpecError(f"unsupported $ref {ref!r}")
        name = ref.removeprefix(prefix)
        return name, self.component(name)

    def convert(self, node: Mapping[str, Any], stack: tuple[str, ...] = ()) -> JSONSchema:
        """Convert one spec schema; ``stack`` holds the components being expanded."""
        if "$ref" in node:  # OpenAPI 3.0 ignores the siblings of a $ref.
            name, target = self._resolve(node["$ref"])
            if name in stack:  # A recursive schema: stop with an open object.
                return {"type": ["object", "null"]}
            return self.convert(target, (*stack, name))

        parts: list[JSONSchema] = []
        own_type = _infer_type(node)
        if own_type is not None:
            parts.append(self._convert_typed(own_type, node, stack))
        for keyword in _COMPOSITIONS:
            parts.extend(self.convert(variant, stack) for variant in node.get(keyword, []))
        if not parts:  # No type at all: any JSON value.
            return {}
        result = parts[0]
        for part in parts[1:]:
            result = merge(result, part)
        return result

    def _convert_typed(
        self, type_name: str, node: Mapping[str, Any], stack: tuple[str, ...]
    ) -> JSONSchema:
        if type_name == "object":
            schema: JSONSchema = {"type": ["object", "null"]}
            properties = node.get("properties", {})
            if properties:
                schema["properties"] = {
                    name: self.convert(sub, stack) for name, sub in properties.items()
                }
                # The spec often models maps with placeholder keys (PLACEMENT, APP_TYPE):
                # keep the real keys, which the SDK would otherwise drop.
                schema["additionalProperties"] = True
            return schema
        if type_name == "array":
            schema = {"type": ["array", "null"]}
            if isinstance(node.get("items"), Mapping):
                schema["items"] = self.convert(node["items"], stack)
            return schema
        if type_name not in _PRIMITIVES:
            raise SpecError(f"unsupported type {type_name!r}")
        schema = {"type": _with_null([type_name])}
        if node.get("format") in _KEPT_FORMATS and type_name == "string":
            schema["format"] = node["format"]
        return schema

    def list_item_component(self, endpoint: str) -> str:
        """Name the component of one item of ``GET endpoint``'s 200 response."""
        try:
            response = self._spec["paths"][endpoint]["get"]["responses"]["200"]
            body: Mapping[str, Any] = response["content"]["application/json"]["schema"]
        except KeyError:
            raise SpecError(f"GET {endpoint} has no JSON 200 response in the spec") from None
        for part in [body, *body.get("allOf", [])]:
            items = part.get("properties", {}).get("items", {}).get("items", {})
            if "$ref" in items:
                return str(items["$ref"]).rsplit("/", 1)[-1]
        if "$ref" in body:  # A single object, not a list (GET /user_account).
            return str(body["$ref"]).rsplit("/", 1)[-1]
        raise SpecError(f"cannot find the item schema of GET {endpoint}")


#: What an untyped spec field becomes: every JSON type, spelled out, because the SDK
#: cannot classify an empty schema (its standard tests fail on ``{}``).
_ANY_VALUE: JSONSchema = {"type": [t for t in _TYPE_ORDER if t != "integer"]}


def _spell_out_any(schema: JSONSchema) -> JSONSchema:
    if not schema:
        return dict(_ANY_VALUE)
    result = dict(schema)
    if "properties" in result:
        result["properties"] = {k: _spell_out_any(v) for k, v in result["properties"].items()}
    if "items" in result:
        result["items"] = _spell_out_any(result["items"])
    if "anyOf" in result:
        result["anyOf"] = [_spell_out_any(branch) for branch in result["anyOf"]]
    return result


def build_stream_schema(converter: Converter, stream: str, source: StreamSource) -> JSONSchema:
    """Build the top-level schema of one stream."""
    found = converter.list_item_component(source.endpoint)
    if found != source.component:
        raise SpecError(f"{stream}: GET {source.endpoint} returns {found}, not {source.component}")
    converted = converter.convert(converter.component(source.component), (source.component,))
    if _kind(converted) != "object":
        raise SpecError(f"{stream}: {source.component} is not an object schema")
    properties: dict[str, JSONSchema] = dict(converted.get("properties", {}))
    for name in source.excluded:
        if properties.pop(name, None) is None:
            raise SpecError(f"{stream}: excluded {name!r} is no longer in the spec")
    for name in source.parent_ids:
        existing = properties.setdefault(name, dict(_NULLABLE_STRING))
        if existing != _NULLABLE_STRING:
            raise SpecError(f"{stream}: {name} is {existing} in the spec, not a string")
    for name, extra in SPEC_GAPS.get(source.component, {}).items():
        if name in properties:
            raise SpecError(f"{source.component}.{name} is now in the spec: drop it from SPEC_GAPS")
        properties[name] = extra
    if "id" not in properties:
        raise SpecError(f"{stream}: {source.component} has no id")
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": True,
        "properties": {name: _spell_out_any(sub) for name, sub in properties.items()},
    }


def render(schema: JSONSchema) -> str:
    """Serialize a schema the way the committed files are written."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def generate(spec: Mapping[str, Any]) -> dict[str, str]:
    """Return the text of every stream's schema file, keyed by file name."""
    converter = Converter(spec)
    files = {
        f"{stream}.json": render(build_stream_schema(converter, stream, source))
        for stream, source in STREAMS.items()
    }
    for stream, analytics in ANALYTICS.items():
        files[f"{stream}.json"] = render(build_analytics_schema(spec, analytics))
    return files


def resolve_spec_path(cli_value: str | None = None) -> Path:
    """Pick the spec: ``--spec``, else ``$PINTEREST_OPENAPI_SPEC``, else the shared copy."""
    if cli_value:
        return Path(cli_value)
    from_env = os.environ.get(SPEC_ENV_VAR)
    return Path(from_env) if from_env else DEFAULT_SPEC_PATH


def outdated_files(expected: Mapping[str, str], schemas_dir: Path) -> list[str]:
    """Names of the files in ``schemas_dir`` that are missing or differ from ``expected``."""
    outdated = []
    for name, text in sorted(expected.items()):
        path = schemas_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            outdated.append(name)
    return outdated


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument(
        "--spec", help=f"path to openapi.json (default: ${SPEC_ENV_VAR} or {DEFAULT_SPEC_PATH})"
    )
    parser.add_argument(
        "--out", type=Path, default=SCHEMAS_DIR, help="schemas directory (default: %(default)s)"
    )
    args = parser.parse_args(argv)

    spec_path = resolve_spec_path(args.spec)
    if not spec_path.is_file():
        print(
            f"error: OpenAPI spec not found at {spec_path}; pass --spec or set {SPEC_ENV_VAR}",
            file=sys.stderr,
        )
        return 2
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    try:
        expected = generate(spec)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    out_dir: Path = args.out
    outdated = outdated_files(expected, out_dir)
    if args.check:
        if outdated:
            print("Out of date (run `python scripts/generate_schemas.py`):")
            for name in outdated:
                print(f"  {out_dir / name}")
            return 1
        print(f"{len(expected)} schema files are up to date.")
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in outdated:
        (out_dir / name).write_text(expected[name], encoding="utf-8")
    print(f"Wrote {len(outdated)} of {len(expected)} schema files to {out_dir}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
