"""README, meltano.yml and the code agree; the README's commands are the real ones."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tap_pinterest.mirror.load.target import TargetPinterestMirror
from tap_pinterest.streams import STREAM_TYPES

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import sync_docs  # noqa: E402


def test_generated_sections_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "sync_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_meltano_yml_declares_every_setting_with_its_sensitivity() -> None:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    extractor = _shipped(project["plugins"]["extractors"])
    assert extractor["name"] == "tap-pinterest"
    assert extractor["pip_url"] == "-e ."
    declared = {s["name"]: s.get("sensitive", False) for s in extractor["settings"]}
    expected = {name: bool(p.get("secret")) for name, p in sync_docs.OWN_SETTINGS.items()}
    assert declared == expected
    assert {"access_token", "client_secret", "refresh_token"} == {
        name for name, sensitive in declared.items() if sensitive
    }
    loaders = {loader["name"] for loader in project["plugins"]["loaders"]}
    assert loaders == {
        "target-postgres",
        "target-jsonl",
        "target-pinterest-mirror",
        "target-postgres--shards",  # docs/scaling-out.md
    }
    for plugin in project["plugins"]["extractors"] + project["plugins"]["loaders"]:
        # the shard plugins (docs/scaling-out.md) inherit every setting
        assert "settings" not in plugin if "inherit_from" in plugin else "pip_url" in plugin


def _shipped(extractors: list[dict]) -> dict:
    """The extractor itself, not the shard plugins that inherit from it."""
    (extractor,) = [plugin for plugin in extractors if "inherit_from" not in plugin]
    return extractor


def test_a_meltano_yml_reformatted_by_meltano_is_still_current() -> None:
    """`meltano select` and `meltano config set` rewrite meltano.yml in their own style."""
    text = (REPO / "meltano.yml").read_text()
    reformatted = yaml.safe_dump(yaml.safe_load(text), indent=2, width=60, sort_keys=True)
    assert reformatted != text
    assert sync_docs.declared_meltano_settings(reformatted) == sync_docs.meltano_settings()
    edited = yaml.safe_load(text)
    edited["plugins"]["extractors"][0]["settings"][0]["description"] = "drifted"
    assert sync_docs.declared_meltano_settings(yaml.safe_dump(edited)) != (
        sync_docs.meltano_settings()
    )


def test_the_mirror_target_settings_are_declared_and_documented() -> None:
    settings = TargetPinterestMirror.own_settings
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    (loader,) = [p for p in project["plugins"]["loaders"] if p["name"] == "target-pinterest-mirror"]
    assert {s["name"] for s in loader["settings"]} == set(settings)
    readme = (REPO / "README.md").read_text()
    for name in settings:
        assert f"| {name} |" in readme


def test_readme_lists_every_stream_and_setting() -> None:
    readme = (REPO / "README.md").read_text()
    for stream_class in STREAM_TYPES:
        assert f"| `{stream_class.name}` |" in readme
    for name in sync_docs.OWN_SETTINGS:
        assert f"| {name} |" in readme


def test_readme_starts_with_the_demo_and_test_commands_ci_runs() -> None:
    readme = (REPO / "README.md").read_text().splitlines()
    block = readme[readme.index("```bash") + 1 : readme.index("```")]
    assert block[0].startswith("./scripts/demo.sh")
    assert any(line.startswith("./scripts/test.sh") for line in block)
    assert readme.index("```bash") < 5
    ci = (REPO / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci
    test_script = (REPO / "scripts" / "test.sh").read_text()
    assert "bash scripts/setup.sh" in test_script
    assert "-m pytest" in test_script


def test_meltano_selects_every_stream_but_the_organic_analytics() -> None:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    extractor = _shipped(project["plugins"]["extractors"])
    selected = {pattern.removesuffix(".*") for pattern in extractor["select"]}
    organic = {"user_account_analytics", "pin_analytics"}
    assert selected == {stream.name for stream in STREAM_TYPES} - organic
    readme = (REPO / "README.md").read_text()
    for name in organic:
        assert f"| `{name}` |" in readme
        assert f"{name}.*" in readme  # the README says how to add them


def _anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    words = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return words.replace(" ", "-")


def test_every_tap_setting_the_docs_name_in_the_environment_exists() -> None:
    """`TAP_PINTEREST_<SETTING>` in the README and docs/ names a setting of the tap (a
    renamed setting left in an example is silently ignored by Meltano)."""
    docs = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    named = {
        (doc.name, match)
        for doc in docs
        for match in re.findall(r"TAP_PINTEREST_([A-Z][A-Z_]*[A-Z])", doc.read_text())
    }
    assert named  # the check reads something
    # `TAP_PINTEREST__ACCOUNTS_<SETTING>`: the setting of the inheriting plugin;
    # `TAP_PINTEREST_LOGLEVEL` is read by the singer-sdk itself
    unknown = {
        (doc, name)
        for doc, name in named
        if re.sub(r"^_(ACCOUNTS|USER)_", "", name).lower()
        not in {*sync_docs.OWN_SETTINGS, "loglevel"}
    }
    assert not unknown


def test_every_relative_link_in_the_docs_resolves() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    assert len(pages) > 1
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+://", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.name}: {target}"
            if anchor:
                headings = re.findall(r"^#+ (.*)$", linked.read_text(), flags=re.MULTILINE)
                assert anchor in {_anchor(h) for h in headings}, f"{page.name}: {target}"
