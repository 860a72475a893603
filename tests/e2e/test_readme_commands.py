"""The README's commands, run as a new user runs them: in a fresh copy of the project.

Every ```bash block of the quick start (the text before the first section), of "With
Meltano" and of "The sync mirror" runs, in README order, in one shell, as a user types
them into one terminal. The test sets only what a user brings: the simulator's URL and
token in the environment (``PINTEREST_TOKEN`` for the README's "$PINTEREST_TOKEN",
``TAP_PINTEREST_API_URL``), a throw-away target-postgres schema, and the two config
files the mirror section names (``tap.json``: credentials; ``mirror.json``: empty, so
the default database path is used). ``./scripts/test.sh`` is the one command left out:
it is what CI itself runs.

The simulator has the demo's seed and scale, so the user's own mirror pipeline, run
after the demo, would resume from the demo's bookmarks if the demo leaked its state.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import typing as t
import uuid
from pathlib import Path

import pytest
from conftest import expected_records

from tap_pinterest.mirror import Mirror
from tap_pinterest.simulator import Simulator

psycopg = pytest.importorskip("psycopg")
from psycopg import sql  # noqa: E402
from warehouse import connect  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TESTED_SECTIONS = ("", "With Meltano", "The sync mirror")
LEFT_OUT = ("./scripts/test.sh",)
MARK = "::readme-block::"

pytestmark = [pytest.mark.e2e, pytest.mark.fresh_copy]


def sections(readme: str) -> dict[str, str]:
    """The README's text by ``## `` heading ("" for the text before the first one)."""
    out: dict[str, str] = {}
    name = ""
    for line in readme.splitlines(keepends=True):
        if line.startswith("## "):
            name = line[3:].strip()
            out.setdefault(name, "")
            continue
        out[name] = out.get(name, "") + line
    return out


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def runnable(block: str) -> str:
    lines = [line for line in block.splitlines() if not line.lstrip().startswith(LEFT_OUT)]
    return "\n".join(lines)


def fresh_copy(target: Path) -> Path:
    """The project's tracked files as they are in the working tree, nothing else."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, (item.decode() for item in listed)):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_readme_sections_come_in_the_order_a_data_engineer_reads_them() -> None:
    names = list(sections((REPO / "README.md").read_text()))
    wanted = ["With Meltano", "Streams", "Analytics", "The sync mirror", "Authentication"]
    wanted.append("Settings")
    assert [name for name in names if name in wanted] == wanted
    assert names.index("Settings") - names.index("With Meltano") == len(wanted) - 1


def test_every_readme_command_runs_in_a_fresh_copy(tmp_path) -> None:
    readme = sections((REPO / "README.md").read_text())
    blocks = [runnable(b) for name in TESTED_SECTIONS for b in bash_blocks(readme[name])]
    assert len(blocks) >= 3
    assert any("meltano run tap-pinterest target-postgres" in b for b in blocks)
    script = "\n".join(f"echo '{MARK}'\n{block}" for block in blocks)
    project = fresh_copy(tmp_path / "project")
    assert not (project / ".venv").exists()
    assert not (project / ".meltano").exists()
    schema = f"readme_{uuid.uuid4().hex[:8]}"
    with connect() as database:
        try:
            with Simulator(seed=1, scale=1) as sim:
                (project / "tap.json").write_text(
                    json.dumps({"api_url": sim.base_url, "access_token": sim.access_token})
                )
                (project / "mirror.json").write_text("{}")
                env = {
                    key: value
                    for key, value in os.environ.items()
                    if not key.startswith(("VIRTUAL_ENV", "TAP_PINTEREST_", "TARGET_", "MELTANO_"))
                }
                env.update(
                    PINTEREST_TOKEN=sim.access_token,
                    TAP_PINTEREST_API_URL=sim.base_url,
                    TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=schema,
                )
                result = subprocess.run(
                    ["bash", "-euo", "pipefail", "-c", script],
                    cwd=project,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=1500,
                    check=False,
                )
                assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
                expected = expected_records(sim.dataset)
            outputs = dict(zip(blocks, result.stdout.split(MARK + "\n")[1:], strict=True))
            check_demo(outputs[blocks[0]])
            check_postgres(database, schema, expected)
            check_jsonl(project, expected)
            check_mirror(project, expected, outputs)
            check_python_examples(project, readme["The sync mirror"])
        finally:
            database.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )


def json_documents(output: str) -> list[t.Any]:
    """The JSON documents a command printed one after the other."""
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while output[position:].strip():
        while output[position].isspace():
            position += 1
        document, position = decoder.raw_decode(output, position)
        documents.append(document)
    return documents


def check_demo(output: str) -> None:
    """The demo prints the records per stream, then one search's JSON."""
    stats, search = json_documents(output)
    assert stats["board_pins"]["records"] > 0
    assert search["data"]
    assert all("lemon" in row["title"].lower() for row in search["data"])


def check_postgres(database, schema: str, expected: dict[str, list[dict]]) -> None:
    for stream, records in expected.items():
        table = sql.Identifier(schema, stream)
        rows = database.execute(sql.SQL("SELECT id FROM {}").format(table)).fetchall()
        assert sorted(str(r[0]) for r in rows) == sorted(r["id"] for r in records), stream


def check_jsonl(project: Path, expected: dict[str, list[dict]]) -> None:
    for stream, records in expected.items():
        lines = (project / "output" / f"{stream}.jsonl").read_text().splitlines()
        assert sorted(json.loads(line)["id"] for line in lines) == sorted(
            r["id"] for r in records
        ), stream


def check_mirror(project: Path, expected: dict[str, list[dict]], outputs: dict[str, str]) -> None:
    """Meltano and the mirror's command line share one default database, after the demo.

    Every record is there: the user's pipeline did not resume from the demo's state.
    """
    mirror = Mirror(f"sqlite:///{project / 'output' / 'pinterest-mirror.db'}")
    try:
        stats = mirror.stats()
        active = mirror.search("campaigns", {"filter": {"eq": {"status": "ACTIVE"}}}, limit=2)
    finally:
        mirror.close()
    for stream, records in expected.items():
        assert stats[stream]["records"] == len(records), stream
    # The target prints each committed state as a line of its own; the last is what
    # `tap-pinterest --state state.json` resumes from.
    state = json.loads((project / "state.json").read_text())
    assert state["bookmarks"]["campaigns"]["partitions"]
    (search,) = json_documents(output_of(outputs, "tap-pinterest-mirror search board_pins"))
    assert 0 < len(search["data"]) <= 5
    assert all("lemon" in row["title"].lower() for row in search["data"])
    shown, served = json_documents(output_of(outputs, "curl"))
    assert shown == stats
    assert [row["name"] for row in served["data"]] == [row["name"] for row in active["data"]]


def output_of(outputs: dict[str, str], command: str) -> str:
    (output,) = [out for block, out in outputs.items() if command in block]
    return output


def check_python_examples(project: Path, section: str) -> None:
    """The section's Python runs in the project's own environment, against its mirror."""
    for block in re.findall(r"^```python\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL):
        code = f"from tap_pinterest.mirror import Mirror\n{block}"
        result = subprocess.run(
            [str(project / ".venv" / "bin" / "python"), "-c", code],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
