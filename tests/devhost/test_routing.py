"""Route templates and the choice of function for a request (pure)."""

from __future__ import annotations

import pytest

from devhost.auth import AuthLevel
from devhost.http_triggers import RouteMatch, WrongMethod, find_route
from devhost.index import FunctionInfo, HttpFunction
from devhost.routing import parse_route, split_path


def _function(
    name: str, route: str, methods: set[str] | None = None, *, disabled: bool = False
) -> HttpFunction:
    info = FunctionInfo(
        name=name,
        handler=lambda req: None,
        trigger_arg="req",
        client_args=(),
        wants_context=False,
        disabled=disabled,
    )
    return HttpFunction(
        info=info,
        route=parse_route(route),
        methods=frozenset(methods) if methods else None,
        auth_level=AuthLevel.FUNCTION,
    )


def _by_precedence(*functions: HttpFunction) -> list[HttpFunction]:
    return sorted(functions, key=lambda fn: fn.route.precedence)


def test_literals_match_case_insensitively() -> None:
    """'Chat/Send' serves /chat/send, as ASP.NET routing does."""
    assert parse_route("Chat/Send").match(split_path("/chat/send")) == {}


def test_parameters_are_captured() -> None:
    """'{name}' segments become route parameters."""
    route = parse_route("users/{user}/items/{item}")
    assert route.match(split_path("users/u1/items/i2")) == {"user": "u1", "item": "i2"}


def test_an_optional_parameter_may_be_absent() -> None:
    """'{id?}' matches with or without its segment."""
    route = parse_route("start/{name}/{id?}")
    assert route.match(split_path("start/chat")) == {"name": "chat"}
    assert route.match(split_path("start/chat/abc")) == {"name": "chat", "id": "abc"}


def test_a_catch_all_takes_the_rest_of_the_path() -> None:
    """'{*path}' captures every remaining segment."""
    route = parse_route("files/{*path}")
    assert route.match(split_path("files/a/b/c.txt")) == {"path": "a/b/c.txt"}


def test_extra_segments_do_not_match() -> None:
    """A longer path than the template is not served by it."""
    assert parse_route("items/{id}").match(split_path("items/1/extra")) is None


def test_parameter_constraints_are_accepted() -> None:
    """'{id:int}' parses; the constraint itself is not enforced."""
    assert parse_route("items/{id:int}").match(split_path("items/7")) == {"id": "7"}


def test_an_optional_segment_must_be_last() -> None:
    """'{a?}/b' is refused when the app is indexed."""
    with pytest.raises(ValueError, match="only the last segment"):
        parse_route("{a?}/b")


def test_complex_segments_are_refused() -> None:
    """'file.{ext}' is not supported, and says so."""
    with pytest.raises(ValueError, match="not supported"):
        parse_route("files/file.{ext}")


def test_a_literal_route_wins_over_a_parameter_route() -> None:
    """/items/special goes to the literal template even if it was registered second."""
    functions = _by_precedence(
        _function("any", "items/{id}"), _function("special", "items/special")
    )
    found = find_route(functions, "GET", "/items/special")
    assert isinstance(found, RouteMatch)
    assert found.function.info.name == "special"


def test_a_known_path_with_the_wrong_method_lists_the_allowed_methods() -> None:
    """DELETE on a GET/POST route is a method mismatch, not an unknown route."""
    found = find_route([_function("echo", "echo", {"GET", "POST"})], "DELETE", "/echo")
    assert found == WrongMethod(frozenset({"GET", "POST"}))


def test_a_route_without_methods_takes_any_method() -> None:
    """No methods in the binding means every method."""
    assert isinstance(find_route([_function("any", "any")], "PATCH", "/any"), RouteMatch)


def test_an_unknown_path_is_not_found() -> None:
    """No template matches: no route."""
    assert find_route([_function("echo", "echo")], "GET", "/other") is None


def test_a_disabled_function_is_not_served() -> None:
    """AzureWebJobs.<name>.Disabled hides an HTTP function entirely."""
    assert find_route([_function("echo", "echo", disabled=True)], "GET", "/echo") is None
