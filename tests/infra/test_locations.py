"""Everything is deployed to UK South or UK West; only global-only services are global."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra import _bicep

LOCATION_PARAMS = [
    (path, name)
    for path in _bicep.bicep_files()
    for name in _bicep.params(path)
    if "location" in name.lower() or name == "regions"
]
LOCATED = [r for r in _bicep.resources() if "location" in r.body]


def _param_id(item: tuple[Path, str]) -> str:
    return f"{_bicep.relative(item[0])}:{item[1]}"


def _resource_id(resource: _bicep.Resource) -> str:
    return f"{_bicep.relative(resource.path)}:{resource.name}"


def test_location_params_found() -> None:
    """Every template that places a resource in a region has a location parameter."""
    assert len(LOCATION_PARAMS) >= 8


@pytest.mark.safety("H08")
@pytest.mark.parametrize("item", LOCATION_PARAMS, ids=_param_id)
def test_location_param_allows_only_uk_regions(item: tuple[Path, str]) -> None:
    """Each location parameter is restricted with @allowed(['uksouth', 'ukwest'])."""
    path, name = item
    assert _bicep.allowed(_bicep.params(path)[name]) == list(_bicep.UK_REGIONS)


@pytest.mark.parametrize("resource", LOCATED, ids=_resource_id)
def test_resource_is_in_uk_or_global(resource: _bicep.Resource) -> None:
    """A resource's location is a UK-restricted parameter, or 'global' for a global-only type."""
    location = resource.body["location"]
    if location == "global":
        assert resource.type in _bicep.GLOBAL_TYPES, f"{resource.type} must not be global"
        return
    declared = _bicep.params(resource.path)
    assert location in declared, f"location {location!r} is not a parameter"
    assert set(_bicep.allowed(declared[location]) or []) <= set(_bicep.UK_REGIONS)
