"""How the package leans on singer-sdk, declared where it happens and checked against the SDK.

The tap, the mirror's target and reader, and every other module of the package:

- Every SDK hook a class overrides carries ``@override``.
- A module that uses or overrides private SDK members (``_tap``, ...) lists them in one
  comment at its top, one ``#   Class._member: why`` line each. Every member listed must
  exist in the pinned singer-sdk, and the list must be exactly the private SDK names the
  module uses, so an upgrade that drops one fails here, not in a sync.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import re
import textwrap
import typing as t
from pathlib import Path

import pytest
from singer_sdk import RESTStream, Stream, Tap, metrics
from singer_sdk.authenticators import (
    APIAuthenticatorBase,
    BearerTokenAuthenticator,
    OAuthAuthenticator,
)
from singer_sdk.singerlib.encoding.base import GenericSingerReader
from singer_sdk.sinks import BatchSink, Sink
from singer_sdk.target_base import Target

PACKAGE = Path(__file__).resolve().parents[1] / "tap_pinterest"
SDK_VERSION = importlib.metadata.version("singer-sdk")
HEADER = "# Private singer-sdk members used here"
ENTRY = re.compile(r"#   (\w+)\.(_\w+): \S")
#: The SDK classes the tap builds on: a declaration names one of them.
SDK_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Tap,
        Stream,
        RESTStream,
        APIAuthenticatorBase,
        BearerTokenAuthenticator,
        OAuthAuthenticator,
        metrics.Timer,
        Target,
        Sink,
        BatchSink,
        GenericSingerReader,
    )
}
#: Constructors are not hooks.
NOT_HOOKS = {"__init__", "__init_subclass__", "__new__"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


#: Every module of the package: the tap, the mirror and the simulator.
MODULES = sorted(PACKAGE.rglob("*.py"))


def _assigned_in_init(cls: type) -> set[str]:
    """The attributes an SDK class's ``__init__`` sets on ``self``."""
    init = vars(cls).get("__init__")
    if init is None:
        return set()
    tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    names = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            owner = target.value if isinstance(target, ast.Attribute) else None
            if isinstance(owner, ast.Name) and owner.id == "self":
                names.add(t.cast("ast.Attribute", target).attr)
    return names


def sdk_members(cls: type) -> set[str]:
    """Every name an instance of the SDK class ``cls`` has: class members and the
    attributes its ``__init__`` (and its SDK bases') set."""
    names = set(dir(cls))
    for klass in cls.__mro__:
        if klass.__module__.startswith("singer_sdk"):
            names |= _assigned_in_init(klass)
    return names


SDK_PRIVATE = {
    name
    for cls in SDK_CLASSES.values()
    for name in sdk_members(cls)
    if name.startswith("_") and not name.startswith("__")
}


def declared(source: str) -> set[tuple[str, str]]:
    """The ``(class, member)`` pairs of the module's comment, if it has one."""
    lines = source.splitlines()
    if HEADER not in "\n".join(lines):
        return set()
    start = next(i for i, line in enumerate(lines) if line.startswith(HEADER))
    pairs = set()
    for line in lines[start + 1 :]:
        match = ENTRY.match(line)
        if not match:
            break
        pairs.add((match[1], match[2]))
    return pairs


def used(source: str) -> set[str]:
    """The private SDK names the module uses: read as attributes, or defined in a class."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    names |= {t.id for t in item.targets if isinstance(t, ast.Name)}
    return names & SDK_PRIVATE


def problems(source: str) -> list[str]:
    """What is wrong with a module's declaration: gone from the SDK, undeclared, stale."""
    pairs = declared(source)
    out = [
        f"{cls}.{member} is not in singer-sdk {SDK_VERSION}"
        for cls, member in sorted(pairs)
        if cls not in SDK_CLASSES or member not in sdk_members(SDK_CLASSES[cls])
    ]
    names = {member for _, member in pairs}
    out += [f"{name} is used but not declared" for name in sorted(used(source) - names)]
    out += [f"{name} is declared but not used" for name in sorted(names - used(source))]
    if pairs and source.index(HEADER) > source.index("from __future__"):
        out.append("the declaration is not at the top of the module")
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_private_sdk_members_are_declared_and_exist(path: Path) -> None:
    assert problems(path.read_text()) == [], f"{path.relative_to(PACKAGE)}: see {HEADER!r}"


def test_the_declared_members_are_really_checked() -> None:
    assert "_tap" in sdk_members(Stream)  # set in Stream.__init__ only
    assert "_write_activate_version_message" in sdk_members(Stream)
    assert "_no_such_member" not in sdk_members(Stream)
    module = '''"""A stream."""

# Private singer-sdk members used here (tests/test_sdk_coupling.py checks this list):
#   Stream._no_such_member: gone
#   Stream._write_schema_message: declared, never used

from __future__ import annotations


class S(RESTStream):
    def run(self) -> None:
        self._tap.write_message(None)
'''
    assert problems(module) == [
        f"Stream._no_such_member is not in singer-sdk {SDK_VERSION}",
        "_tap is used but not declared",
        "_no_such_member is declared but not used",
        "_write_schema_message is declared but not used",
    ]


def _marked(attribute: t.Any) -> bool:
    if isinstance(attribute, property):
        attribute = attribute.fget
    elif isinstance(attribute, classmethod | staticmethod):
        attribute = attribute.__func__
    return bool(getattr(attribute, "__override__", False))


def _hooks(attribute: t.Any) -> bool:
    return inspect.isfunction(attribute) or isinstance(
        attribute, property | classmethod | staticmethod
    )


def unmarked_overrides(module: t.Any) -> list[str]:
    """``Class.method`` for each SDK hook a class of ``module`` overrides without @override."""
    out = []
    for cls in vars(module).values():
        if not inspect.isclass(cls) or cls.__module__ != module.__name__:
            continue
        sdk_bases = [k for k in cls.__mro__[1:] if k.__module__.startswith("singer_sdk")]
        for name, attribute in vars(cls).items():
            if name in NOT_HOOKS or not _hooks(attribute) or _marked(attribute):
                continue
            if any(name in vars(base) for base in sdk_bases):
                out.append(f"{cls.__name__}.{name}")
    return out


@pytest.mark.parametrize(
    "path",
    # __main__ runs the command line when imported; it defines no class.
    [p for p in MODULES if p.name != "__main__.py"],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_every_overridden_sdk_hook_carries_override(path: Path) -> None:
    module = importlib.import_module(_module_name(path))
    assert unmarked_overrides(module) == []


def test_an_unmarked_override_is_found() -> None:
    class Unmarked(RESTStream):
        def get_records(self, context):  # an SDK hook without @override
            yield from ()

        def own_helper(self) -> None:
            """Not an SDK hook."""

    module = type(importlib)("fake_module")
    Unmarked.__module__ = "fake_module"
    module.Unmarked = Unmarked
    assert unmarked_overrides(module) == ["Unmarked.get_records"]
