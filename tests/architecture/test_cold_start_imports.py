"""The crisis path never waits for a provider SDK: read from the import graph and the code.

A new instance answers a crisis message as soon as the crisis patterns are compiled; the
``openai`` and ``anthropic`` SDKs (about 1.5 s to import together) load on the warm-up thread
or where a provider call first needs them (README, "Cold start")."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[2]
SDKS = ("openai", "anthropic")
# The rooms a crisis message goes through: detection and the crisis reply's texts
# (shared.safety), the escalation it starts (shared.escalation), and the reply's shape.
CRISIS_PATH = ("shared.safety", "shared.escalation", "shared.failover.responses")
# Where an SDK import may stand at all: inside a function of the code that calls it.
DEPLOYED = ("shared", "api", "orchestrators", "function_app.py")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """Every import of the deployed code, function-level ones included, with the SDKs."""
    return grimp.build_graph(
        "shared", "api", "orchestrators", cache_dir=None, include_external_packages=True
    )


def _crisis_modules(graph: grimp.ImportGraph) -> list[str]:
    found = []
    for root in CRISIS_PATH:
        found.append(root)
        if root in graph.modules:
            found += sorted(graph.find_descendants(root))
    return [module for module in found if module in graph.modules]


@pytest.mark.safety("H16")
@pytest.mark.parametrize("sdk", SDKS)
def test_no_module_of_the_crisis_path_reaches_a_provider_sdk(
    graph: grimp.ImportGraph, sdk: str
) -> None:
    """No chain of imports, however indirect, leads from the crisis path to an SDK."""
    chains = {
        module: chain
        for module in _crisis_modules(graph)
        if (chain := graph.find_shortest_chain(importer=module, imported=sdk)) is not None
    }
    assert chains == {}


def test_the_graph_check_sees_a_chain_where_there_is_one(graph: grimp.ImportGraph) -> None:
    """The check above can fail: the providers room does reach the SDKs."""
    assert graph.find_shortest_chain(importer="shared.providers", imported="openai") is not None


def _module_level_imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Imports that run when the module is imported: outside functions and outside
    ``if TYPE_CHECKING:`` blocks."""

    def walk(nodes: list[ast.stmt]) -> Iterator[tuple[int, str]]:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield node.lineno, alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield node.lineno, node.module
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    yield from walk(node.body)
                yield from walk(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody):
                    yield from walk(block)
                for handler in node.handlers:
                    yield from walk(handler.body)
            elif isinstance(node, ast.With):
                yield from walk(node.body)

    return walk(tree.body)


def _deployed_files() -> Iterator[Path]:
    for name in DEPLOYED:
        path = REPO / name
        yield from [path] if path.is_file() else sorted(path.rglob("*.py"))


def sdk_imports_at_module_level(source: str) -> list[str]:
    """``line: module`` for each SDK import in ``source`` that runs at import time."""
    return [
        f"{line}: {module}"
        for line, module in _module_level_imports(ast.parse(source))
        if module.split(".")[0] in SDKS
    ]


def test_the_module_level_check_finds_a_top_level_sdk_import() -> None:
    """The check below can fail: a top-level import is found, a deferred one is not."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "import openai\n"
        "if TYPE_CHECKING:\n    import anthropic\n"
        "def f():\n    import anthropic\n"
    )
    assert sdk_imports_at_module_level(source) == ["2: openai"]


@pytest.mark.safety("H16")
def test_no_deployed_module_imports_a_provider_sdk_at_import_time() -> None:
    """Every ``import openai`` / ``import anthropic`` in the deployed code is deferred to the
    function that needs it (or is for type checking only), so importing the app loads
    neither."""
    found = {
        str(path.relative_to(REPO)): imports
        for path in _deployed_files()
        if (imports := sdk_imports_at_module_level(path.read_text()))
    }
    assert found == {}
