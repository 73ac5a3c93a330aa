"""The house rules of shared/, read from its import graph (grimp, import-linter's library)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp
import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
MAX_TOP_LEVEL_MODULES = 8


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """Every import in shared/, TYPE_CHECKING ones included."""
    return grimp.build_graph("shared", cache_dir=None)


def cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module, or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in edges.get(node, ()):
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check below can fail: a three-module circle is reported."""
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert cycles({"a": ["b"], "b": []}) == []


def test_no_import_cycle_in_shared(graph: grimp.ImportGraph) -> None:
    """No two modules of shared/ import each other, directly or through others."""
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    assert cycles(edges) == []


def test_at_most_eight_top_level_modules_besides_the_packages() -> None:
    """shared/ is rooms (packages), with only a few top-level modules between them."""
    modules = sorted(p.stem for p in SHARED.glob("*.py") if p.stem != "__init__")
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


def test_the_runtime_imports_nothing_above_platform_at_run_time() -> None:
    """Runtime is a plain value: at run time it imports only shared.platform (its field
    types come from TYPE_CHECKING imports, for the type checker alone)."""
    run_time = grimp.build_graph("shared", cache_dir=None, exclude_type_checking_imports=True)
    imported = run_time.find_modules_directly_imported_by("shared.runtime")
    assert imported, "the graph saw the runtime's imports"
    assert {m for m in imported if not m.startswith("shared.platform")} == set()


def test_only_bootstrap_imports_the_runtime_builders(graph: grimp.ImportGraph) -> None:
    """Inside shared/, nothing but the bootstrap imports it: core code gets services, not the
    runtime, and only the edges call get_runtime()."""
    importers = graph.find_modules_that_directly_import("shared.bootstrap")
    assert {m for m in importers if m.startswith("shared")} == set()
    runtime_importers = graph.find_modules_that_directly_import("shared.runtime")
    assert runtime_importers == {"shared.bootstrap"}


def _suffixed(names: list[str]) -> list[tuple[str, str]]:
    return [
        (short, long)
        for short in names
        for long in names
        if short != long and (long == short + "s" or long.startswith(short + "_"))
    ]


def test_the_suffix_check_finds_near_names() -> None:
    """breaker / breakers / breaker_store would be reported."""
    assert _suffixed(["breaker", "breakers", "breaker_store", "rule"]) == [
        ("breaker", "breakers"),
        ("breaker", "breaker_store"),
    ]


def test_no_module_name_is_another_with_a_suffix() -> None:
    """In each room, no module is named like a neighbour plus a suffix (x, xs, x_store)."""
    for folder in [SHARED, *(p for p in SHARED.iterdir() if (p / "__init__.py").exists())]:
        names = sorted(
            p.stem if p.suffix == ".py" else p.name
            for p in folder.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
        )
        assert _suffixed(names) == [], folder.name
