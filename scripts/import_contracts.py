"""A contract type for import-linter: source files that must not import given modules.

import-linter's graph folds every external package to its top-level name, so ``azure``
stands for ``azure.functions`` and ``azure.data.tables`` alike, and it builds graphs of
packages only, not of a lone module such as ``function_app.py``. This contract reads the
files' own import statements instead (``import x.y``, ``from x.y import z``, at any depth, in
functions and ``TYPE_CHECKING`` blocks too), so it can forbid one portion of a namespace
package, and it can check a single module.

    [[tool.importlinter.contracts]]
    name = "..."
    type = "source_forbidden"
    sources = ["shared"]                      # files or folders, relative to the repo
    forbidden_modules = ["azure.functions"]   # a module and everything below it
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from importlinter import Contract, ContractCheck, fields, output


def _python_files(source: str) -> Iterator[Path]:
    path = Path(source)
    if path.is_dir():
        yield from sorted(path.rglob("*.py"))
    elif path.suffix == ".py":
        yield path
    else:
        yield path.with_suffix(".py")


def _imported(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _matches(name: str, forbidden: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


class SourceForbiddenContract(Contract):
    """The named source files must not import any of the forbidden modules."""

    type_name = "source_forbidden"
    sources = fields.ListField(subfield=fields.StringField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: object, verbose: bool) -> ContractCheck:
        found: list[str] = []
        for source in self.sources:  # type: ignore[attr-defined]
            for file in _python_files(str(source)):
                tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
                for line, name in _imported(tree):
                    hits = [f for f in self.forbidden_modules if _matches(name, str(f))]  # type: ignore[attr-defined]
                    found.extend(f"{file}:{line} imports {name}" for _ in hits[:1])
        return ContractCheck(kept=not found, metadata={"found": sorted(set(found))})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for line in check.metadata["found"]:
            output.print_error(line)
            output.new_line()
