"""HTTP triggers: routing errors, request and response conversion, failures."""

from __future__ import annotations

import azure.functions as func
import pytest

from devhost.background import RunningDevHost
from devhost.http_triggers import to_web_response
from tests.devhost.conftest import FUNCTION_KEY
from tests.devhost.http_client import call

KEY = {"x-functions-key": FUNCTION_KEY}


def test_a_string_return_is_a_200_text_response() -> None:
    """A function may return a plain string, as with the worker."""
    response = to_web_response("hi")
    assert (response.status, response.body, response.content_type) == (200, b"hi", "text/plain")


def test_none_is_an_empty_204() -> None:
    """Returning nothing gives no content."""
    assert to_web_response(None).status == 204


def test_a_text_mimetype_gets_the_charset() -> None:
    """text/* responses carry their charset, as the worker adds it."""
    response = to_web_response(func.HttpResponse("x", mimetype="text/html", charset="utf-8"))
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_an_explicit_content_type_header_is_kept() -> None:
    """A Content-Type set by the function wins over its mimetype."""
    reply = func.HttpResponse("{}", headers={"Content-Type": "application/problem+json"})
    assert to_web_response(reply).headers["Content-Type"] == "application/problem+json"


def test_other_return_types_are_refused() -> None:
    """A dict is not an HTTP response (the caller turns this into a 500)."""
    with pytest.raises(TypeError, match="not HttpResponse"):
        to_web_response({"a": 1})


@pytest.mark.integration
class TestServing:
    """The toy app's HTTP triggers over real HTTP."""

    def test_an_unknown_route_is_404_with_a_json_error(self, toy_host: RunningDevHost) -> None:
        """No function serves the path."""
        reply = call("GET", f"{toy_host.base_url}/api/nothing-here", headers=KEY)
        assert reply.status == 404
        assert reply.json()["error"] == {
            "type": "invalid_request_error",
            "message": "No function serves this route.",
            "param": None,
            "code": "not_found",
        }

    def test_a_path_outside_the_route_prefix_is_404(self, toy_host: RunningDevHost) -> None:
        """Only /api/... reaches the HTTP triggers."""
        reply = call("GET", f"{toy_host.base_url}/secret", headers=KEY)
        assert (reply.status, reply.json()["error"]["code"]) == (404, "not_found")

    def test_a_wrong_method_is_405_with_allow(self, toy_host: RunningDevHost) -> None:
        """DELETE on a GET route names the allowed methods."""
        reply = call("DELETE", f"{toy_host.base_url}/api/secret", headers=KEY)
        assert reply.status == 405
        assert reply.headers["Allow"] == "GET"
        assert reply.json()["error"]["code"] == "method_not_allowed"

    def test_the_function_sees_the_whole_request(self, toy_host: RunningDevHost) -> None:
        """Method, URL, route and query parameters, headers and body all arrive."""
        url = f"{toy_host.base_url}/api/items/42/detail?a=1&a=2&b=x"
        reply = call("POST", url, headers={**KEY, "X-Toy-Header": "v"}, body=b"raw body")
        seen = reply.json()
        assert seen == {
            "method": "POST",
            "url": url,
            "route_params": {"item_id": "42", "detail": "detail"},
            "params": {"a": "1,2", "b": "x"},
            "header": "v",
            "body": "raw body",
        }

    def test_the_response_keeps_status_headers_and_mimetype(self, toy_host: RunningDevHost) -> None:
        """Status 201, a custom header and the JSON mimetype come back."""
        reply = call("GET", f"{toy_host.base_url}/api/items/1", headers=KEY)
        assert reply.status == 201
        assert reply.headers["X-Toy"] == "yes"
        assert reply.headers["Content-Type"] == "application/json"

    def test_an_exception_in_the_function_is_a_bare_500(self, toy_host: RunningDevHost) -> None:
        """As in Azure: 500, and nothing of the exception in the body."""
        reply = call("GET", f"{toy_host.base_url}/api/boom", headers=KEY)
        assert (reply.status, reply.body) == (500, b"")
