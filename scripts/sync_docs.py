"""Regenerate the settings table in README.md and the settings in meltano.yml.

Both come from one declaration, ``TapPinterest.config_jsonschema``: the README
table is the settings table of ``tap-pinterest --about --format=markdown``, and
meltano.yml lists every setting with its kind and whether it is sensitive.

meltano.yml is read and written as YAML (a round trip that keeps its comments), and
checked as parsed YAML: ``meltano select`` or ``meltano config set`` may reformat the
file, and that is no drift.

    python scripts/sync_docs.py          # rewrite both files
    python scripts/sync_docs.py --check  # exit 1 if either is out of date
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import typing as t
from pathlib import Path

import yaml
from ruamel.yaml import YAML

from tap_pinterest.streams import STREAM_TYPES
from tap_pinterest.tap import TapPinterest

OWN_SETTINGS = TapPinterest.own_settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MELTANO = ROOT / "meltano.yml"
README_MARKERS = ("<!-- settings:start -->", "<!-- settings:end -->")
STREAM_MARKERS = ("<!-- streams:start -->", "<!-- streams:end -->")
KINDS = {
    "string": "string",
    "integer": "integer",
    "number": "decimal",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}


def about_settings_table() -> str:
    """The tap's own settings table, from ``--about --format=markdown``."""
    out = subprocess.run(
        [sys.executable, "-m", "tap_pinterest", "--about", "--format=markdown"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = out.splitlines()
    start = lines.index("## Settings") + 1
    table = [line for line in lines[start:] if line.startswith("|")]
    own = set(OWN_SETTINGS)
    header, rows = table[:2], table[2:]
    kept = [row for row in rows if row.split("|")[1].strip() in own]
    return "\n".join(header + kept)


def streams_table() -> str:
    """One row per stream of the registry: endpoint, parent, replication, key."""
    tap = TapPinterest(config={}, validate_config=False)
    rows = [
        "| stream | endpoint | parent | replication | primary key |",
        "|---|---|---|---|---|",
    ]
    by_type = {type(stream): stream for stream in tap.streams.values()}
    for stream_class in STREAM_TYPES:
        stream = by_type[stream_class]
        parent = (
            by_type[stream_class.parent_stream_type] if stream_class.parent_stream_type else None
        )
        path = getattr(stream, "path", "")
        replication = "full table"
        if stream.replication_key:
            per_account = "ad_account_id" in (stream.state_partitioning_keys or [])
            replication = f"incremental on `{stream.replication_key}`"
            replication += ", per ad account" if per_account else ""
        rows.append(
            f"| `{stream.name}` | `GET {path}` | {parent.name if parent else '-'} "
            f"| {replication} | {', '.join(stream.primary_keys or [])} |"
        )
    return "\n".join(rows)


def meltano_settings() -> list[dict[str, t.Any]]:
    """meltano.yml ``settings:`` entries for every tap setting."""
    entries = []
    for name, prop in OWN_SETTINGS.items():
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        kind = next(KINDS[json_type] for json_type in types if json_type in KINDS)
        entry: dict[str, t.Any] = {"name": name, "kind": kind}
        if prop.get("secret"):
            entry["sensitive"] = True
        entry["description"] = prop.get("description", "")
        entries.append(entry)
    return entries


def declared_meltano_settings(text: str) -> list[dict[str, t.Any]]:
    """The tap's ``settings:`` as meltano.yml declares them, parsed."""
    project = yaml.safe_load(text)
    (extractor,) = [p for p in project["plugins"]["extractors"] if p["name"] == "tap-pinterest"]
    return list(extractor.get("settings") or [])


def with_meltano_settings(text: str) -> str:
    """meltano.yml with the tap's settings replaced, comments and the rest kept."""
    round_trip = YAML()
    round_trip.indent(mapping=2, sequence=4, offset=2)
    round_trip.width = 4096
    round_trip.preserve_quotes = True
    project = round_trip.load(text)
    (extractor,) = [p for p in project["plugins"]["extractors"] if p["name"] == "tap-pinterest"]
    extractor["settings"] = meltano_settings()
    out = io.StringIO()
    round_trip.dump(project, out)
    return out.getvalue()


def replace_between(text: str, markers: tuple[str, str], body: str) -> str:
    """Put ``body`` between the two marker lines, which must both be present."""
    begin, end = markers
    head, sep, rest = text.partition(begin)
    if not sep or end not in rest:
        msg = f"markers {begin!r} ... {end!r} not found"
        raise SystemExit(msg)
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def main() -> int:
    """Rewrite the generated parts, or check them with --check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report drift")
    args = parser.parse_args()
    stale = []
    for path, markers, body in (
        (README, README_MARKERS, about_settings_table()),
        (README, STREAM_MARKERS, streams_table()),
    ):
        current = path.read_text(encoding="utf-8")
        wanted = replace_between(current, markers, body)
        if wanted != current:
            stale.append(path.name)
            if not args.check:
                path.write_text(wanted, encoding="utf-8")
    melt = MELTANO.read_text(encoding="utf-8")
    if declared_meltano_settings(melt) != meltano_settings():
        stale.append(MELTANO.name)
        if not args.check:
            MELTANO.write_text(with_meltano_settings(melt), encoding="utf-8")
    if stale and args.check:
        print(f"out of date: {', '.join(stale)} (run python scripts/sync_docs.py)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
