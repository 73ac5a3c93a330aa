"""Every app setting the code reads is documented in the README's settings tables, and back.

The names are collected mechanically, so a new ``settings.get("NAME")`` without a README row
fails here: reads in the app and its local tools (``settings.get``, ``env.get``,
``os.environ.get``, ``os.getenv`` with a literal or a module constant, and helpers called as
``helper(settings, "NAME", ...)``), ``*_setting`` values and tier ``settings`` objects in
``config/*.json``, the standard tier settings of each kind, and ``%NAME%`` references in
``host.json`` and in trigger arguments.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.platform.config import STANDARD_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
CODE = ("shared", "api", "orchestrators", "devhost", "simulators", "function_app.py")
README = ROOT / "README.md"
SETTINGS_HEADING = "## Settings"
# The names the code gives the mapping of app settings when it reads one.
SETTINGS_MAPPINGS = frozenset({"settings", "_settings", "env", "environ"})
SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A helper called as ``helper(settings, "NAME")`` may take other strings there (a table name),
# so only upper-case names count in that form.
UPPER_CASE_NAME = re.compile(r"[A-Z][A-Z0-9_]+")
PERCENT_REFERENCE = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)%")
# Documented settings that no code here reads by a literal name, each with the reason.
READ_ELSEWHERE = frozenset(
    {
        "FUNCTIONS_WORKER_RUNTIME",  # read by the Functions host, not by the app
        "AzureWebJobs.<function>.Disabled",  # a family; the dev host builds each name
        # The Durable backend, chosen in infra/: read by the Functions host's Durable extension.
        "AzureFunctionsJobHost__extensions__durableTask__storageProvider__type",
        "AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName",
        "DURABLE_TASK_SCHEDULER_CONNECTION_STRING",
    }
)


def _module_strings(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "text"`` constants."""
    found: dict[str, str] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(node, ast.AnnAssign):
            target = node.target
        value = getattr(node, "value", None)
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            found[target.id] = value.value
    return found


def _text(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None  # built at run time (a tier's or an audience's setting name): see config


def _mapping_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def names_read_in(source: str) -> set[str]:
    """The setting names one module reads by a literal name or a module constant."""
    tree = ast.parse(source)
    constants = _module_strings(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.update(m.group(1) for m in [PERCENT_REFERENCE.fullmatch(node.value)] if m)
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func, args = node.func, node.args
        name: str | None = None
        if isinstance(func, ast.Attribute) and func.attr == "get":
            if _mapping_name(func.value) in SETTINGS_MAPPINGS:
                name = _text(args[0], constants)
        elif isinstance(func, ast.Attribute) and func.attr == "getenv":
            name = _text(args[0], constants)
        elif len(args) >= 2 and _mapping_name(args[0]) in SETTINGS_MAPPINGS:
            text = _text(args[1], constants)  # helper(settings, "NAME", default)
            name = text if text and UPPER_CASE_NAME.fullmatch(text) else None
        if name is not None and SETTING_NAME.fullmatch(name):
            found.add(name)
    return found


def _python_files() -> Iterator[Path]:
    for entry in CODE:
        path = ROOT / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _config_names(value: object, key: str = "") -> Iterator[str]:
    """``*_setting`` values and every value of a ``settings`` object, anywhere in a config."""
    if isinstance(value, dict):
        if key == "settings":
            yield from (v for v in value.values() if isinstance(v, str))
            return
        for k, v in value.items():
            if k.endswith("_setting") and isinstance(v, str):
                yield v
            else:
                yield from _config_names(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _config_names(item, key)


def settings_in_code() -> set[str]:
    names: set[str] = set()
    for path in _python_files():
        names |= names_read_in(path.read_text(encoding="utf-8"))
    for path in sorted((ROOT / "config").glob("*.json")):
        names.update(_config_names(json.loads(path.read_text(encoding="utf-8"))))
    for standard in STANDARD_SETTINGS.values():
        names.update(getattr(standard, f) for f in standard.__dataclass_fields__)
    names.update(PERCENT_REFERENCE.findall((ROOT / "host.json").read_text(encoding="utf-8")))
    names.discard("")
    return names


def settings_tables(markdown: str) -> list[list[str]]:
    """The rows of the tables in the README's settings section, as lists of cells."""
    section = markdown.split(f"\n{SETTINGS_HEADING}\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and not set(cells[0]) <= set("-: "):
            rows.append(cells)
    return rows


def documented_settings(markdown: str) -> set[str]:
    """The backticked names in the first cell of each settings row (``NAME=value`` too)."""
    return {
        token.split("=", 1)[0]
        for row in settings_tables(markdown)
        for token in re.findall(r"`([^`]+)`", row[0])
    }


@pytest.fixture(scope="module")
def in_code() -> set[str]:
    return settings_in_code()


@pytest.fixture(scope="module")
def in_readme() -> set[str]:
    return documented_settings(README.read_text(encoding="utf-8"))


def test_the_collector_finds_known_settings(in_code: set[str]) -> None:
    """The check cannot pass vacuously: settings read each way are found."""
    assert {
        "PSEUDONYM_KEY",  # env.get in Settings.from_env
        "HEALTH_CHECK_TIMEOUT_S",  # helper(settings, "NAME", ...)
        "AUDIT_TABLE_NAME",  # settings.get(MODULE_CONSTANT)
        "DURABLE_SDK_FASTPATH",  # env.get(MODULE_CONSTANT)
        "TEAMS_WEBHOOK_URL",  # *_setting in escalation-config.json
        "AZURE_OPENAI_SECONDARY_API_KEY",  # a tier's settings object
        "ANTHROPIC_API_KEY",  # STANDARD_SETTINGS
        "DURABLE_TASK_HUB_NAME",  # %NAME% in host.json
        "HEALTH_CHECK_SCHEDULE",  # %NAME% in a timer trigger
    } <= in_code


def test_the_collector_reads_each_form() -> None:
    """Literal names, module constants and helpers are read; other mappings are not."""
    source = (
        'NAME = "FROM_CONSTANT"\n'
        'settings.get("LITERAL")\n'
        "os.environ.get(NAME)\n"
        'os.getenv("GETENV")\n'
        '_float(env, "HELPER", 1.0)\n'
        'table_client(settings, "audit")\n'
        'headers.get("X_NOT_A_SETTING")\n'
        "settings.get(name)\n"
    )
    assert names_read_in(source) == {"FROM_CONSTANT", "LITERAL", "GETENV", "HELPER"}


def test_the_readme_has_settings_tables(in_readme: set[str]) -> None:
    """The README's settings section is found and has many rows."""
    assert len(in_readme) > 40
    assert "PSEUDONYM_KEY" in in_readme


def test_every_setting_the_code_reads_is_documented(in_code: set[str], in_readme: set[str]) -> None:
    """A setting the code reads has a row in a README settings table."""
    assert sorted(in_code - in_readme) == []


def test_every_documented_setting_is_read(in_code: set[str], in_readme: set[str]) -> None:
    """A README settings row names a setting the code reads (or one read by the host)."""
    assert sorted(in_readme - in_code - READ_ELSEWHERE) == []
