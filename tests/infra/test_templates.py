"""Every template parses, and every module reference is wired to a real, matching module."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra import _bicep

FILES = _bicep.bicep_files()
REFS = _bicep.module_refs()


def _ref_id(ref: _bicep.ModuleRef) -> str:
    return f"{_bicep.relative(ref.path)}:{ref.name}"


def test_templates_exist() -> None:
    """main.bicep and its modules are all present."""
    assert _bicep.MAIN in FILES
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=_bicep.relative)
def test_template_parses(path: Path) -> None:
    """pycep-parser (the parser checkov uses) reads the file without a syntax error."""
    parsed = _bicep.parse(path)
    assert parsed.get("resources") or parsed.get("modules")


@pytest.mark.parametrize("ref", REFS, ids=_ref_id)
def test_module_path_exists(ref: _bicep.ModuleRef) -> None:
    """A module reference points at a Bicep file in the repository."""
    assert ref.target.is_file(), f"{_ref_id(ref)} -> missing {ref.target}"


@pytest.mark.parametrize("ref", REFS, ids=_ref_id)
def test_passed_params_are_declared(ref: _bicep.ModuleRef) -> None:
    """Every parameter a template passes is declared by the module it calls."""
    undeclared = set(ref.params) - set(_bicep.params(ref.target))
    assert not undeclared, f"{_ref_id(ref)} passes undeclared {sorted(undeclared)}"


@pytest.mark.parametrize("ref", REFS, ids=_ref_id)
def test_required_params_are_passed(ref: _bicep.ModuleRef) -> None:
    """Every module parameter without a default is given a value."""
    declared = _bicep.params(ref.target)
    required = {name for name, param in declared.items() if "default" not in param}
    missing = required - set(ref.params)
    assert not missing, f"{_ref_id(ref)} does not pass {sorted(missing)}"


def test_every_module_is_used() -> None:
    """No module file is left unreferenced (and so unchecked by the wiring tests)."""
    used = {ref.target for ref in REFS}
    unused = [p for p in FILES if p != _bicep.MAIN and p.resolve() not in used]
    assert not unused, f"unreferenced modules: {[_bicep.relative(p) for p in unused]}"


def test_loaded_files_exist() -> None:
    """Files pulled in with loadTextContent exist next to the template that loads them."""
    loaded = [
        (path, node["function"]["parameters"]["file_path"])
        for path in FILES
        for node in _bicep.walk(_bicep.parse(path))
        if isinstance(node, dict) and node.get("function", {}).get("type") == "load_text_content"
    ]
    assert loaded
    for path, relative in loaded:
        assert (path.parent / relative).is_file(), f"{_bicep.relative(path)} loads {relative}"
