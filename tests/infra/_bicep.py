"""The templates under ``infra/``, parsed once with pycep, and helpers to walk pycep's JSON.

pycep gives every template as ``parameters``, ``variables``, ``resources``, ``modules`` and
``outputs``. Identifiers and string literals both come back as plain strings, and a resource
or module with a loop or a condition has its body one level down (``config.config``);
:func:`body` hides that.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycep import BicepParser

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
MAIN = INFRA / "main.bicep"
UK_REGIONS = ("uksouth", "ukwest")
# Resource types that Azure only offers as global services, with location 'global'.
GLOBAL_TYPES = frozenset(
    {
        "Microsoft.Cdn/profiles",
        "Microsoft.Cdn/profiles/afdEndpoints",
        "Microsoft.Network/FrontDoorWebApplicationFirewallPolicies",
        "Microsoft.Insights/actionGroups",
        "Microsoft.Network/privateDnsZones",
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
    }
)
_WRAPPER_KEYS = frozenset({"loop_type", "condition", "config"})


@dataclass(frozen=True, slots=True)
class Resource:
    path: Path
    name: str
    type: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ModuleRef:
    path: Path
    name: str
    target: Path
    params: dict[str, Any]


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@functools.cache
def parse(path: Path) -> dict[str, Any]:
    parsed: dict[str, Any] = BicepParser().parse(file_path=path)
    return parsed


def body(entry: dict[str, Any]) -> dict[str, Any]:
    """The declared body of a resource or module, past any loop or condition wrapper."""
    config: dict[str, Any] = entry["config"]
    while "config" in config and set(config) <= _WRAPPER_KEYS:
        config = config["config"]
    return config


def resources(resource_type: str | None = None) -> list[Resource]:
    """Resources this project declares (not ``existing`` references), in every template."""
    found = []
    for path in bicep_files():
        for name, entry in parse(path).get("resources", {}).items():
            if entry["existing"]:
                continue
            if resource_type is None or entry["type"] == resource_type:
                found.append(Resource(path, name, entry["type"], body(entry)))
    return found


def module_refs(path: Path | None = None) -> list[ModuleRef]:
    paths = [path] if path else bicep_files()
    refs = []
    for source in paths:
        for name, entry in parse(source).get("modules", {}).items():
            target = (source.parent / entry["detail"]["path"]).resolve()
            refs.append(ModuleRef(source, name, target, body(entry).get("params", {})))
    return refs


def module(name: str, path: Path = MAIN) -> ModuleRef:
    return next(ref for ref in module_refs(path) if ref.name == name)


def params(path: Path) -> dict[str, Any]:
    declared: dict[str, Any] = parse(path).get("parameters", {})
    return declared


def allowed(param: dict[str, Any]) -> list[Any] | None:
    for decorator in param.get("decorators", []):
        if decorator["type"] == "allowed":
            values: list[Any] = decorator["argument"]
            return values
    return None


def variable(path: Path, name: str) -> Any:
    return parse(path)["variables"][name]["value"]


def walk(node: Any) -> Iterator[Any]:
    """Every value in a pycep JSON tree, depth first (dict keys are not yielded)."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def parameter_file(environment: str) -> dict[str, Any]:
    path = INFRA / "params" / f"{environment}.parameters.json"
    values: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["parameters"]
    return values


def relative(path: Path) -> str:
    return str(path.relative_to(REPO))
